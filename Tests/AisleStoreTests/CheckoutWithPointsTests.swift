import AisleCore
import AisleStore
import AisleTesting
import Testing

@Suite("Checkout paid partly with points, in the store")
struct CheckoutWithPointsTests {
    /// A till with milk at 1.29 (10 in stock), `points` of Anna's redeemable here, and her cart of 3 milk.
    static func till(points: UInt64) async throws -> TestStore {
        let test = try TestStore("till-1")
        try await test.publishPrices(["milk": 129])
        try await test.store.receiveStock(10, of: "milk", in: "berlin")
        try await test.store.earnPoints(points, for: "anna")
        try await test.store.updateCart("c1", in: .store("berlin")) { cart, me, stamp in
            var delta = try cart.add("milk", quantity: 3, at: me)
            delta.join(try cart.setOwner("anna", at: stamp))
            return delta
        }
        return test
    }

    @Test("points within this till's rights pay part of the order, in the checkout's one transaction")
    func pointsWithinRights() async throws {
        let test = try await Self.till(points: 500)
        defer { withExtendedLifetime(test) {} }
        let store = test.store
        let changes = try store.allChanges().count
        try await store.checkOut("c1", in: .store("berlin"), as: "order-1", sellingFrom: "berlin", redeeming: 200)
        let order = try #require(try store.order("order-1", in: .store("berlin")))
        #expect(order.pointsPayment == PointsPayment(redeeming: 200))
        #expect(order.totals.total == 387)
        #expect(order.amountDue == 187)
        // 500 − 200 redeemed + 3 earned on 3.87.
        #expect(try store.loyaltyBalance(of: "anna") == LoyaltyBalance(balance: 303, redeemableHere: 303))
        #expect(try store.stockLevel(of: "milk", in: "berlin") == StockLevel(level: 7, sellableHere: 7))
        // One change per scope touched: the store (cart, order, stock) and the loyalty account.
        #expect(try store.allChanges().count == changes + 2)
    }

    @Test("points beyond this till's rights are refused with a typed error, and the store is unchanged")
    func pointsBeyondRights() async throws {
        let test = try await Self.till(points: 50)
        defer { withExtendedLifetime(test) {} }
        let store = test.store
        let before = try store.digest()
        let changes = try store.allChanges().count
        await #expect {
            try await store.checkOut(
                "c1", in: .store("berlin"), as: "order-1", sellingFrom: "berlin", redeeming: 80)
        } throws: { error in
            (error as? LoyaltyError)?.shortfall.requested == 80
        }
        #expect(try store.digest() == before)
        #expect(try store.allChanges().count == changes)
        #expect(try store.order("order-1", in: .store("berlin")) == nil)
        #expect(try store.loyaltyBalance(of: "anna") == LoyaltyBalance(balance: 50, redeemableHere: 50))
        #expect(try store.stockLevel(of: "milk", in: "berlin") == StockLevel(level: 10, sellableHere: 10))
    }

    @Test("points worth more than the order are refused before anything is written")
    func pointsBeyondTheTotal() async throws {
        let test = try await Self.till(points: 1_000)
        defer { withExtendedLifetime(test) {} }
        let store = test.store
        let before = try store.digest()
        await #expect(throws: PointsPaymentError.exceedsTotal(points: 400, value: 400, total: 387)) {
            try await store.checkOut(
                "c1", in: .store("berlin"), as: "order-1", sellingFrom: "berlin", redeeming: 400)
        }
        #expect(try store.digest() == before)
    }
}
