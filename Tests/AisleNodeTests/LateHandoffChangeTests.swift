import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleTesting
import Testing

/// A till writes a customer's cart under the customer's handoff grant while the store's WAN is
/// down, and comes back after the grant ended: its changes must still reach the hub.
@Suite("A till's changes under a handoff grant, synced after the grant ended")
struct LateHandoffChangeTests {
    /// Anna hands cart c1 to till-1 of Berlin; `syncDuringGrant` says whether the till syncs with
    /// the hub while the grant is in force. Then the WAN goes down: the till adds bread five
    /// minutes on, and comes back `minutesOffline` after the handoff.
    static func tillAddsBreadOffline(syncDuringGrant: Bool, minutesOffline: UInt64) async throws -> (
        hub: ReplicaNode, phone: ReplicaNode, till: ReplicaNode, SharedWallClock
    ) {
        let time = SharedWallClock()
        let chain = try TestTenant()
        let (hub, phone) = try chain.hubAndAnnasPhone(wallClock: time.read)
        let till = try chain.node(
            "till-1", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")], peers: [hub.identity.certificate],
            wallClock: time.read)
        try await phone.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
            try cart.add("milk", quantity: 2, at: me)
        }
        try await SubscribedScopesTests.sync(phone, hub)
        try await till.accept(try phone.handoff(of: "c1", in: "anna", to: "berlin"))
        if syncDuringGrant { try await SubscribedScopesTests.sync(till, hub) }

        time.advance(by: 5 * 60_000)
        try await till.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
            try cart.add("bread", quantity: 1, at: me)
        }
        time.advance(by: (minutesOffline - 5) * 60_000)
        return (hub, phone, till, time)
    }

    @Test(
        "a line the till added offline reaches the hub, and the customer's phone, when the till reconnects after the grant ended (with the grant held in memory, or read back from the store hours later)",
        arguments: [(true, 40), (false, 40), (true, 180), (false, 180)] as [(Bool, UInt64)])
    func lineAddedOfflineReachesTheHubAfterTheGrantEnded(syncDuringGrant: Bool, minutesOffline: UInt64) async throws {
        let (hub, phone, till, _) = try await Self.tillAddsBreadOffline(
            syncDuringGrant: syncDuringGrant, minutesOffline: minutesOffline)
        let anna = Scope.customer("anna")
        #expect(try till.scopes(handedOverTo: hub.identity.certificate) == [anna])
        #expect(try till.scopes(sharedWith: hub.identity.certificate).contains(anna) == false)
        try await SubscribedScopesTests.sync(till, hub)
        #expect(try hub.store.versionVector(of: anna)["till-1"] == till.store.versionVector(of: anna)["till-1"])
        try await SubscribedScopesTests.sync(phone, hub)
        let lines = try phone.store.cart("c1", in: .customer("anna"))?.cart.visibleLines.map(\.sku)
        #expect(Set(lines ?? []) == ["milk", "bread"])
        // Handed over and acknowledged: the next session offers nothing.
        #expect(try till.scopes(handedOverTo: hub.identity.certificate) == [])
    }

    @Test("after handing over, the till is sent nothing more of the customer's scope: the grant has ended")
    func tillIsSentNothingAfterTheGrantEnded() async throws {
        let (hub, phone, till, _) = try await Self.tillAddsBreadOffline(syncDuringGrant: true, minutesOffline: 40)
        try await phone.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
            try cart.add("eggs", quantity: 6, at: me)
        }
        try await SubscribedScopesTests.sync(phone, hub)
        try await SubscribedScopesTests.sync(till, hub)
        let lines = try till.store.cart("c1", in: .customer("anna"))?.cart.visibleLines.map(\.sku)
        #expect(Set(lines ?? []) == ["milk", "bread"])
        #expect(try hub.store.versionVector(of: .customer("anna"))["till-1"] > 0)
    }

    @Test(
        "a till's change to the customer's cart after the grant ended is refused and nothing is written: its sessions with the hub go on"
    )
    func changeAfterTheGrantEndedRefused() async throws {
        let (hub, _, till, _) = try await Self.tillAddsBreadOffline(syncDuringGrant: false, minutesOffline: 40)
        let anna = Scope.customer("anna")
        let before = try till.store.versionVector(of: anna)
        await #expect(throws: NodeError.self) {
            try await till.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
                try cart.add("jam", quantity: 1, at: me)
            }
        }
        #expect(try till.store.versionVector(of: anna) == before)
        try await till.store.receiveStock(5, of: "milk", in: "berlin")
        try await SubscribedScopesTests.sync(till, hub)
        #expect(try hub.store.stockLevel(of: "milk", in: "berlin").level == 5)
        #expect(try hub.store.versionVector(of: anna)["till-1"] == before["till-1"])
    }
}
