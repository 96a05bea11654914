import AisleCore
import AisleCrypto
@_spi(Testing) import AisleNode
import AisleStore
import AisleSync
import AisleTesting
import Synchronization
import Testing

/// Head office, the hub and two tills of the Berlin store, each knowing the others.
private struct Chain {
    let chain: TestTenant
    let hq: ReplicaNode
    let hub: ReplicaNode
    let till1: ReplicaNode
    let till2: ReplicaNode

    init() async throws {
        chain = try TestTenant()
        hq = try chain.node("hq", .hq, [.exactly(.catalog)], keys: [.catalog])
        hub = try chain.node("hub", .hub, [.allStores], keys: [.catalog, .store("berlin")])
        till1 = try chain.node("till-1", .pos, [.exactly(.store("berlin"))], keys: [.catalog, .store("berlin")])
        till2 = try chain.node("till-2", .pos, [.exactly(.store("berlin"))], keys: [.catalog, .store("berlin")])
        try await chain.introduce([hq, hub, till1, till2])
    }

    /// The admin's revocation of till-1's certificate.
    var revocationOfTill1: Revocation {
        Revocation(revoking: till1.identity.certificate.id, in: "acme", admin: chain.admin.signing)
    }
}

@Suite("Revocations published in the catalog scope")
struct CatalogRevocationTests {
    @Test(
        "a revocation head office publishes reaches the hub and a till with the catalog: both refuse the device's new changes from then on, and after a restart"
    )
    func publishedRevocationRefusesTheDevice() async throws {
        let berlin = try await Chain()
        let scope = Scope.store("berlin")
        try await berlin.till1.store.receiveStock(5, of: "milk", in: "berlin")
        let before = try await berlin.till1.envelopes(for: berlin.hub, in: scope)
        try await berlin.hub.receive(before)

        let certificate = berlin.till1.identity.certificate.id
        #expect(try await berlin.hq.publishRevocation(of: certificate, berlin.revocationOfTill1))
        #expect(try await !berlin.hq.publishRevocation(of: certificate, berlin.revocationOfTill1))
        try await berlin.hub.receive(berlin.hq.envelopes(for: berlin.hub, in: .catalog))
        try await berlin.till2.receive(
            berlin.hub.envelopes(for: berlin.till2, in: .catalog), from: berlin.hub.identity.certificate)
        for node in [berlin.hub, berlin.till2] {
            #expect(node.trustSnapshot.revoked == [certificate])
        }

        // till-1's next change is refused where it arrives; what it wrote before still syncs.
        try await berlin.till1.store.receiveStock(1, of: "milk", in: "berlin")
        let after = try await berlin.till1.envelopes(for: berlin.hub, in: scope)
        await #expect(throws: NodeError.self) { try await berlin.hub.receive(after) }
        try await berlin.till2.receive(
            berlin.hub.envelopes(for: berlin.till2, in: scope), from: berlin.hub.identity.certificate)
        #expect(try berlin.till2.store.stockLevel(of: "milk", in: "berlin").level == 5)

        // A node opened again over the same store knows the revocation from its catalog.
        let reopened = try ReplicaNode(
            store: berlin.hub.store, identity: berlin.hub.identity,
            trust: berlin.chain.trust(
                keys: [.catalog, .store("berlin")],
                certificates: [berlin.hub.identity.certificate, berlin.till1.identity.certificate]))
        #expect(reopened.trustSnapshot.revoked == [certificate])
    }

    @Test("a till that gets the catalog as the hub's snapshot learns the revocations in it")
    func snapshotCarriesRevocations() async throws {
        let berlin = try await Chain()
        let certificate = berlin.till1.identity.certificate.id
        #expect(try await berlin.hq.publishRevocation(of: certificate, berlin.revocationOfTill1))
        try await berlin.hub.receive(berlin.hq.envelopes(for: berlin.hub, in: .catalog))

        let snapshot = try await berlin.hub.store.snapshot(of: .catalog, partBytes: 64 * 1_024)
        var parts: [[UInt8]] = []
        for try await part in snapshot { parts.append(part) }
        for (index, part) in parts.enumerated() {
            try await berlin.till2.install(
                berlin.till2.snapshotPart(
                    .catalog, objects: part, stamp: snapshot.stamp,
                    covers: index == parts.count - 1 ? snapshot.covers : nil, from: berlin.hub.identity.certificate))
        }
        #expect(berlin.till2.trustSnapshot.revoked == [certificate])
    }

    @Test(
        "a till drops its link to a hub whose own revocation arrives in the catalog the hub sends, and refuses it when it connects again"
    )
    func tillDropsARevokedHub() async throws {
        let berlin = try await Chain()
        let till = try berlin.chain.node(
            "till-3", .pos, [.exactly(.catalog), .exactly(.store("berlin"))], keys: [.catalog, .store("berlin")],
            peers: [berlin.hub.identity.certificate])
        let scopes: @Sendable (Certificate) -> [Scope] = { peer in peer.body.role == .hub ? [.catalog] : [] }
        let link = MemoryLink(till, berlin.hub, scopes: scopes)
        try await link.connect()

        let certificate = berlin.hub.identity.certificate.id
        let revocation = Revocation(revoking: certificate, in: "acme", admin: berlin.chain.admin.signing)
        #expect(try await berlin.hq.publishRevocation(of: certificate, revocation))
        try await berlin.hub.receive(berlin.hq.envelopes(for: berlin.hub, in: .catalog))
        try await link.connections[1].changed(.catalog)
        await #expect(throws: SyncError.self) { try await link.pump() }
        #expect(till.trustSnapshot.revoked == [certificate])
        #expect(await link.connections[0].ended == .peerRefused(.certificateRevoked("hub")))

        let again = MemoryLink(till, berlin.hub, scopes: scopes)
        await #expect(throws: SyncError.self) { try await again.connect() }
        #expect(await again.connections[0].ended == .peerRefused(.certificateRevoked("hub")))
        #expect(await again.connections[0].peer == nil)
    }

    @Test(
        "a revocation the tenant's admin did not sign is refused: head office cannot publish it, and a node refuses a change carrying it"
    )
    func forgedRevocationRefused() async throws {
        let berlin = try await Chain()
        let certificate = berlin.till1.identity.certificate.id
        let forged = Revocation(revoking: certificate, in: "acme", admin: SigningKeyPair())
        let id = Revocation.catalogID(of: certificate)
        await #expect(throws: EnvelopeRefusal.forgedRevocation(id)) {
            try await berlin.hq.publishRevocation(of: certificate, forged)
        }

        // Written past the check, as a head office device with a stolen key but not the admin's could.
        let key = try ObjectKey(scope: .catalog, kind: .revocation, id: id.rawValue)
        try await berlin.hq.store.updateCatalog(touching: [key]) { catalog, _ in catalog.revoke(certificate, forged) }
        let envelopes = try await berlin.hq.envelopes(for: berlin.hub, in: .catalog)
        await #expect {
            try await berlin.hub.receive(envelopes)
        } throws: { error in
            guard case NodeError.refused(_, "hq", 1, .forgedRevocation(id)) = error else { return false }
            return true
        }
        #expect(berlin.hub.trustSnapshot.revoked.isEmpty)
        #expect(try berlin.hub.store.revocations() == .bottom)
    }

    @Test("a node tells its observers each certificate it newly revokes, once")
    func observersToldOfNewRevocations() async throws {
        let berlin = try await Chain()
        let told = Mutex<[[UInt8]]>([])
        berlin.hub.onRevocation { revoked in told.withLock { $0 += revoked } }
        let certificate = berlin.till1.identity.certificate.id
        try await berlin.hq.publishRevocation(of: certificate, berlin.revocationOfTill1)
        let envelopes = try await berlin.hq.envelopes(for: berlin.hub, in: .catalog)
        try await berlin.hub.receive(envelopes)
        try await berlin.hub.receive(envelopes)  // a duplicate
        try berlin.hub.apply(RevocationList(tenant: "acme", revoked: [certificate], admin: berlin.chain.admin.signing))
        #expect(told.withLock { $0 } == [certificate])
    }
}
