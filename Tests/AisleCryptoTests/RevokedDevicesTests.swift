import AisleCore
@_spi(Testing) import AisleCrypto
import PropertyBased
import Testing

@Suite("The revoked devices a trust store keeps track of")
struct RevokedDevicesTests {
    /// Three devices' certificates, two each (a device enrolled again), signed by one admin.
    struct Fleet {
        let admin = SigningKeyPair()
        let certificates: [Certificate]

        init() {
            let admin = admin
            certificates = (0..<6).map { index in
                Tenant.certify(
                    ReplicaID(stringLiteral: "device-\(index / 2)"), .pos, [], SigningKeyPair(), admin: admin,
                    notAfter: Tenant.now + UInt64(index))
            }
        }
    }

    /// The devices whose every known certificate is revoked, from scratch.
    static func expected(_ trust: TrustStore) -> Set<ReplicaID> {
        let devices = Set(trust.certificates.values.map(\.body.device))
        return devices.filter { device in
            trust.certificates.values.filter { $0.body.device == device }.allSatisfy { trust.revoked.contains($0.id) }
        }
    }

    @Test(
        "whatever the order certificates, revocations and revocation lists arrive in, the revoked devices are those whose every known certificate is revoked"
    )
    func revokedDevicesFollowEveryChange() async {
        let fleet = Fleet()
        await propertyCheck(count: 300, input: Gen.uint64().array(of: 0...24)) { words in
            var trust = TrustStore(tenant: "acme", admin: fleet.admin.publicKey)
            for word in words {
                let certificate = fleet.certificates[Int(word % 6)]
                switch (word / 6) % 3 {
                case 0: try? trust.add(certificate)
                case 1: trust.revoke(certificate.id)
                default:
                    try? trust.apply(
                        RevocationList(
                            tenant: "acme", revoked: [certificate.id, fleet.certificates[Int(word / 18 % 6)].id],
                            admin: fleet.admin))
                }
                #expect(trust.revokedDevices == Self.expected(trust), "after \(words)")
            }
            #expect(trust.judgingKept.revokedDevices.isEmpty)
        }
    }
}
