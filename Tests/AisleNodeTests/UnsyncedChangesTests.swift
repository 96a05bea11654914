import AisleCore
import AisleNode
import AisleStore
import AisleTesting
import Testing

@Suite("What waits to sync (the outbox metrics)")
struct UnsyncedChangesTests {
    let scope = Scope.store("berlin")

    @Test("a till's own changes count until the hub's vector covers them; the oldest is the first not covered")
    func ownChangesCountUntilCovered() async throws {
        let berlin = try await Berlin()
        let till = berlin.till1.store
        try await till.receiveStock(10, of: "milk", in: "berlin")
        try await till.sell(3, of: "milk", in: "berlin")
        let own: @Sendable (ReplicaID) -> Bool = { $0 == "till-1" }

        let all = try await till.unsynced(in: scope, missingFrom: VersionVector(), counting: own)
        #expect(all == UnsyncedChanges(count: 2, oldestMillis: TestTenant.now))
        let one = try await till.unsynced(in: scope, missingFrom: VersionVector(["till-1": 1]), counting: own)
        #expect(one.count == 1)
        #expect(
            try await till.unsynced(in: scope, missingFrom: till.versionVector(of: scope), counting: own) == .init())
    }

    @Test("what a till lacks of the store counts every origin but the ones left out")
    func peerChangesLeftOut() async throws {
        let berlin = try await Berlin()
        try await berlin.till1.store.receiveStock(4, of: "milk", in: "berlin")
        try await berlin.hub.receive(try await berlin.till1.envelopes(for: berlin.hub, in: scope))
        let hub = berlin.hub.store
        #expect(try await hub.unsynced(in: scope, missingFrom: VersionVector()).count == 1)
        #expect(try await hub.unsynced(in: scope, missingFrom: VersionVector()) { $0 != "till-1" }.count == 0)
    }
}
