public import AisleCore

/// What one node knows to check envelopes offline: the tenant, its admin key, the certificates it
/// has seen, the revocation list, and the scope keys (by epoch) its own bundle gave it.
public struct TrustStore: Sendable {
    public let tenant: TenantID
    public let admin: SigningPublicKey
    /// The certificates held in memory: on a node (``ReplicaNode``), those of the chain's
    /// terminals, and of the phones used lately; it reads a phone's from its store when a change
    /// needs it (``hold(kept:)``).
    public private(set) var certificates: [[UInt8]: Certificate] = [:]
    /// The phones' certificates held that the node's store keeps too, so they may be forgotten
    /// here: each with whether it was held again since the last
    /// ``forgetUnusedCertificates(keeping:)``.
    private var kept: [[UInt8]: Bool] = [:]
    /// Ids of revoked certificates: grow-only.
    public private(set) var revoked: Set<[UInt8]> = []
    /// The scope keys this node was given.
    public var keyring = ScopeKeyring()
    /// Handoff grants admitted, per customer scope: on a node (``ReplicaNode``), those in force
    /// and those ended lately; it reads older ones from its store when a change needs them
    /// (``adopt(stored:covering:)``).
    public internal(set) var grants: [Scope: [HandoffGrant]] = [:]

    public init(tenant: TenantID, admin: SigningPublicKey) {
        self.tenant = tenant
        self.admin = admin
    }

    /// Adds a certificate after checking the admin's signature and tenant.
    public mutating func add(_ certificate: Certificate) throws(EnvelopeRefusal) {
        try Self.verify(certificate, tenant: tenant, admin: admin)
        insert(verified: certificate, id: certificate.id)
    }

    /// Adds a certificate already checked (``verify(_:tenant:admin:)``) whose id is `id`.
    /// - Returns: whether it was new.
    @discardableResult
    mutating func insert(verified certificate: Certificate, id: [UInt8]) -> Bool {
        certificates.updateValue(certificate, forKey: id) == nil
    }

    /// Holds certificates this node checked under this admin key before and keeps in its store
    /// (read back from it): their signatures are not checked again, and a phone's may be
    /// forgotten again (``forgetUnusedCertificates(keeping:)``).
    public mutating func hold(kept certificates: [Certificate]) {
        for certificate in certificates {
            let id = certificate.id
            insert(verified: certificate, id: id)
            noteKept(certificate, id: id)
        }
    }

    /// Notes that the certificates `ids` are used now, so that the next
    /// ``forgetUnusedCertificates(keeping:)`` keeps those held.
    /// - Returns: those of `ids` not held.
    public mutating func use(_ ids: some Sequence<[UInt8]>) -> [[UInt8]] {
        ids.filter { id in
            guard certificates[id] != nil else { return true }
            if kept[id] != nil { kept[id] = true }
            return false
        }
    }

    /// Notes that the node's store keeps `certificate` (whose id is `id`), held here now.
    mutating func noteKept(_ certificate: Certificate, id: [UInt8]) {
        if certificate.body.role == .mobile { kept[id] = true }
    }

    /// Forgets the phones' certificates held since before the last call and not held again
    /// since, but those in `keeping` (the node's own) and the grantors of the grants held: the
    /// node's store keeps them, and the node reads one back when a change needs it. A node calls
    /// it every few minutes: a hub that held every phone it ever heard from would grow with the
    /// chain's customers for as long as it runs.
    /// - Returns: how many were forgotten.
    @discardableResult
    public mutating func forgetUnusedCertificates(keeping: Set<[UInt8]>) -> Int {
        let grantors = Set(grants.values.joined().map(\.grantor))
        var forgotten = 0
        for (id, heldAgain) in kept {
            if heldAgain || keeping.contains(id) || grantors.contains(id) {
                kept[id] = false
            } else {
                kept[id] = nil
                certificates[id] = nil
                forgotten += 1
            }
        }
        return forgotten
    }

    /// Checks that `certificate` is `tenant`'s and signed by its `admin` (nothing else: not its
    /// expiry, not revocation).
    public static func verify(_ certificate: Certificate, tenant: TenantID, admin: SigningPublicKey)
        throws(EnvelopeRefusal)
    {
        guard certificate.body.tenant == tenant else { throw .wrongTenant(certificate.body.tenant) }
        do { try admin.verify(certificate.signature, for: certificate.body.canonicalBytes) } catch {
            throw .forgedCertificate
        }
    }

    /// Checks that a certificate this store trusts the signature of is not expired at `now` nor
    /// revoked.
    func checkLive(_ certificate: Certificate, now: UInt64) throws(EnvelopeRefusal) {
        guard now <= certificate.body.notAfter else { throw .certificateExpired(notAfter: certificate.body.notAfter) }
        guard !revoked.contains(certificate.id) else { throw .certificateRevoked(certificate.body.device) }
    }

    /// Revokes a certificate (the list only grows).
    public mutating func revoke(_ certificateID: [UInt8]) {
        revoke([certificateID])
    }

    /// Revokes certificates.
    /// - Returns: the ids newly revoked.
    @discardableResult
    mutating func revoke(_ certificateIDs: Set<[UInt8]>) -> Set<[UInt8]> {
        let new = certificateIDs.subtracting(revoked)
        revoked.formUnion(new)
        return new
    }

    /// This store as it judges a change another node already accepted after every check (read
    /// back from the hubs' shared journal, or passed on by a sync peer that is not its author):
    /// the revocations learnt since do not refuse it. Every node must then hold it, or they would
    /// differ on acknowledged changes, and one that refused it could never sync the scope again.
    /// A revoked device's new changes are refused where it connects, by every node that knows the
    /// revocation.
    public var judgingKept: TrustStore {
        var store = self
        store.revoked = []
        return store
    }

    /// What opening `envelopes` reads of this store: their authors' certificates and the grants
    /// of their scopes, with the revocations and keys. A receive holds this while it opens a
    /// batch, not a copy of the whole store: while a copy is held, the next certificate or grant
    /// the node learns copies all it knows (a hub may know a million phones).
    public func narrowed(to envelopes: [Envelope]) -> TrustStore {
        var narrowed = TrustStore(tenant: tenant, admin: admin)
        narrowed.revoked = revoked
        narrowed.keyring = keyring
        for header in envelopes.lazy.map(\.header) {
            narrowed.certificates[header.certificate] = certificates[header.certificate]
            narrowed.grants[header.scope] = grants[header.scope]
        }
        return narrowed
    }

    /// Holds `key` for `scope` at `epoch`.
    public mutating func hold(_ key: AEADKey, for scope: Scope, epoch: UInt64) {
        keyring.hold(key, for: scope, epoch: epoch)
    }

    /// The key for `scope` at `epoch`, if this node was given it.
    public func key(for scope: Scope, epoch: UInt64) -> AEADKey? {
        keyring.key(for: scope, epoch: epoch)
    }

    /// Takes a revocation list after checking the admin's signature; revocations only accumulate.
    /// - Returns: the ids newly revoked.
    @discardableResult
    public mutating func apply(_ list: RevocationList) throws(EnvelopeRefusal) -> Set<[UInt8]> {
        guard list.tenant == tenant else { throw .wrongTenant(list.tenant) }
        do { try admin.verify(list.signature, for: list.signedBytes) } catch { throw .forgedRevocationList }
        return revoke(list.revoked)
    }
}
