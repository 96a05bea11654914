/// An order: made once at checkout, never changed, with the prices it was sold at locked in.
public struct Order: Hashable, Sendable, CanonicalEncodable {
    public let id: OrderID
    /// The cart it was made from.
    public let cart: CartID
    /// The customer, when the cart had an owner.
    public let customer: CustomerID?
    /// The store it was placed in; nil for an app order.
    public let store: StoreID?
    /// When it was placed, and by which replica.
    public let placedAt: HLCTimestamp
    /// The priced lines and sums as charged.
    public let totals: CartTotals
    /// Digest of the catalog the prices came from.
    public let catalogDigest: StateDigest
    /// The customer's points that paid part of it; nil when none did.
    public let pointsPayment: PointsPayment?

    /// The encoding version of an order paid partly with points (docs/encoding.md, "Orders").
    public static let pointsPaymentVersion: UInt64 = 2

    /// What the customer pays besides points: the total less what the points paid.
    public var amountDue: Int64 { totals.total - (pointsPayment?.value ?? 0) }

    public init(
        id: OrderID, cart: CartID, customer: CustomerID?, store: StoreID?, placedAt: HLCTimestamp, totals: CartTotals,
        catalogDigest: StateDigest, pointsPayment: PointsPayment? = nil
    ) {
        self.id = id
        self.cart = cart
        self.customer = customer
        self.store = store
        self.placedAt = placedAt
        self.totals = totals
        self.catalogDigest = catalogDigest
        self.pointsPayment = pointsPayment
    }

    /// An order without points keeps the first layout (so its bytes, digests and tie-breaks are as
    /// before); one with points starts with an empty id length, which no first-layout order can
    /// have, then its version, and carries the payment after the first layout's fields.
    public func encode(to encoder: inout CanonicalEncoder) {
        if pointsPayment != nil {
            encoder.append(UInt64(0))
            encoder.append(Self.pointsPaymentVersion)
        }
        encoder.append(id)
        encoder.append(cart)
        encoder.append(customer)
        encoder.append(store)
        encoder.append(placedAt)
        encoder.append(totals)
        encoder.append(catalogDigest)
        if let pointsPayment { encoder.append(pointsPayment) }
    }
}

/// Every order seen: a grow-only set keyed by order id.
///
/// An order id is minted once by the replica that checks out, so two different orders under one
/// id mean a faulty replica; the merge still picks one deterministically (larger canonical bytes)
/// and the sync layer reports the equivocation.
public struct OrderBook: Lattice, CanonicalEncodable {
    /// The orders by id.
    public private(set) var orders: [OrderID: Order] = [:]

    public init() {}

    /// The orders, oldest first.
    public var chronological: [Order] {
        orders.values.sorted { ($0.placedAt, $0.id) < ($1.placedAt, $1.id) }
    }

    public static var bottom: OrderBook { OrderBook() }

    public func joined(with other: OrderBook) -> OrderBook {
        var result = self
        result.join(other)
        return result
    }

    public mutating func join(_ other: OrderBook) {
        orders.merge(other.orders) { mine, theirs in
            mine.canonicalBytes.lexicographicallyPrecedes(theirs.canonicalBytes) ? theirs : mine
        }
    }

    /// Records `order`; returns the delta.
    @discardableResult
    public mutating func record(_ order: Order) -> OrderBook {
        var delta = OrderBook()
        delta.orders[order.id] = order
        join(delta)
        return delta
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(map: orders)
    }
}
