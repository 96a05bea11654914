public import AisleCore

/// A customer's permission, signed by one of the customer's own devices, for the tills and kiosks
/// of one store to read and write the customer's scope until `notAfter`: what a cart handoff
/// gives the till that scans it (docs/security.md).
///
/// Every node that checks a till's envelopes in that scope needs the grant, so it travels with
/// them (sync sends grants as it sends certificates) and is kept like a certificate.
public struct HandoffGrant: Sendable, Equatable, CanonicalEncodable, CanonicalDecodable {
    public let tenant: TenantID
    /// The customer scope granted (`customer:<id>`).
    public let scope: Scope
    /// The store whose tills and kiosks may use the grant.
    public let store: StoreID
    /// Milliseconds since the Unix epoch; changes stamped later are not covered.
    public let notAfter: UInt64
    /// The id of the granting device's certificate.
    public let grantor: [UInt8]
    /// The grantor's Ed25519 signature over the fields above.
    public let signature: [UInt8]

    /// A grant of `scope` to the tills of `store` until `notAfter`, signed by the device holding
    /// `certificate`.
    public init(
        scope: Scope, to store: StoreID, until notAfter: UInt64, by certificate: Certificate, signing: SigningKeyPair
    ) {
        tenant = certificate.body.tenant
        self.scope = scope
        self.store = store
        self.notAfter = notAfter
        grantor = certificate.id
        signature = signing.sign(
            Self.signedBytes(tenant: tenant, scope: scope, store: store, notAfter: notAfter, grantor: grantor))
    }

    /// The grant's id: the first 16 bytes of BLAKE2b over the whole signed grant.
    public var id: [UInt8] { BLAKE2b.hash(canonicalBytes, length: 16) }

    var signedBytes: [UInt8] {
        Self.signedBytes(tenant: tenant, scope: scope, store: store, notAfter: notAfter, grantor: grantor)
    }

    static func signedBytes(tenant: TenantID, scope: Scope, store: StoreID, notAfter: UInt64, grantor: [UInt8])
        -> [UInt8]
    {
        var encoder = CanonicalEncoder()
        encoder.append("aisle-handoff-grant-v1")
        encoder.append(tenant)
        encoder.append(scope)
        encoder.append(store)
        encoder.append(notAfter)
        encoder.append(bytes: grantor)
        return encoder.bytes
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(raw: signedBytes)
        encoder.append(bytes: signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        guard try decoder.readString() == "aisle-handoff-grant-v1" else { throw decoder.failure("not a handoff grant") }
        tenant = try decoder.decode()
        let scopeText = try decoder.readString()
        do { scope = try Scope(scopeText) } catch { throw decoder.failure(error.description) }
        store = try decoder.decode()
        notAfter = try decoder.readUInt64()
        grantor = try decoder.readBytes()
        signature = try decoder.readBytes()
    }
}

extension HandoffGrant {
    /// Checks this grant as ``TrustStore/admit(_:)`` does, given its grantor's certificate (nil
    /// when it is not known) and the revoked certificate ids.
    func check(grantor: Certificate?, tenant: TenantID, revoked: Set<[UInt8]>) throws(EnvelopeRefusal) {
        guard self.tenant == tenant else { throw .wrongTenant(self.tenant) }
        guard case .customer = scope else { throw .unauthorized("a handoff grants a customer scope only") }
        guard let grantor, grantor.id == self.grantor else { throw .unknownCertificate }
        guard !revoked.contains(grantor.id) else { throw .certificateRevoked(grantor.body.device) }
        guard [.mobile, .hq].contains(grantor.body.role), grantor.body.scopes.contains(where: { $0.covers(scope) })
        else { throw .scopeNotAllowed(grantor.body.role, scope) }
        do { try grantor.signingKey.verify(signature, for: signedBytes) } catch { throw .forgedGrant }
    }
}

extension TrustStore {
    /// Takes a handoff grant after checking it: this tenant's, for a customer scope, signed by a
    /// known, unrevoked phone (or head office) whose certificate covers that scope.
    public mutating func admit(_ grant: HandoffGrant) throws(EnvelopeRefusal) {
        try grant.check(grantor: certificates[grant.grantor], tenant: tenant, revoked: revoked)
        insert(checked: grant, id: grant.id)
    }

    /// Whether this store holds `record` (the same certificate, or a grant with its id).
    func holds(_ record: TrustedRecord) -> Bool {
        switch record {
        case .certificate(let certificate): certificates[certificate.id] != nil
        case .grant(let grant): holds(grant: grant.id, of: grant.scope)
        }
    }

    /// Whether the grant whose id is `id` is held for `scope`.
    func holds(grant id: [UInt8], of scope: Scope) -> Bool {
        grants[scope]?.contains { $0.id == id } ?? false
    }

    /// Adds a certificate or grant already checked, unless it is held. Returns whether it was new.
    @discardableResult
    mutating func insert(checked record: TrustedRecord) -> Bool {
        switch record {
        case .certificate(let certificate): insert(verified: certificate, id: certificate.id)
        case .grant(let grant): insert(checked: grant, id: grant.id)
        }
    }

    /// Adds a grant already checked (``HandoffGrant/check(grantor:tenant:revoked:)``) whose id
    /// is `id`, unless it is held. Returns whether it was new.
    @discardableResult
    mutating func insert(checked grant: HandoffGrant, id: [UInt8]) -> Bool {
        guard !holds(grant: id, of: grant.scope) else { return false }
        grants[grant.scope, default: []].append(grant)
        return true
    }

    /// Whether a handoff grant lets a device with `body` use `scope` at `time` (ms): a till or
    /// kiosk of the granted store, within the grant's time.
    public func isGranted(_ scope: Scope, to body: CertificateBody, at time: UInt64) -> Bool {
        guard body.role.isStoreTerminal else { return false }
        return grants[scope, default: []].contains { grant in
            time <= grant.notAfter && body.scopes.contains { $0.covers(.store(grant.store)) }
        }
    }
}
