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
        insert(checked: grant)
    }

    /// Whether this store holds `record` (the same certificate, or the same grant).
    func holds(_ record: TrustedRecord) -> Bool {
        switch record {
        case .certificate(let certificate): certificates[certificate.id] != nil
        case .grant(let grant): holds(grant)
        }
    }

    /// Whether `grant` is held: compared field by field, not by id, which hashes the grant (a
    /// scope holds the few grants of its customer's latest handoffs).
    func holds(_ grant: HandoffGrant) -> Bool {
        grants[grant.scope]?.contains(grant) ?? false
    }

    /// Adds a certificate or grant already checked, unless it is held. Returns whether it was new.
    @discardableResult
    mutating func insert(checked record: TrustedRecord) -> Bool {
        switch record {
        case .certificate(let certificate): insert(verified: certificate, id: certificate.id)
        case .grant(let grant): insert(checked: grant)
        }
    }

    /// Adds a grant already checked (``HandoffGrant/check(grantor:tenant:revoked:)``), unless it
    /// is held. Returns whether it was new.
    @discardableResult
    mutating func insert(checked grant: HandoffGrant) -> Bool {
        guard !holds(grant) else { return false }
        grants[grant.scope, default: []].append(grant)
        return true
    }

    /// Forgets the grants that ended before `time`: a node keeps them in its store, and reads
    /// them back when a change needs them. Every cart handoff makes a grant, so a hub that held
    /// them all would grow with trade for as long as it runs.
    /// - Returns: how many were forgotten.
    public mutating func forgetGrants(endedBefore time: UInt64) -> Int {
        var forgotten = 0
        for (scope, held) in grants {
            let kept = held.filter { $0.notAfter >= time }
            guard kept.count < held.count else { continue }
            forgotten += held.count - kept.count
            grants[scope] = kept.isEmpty ? nil : kept
        }
        return forgotten
    }

    /// The customer scopes in which a till or kiosk wrote a change among `envelopes` that no
    /// grant held here covers: where a node must read older grants from its store to open the
    /// change, or to send it with what checks it.
    public func scopesLackingGrants(_ envelopes: [Envelope]) -> Set<Scope> {
        Set(ungranted(envelopes).map(\.header.scope))
    }

    /// Takes grants read back from this node's store (checked when they were kept), those that
    /// cover a change among `envelopes` that no held grant covers.
    public mutating func adopt(stored: [HandoffGrant], covering envelopes: [Envelope]) {
        let uncovered = ungranted(envelopes)
        for grant in stored where grant.tenant == tenant {
            let covers = uncovered.contains { envelope in
                guard envelope.header.scope == grant.scope, let author = certificates[envelope.header.certificate]
                else { return false }
                return Self.grant(grant, lets: author.body, at: envelope.header.lastStampMillis)
            }
            if covers { insert(checked: grant) }
        }
    }

    /// The envelopes a till or kiosk wrote under a handoff grant that no grant held here covers.
    private func ungranted(_ envelopes: [Envelope]) -> [Envelope] {
        envelopes.filter { needsGrant($0) && !isGranted($0) }
    }

    /// Whether `envelope` was written by a known till or kiosk in a customer scope its
    /// certificate does not name: it stands on a handoff grant.
    private func needsGrant(_ envelope: Envelope) -> Bool {
        let header = envelope.header
        guard case .customer = header.scope, let author = certificates[header.certificate] else { return false }
        return author.body.role.isStoreTerminal && !author.body.scopes.contains { $0.covers(header.scope) }
    }

    private func isGranted(_ envelope: Envelope) -> Bool {
        guard let author = certificates[envelope.header.certificate] else { return false }
        return isGranted(envelope.header.scope, to: author.body, at: envelope.header.lastStampMillis)
    }

    /// Whether a device with `body` may write `scope` at `time` (ms): its role may, and its
    /// certificate names the scope or a handoff grant lets it use it then. Every receiver checks
    /// this of each envelope (``verify(_:now:maxDrift:)``), and a node of its own writes, which no
    /// peer would take otherwise.
    public func mayWrite(_ scope: Scope, as body: CertificateBody, at time: UInt64) -> Bool {
        Authorization.mayWrite(body.role, scope)
            && (body.scopes.contains { $0.covers(scope) } || isGranted(scope, to: body, at: time))
    }

    /// Whether a handoff grant lets a device with `body` use `scope` at `time` (ms): a till or
    /// kiosk of the granted store, within the grant's time.
    public func isGranted(_ scope: Scope, to body: CertificateBody, at time: UInt64) -> Bool {
        guard body.role.isStoreTerminal else { return false }
        return grants[scope, default: []].contains { Self.grant($0, lets: body, at: time) }
    }

    private static func grant(_ grant: HandoffGrant, lets body: CertificateBody, at time: UInt64) -> Bool {
        time <= grant.notAfter && body.scopes.contains { $0.covers(.store(grant.store)) }
    }
}
