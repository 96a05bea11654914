import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleTesting
import Synchronization
import Testing

@Suite("Compaction goes over the scopes that moved")
struct IncrementalCompactionTests {
    @Test(
        "after a first pass over every scope, compaction goes over only the scopes a peer reported on since; every scope again an hour on, and after a revocation"
    )
    func onlyMovedScopesBetweenFullPasses() async throws {
        let chain = try TestTenant()
        let clock = Atomic<UInt64>(TestTenant.now)
        let customers = try (0..<10).map { try CustomerID("c\($0)") }
        let accounts = customers.map { Scope.loyalty($0) }
        let till = try chain.node("till-1", .pos, [.allLoyalty], keys: accounts)
        let phone = try chain.node("phone-1", .mobile, [.exactly(accounts[0])], keys: [accounts[0]])
        let hub = try chain.node(
            "hub", .hub, [.allStores, .allLoyalty], keys: accounts, wallClock: { clock.load(ordering: .relaxed) })
        try await chain.introduce([till, phone, hub])
        for customer in customers { _ = try await till.store.earnPoints(5, for: customer) }
        for account in accounts {
            try await hub.receive(try await till.envelopes(in: account, missingFrom: VersionVector()))
        }
        // Reports written before this process started (a restart): the first pass finds them.
        try await hub.store.recordAcknowledgements(
            accounts.map {
                PeerAcknowledgement(
                    scope: $0, peer: "till-1", vector: VersionVector(["till-1": 1]), at: TestTenant.now, archive: false)
            })
        #expect(try await hub.compact().keys.sorted() == accounts.sorted())
        #expect(try await hub.compact().isEmpty)

        // One report written at once, one pending: those two scopes only.
        let report = VersionVector(["till-1": 1])
        try await hub.acknowledged(accounts[3], by: till.identity.certificate, report)
        try await hub.acknowledged(accounts[7], by: till.identity.certificate, report)
        try await hub.acknowledged(accounts[7], by: till.identity.certificate, report)
        #expect(try await hub.compact().keys.sorted() == [accounts[3], accounts[7]])
        #expect(try await hub.compact().isEmpty)

        clock.store(TestTenant.now + 3_600_000, ordering: .relaxed)
        #expect(try await hub.compact().count == accounts.count)
        #expect(try await hub.compact().isEmpty)

        try hub.apply(
            RevocationList(tenant: "acme", revoked: [phone.identity.certificate.id], admin: chain.admin.signing))
        #expect(try await hub.compact().count == accounts.count)
    }
}
