import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleTesting
import Testing

@Suite("Learning certificates and grants another hub process kept")
struct KeptTrustTests {
    /// Anna's phone, a till and the hub, none knowing the others, and Anna's handoff grant to
    /// Berlin.
    static func annaTillAndHub() throws -> (
        TestTenant, Scope, ReplicaNode, ReplicaNode, ReplicaNode, HandoffGrant
    ) {
        let chain = try TestTenant()
        let anna = Scope.customer("anna")
        let phone = try chain.node("phone-anna", .mobile, [.exactly(anna)], keys: [anna])
        let till = try chain.node("till-1", .pos, [.exactly(.store("berlin"))], keys: [])
        let hub = try chain.node("hub", .hub, [.allStores], keys: [])
        let grant = HandoffGrant(
            scope: anna, to: "berlin", until: TestTenant.now + 3_600_000, by: phone.identity.certificate,
            signing: phone.identity.signing)
        return (chain, anna, phone, till, hub, grant)
    }

    @Test(
        "kept certificates and grants are learnt in order and kept in the store together; a grant read before its grantor's certificate is refused alone"
    )
    func keptRecordsLearntInOrder() async throws {
        let (_, anna, phone, till, hub, grant) = try Self.annaTillAndHub()

        // The grant first: its grantor is not known yet.
        let refused = try await hub.learnKept([
            .grant(grant), .certificate(phone.identity.certificate), .certificate(till.identity.certificate),
        ])
        #expect(refused.map(\.0.id) == [grant.id])
        #expect(hub.trustSnapshot.certificates[phone.identity.certificate.id] != nil)
        #expect(hub.trustSnapshot.certificates[till.identity.certificate.id] != nil)
        // And the hub's own, kept at its start.
        #expect(try hub.store.trusted(kind: ReplicaNode.certificateKind).count == 3)
        #expect(try hub.store.trusted(kind: ReplicaNode.grantKind).isEmpty)

        // Read again after the certificate: learnt, and kept like the certificates were.
        #expect(try await hub.learnKept([.certificate(phone.identity.certificate), .grant(grant)]).isEmpty)
        #expect(hub.grants(for: anna).map(\.id) == [grant.id])
        #expect(try hub.store.trusted(kind: ReplicaNode.grantKind) == [grant.canonicalBytes])
    }

    @Test(
        "a node's start takes what its store noted as checked under its admin key as it is, checks the rest, and notes what passed"
    )
    func startChecksOnlyWhatItsAdminKeyDidNotCheck() async throws {
        let chain = try TestTenant()
        let hub = try chain.node("hub", .hub, [.allStores], keys: [])
        let admin = hub.trustSnapshot.admin.bytes
        let other = SigningKeyPair()
        let till = chain.certificate("till-1", .pos, [.exactly(.store("berlin"))], SigningKeyPair())
        let kiosk = chain.certificate("kiosk-1", .kiosk, [.exactly(.store("berlin"))], SigningKeyPair())
        // Signed by another admin: what a tampered or mixed-up file could hold.
        let forged = Certificate(
            signing: CertificateBody(
                tenant: "acme", device: "till-9", role: .pos, scopes: [], signingKey: SigningKeyPair().publicKey,
                boxKey: BoxKeyPair().publicKey, notAfter: TestTenant.now + 86_400_000),
            with: other)
        let row = { (certificate: Certificate) in
            TrustedRow(kind: ReplicaNode.certificateKind, id: certificate.id, bytes: certificate.canonicalBytes)
        }
        // The store is the node's own: what it notes as checked under this admin key is taken as
        // it is (even the forged certificate, to show it is not checked again).
        try await hub.store.keepTrusted([row(till), row(forged)], checkedBy: admin)
        try await hub.store.keepTrusted([row(kiosk)], checkedBy: other.publicKey.bytes)

        let started = try ReplicaNode(
            store: hub.store, identity: hub.identity, trust: chain.trust(keys: [], certificates: []))
        // With its own, which its first start kept.
        let own = hub.identity.certificate.id
        #expect(Set(started.trustSnapshot.certificates.keys) == [own, till.id, forged.id, kiosk.id])
        // The kiosk's certificate was checked at this start, and is noted so.
        let checkedBy = try hub.store.trustedRecords(kind: ReplicaNode.certificateKind).map(\.checkedBy)
        #expect(checkedBy.allSatisfy { $0 == admin })

        // Noted under another key, the forged certificate is checked, and refused.
        try await hub.store.keepTrusted([row(forged)], checkedBy: other.publicKey.bytes)
        let again = try ReplicaNode(
            store: hub.store, identity: hub.identity, trust: chain.trust(keys: [], certificates: []))
        #expect(Set(again.trustSnapshot.certificates.keys) == [own, till.id, kiosk.id])
    }

    @Test(
        "certificates and grants delivered with a batch are learnt together: a grant after its grantor's certificate is taken, and a refused record refuses the batch without unlearning the valid ones"
    )
    func deliveredRecordsLearntTogether() async throws {
        let (_, anna, phone, till, hub, grant) = try Self.annaTillAndHub()
        let forged = Certificate(
            signing: CertificateBody(
                tenant: "acme", device: "till-9", role: .pos, scopes: [], signingKey: SigningKeyPair().publicKey,
                boxKey: BoxKeyPair().publicKey, notAfter: TestTenant.now + 86_400_000),
            with: SigningKeyPair())

        try await hub.learn([.certificate(phone.identity.certificate), .grant(grant)])
        #expect(hub.grants(for: anna).map(\.id) == [grant.id])

        await #expect(throws: EnvelopeRefusal.self) {
            try await hub.learn([.certificate(forged), .certificate(till.identity.certificate)])
        }
        #expect(hub.trustSnapshot.certificates[forged.id] == nil)
        #expect(hub.trustSnapshot.certificates[till.identity.certificate.id] != nil)
        #expect(try hub.store.trusted(kind: ReplicaNode.certificateKind).count == 2 + 1)  // and the hub's own
    }
}
