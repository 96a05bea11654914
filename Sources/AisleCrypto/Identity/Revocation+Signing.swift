public import AisleCore

extension Revocation {
    /// The tenant admin's revocation of the certificate whose id is `certificate`.
    public init(revoking certificate: [UInt8], in tenant: TenantID, admin: SigningKeyPair) {
        self.init(signature: admin.sign(Self.signedBytes(certificate: certificate, tenant: tenant)))
    }

    /// What the admin signs: a domain label, the tenant and the certificate id.
    static func signedBytes(certificate: [UInt8], tenant: TenantID) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append("aisle-revocation-v1")
        encoder.append(tenant)
        encoder.append(bytes: certificate)
        return encoder.bytes
    }
}

extension TrustStore {
    /// Checks that every revocation in a catalog delta is signed by this tenant's admin: a head
    /// office device may publish a revocation, only the admin key can make one.
    func checkRevocations(in delta: ObjectDelta) throws(EnvelopeRefusal) {
        for (key, value) in delta.objects {
            guard case .revocation(let revocation) = value else { continue }
            let id = (try? CertificateID(key.id)) ?? "unreadable"  // checked when the key was decoded
            guard let certificate = Revocation.certificate(of: id), isAdmin(revocation, of: certificate) else {
                throw .forgedRevocation(id)
            }
        }
    }

    /// Revokes the certificates `revocations` name, each whose signature is the admin's.
    /// - Returns: the ids newly revoked.
    @discardableResult
    public mutating func learn(_ revocations: LatticeMap<CertificateID, Revocation>) -> [[UInt8]] {
        var new: [[UInt8]] = []
        for (id, revocation) in revocations.entries {
            guard let certificate = Revocation.certificate(of: id), !revoked.contains(certificate),
                isAdmin(revocation, of: certificate)
            else { continue }
            new.append(certificate)
        }
        revoke(Set(new))
        return new
    }

    /// Whether `revocation` is this tenant's admin's signature revoking the certificate whose id
    /// is `certificate`.
    public func isAdmin(_ revocation: Revocation, of certificate: [UInt8]) -> Bool {
        (try? admin.verify(
            revocation.signature, for: Revocation.signedBytes(certificate: certificate, tenant: tenant))) != nil
    }
}
