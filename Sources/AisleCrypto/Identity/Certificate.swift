public import AisleCore

/// The tenant a device belongs to: one retailer.
public enum TenantKind: IdentifierKind { public static var noun: String { "tenant id" } }
public typealias TenantID = Identifier<TenantKind>

/// What the tenant admin certifies about one device: its keys, role, scopes and expiry.
public struct CertificateBody: Sendable, Equatable, CanonicalEncodable, CanonicalDecodable {
    public let tenant: TenantID
    /// The device, which is also its replica id.
    public let device: ReplicaID
    public let role: Role
    public let scopes: [ScopeGrant]
    /// The device's Ed25519 key: it signs every envelope the device writes.
    public let signingKey: [UInt8]
    /// The device's X25519 key: key bundles and handoff grants are sealed to it.
    public let boxKey: [UInt8]
    /// Milliseconds since the Unix epoch after which the certificate is refused.
    public private(set) var notAfter: UInt64

    public init(
        tenant: TenantID, device: ReplicaID, role: Role, scopes: [ScopeGrant], signingKey: SigningPublicKey,
        boxKey: BoxPublicKey, notAfter: UInt64
    ) {
        self.tenant = tenant
        self.device = device
        self.role = role
        self.scopes = scopes
        self.signingKey = signingKey.bytes
        self.boxKey = boxKey.bytes
        self.notAfter = notAfter
    }

    /// The same device, role, scopes and keys, valid until `notAfter`: a renewal.
    public func renewed(until notAfter: UInt64) -> CertificateBody {
        var body = self
        body.notAfter = notAfter
        return body
    }

    /// The stores the certificate grants by name (`store:<id>`; not `store:*`), in its order.
    public var namedStores: [StoreID] {
        scopes.compactMap { grant in
            if case .exactly(.store(let store)) = grant { return store }
            return nil
        }
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append("aisle-certificate-v1")
        encoder.append(tenant)
        encoder.append(device)
        encoder.append(role)
        encoder.append(sequence: scopes)
        encoder.append(bytes: signingKey)
        encoder.append(bytes: boxKey)
        encoder.append(notAfter)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        guard try decoder.readString() == "aisle-certificate-v1" else { throw decoder.failure("not a v1 certificate") }
        tenant = try decoder.decode()
        device = try decoder.decode()
        role = try decoder.decode()
        scopes = try decoder.decodeArray()
        signingKey = try decoder.readBytes()
        boxKey = try decoder.readBytes()
        notAfter = try decoder.readUInt64()
    }
}

/// A certificate: the body and the tenant admin's Ed25519 signature over its canonical bytes.
/// Every node checks it offline against the tenant's admin public key.
public struct Certificate: Sendable, Equatable, CanonicalEncodable, CanonicalDecodable {
    public let body: CertificateBody
    public let signature: [UInt8]

    /// Signs `body` with the admin key.
    public init(signing body: CertificateBody, with admin: SigningKeyPair) {
        self.body = body
        signature = admin.sign(body.canonicalBytes)
    }

    /// The certificate's id, as envelope headers and revocation lists name it: the first 16 bytes
    /// of BLAKE2b over the whole signed certificate.
    public var id: [UInt8] {
        BLAKE2b.hash(canonicalBytes, length: 16)
    }

    /// The device's signing key.
    public var signingKey: SigningPublicKey {
        get throws(CryptoError) { try SigningPublicKey(body.signingKey) }
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(body)
        encoder.append(bytes: signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        body = try decoder.decode()
        signature = try decoder.readBytes()
    }
}
