/// Head office's renewed certificate for one device: the same device, role, scopes and keys,
/// valid until a later time, signed by the tenant admin (AisleCrypto makes and checks it). A
/// catalog object (kind ``ObjectKind/renewal``, id the device's id), so the device learns it with
/// the catalog at its next sync and uses it from then on, with nothing installed by hand.
///
/// Its lattice keeps the certificate valid the longest (then the greater bytes): renewing again
/// only moves the end further, and two hubs that learnt different renewals agree on one.
public struct Renewal: Lattice, Hashable, CanonicalEncodable {
    /// When the renewed certificate expires (milliseconds since the Unix epoch); 0 in ``bottom``.
    public let notAfter: UInt64
    /// The renewed certificate's canonical bytes; empty in ``bottom``.
    public let certificate: [UInt8]

    public init(notAfter: UInt64, certificate: [UInt8]) {
        self.notAfter = notAfter
        self.certificate = certificate
    }

    public static var bottom: Renewal { Renewal(notAfter: 0, certificate: []) }

    public func joined(with other: Renewal) -> Renewal {
        if notAfter != other.notAfter { return notAfter < other.notAfter ? other : self }
        return certificate.lexicographicallyPrecedes(other.certificate) ? other : self
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(notAfter)
        encoder.append(bytes: certificate)
    }
}

extension Renewal: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self.init(notAfter: try decoder.readUInt64(), certificate: try decoder.readBytes())
    }
}
