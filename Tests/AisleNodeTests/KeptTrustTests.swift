import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleTesting
import Testing

@Suite("Learning certificates and grants another hub process kept")
struct KeptTrustTests {
    @Test(
        "kept certificates and grants are learnt in order and kept in the store together; a grant read before its grantor's certificate is refused alone"
    )
    func keptRecordsLearntInOrder() async throws {
        let chain = try TestTenant()
        let anna = Scope.customer("anna")
        let phone = try chain.node("phone-anna", .mobile, [.exactly(anna)], keys: [anna])
        let till = try chain.node("till-1", .pos, [.exactly(.store("berlin"))], keys: [])
        let hub = try chain.node("hub", .hub, [.allStores], keys: [])
        let grant = HandoffGrant(
            scope: anna, to: "berlin", until: TestTenant.now + 3_600_000, by: phone.identity.certificate,
            signing: phone.identity.signing)

        // The grant first: its grantor is not known yet.
        let refused = try await hub.learnKept([
            .grant(grant), .certificate(phone.identity.certificate), .certificate(till.identity.certificate),
        ])
        #expect(refused.map(\.0.id) == [grant.id])
        #expect(hub.trustSnapshot.certificates[phone.identity.certificate.id] != nil)
        #expect(hub.trustSnapshot.certificates[till.identity.certificate.id] != nil)
        #expect(try hub.store.trusted(kind: ReplicaNode.certificateKind).count == 2)
        #expect(try hub.store.trusted(kind: ReplicaNode.grantKind).isEmpty)

        // Read again after the certificate: learnt, and kept like the certificates were.
        #expect(try await hub.learnKept([.certificate(phone.identity.certificate), .grant(grant)]).isEmpty)
        #expect(hub.grants(for: anna).map(\.id) == [grant.id])
        #expect(try hub.store.trusted(kind: ReplicaNode.grantKind) == [grant.canonicalBytes])
    }
}
