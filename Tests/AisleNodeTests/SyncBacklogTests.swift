import AisleCore
import AisleCrypto
@_spi(Testing) import AisleNode
import AisleStore
import AisleTesting
import Testing

@Suite("The hub's per-store sync backlog")
struct SyncBacklogTests {
    @Test(
        "a store's backlog is what its furthest-behind terminal lacks, from its newest report written or pending; phones' reports of their own scopes and revoked terminals leave it alone"
    )
    func backlogOfTheFurthestBehindTerminal() async throws {
        let chain = try TestTenant()
        let scope = Scope.store("berlin")
        let till1 = try chain.node("till-1", .pos, [.exactly(scope)], keys: [scope])
        let till2 = try chain.node("till-2", .pos, [.exactly(scope)], keys: [scope])
        let hub = try chain.node("hub", .hub, [.allStores], keys: [scope])
        try await chain.introduce([till1, till2, hub])
        till1.sealEachChangeAsWritten()
        for _ in 0..<3 { try await till1.store.receiveStock(1, of: "milk", in: "berlin") }
        try await hub.receive(try await till1.envelopes(in: scope, missingFrom: VersionVector()))

        // Many phones have reported their own scopes, written.
        var phones: [PeerAcknowledgement] = []
        for index in 0..<2_000 {
            let phone = try ReplicaID("phone-\(index)")
            for own in [Scope.catalog, .customer(try CustomerID("c\(index)")), .loyalty(try CustomerID("c\(index)"))] {
                phones.append(
                    PeerAcknowledgement(
                        scope: own, peer: phone, vector: VersionVector(), at: TestTenant.now, archive: false))
            }
        }
        try await hub.store.recordAcknowledgements(phones)
        try await hub.acknowledged(scope, by: till1.identity.certificate, VersionVector(["till-1": 3]))
        try await hub.acknowledged(scope, by: till2.identity.certificate, VersionVector())
        #expect(try await hub.undelivered(heardSince: 0)[StoreID("berlin")]?.count == 3)

        // Till 2's newer report, still pending in memory, counts.
        try await hub.acknowledged(scope, by: till2.identity.certificate, VersionVector(["till-1": 2]))
        #expect(try await hub.undelivered(heardSince: 0)[StoreID("berlin")]?.count == 1)

        // Revoked, till 2 will never catch up: it no longer holds the store's backlog up.
        try hub.apply(
            RevocationList(tenant: "acme", revoked: [till2.identity.certificate.id], admin: chain.admin.signing))
        #expect(try await hub.undelivered(heardSince: 0)[StoreID("berlin")]?.count == 0)
    }
}

@Suite("The reports a hub process remembers writing")
struct WrittenReportsTests {
    @Test(
        "a device's first report of a scope is written at once, later ones wait; once its connection ends the process forgets it, and its next first report is written at once again"
    )
    func forgottenWhenTheConnectionEnds() async throws {
        let chain = try TestTenant()
        let scope = Scope.store("berlin")
        let till = try chain.node("till-1", .pos, [.exactly(scope)], keys: [scope])
        let hub = try chain.node("hub", .hub, [.allStores], keys: [scope])
        try await chain.introduce([till, hub])
        func written() throws -> VersionVector? {
            try hub.store.acknowledgements(in: scope).first { $0.peer == "till-1" }?.vector
        }

        let link = MemoryLink(till, hub) { _ in [scope] }
        try await link.connect()
        #expect(try written() == VersionVector())
        #expect(hub.peersWithWrittenReports == 1)
        try await hub.acknowledged(scope, by: till.identity.certificate, VersionVector(["hub": 1]))
        #expect(try written() == VersionVector())

        await link.connections[1].disconnected()
        #expect(hub.peersWithWrittenReports == 0)
        try await hub.acknowledged(scope, by: till.identity.certificate, VersionVector(["hub": 2]))
        #expect(try written() == VersionVector(["hub": 2]))
    }
}
