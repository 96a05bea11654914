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

    @Test(
        "for each of 1,201 devices' reports (the versions read 500 scopes to a query), the changes it lacks but its own; none in a scope with no change"
    )
    func manyReportsAcrossQueries() async throws {
        let chain = try TestTenant()
        let store = try ReplicaStore(
            StoreConfiguration(path: chain.directory.file("hub.db")), replica: "hub", wallClock: { TestTenant.now })
        let customers = (0..<1_200).map { CustomerID(stringLiteral: "c\($0)") }
        for customer in customers { try await store.addToWishlist("jam", of: customer, from: "app") }
        try await store.addToWishlist("tea", of: "c7", from: "app")
        var reports = customers.map { customer in
            PeerAcknowledgement(
                scope: .customer(customer), peer: ReplicaID(stringLiteral: "phone-\(customer)"),
                vector: VersionVector(), at: 1)
        }
        // c7's phone holds the first of its two; a scope with no change lacks nothing; the hub's own
        // report counts nothing of its own.
        reports[7] = PeerAcknowledgement(
            scope: .customer("c7"), peer: "phone-c7", vector: VersionVector(["hub": 1]), at: 1)
        reports.append(
            PeerAcknowledgement(scope: .customer("none"), peer: "phone-none", vector: VersionVector(), at: 1))
        reports.append(PeerAcknowledgement(scope: .customer("c1"), peer: "hub", vector: VersionVector(), at: 1))

        let lacking = try await store.unsynced(missingFrom: reports)
        #expect(lacking.count == reports.count)
        #expect(lacking[0] == UnsyncedChanges(count: 1, oldestMillis: TestTenant.now))
        #expect(lacking[7].count == 1)
        #expect(lacking[1_199].count == 1)
        #expect(lacking[1_200] == UnsyncedChanges())
        #expect(lacking[1_201] == UnsyncedChanges())
        #expect(lacking.map { $0.count }.reduce(0, +) == 1_200)
    }
}
