/// Head office's word that one device certificate is revoked: the tenant admin's Ed25519
/// signature over the tenant and the certificate's id (AisleCrypto makes and checks it). A catalog
/// object (kind ``ObjectKind/revocation``, id the certificate's id in lowercase hex), so every
/// node learns it with the catalog and refuses that device from then on.
///
/// A revocation is never taken back. Its lattice keeps the greater signature bytes: the only
/// signature a node applies is the admin's, which is unique for its message (Ed25519 is
/// deterministic, and libsodium refuses non-canonical signatures), so two copies are the same.
public struct Revocation: Lattice, Hashable, CanonicalEncodable {
    /// The admin's signature; empty in ``bottom``.
    public let signature: [UInt8]

    public init(signature: [UInt8]) {
        self.signature = signature
    }

    public static var bottom: Revocation { Revocation(signature: []) }

    public func joined(with other: Revocation) -> Revocation {
        signature.lexicographicallyPrecedes(other.signature) ? other : self
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(bytes: signature)
    }

    /// The catalog id of a certificate id: its bytes in lowercase hex.
    public static func catalogID(of certificate: [UInt8]) -> CertificateID {
        CertificateID(unchecked: certificate.hexString)
    }

    /// The certificate id a catalog id names; nil when it is not lowercase hex of 16 bytes.
    public static func certificate(of id: CertificateID) -> [UInt8]? {
        guard let bytes = [UInt8](hex: id.rawValue), bytes.count == 16, bytes.hexString == id.rawValue else {
            return nil
        }
        return bytes
    }
}

extension Revocation: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self.init(signature: try decoder.readBytes())
    }
}
