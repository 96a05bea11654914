import AisleCore
import AisleStore
import AisleTesting
import Foundation
import GRDB
import Synchronization
import Testing

@Suite("Local writes and reads")
struct LocalWriteTests {
    @Test("a sale, a receipt, points and a cart are committed and read back through the store API")
    func writesAndReads() async throws {
        let test = try TestStore("till-1")
        defer { withExtendedLifetime(test) {} }
        let store = test.store
        try await test.publishPrices(["milk": 129, "bread": 349])
        try await store.receiveStock(5, of: "milk", in: "berlin")
        try await store.sell(2, of: "milk", in: "berlin")
        try await store.earnPoints(100, for: "anna")
        try await store.redeemPoints(30, of: "anna")
        try await store.updateCart("c1", in: .store("berlin")) { cart, me, _ in
            try cart.add("milk", quantity: 3, at: me)
        }
        try await store.updateCart("c1", in: .store("berlin")) { cart, me, _ in
            try cart.add("bread", quantity: 1, at: me)
        }

        #expect(try store.stockLevel(of: "milk", in: "berlin") == StockLevel(level: 3, sellableHere: 3))
        #expect(try store.loyaltyBalance(of: "anna") == LoyaltyBalance(balance: 70, redeemableHere: 70))
        let priced = try #require(try store.cart("c1", in: .store("berlin")))
        #expect(priced.totals.total == 3 * 129 + 349)

        try await store.checkOut("c1", in: .store("berlin"), as: "order-1", store: "berlin")
        let orders = try store.orders(in: .store("berlin"))
        #expect(orders.map(\.id) == ["order-1"])
        #expect(orders.first?.totals.total == 736)
    }

    @Test("a stock or points edit of none or of more than a billion is refused before anything is written")
    func amountsOutOfRangeAreRefused() async throws {
        let test = try TestStore("till-1")
        defer { withExtendedLifetime(test) {} }
        let store = test.store
        try await store.receiveStock(5, of: "milk", in: "berlin")
        try await store.earnPoints(100, for: "anna")
        let vector = try store.versionVector(of: .store("berlin"))
        for units in [0, RetailLimits.maxUnits + 1, UInt64(Int64.max), .max] {
            await #expect(throws: AmountOutOfRange(amount: units, what: .units)) {
                try await store.receiveStock(units, of: "milk", in: "berlin")
            }
            await #expect(throws: AmountOutOfRange(amount: units, what: .units)) {
                try await store.sell(units, of: "milk", in: "berlin")
            }
            await #expect(throws: AmountOutOfRange(amount: units, what: .units)) {
                try await store.transferStockRights(units, of: "milk", in: "berlin", to: "hub-1")
            }
            await #expect(throws: AmountOutOfRange(amount: units, what: .points)) {
                try await store.earnPoints(units, for: "anna")
            }
            await #expect(throws: AmountOutOfRange(amount: units, what: .points)) {
                try await store.redeemPoints(units, of: "anna")
            }
        }
        #expect(try store.stockLevel(of: "milk", in: "berlin") == StockLevel(level: 5, sellableHere: 5))
        #expect(try store.loyaltyBalance(of: "anna") == LoyaltyBalance(balance: 100, redeemableHere: 100))
        #expect(try store.versionVector(of: .store("berlin")) == vector)
        try await store.receiveStock(RetailLimits.maxUnits, of: "milk", in: "berlin")
        #expect(try store.stockLevel(of: "milk", in: "berlin").level == 5 + Int64(RetailLimits.maxUnits))
    }

    @Test("a cart read prices its lines from their prices and the promotions alone, as the whole catalog would")
    func cartReadPricesLikeTheWholeCatalog() async throws {
        let test = try TestStore("till-1")
        defer { withExtendedLifetime(test) {} }
        let store = test.store
        try await test.publishPrices(["milk": 129, "bread": 349, "cheese": 599])
        let promotions = try ["p-milk", "p-all"].map { try ObjectKey(scope: .catalog, kind: .promotion, id: $0) }
        try await store.updateCatalog(touching: promotions + [.price(of: "cheese")]) { catalog, stamp in
            var delta = try catalog.setPromotion("p-milk", .buyXGetY("milk", buy: 2, free: 1), at: stamp)
            delta.join(try catalog.setPromotion("p-all", .pointsMultiplier(nil, multiplier: 3), at: stamp))
            // A price withdrawn: the line is unpriced.
            delta.join(try catalog.setPrice("cheese", nil, at: stamp))
            return delta
        }
        for (sku, quantity): (SKU, Int64) in [("milk", 3), ("cheese", 1), ("unknown", 1)] {
            try await store.updateCart("c1", in: .store("berlin")) { cart, me, _ in
                try cart.add(sku, quantity: quantity, at: me)
            }
        }
        let priced = try #require(try store.cart("c1", in: .store("berlin")))
        #expect(priced.totals == priced.cart.priced(with: try store.catalog()))
        #expect(priced.totals.total == 2 * 129)
        #expect(priced.totals.unpriced == ["cheese", "unknown"])
    }

    @Test("counters read together equal counters read one by one, empty where never written")
    func countersReadTogether() async throws {
        let test = try TestStore("till-1")
        defer { withExtendedLifetime(test) {} }
        let store = test.store
        try await store.receiveStock(5, of: "milk", in: "berlin")
        try await store.sell(2, of: "milk", in: "berlin")
        try await store.earnPoints(40, for: "anna")
        let keys: [ObjectKey] = [.stock("milk", at: "berlin"), .stock("oat", at: "berlin"), .account(of: "anna")]

        let together = try store.counters(at: keys)
        #expect(together.count == 3)
        for key in keys { #expect(together[key] == (try store.counter(at: key))) }
        #expect(together[.stock("milk", at: "berlin")]?.value == 3)
        #expect(together[.stock("oat", at: "berlin")] == BoundedCounter())
        #expect(together[.account(of: "anna")]?.value == 40)
    }

    @Test("each local change gets the next sequence number of its scope, from 1")
    func sequenceNumbersPerScope() async throws {
        let test = try TestStore("till-1")
        defer { withExtendedLifetime(test) {} }
        let store = test.store
        let first = try await store.receiveStock(1, of: "milk", in: "berlin")
        let second = try await store.receiveStock(1, of: "milk", in: "berlin")
        let points = try await store.earnPoints(5, for: "anna")
        #expect(first.map(\.seq) == [1])
        #expect(second.map(\.seq) == [2])
        #expect(points.map(\.seq) == [1])
        #expect(try store.versionVector(of: .store("berlin"))["till-1"] == 2)
    }

    @Test("a refused mutation writes nothing: no change, no state, no sequence number")
    func refusedMutationWritesNothing() async throws {
        let test = try TestStore("till-1")
        defer { withExtendedLifetime(test) {} }
        let store = test.store
        try await store.receiveStock(1, of: "tv", in: "berlin")
        let before = try store.digest()
        await #expect(throws: StockError.self) { try await store.sell(2, of: "tv", in: "berlin") }
        #expect(try store.digest() == before)
        #expect(try store.allChanges().count == 1)
        let next = try await store.sell(1, of: "tv", in: "berlin")
        #expect(next.map(\.seq) == [2])
    }

    @Test("a second connection's commits are seen: sequence numbers continue, never repeat")
    func anotherConnectionsWritesAreSeen() async throws {
        let test = try TestStore("till-1")
        defer { withExtendedLifetime(test) {} }
        // The same file opened twice (as a second process would): each writer remembers version
        // vectors between its transactions, and must notice what the other committed.
        let other = try ReplicaStore(test.store.configuration, replica: "till-1", wallClock: { TestStore.wall })
        let first = try await test.store.receiveStock(1, of: "milk", in: "berlin")
        let second = try await other.receiveStock(1, of: "milk", in: "berlin")
        let third = try await test.store.receiveStock(1, of: "milk", in: "berlin")
        #expect((first + second + third).map(\.seq) == [1, 2, 3])
        #expect(try other.stockLevel(of: "milk", in: "berlin").level == 3)
    }

    @Test("a mutation that writes an object it did not declare is refused whole")
    func undeclaredWriteRefused() async throws {
        let test = try TestStore("till-1")
        defer { withExtendedLifetime(test) {} }
        let store = test.store
        let declared = try ObjectKey(scope: .store("berlin"), kind: .stock, id: "milk")
        await #expect(throws: StoreError.self) {
            try await store.mutate(objects: [declared]) { state, _ in
                state.updateStock("berlin") { $0.receive(1, of: "bread", at: "till-1") }
            }
        }
        #expect(try store.allChanges().isEmpty)
    }

    @Test("carts, lines, stock, balances and orders are readable with plain SQL")
    func readTablesAreQueryable() async throws {
        let test = try TestStore("till-1")
        defer { withExtendedLifetime(test) {} }
        try await test.publishPrices(["milk": 129])
        try await test.store.receiveStock(4, of: "milk", in: "berlin")
        try await test.store.updateCart("c1", in: .customer("anna")) { cart, me, stamp in
            var delta = try cart.add("milk", quantity: 2, at: me)
            delta.join(try cart.setNote("milk", to: "lactose free", at: stamp))
            return delta
        }
        try await test.store.earnPoints(12, for: "anna")
        try test.store.close()
        let database = try DatabaseQueue(path: test.directory.file("till-1.db"))
        try await database.read { db in
            let line = try #require(try Row.fetchOne(db, sql: "SELECT * FROM cart_lines"))
            #expect(line["scope"] == "customer:anna")
            #expect(line["sku"] == "milk")
            #expect(line["quantity"] == 2)
            #expect(line["note"] == "lactose free")
            #expect(try Int.fetchOne(db, sql: "SELECT level FROM stock_levels WHERE sku = 'milk'") == 4)
            #expect(try Int.fetchOne(db, sql: "SELECT balance FROM loyalty_balances WHERE customer_id = 'anna'") == 12)
            #expect(try String.fetchOne(db, sql: "SELECT phase FROM carts") == "open")
            #expect(try Int.fetchOne(db, sql: "SELECT price_minor FROM products WHERE sku = 'milk'") == 129)
        }
    }

    @Test("cart_lines follows every edit: additions, quantity changes, removals, checkout")
    func cartLinesFollowEdits() async throws {
        let test = try TestStore("till-1")
        defer { withExtendedLifetime(test) {} }
        try await test.publishPrices(["milk": 100, "bread": 200, "eggs": 300])
        let home = CartHome.store("berlin")
        try await test.store.updateCart("c", in: home) { cart, me, _ in
            var delta = try cart.add("milk", quantity: 2, at: me)
            delta.join(try cart.add("bread", quantity: 1, at: me))
            delta.join(try cart.add("eggs", quantity: 6, at: me))
            return delta
        }
        try await test.store.updateCart("c", in: home) { cart, _, _ in try cart.remove("bread") }
        try await test.store.updateCart("c", in: home) { cart, _, stamp in
            try cart.setQuantity("milk", to: 5, at: stamp)
        }
        try await test.store.checkOut("c", in: home, as: "o-1", store: "berlin")
        let lines = try await DatabaseQueue(path: test.store.configuration.path).read { db in
            try Row.fetchAll(db, sql: "SELECT sku, quantity FROM cart_lines ORDER BY sku").map {
                "\($0["sku"] as String)×\($0["quantity"] as Int)"
            }
        }
        #expect(lines == ["eggs×6", "milk×5"])
    }

    @Test("the own-change sealer is called as deep on the 200th write as on the 5th: writes do not wrap it")
    func sealerDepthDoesNotGrowWithWrites() async throws {
        let test = try TestStore("till-1")
        defer { withExtendedLifetime(test) {} }
        let depths = Mutex<[Int]>([])
        test.store.sealOwnChanges { _ in
            depths.withLock { $0.append(Thread.callStackReturnAddresses.count) }
            return nil
        }
        for _ in 0..<200 {
            try await test.store.receiveStock(1, of: "milk", in: "berlin")
        }
        let seen = depths.withLock { $0 }
        #expect(seen.count == 200)
        #expect(seen[199] == seen[4], "call depth grew from \(seen[4]) to \(seen[199])")
    }

    @Test(
        "a commit that does not sync runs on the writing task's thread; one that syncs runs on the writer's queue",
        arguments: [StoreConfiguration.Durability.normal, .flushed, .full])
    func commitThread(durability: StoreConfiguration.Durability) async throws {
        let test = try TestStore("till-1", durability: durability)
        defer { withExtendedLifetime(test) {} }
        let sealing = Mutex<pthread_t?>(nil)
        test.store.sealOwnChanges { _ in
            sealing.withLock { $0 = pthread_self() }
            return nil
        }
        for _ in 0..<20 {
            let caller = pthread_self()
            try await test.store.receiveStock(1, of: "milk", in: "berlin")
            let sealer = try #require(sealing.withLock { $0 })
            #expect((pthread_equal(sealer, caller) != 0) == (durability != .full))
        }
    }
}
