/// Carts and the orders made from them, in one scope: a store's walk-in carts, or a customer's
/// (with the customer's wishlist).
public struct Shopping: Lattice, CanonicalEncodable {
    public internal(set) var carts: LatticeMap<CartID, Cart>
    public internal(set) var orders: OrderBook
    /// Only in a customer's scope.
    public internal(set) var wishlist: Wishlist
    /// Only in a customer's scope: what the customer's phones keep of its reservations.
    public internal(set) var reservations: LatticeMap<ReservationID, ReservationNote>

    public init() {
        carts = .bottom
        orders = .bottom
        wishlist = .bottom
        reservations = .bottom
    }

    public static var bottom: Shopping { Shopping() }

    public func joined(with other: Shopping) -> Shopping {
        var result = self
        result.join(other)
        return result
    }

    public mutating func join(_ other: Shopping) {
        carts.join(other.carts)
        orders.join(other.orders)
        wishlist.join(other.wishlist)
        reservations.join(other.reservations)
    }

    /// Applies a mutator to cart `id`; returns the delta.
    @discardableResult
    public mutating func updateCart<Failure: Error>(_ id: CartID, _ mutator: (inout Cart) throws(Failure) -> Cart)
        throws(Failure) -> Shopping
    {
        var delta = Shopping()
        delta.carts = try carts.update(id, mutator)
        return delta
    }

    /// Records `order`; returns the delta.
    @discardableResult
    public mutating func record(_ order: Order) -> Shopping {
        var delta = Shopping()
        delta.orders = orders.record(order)
        return delta
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(carts)
        encoder.append(orders)
        encoder.append(wishlist)
        encoder.append(reservations)
    }
}

/// Everything in one store's scope: its stock ledger, walk-in carts, the orders placed there and
/// its click-and-collect reservations.
public struct StoreState: Lattice, CanonicalEncodable {
    public internal(set) var stock: StockLedger
    public var shopping: Shopping
    public internal(set) var reservations: LatticeMap<ReservationID, Reservation>

    public init() {
        stock = .bottom
        shopping = .bottom
        reservations = .bottom
    }

    public static var bottom: StoreState { StoreState() }

    public func joined(with other: StoreState) -> StoreState {
        var result = self
        result.join(other)
        return result
    }

    public mutating func join(_ other: StoreState) {
        stock.join(other.stock)
        shopping.join(other.shopping)
        reservations.join(other.reservations)
    }

    /// Applies a stock mutator; returns the delta.
    @discardableResult
    public mutating func updateStock<Failure: Error>(_ mutator: (inout StockLedger) throws(Failure) -> StockLedger)
        throws(Failure) -> StoreState
    {
        var delta = StoreState()
        delta.stock = try mutator(&stock)
        return delta
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(stock)
        encoder.append(shopping)
        encoder.append(reservations)
    }
}
