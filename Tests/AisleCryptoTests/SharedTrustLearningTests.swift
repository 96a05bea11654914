import AisleCore
@_spi(Testing) import AisleCrypto
import Testing

@Suite("Learning into a node's shared trust")
struct SharedTrustLearningTests {
    @Test("a certificate or grant is learnt once after its checks; a known one is not new, a forged one is refused")
    func learnsOnceAfterChecking() throws {
        let tenant = try Tenant()
        let shared = SharedTrust(TrustStore(tenant: "acme", admin: tenant.admin.publicKey))
        let anna = Scope.customer("anna")
        let grant = HandoffGrant(
            scope: anna, to: "berlin", until: Tenant.now + 60_000, by: tenant.phone, signing: tenant.phoneKeys)

        // The grant's grantor is not known yet.
        #expect(throws: EnvelopeRefusal.unknownCertificate) { try shared.learn(grant) }
        #expect(try shared.learn(tenant.phone))
        #expect(try !shared.learn(tenant.phone))
        #expect(try shared.learn(grant))
        #expect(try !shared.learn(grant))
        #expect(shared.snapshot.grants[anna]?.map(\.id) == [grant.id])
        #expect(shared.isGranted(anna, to: tenant.till.body, at: Tenant.now))

        let forged = Tenant.certify(
            "till-9", .pos, [.exactly(.store("berlin"))], SigningKeyPair(), admin: SigningKeyPair())
        #expect(throws: EnvelopeRefusal.forgedCertificate) { try shared.learn(forged) }
        let forgedGrant = HandoffGrant(
            scope: anna, to: "paris", until: Tenant.now + 60_000, by: tenant.phone, signing: SigningKeyPair())
        #expect(throws: EnvelopeRefusal.forgedGrant) { try shared.learn(forgedGrant) }
        #expect(Set(shared.snapshot.certificates.keys) == [tenant.phone.id])
        #expect(shared.snapshot.grants[anna]?.count == 1)
    }
}
