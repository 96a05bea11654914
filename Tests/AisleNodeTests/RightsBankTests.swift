import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleSync
import AisleTesting
import Testing

@Suite("The hub's rights bank over a sync session")
struct RightsBankTests {
    let chain: TestTenant
    let hub: ReplicaNode
    let till1: ReplicaNode
    let till2: ReplicaNode
    let milk: ObjectKey

    init() throws {
        chain = try TestTenant()
        hub = try chain.node(
            "hub", .hub, [.allStores, .allLoyalty, .exactly(.catalog)],
            keys: [.store("berlin"), .loyalty("anna"), .catalog])
        till1 = try chain.node(
            "till-1", .pos, [.exactly(.store("berlin")), .allLoyalty], keys: [.store("berlin"), .loyalty("anna")],
            peers: [hub.identity.certificate])
        till2 = try chain.node(
            "till-2", .pos, [.exactly(.store("berlin")), .allLoyalty], keys: [.store("berlin"), .loyalty("anna")],
            peers: [hub.identity.certificate])
        milk = try ObjectKey(scope: .store("berlin"), kind: .stock, id: "milk")
    }

    /// Connects `till` to the hub in memory, syncing the till's store and Anna's points.
    func link(_ till: ReplicaNode) async throws -> MemoryLink {
        let link = MemoryLink(till, hub) { _ in [.store("berlin"), .loyalty("anna")] }
        try await link.connect()
        return link
    }

    /// Runs `work` while carrying the link's frames, as a socket would.
    func carrying<T: Sendable>(_ link: MemoryLink, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await work() }
        let pump = Task {
            while !Task.isCancelled {
                try await link.pump()
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        defer { pump.cancel() }
        return try await task.value
    }

    @Test("goods received on one till are handed to the hub beyond its share and granted to the other till on request")
    func rightsFlowFromTheReceivingTillThroughTheHub() async throws {
        let up = try await link(till1)
        try await till1.store.receiveStock(20, of: "milk", in: "berlin")
        let desk1 = RightsDesk(node: till1) { up.connections[0] }
        let wrote = try await carrying(up) { try await desk1.rebalance([self.milk]) }
        #expect(wrote == [.store("berlin")])
        // One spender: its share is 80 % of 20; it keeps 16 and hands 4 to the hub.
        #expect(try till1.store.counter(at: milk).rights(of: "till-1") == 16)
        try await up.connections[0].changed(.store("berlin"))
        try await up.pump()
        #expect(try hub.store.counter(at: milk).rights(of: "hub") == 4)

        let down = try await link(till2)
        let desk2 = RightsDesk(node: till2) { down.connections[0] }
        let holds = try await carrying(down) { try await desk2.obtain(3, of: self.milk) }
        #expect(holds)
        #expect(try till2.store.counter(at: milk).rights(of: "till-2") == 4, "asked for its share of 8, the hub had 4")
        try await till2.store.sell(3, of: "milk", in: "berlin")
        #expect(try till2.store.stockLevel(of: "milk", in: "berlin").level == 17)
    }

    @Test("a till asking for more than the hub holds gets what it holds, and the refusal says who holds the rest")
    func shortfallIsExplained() async throws {
        let up = try await link(till1)
        try await till1.store.receiveStock(5, of: "milk", in: "berlin")
        try await up.connections[0].changed(.store("berlin"))
        try await up.pump()
        let down = try await link(till2)
        let desk2 = RightsDesk(node: till2) { down.connections[0] }
        let holds = try await carrying(down) { try await desk2.obtain(2, of: self.milk) }
        #expect(!holds)
        await #expect(throws: StockError.self) { try await till2.store.sell(2, of: "milk", in: "berlin") }
        let shortfall = InsufficientRights(requested: 2, available: 0, total: 5, replica: "till-2")
        let online = await desk2.explain(shortfall, of: milk)
        #expect(online.contains("5 left in store") && online.contains("till-1 holds 5"), "\(online)")
        let offline = await RightsDesk(node: till2) { nil }.explain(shortfall, of: milk)
        #expect(offline.contains("0 sellable on this till while offline"), "\(offline)")
        #expect(offline.contains("sell from another till (till-1 holds 5)"), "\(offline)")
    }

    /// Anna earns 120 points at till 1, which hands them in to the hub. Returns her account's key.
    func annaEarns120AtTill1() async throws -> ObjectKey {
        let anna = try ObjectKey(scope: .loyalty("anna"), kind: .account, id: "")
        let up = try await link(till1)
        try await till1.store.earnPoints(120, for: "anna")
        let desk1 = RightsDesk(node: till1) { up.connections[0] }
        _ = try await carrying(up) { try await desk1.rebalance([anna]) }
        try await up.connections[0].changed(.loyalty("anna"))
        try await up.pump()
        return anna
    }

    @Test("points earned at one till are handed to the hub and redeemed at another through it, never twice")
    func pointsRedeemedElsewhere() async throws {
        let anna = try await annaEarns120AtTill1()
        #expect(try till1.store.counter(at: anna).rights(of: "till-1") == 0, "points are banked whole")

        let down = try await link(till2)
        let desk2 = RightsDesk(node: till2) { down.connections[0] }
        #expect(try await carrying(down) { try await desk2.obtain(100, of: anna) })
        try await till2.store.redeemPoints(100, of: "anna")
        // Only 20 are left at the hub: a second redemption of 100 is refused everywhere.
        #expect(try await !carrying(down) { try await desk2.obtain(100, of: anna) })
        #expect(try till2.store.loyaltyBalance(of: "anna").balance == 20)
    }

    @Test(
        "points granted for a redemption stay on the till while it is under way, though a hand-in runs when the grant lands, and the rest goes back after"
    )
    func grantedPointsAreNotHandedBackBeforeTheRedemption() async throws {
        let anna = try await annaEarns120AtTill1()

        let down = try await link(till2)
        let desk2 = RightsDesk(node: till2) { down.connections[0] }
        // The edge's RightsKeeper runs a hand-in when the grant's change arrives; here it runs
        // between the grant and the redemption, from a copy of the desk as the keeper holds one.
        let keeper = desk2
        let handedInDuring = try await carrying(down) {
            try await desk2.spending([anna: 100]) {
                let handedIn = try await keeper.rebalance([anna])
                try await self.till2.store.redeemPoints(100, of: "anna")
                return handedIn
            }
        }
        #expect(handedInDuring.isEmpty, "the hand-in gave the granted points back")
        #expect(try till2.store.loyaltyBalance(of: "anna").balance == 20)

        // A grant beyond the redemption: 50 asked, the hub holds 20; after a partial spend the
        // set-aside is released and the hand-in returns what is left.
        let (during, held, after) = try await carrying(down) {
            let (during, held) = try await desk2.spending([anna: 50]) {
                (try await keeper.rebalance([anna]), try self.till2.store.counter(at: anna).rights(of: "till-2"))
            }
            return (during, held, try await keeper.rebalance([anna]))
        }
        #expect(during.isEmpty && held == 20)
        #expect(after == [.loyalty("anna")])
        #expect(try till2.store.counter(at: anna).rights(of: "till-2") == 0, "points are banked whole")
    }

    @Test("the hub refuses stock rights to a phone, and a till does not bank rights")
    func onlyTheHubBanksAndOnlyTillsSpendStock() async throws {
        let phone = try chain.node(
            "phone-anna", .mobile, [.exactly(.customer("anna")), .exactly(.loyalty("anna"))], keys: [])
        let (reply, granted) = await hub.serve(.rights(milk, units: 1), from: phone.identity.certificate)
        #expect(reply == .refused("a mobile may not spend stock"))
        #expect(granted == nil)
        let (tillReply, _) = await till1.serve(.rights(milk, units: 1), from: till2.identity.certificate)
        guard case .refused(let reason) = tillReply else {
            Issue.record("a till banked rights")
            return
        }
        #expect(reason.contains("ask the hub"))
    }
}
