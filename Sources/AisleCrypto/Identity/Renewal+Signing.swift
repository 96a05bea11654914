public import AisleCore

extension Renewal {
    /// The catalog's form of a renewed certificate: the admin's signature is the certificate's own.
    public init(_ certificate: Certificate) {
        self.init(notAfter: certificate.body.notAfter, certificate: certificate.canonicalBytes)
    }

    /// The certificate inside; nil when the bytes are not one.
    public var renewedCertificate: Certificate? { try? Certificate(canonicalBytes: certificate) }
}

extension CertificateBody {
    /// Whether `other` is this certificate renewed: the same tenant, device, role, scopes and
    /// keys, ending later.
    public func isRenewed(by other: CertificateBody) -> Bool {
        other.notAfter > notAfter && other.renewed(until: notAfter) == self
    }
}

extension TrustStore {
    /// Checks every renewal in a catalog delta: a certificate of this tenant signed by its admin,
    /// of the device the object's id names, ending when the object says. A head office device
    /// publishes a renewal; only the admin key makes one.
    func checkRenewals(in delta: ObjectDelta) throws(EnvelopeRefusal) {
        for (key, value) in delta.objects {
            guard case .renewal(let renewal) = value else { continue }
            guard let certificate = renewal.renewedCertificate, certificate.body.device.rawValue == key.id,
                certificate.body.notAfter == renewal.notAfter
            else { throw .forgedRenewal(key.id) }
            do throws(EnvelopeRefusal) { try Self.verify(certificate, tenant: tenant, admin: admin) } catch {
                throw .forgedRenewal(key.id)
            }
        }
    }
}
