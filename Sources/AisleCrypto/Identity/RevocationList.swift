public import AisleCore

/// The tenant's revoked certificates: a grow-only set signed by the admin, published in the
/// catalog scope so every node learns it with the catalog and refuses those devices offline.
public struct RevocationList: Sendable, Equatable, CanonicalEncodable, CanonicalDecodable {
    /// The tenant whose devices are revoked.
    public let tenant: TenantID
    /// Ids of revoked certificates.
    public let revoked: Set<[UInt8]>
    /// The admin's signature over tenant and ids.
    public let signature: [UInt8]

    /// A list revoking `revoked`, signed by the admin.
    public init(tenant: TenantID, revoked: Set<[UInt8]>, admin: SigningKeyPair) {
        self.tenant = tenant
        self.revoked = revoked
        signature = admin.sign(Self.signedBytes(tenant: tenant, revoked: revoked))
    }

    /// This list plus `more`, signed again: lists only grow.
    public func adding(_ more: Set<[UInt8]>, admin: SigningKeyPair) -> RevocationList {
        RevocationList(tenant: tenant, revoked: revoked.union(more), admin: admin)
    }

    var signedBytes: [UInt8] { Self.signedBytes(tenant: tenant, revoked: revoked) }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(raw: signedBytes)
        encoder.append(bytes: signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        guard try decoder.readString() == "aisle-revocations-v1" else { throw decoder.failure("not a revocation list") }
        tenant = try decoder.decode()
        var revoked: Set<[UInt8]> = []
        for _ in 0..<(try decoder.readCount()) { revoked.insert(try decoder.readBytes()) }
        self.revoked = revoked
        signature = try decoder.readBytes()
    }

    static func signedBytes(tenant: TenantID, revoked: Set<[UInt8]>) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append("aisle-revocations-v1")
        encoder.append(tenant)
        encoder.append(UInt64(revoked.count))
        for id in revoked.sorted(by: { $0.lexicographicallyPrecedes($1) }) { encoder.append(bytes: id) }
        return encoder.bytes
    }
}
