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

    /// Checks a certificate a peer presents when it connects (this tenant's, signed by its admin,
    /// not expired at `now`, not revoked), without learning it. The signature is checked outside
    /// the lock.
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

    /// Learns certificates and grants in order, each checked as ``TrustStore/add(_:)`` and
    /// ``TrustStore/admit(_:)`` check it (a grant's grantor known here, or a certificate before it
    /// in `records`). A known one is not checked again; the signatures are checked outside the
    /// lock and on every core, so a hub that learns a million devices at start (from its store,
    /// or from the hubs' shared journal) does it at the machine's speed.
    /// - Returns: for each record, whether it was new, or why it was refused.
    public func learn(_ records: [TrustedRecord]) -> [Result<Bool, EnvelopeRefusal>] {
        let (tenant, admin) = (tenant, admin)
        // Read once: which are known, each grant's grantor as known here, the revocations.
        let (known, knownGrantors, revoked) = withLock { trust in
            (
                records.map(trust.holds),
                records.map { record -> Certificate? in
                    guard case .grant(let grant) = record else { return nil }
                    return trust.certificates[grant.grantor]
                },
                trust.revoked
            )
        }
        var grantors = knownGrantors
        let indices = Array(records.indices)
        let checkedCertificates = indices.concurrentMap { index -> EnvelopeRefusal? in
            guard !known[index], case .certificate(let certificate) = records[index] else { return nil }
            do throws(EnvelopeRefusal) { try TrustStore.verify(certificate, tenant: tenant, admin: admin) } catch {
                return error
            }
            return nil
        }
        var earlier: [[UInt8]: Certificate] = [:]
        for index in records.indices {
            switch records[index] {
            case .certificate(let certificate) where checkedCertificates[index] == nil:
                earlier[certificate.id] = certificate
            case .grant(let grant): grantors[index] = grantors[index] ?? earlier[grant.grantor]
            default: break
            }
        }
        let grantorsFound = grantors
        let checkedGrants = indices.concurrentMap { index -> EnvelopeRefusal? in
            guard !known[index], case .grant(let grant) = records[index] else { return nil }
            do throws(EnvelopeRefusal) {
                try grant.check(grantor: grantorsFound[index], tenant: tenant, revoked: revoked)
            } catch { return error }
            return nil
        }
        return withLock { trust in
            records.indices.map { index in
                if let refusal = checkedCertificates[index] ?? checkedGrants[index] { return .failure(refusal) }
                return .success(!known[index] && trust.insert(checked: records[index]))
            }
        }
    }

    /// Adds certificates and grants this node checked before under this admin key and keeps in
    /// its store (which notes the key that checked each): their signatures are not checked again,
    /// and a phone's certificate may be forgotten again
    /// (``TrustStore/forgetUnusedCertificates(keeping:)``). Anything else is for ``learn(_:)``.
    public func adopt(checkedEarlier records: [TrustedRecord]) {
        withLock { trust in
            for record in records {
                switch record {
                case .certificate(let certificate): trust.hold(kept: [certificate])
                case .grant(let grant): trust.insert(checked: grant)
                }
            }
        }
    }

    /// Notes that the node's store now keeps `certificates` (learnt here): a phone's may be
    /// forgotten from memory from now on.
    public func noteKept(_ certificates: [Certificate]) {
        withLock { trust in
            for certificate in certificates { trust.noteKept(certificate, id: certificate.id) }
        }
    }

    /// Whether the certificate with this id (``Certificate/id``) is revoked here.
    public func isRevoked(id: [UInt8]) -> Bool {
        withLock { $0.revoked.contains(id) }
    }

    /// Whether a handoff grant the node holds lets a device with `body` use `scope` at `time`.
    public func isGranted(_ scope: Scope, to body: CertificateBody, at time: UInt64) -> Bool {
        withLock { $0.isGranted(scope, to: body, at: time) }
    }
}
