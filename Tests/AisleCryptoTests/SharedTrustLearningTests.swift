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

    @Test("certificates and grants kept earlier are added when they check, and left out when they do not")
    func keptRecordsAreCheckedAgain() throws {
        let tenant = try Tenant()
        var trust = TrustStore(tenant: "acme", admin: tenant.admin.publicKey)
        let anna = Scope.customer("anna")
        let grant = HandoffGrant(
            scope: anna, to: "berlin", until: Tenant.now + 60_000, by: tenant.phone, signing: tenant.phoneKeys)
        let bobKeys = SigningKeyPair()
        let bob = Tenant.certify("phone-bob", .mobile, [.exactly(.customer("bob"))], bobKeys, admin: tenant.admin)
        // Bob's grant, whose grantor's certificate was not kept.
        let bobs = HandoffGrant(
            scope: .customer("bob"), to: "berlin", until: Tenant.now + 60_000, by: bob, signing: bobKeys)
        let otherAdmins = Tenant.certify("till-9", .pos, [], SigningKeyPair(), admin: SigningKeyPair())

        trust.addKept(certificates: [tenant.till, otherAdmins, tenant.phone], grants: [bobs, grant])
        #expect(Set(trust.certificates.keys) == [tenant.till.id, tenant.phone.id])
        #expect(trust.grants.mapValues { $0.map(\.id) } == [anna: [grant.id]])
    }
}
