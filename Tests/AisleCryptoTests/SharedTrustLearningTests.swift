import AisleCore
@_spi(Testing) import AisleCrypto
import Testing

@Suite("Learning into a node's shared trust")
struct SharedTrustLearningTests {
    /// Whether each outcome was new, or the refusal's description.
    static func outcomes(_ results: [Result<Bool, EnvelopeRefusal>]) -> [String] {
        results.map { result in
            switch result {
            case .success(let new): new ? "new" : "known"
            case .failure(let refusal): "\(refusal)"
            }
        }
    }

    @Test(
        "certificates and grants are learnt in order after their checks: a known one is not new, a forged one or a grant before its grantor is refused alone"
    )
    func learnsInOrderAfterChecking() throws {
        let tenant = try Tenant()
        let shared = SharedTrust(TrustStore(tenant: "acme", admin: tenant.admin.publicKey))
        let anna = Scope.customer("anna")
        let grant = HandoffGrant(
            scope: anna, to: "berlin", until: Tenant.now + 60_000, by: tenant.phone, signing: tenant.phoneKeys)
        let forged = Tenant.certify(
            "till-9", .pos, [.exactly(.store("berlin"))], SigningKeyPair(), admin: SigningKeyPair())
        let forgedGrant = HandoffGrant(
            scope: anna, to: "paris", until: Tenant.now + 60_000, by: tenant.phone, signing: SigningKeyPair())

        let first = shared.learn([.grant(grant), .certificate(tenant.phone), .certificate(forged), .grant(grant)])
        #expect(
            Self.outcomes(first) == [
                "\(EnvelopeRefusal.unknownCertificate)", "new", "\(EnvelopeRefusal.forgedCertificate)", "new",
            ])
        let again = shared.learn([.certificate(tenant.phone), .grant(grant), .grant(forgedGrant)])
        #expect(Self.outcomes(again) == ["known", "known", "\(EnvelopeRefusal.forgedGrant)"])

        #expect(Set(shared.snapshot.certificates.keys) == [tenant.phone.id])
        #expect(shared.snapshot.grants.mapValues { $0.map(\.id) } == [anna: [grant.id]])
        #expect(shared.isGranted(anna, to: tenant.till.body, at: Tenant.now))
    }
}
