public import AisleCore
import Synchronization

/// One node's trust (``TrustStore``), shared by the node and every sync session it runs: a
/// session checks its peer and the grants the peer shows against what the node trusts at that
/// moment, and holds no copy of its own.
///
/// (A copy per session would keep every certificate dictionary the node ever had while some
/// session made at that time is still open: a hub whose devices connect while it learns their
/// certificates would hold one dictionary per connection.)
public final class SharedTrust: Sendable {
    public let tenant: TenantID
    public let admin: SigningPublicKey
    private let trust: Mutex<TrustStore>

    public init(_ trust: TrustStore) {
        tenant = trust.tenant
        admin = trust.admin
        self.trust = Mutex(trust)
    }

    /// Reads or changes the trust under its lock. Keep `body` short: every connection's checks
    /// wait on it.
    public func withLock<Result: Sendable, E: Error>(_ body: (inout TrustStore) throws(E) -> Result) throws(E)
        -> Result
    {
        try trust.withLock { trust throws(E) in try body(&trust) }
    }

    /// What the node trusts now. Hold it only for the work at hand: while a copy is held, the
    /// next change to the trust copies what it changes.
    public var snapshot: TrustStore { withLock { $0 } }

    /// Checks a certificate a peer presents when it connects, as ``TrustStore/admit(_:now:)``
    /// does (this tenant's, signed by its admin, not expired at `now`, not revoked), without
    /// learning it. The signature is checked outside the lock.
    public func check(_ certificate: Certificate, now: UInt64) throws(EnvelopeRefusal) {
        try TrustStore.verify(certificate, tenant: tenant, admin: admin)
        try withLock { trust throws(EnvelopeRefusal) in try trust.checkLive(certificate, now: now) }
    }

    /// Checks a handoff grant a peer shows, with its grantor's certificate, as
    /// ``TrustStore/admit(_:)`` would once the certificate is added, without learning either.
    public func check(_ grant: HandoffGrant, grantor: Certificate) throws(EnvelopeRefusal) {
        try TrustStore.verify(grantor, tenant: tenant, admin: admin)
        let revoked = withLock { $0.revoked }
        try grant.check(grantor: grantor, tenant: tenant, revoked: revoked)
    }

    /// Learns a certificate as ``TrustStore/add(_:)`` does: a known one (the same signed bytes)
    /// is not checked again, and the admin's signature is checked outside the lock.
    /// - Returns: whether it was new.
    public func learn(_ certificate: Certificate) throws(EnvelopeRefusal) -> Bool {
        let id = certificate.id
        if withLock({ $0.certificates[id] != nil }) { return false }
        try TrustStore.verify(certificate, tenant: tenant, admin: admin)
        return withLock { $0.insert(verified: certificate, id: id) }
    }

    /// Learns a handoff grant as ``TrustStore/admit(_:)`` does (its grantor's certificate must be
    /// known): a known one is not checked again, and the signatures are checked outside the lock.
    /// - Returns: whether it was new.
    public func learn(_ grant: HandoffGrant) throws(EnvelopeRefusal) -> Bool {
        let id = grant.id
        let (known, grantor, revoked) = withLock { trust in
            (trust.holds(grant: id, of: grant.scope), trust.certificates[grant.grantor], trust.revoked)
        }
        if known { return false }
        try grant.check(grantor: grantor, tenant: tenant, revoked: revoked)
        return withLock { $0.insert(checked: grant, id: id) }
    }

    /// Whether `certificate` is revoked here.
    public func isRevoked(_ certificate: Certificate) -> Bool {
        withLock { $0.revoked.contains(certificate.id) }
    }

    /// Whether a handoff grant the node holds lets a device with `body` use `scope` at `time`.
    public func isGranted(_ scope: Scope, to body: CertificateBody, at time: UInt64) -> Bool {
        withLock { $0.isGranted(scope, to: body, at: time) }
    }
}
