import AisleCore
import Testing

@Suite("Order encoding and points as payment")
struct OrderEncodingTests {
    static let stamp = HLCTimestamp(physical: 2, counter: 0, replica: "till-1")

    /// 2 milk at 1.29, as a till prices them.
    static var totals: CartTotals {
        var state = RetailState()
        let hq = HLCTimestamp(physical: 1, counter: 0, replica: "hq")
        try! state.updateCatalog { catalog throws(CatalogError) in try catalog.setPrice("milk", 129, at: hq) }
        try! state.updateCart("c1", in: .store("berlin")) { cart throws(CartError) in
            try cart.add("milk", quantity: 2, at: "till-1")
        }
        return state.cart("c1", in: .store("berlin")).priced(with: state.catalog)
    }

    static func order(paying payment: PointsPayment? = nil) -> Order {
        Order(
            id: "order-1", cart: "c1", customer: "anna", store: "berlin", placedAt: stamp, totals: totals,
            catalogDigest: StateDigest(of: [1, 2, 3]), pointsPayment: payment)
    }

    /// The first layout, field by field, as every order was written before points could pay.
    static func firstLayout(of order: Order) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append(order.id)
        encoder.append(order.cart)
        encoder.append(order.customer)
        encoder.append(order.store)
        encoder.append(order.placedAt)
        encoder.append(order.totals)
        encoder.append(order.catalogDigest)
        return encoder.bytes
    }

    @Test("an order without points keeps the first layout's bytes, and those bytes still decode")
    func ordersWithoutPointsKeepTheirBytes() throws {
        let order = Self.order()
        #expect(order.canonicalBytes == Self.firstLayout(of: order))
        let decoded = try Order(canonicalBytes: Self.firstLayout(of: order))
        #expect(decoded == order)
        #expect(decoded.pointsPayment == nil)
        #expect(decoded.amountDue == 258)
    }

    @Test("an order paid partly with points is versioned and round-trips with its payment")
    func ordersWithPointsRoundTrip() throws {
        let order = Self.order(paying: PointsPayment(redeeming: 100))
        let bytes = order.canonicalBytes
        #expect(Array(bytes.prefix(2)) == [0, 2], "a zero id length marks the versioned layout, then version 2")
        let decoded = try Order(canonicalBytes: bytes)
        #expect(decoded == order)
        #expect(decoded.pointsPayment == PointsPayment(redeeming: 100))
        #expect(decoded.amountDue == 158)
    }

    @Test("a versioned order paying no points, or of an unknown version, is refused")
    func nonCanonicalOrUnknownVersionsAreRefused() {
        var zero = CanonicalEncoder()
        zero.append(UInt64(0))
        zero.append(Order.pointsPaymentVersion)
        zero.append(raw: Self.firstLayout(of: Self.order()))
        zero.append(UInt64(0))
        zero.append(Int64(0))
        #expect(throws: CanonicalDecodingError.self) { try Order(canonicalBytes: zero.bytes) }

        var future = CanonicalEncoder()
        future.append(UInt64(0))
        future.append(UInt64(3))
        future.append(raw: Self.firstLayout(of: Self.order()))
        #expect {
            try Order(canonicalBytes: future.bytes)
        } throws: { error in
            "\(error)".contains("version 3 is newer than this node")
        }
    }

    @Test("old and new orders both decode as stored objects of kind 12")
    func storedObjectsOfBothLayouts() throws {
        for order in [Self.order(), Self.order(paying: PointsPayment(redeeming: 5))] {
            #expect(try ObjectValue(.order, canonicalBytes: ObjectValue.order(order).canonicalBytes) == .order(order))
        }
    }
}

@Suite("Checkout paid partly with points")
struct PointsCheckoutTests {
    static let till: ReplicaID = "till-1"
    static let stamp = HLCTimestamp(physical: 5, counter: 0, replica: "till-1")

    /// Milk at 1.29 with 10 in stock at the till, Anna holding `points` redeemable at the till,
    /// and her cart of 2 milk at the till.
    static func world(points: UInt64, owner: CustomerID? = "anna") throws -> RetailState {
        var state = RetailState()
        let hq = HLCTimestamp(physical: 1, counter: 0, replica: "hq")
        try state.updateCatalog { catalog throws(CatalogError) in try catalog.setPrice("milk", 129, at: hq) }
        state.updateStock("berlin") { $0.receive(10, of: "milk", at: till) }
        state.updateLoyalty("anna") { $0.earn(points, at: till) }
        try state.updateCart("c1", in: .store("berlin")) { cart throws(CartError) in
            try cart.add("milk", quantity: 2, at: till)
        }
        if let owner {
            try state.updateCart("c1", in: .store("berlin")) { cart throws(CartError) in
                try cart.setOwner(owner, at: hq)
            }
        }
        return state
    }

    static func checkOut(_ state: inout RetailState, redeeming points: UInt64) throws {
        try state.checkOut(
            "c1", in: .store("berlin"), as: "order-1", sellingFrom: "berlin", at: till, stamp: stamp,
            redeeming: points)
    }

    @Test("points redeemed at checkout pay part of the order, in the same delta as the sale")
    func pointsPayPartOfTheOrder() throws {
        var state = try Self.world(points: 300)
        try Self.checkOut(&state, redeeming: 100)
        let order = try #require(state.shopping(in: .store("berlin")).orders.orders["order-1"])
        #expect(order.pointsPayment == PointsPayment(redeeming: 100))
        #expect(order.pointsPayment?.value == 100, "one point pays one minor unit")
        #expect(order.totals.total == 258)
        #expect(order.amountDue == 158)
        // 300 − 100 redeemed + 2 earned on 2.58.
        #expect(state.loyalty["anna"].balance == 202)
        #expect(state.stock(at: "berlin").level(of: "milk") == 8)
    }

    @Test("a till without the rights for the points makes no order, sells nothing and spends nothing")
    func refusedPointsMakeNoOrder() throws {
        var state = try Self.world(points: 50)
        let before = state
        #expect(throws: LoyaltyError.self) { try Self.checkOut(&state, redeeming: 60) }
        #expect(state == before)
        #expect(state.cart("c1", in: .store("berlin")).phase.value == .open)
    }

    @Test("points worth more than the total, or a cart with no customer, are refused before anything changes")
    func pointsBeyondTheTotalOrWithoutCustomer() throws {
        var state = try Self.world(points: 1_000)
        let before = state
        #expect(throws: PointsPaymentError.exceedsTotal(points: 259, value: 259, total: 258)) {
            try Self.checkOut(&state, redeeming: 259)
        }
        #expect(state == before)
        var anonymous = try Self.world(points: 1_000, owner: nil)
        #expect(throws: PointsPaymentError.noCustomer("c1")) { try Self.checkOut(&anonymous, redeeming: 10) }
    }
}
