public import AisleCore
import AisleCrypto
public import AisleStore
import Metrics
import Synchronization

/// What a node reports through swift-metrics (docs/operations.md): envelopes received, sent and
/// refused, how long a delivered batch takes to apply, rights the bank grants, and what waits to
/// sync.
///
/// Labels are short, stable names (a scope's kind, a refusal's case, a role, a store id), never
/// message text, key material or customer data. Handles are looked up in the factory at each use,
/// so they reach whatever the executable bootstrapped, whenever it did; library code never
/// bootstraps `MetricsSystem` (without a bootstrap every call does nothing).
public enum NodeMetrics {
    /// The names, for the executable's histogram buckets and for tests.
    public enum Name {
        public static let received = "aisle_envelopes_received_total"
        public static let sent = "aisle_envelopes_sent_total"
        public static let refused = "aisle_envelopes_refused_total"
        public static let apply = "aisle_apply_seconds"
        public static let grants = "aisle_rights_grants_total"
        public static let grantedUnits = "aisle_rights_granted_units_total"
        public static let outbox = "aisle_outbox_changes"
        public static let oldestUnsynced = "aisle_oldest_unsynced_change_seconds"
        public static let certificateExpiry = "aisle_certificate_expiry_seconds"
        public static let certificatesHeld = "aisle_certificates_held"
        public static let handoffGrantsHeld = "aisle_handoff_grants_held"
    }

    /// Why the bank granted rights: a device asked, or the hub topped up a till on its own.
    public enum GrantTrigger: String, Sendable {
        case asked
        case topUp = "top_up"
    }

    /// Creates the counters at zero for every label value known in advance, so a dashboard sees
    /// each series before its first event. Call once after bootstrapping.
    public static func declare() {
        for kind in ["catalog", "store", "customer", "loyalty"] {
            Counter(label: Name.received, dimensions: [("scope", kind)]).increment(by: 0)
            Counter(label: Name.sent, dimensions: [("scope", kind)]).increment(by: 0)
        }
        for reason in EnvelopeRefusal.reasonNames + ["equivocation", "store", "other"] {
            Counter(label: Name.refused, dimensions: [("reason", reason)]).increment(by: 0)
        }
        for kind in ["stock", "points"] {
            for trigger in [GrantTrigger.asked, .topUp] {
                let dimensions = [("kind", kind), ("trigger", trigger.rawValue)]
                Counter(label: Name.grants, dimensions: dimensions).increment(by: 0)
                Counter(label: Name.grantedUnits, dimensions: dimensions).increment(by: 0)
            }
        }
        _ = Timer(label: Name.apply)
    }

    /// A delivered batch of `count` envelopes of `scope` was verified and applied in `duration`.
    static func applied(_ count: Int, of scope: Scope, in duration: Duration) {
        Counter(label: Name.received, dimensions: [("scope", scope.kindName)]).increment(by: count)
        Timer(label: Name.apply).record(duration: duration)
    }

    /// `count` envelopes of `scope` went to a peer.
    static func sent(_ count: Int, of scope: Scope) {
        guard count > 0 else { return }
        Counter(label: Name.sent, dimensions: [("scope", scope.kindName)]).increment(by: count)
    }

    /// A peer's batch was refused with `error` (its first refused envelope counts; none of the
    /// batch was applied).
    static func refused(_ error: any Error) {
        Counter(label: Name.refused, dimensions: [("reason", reason(error))]).increment()
    }

    /// The short, stable name of why a batch was refused: the ``EnvelopeRefusal`` case, or
    /// `equivocation`, `store` or `other`.
    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as NodeError:
            if case .refused(_, _, _, let refusal) = error { return refusal.reasonName }
            return "other"
        case let refusal as EnvelopeRefusal:
            return refusal.reasonName
        case let error as StoreError:
            if case .equivocation = error { return "equivocation" }
            return "store"
        case let error as any RefusalReasonNamed:
            return error.refusalReason
        default:
            return "other"
        }
    }

    /// The rights bank handed `units` of `kind`'s rights (stock or points) to a device.
    public static func granted(_ units: UInt64, of kind: ObjectKind, trigger: GrantTrigger) {
        guard units > 0 else { return }
        let dimensions = [("kind", kind == .stock ? "stock" : "points"), ("trigger", trigger.rawValue)]
        Counter(label: Name.grants, dimensions: dimensions).increment()
        Counter(label: Name.grantedUnits, dimensions: dimensions).increment(by: units)
    }
}

/// An error from outside AisleNode that names its refusal reason for the refused-envelopes
/// counter (one of the known label values).
public protocol RefusalReasonNamed: Error {
    var refusalReason: String { get }
}

extension ReplicaNode {
    /// Samples what waits to sync into the outbox gauges, per store: on an edge, its own changes
    /// the hub has not acknowledged; on the hub, the changes of each store's scope that the
    /// store's furthest-behind terminal (among those heard from within `peerRetention`, as for
    /// compaction) has not acknowledged. Run it every few seconds, off the commit path.
    public func sampleSyncBacklog(peerRetention: Duration = .seconds(30 * 24 * 3_600)) async throws {
        let now = store.wallClock()
        let retention = UInt64(peerRetention.components.seconds) * 1_000
        let heardSince = now > retention ? now - retention : 0
        let backlog =
            identity.certificate.body.role == .hub
            ? try await undelivered(heardSince: heardSince) : try await outbox()
        for (store, unsynced) in backlog {
            let dimensions = [("store", store.rawValue)]
            Gauge(label: NodeMetrics.Name.outbox, dimensions: dimensions).record(unsynced.count)
            let age = unsynced.oldestMillis.map { now > $0 ? Double(now - $0) / 1_000 : 0 } ?? 0
            Gauge(label: NodeMetrics.Name.oldestUnsynced, dimensions: dimensions).record(age)
        }
    }

    /// Seconds until this node's certificate expires (negative once it has): after that every
    /// peer refuses the device (`aisle admin renew`).
    public var certificateExpirySeconds: Double {
        (Double(identity.certificate.body.notAfter) - Double(store.wallClock())) / 1_000
    }

    /// Samples ``certificateExpirySeconds`` into `aisle_certificate_expiry_seconds`.
    public func sampleCertificateExpiry() {
        Gauge(label: NodeMetrics.Name.certificateExpiry).record(certificateExpirySeconds)
    }

    /// Samples what the node holds in memory of what it trusts: certificates by role
    /// (`aisle_certificates_held`, every role reported, 0 when none) and handoff grants
    /// (`aisle_handoff_grants_held`). A phone's certificate is held while it is used, a grant
    /// until an hour after it ends: both follow the trade of the last minutes, not every phone
    /// and handoff the node ever saw.
    public func sampleHeldTrust() {
        let (certificates, grants) = trust.withLock { trust in
            (
                trust.certificates.values.reduce(into: [Role: Int]()) { $0[$1.body.role, default: 0] += 1 },
                trust.grants.values.reduce(0) { $0 + $1.count }
            )
        }
        for role in Role.allCases {
            Gauge(label: NodeMetrics.Name.certificatesHeld, dimensions: [("role", role.rawValue)])
                .record(certificates[role] ?? 0)
        }
        Gauge(label: NodeMetrics.Name.handoffGrantsHeld).record(grants)
    }

    /// This node's own changes the hub has not acknowledged, over every scope, under the store
    /// this node sells for.
    func outbox() async throws -> [StoreID: UnsyncedChanges] {
        guard let home = identity.certificate.body.namedStores.first else { return [:] }
        let me = store.replica
        var total = UnsyncedChanges()
        for scope in try store.scopes() {
            // Any hub holding them will do (hubs in failover share one database).
            let acked = latestAcknowledgements(of: scope).filter(\.archive).map { $0.vector[me] }.max() ?? 0
            total.add(try await store.unsynced(in: scope, missingFrom: VersionVector([me: acked])) { $0 == me })
        }
        return [home: total]
    }

    /// Per store, the changes of its scope that its furthest-behind terminal lacks: the most of
    /// them, and the oldest any of them lacks. A terminal's own changes are never counted (its
    /// reports can lag behind what it wrote since), nor a revoked terminal, which will never
    /// catch up (it would hold the store's alert on for good; the status view lists it).
    @_spi(Testing) public func undelivered(heardSince: UInt64) async throws -> [StoreID: UnsyncedChanges] {
        var backlog: [StoreID: UnsyncedChanges] = [:]
        for scope in try store.scopes() {
            guard case .store(let id) = scope else { continue }
            backlog[id] = UnsyncedChanges()
        }
        let revoked = try revokedDevices()
        let reports = try latestStoreAcknowledgements().filter { report in
            guard case .store(let id) = report.scope else { return false }
            return backlog[id] != nil && !report.archive && report.at >= heardSince && !revoked.contains(report.peer)
        }
        for (report, lacking) in zip(reports, try await store.unsynced(missingFrom: reports)) {
            guard case .store(let id) = report.scope, var worst = backlog[id] else { continue }
            worst.oldestMillis = [worst.oldestMillis, lacking.oldestMillis].compactMap { $0 }.min()
            worst.count = max(worst.count, lacking.count)
            backlog[id] = worst
        }
        return backlog
    }

    /// Each peer's newest report of `scope`: the one waiting in memory, else the one written.
    func latestAcknowledgements(of scope: Scope) -> [PeerAcknowledgement] {
        let written = (try? store.acknowledgements(in: scope)) ?? []
        return Self.newest(written: written, pending: pendingAcknowledgements().filter { $0.scope == scope })
    }

    /// Each peer's newest report of every store scope, read at once.
    func latestStoreAcknowledgements() throws -> [PeerAcknowledgement] {
        let written = try store.acknowledgements(storesOnly: true)
        return Self.newest(written: written, pending: pendingAcknowledgements().filter(\.scope.isStore))
    }

    /// The reports waiting in memory to be written (newer than the written ones of their scope and
    /// peer).
    func pendingAcknowledgements() -> [PeerAcknowledgement] {
        acknowledgements.withLock { Array($0.pending.values) }
    }

    /// One report per scope and peer: the written ones (one each), the pending one instead
    /// where there is one (it is newer). Only the few pending are indexed: a hub has written
    /// three reports per phone.
    private static func newest(written: [PeerAcknowledgement], pending: [PeerAcknowledgement])
        -> [PeerAcknowledgement]
    {
        guard !pending.isEmpty else { return written }
        let newer = Set(pending.map(\.key))
        return written.filter { !newer.contains($0.key) } + pending
    }
}

extension Scope {
    var isStore: Bool {
        if case .store = self { true } else { false }
    }

    /// The scope's kind, a label value that never names a customer.
    var kindName: String {
        switch self {
        case .catalog: "catalog"
        case .store: "store"
        case .customer: "customer"
        case .loyalty: "loyalty"
        }
    }
}

extension EnvelopeRefusal {
    /// Every ``reasonName``.
    static let reasonNames = [
        "malformed", "wrong_tenant", "unknown_certificate", "forged_certificate", "forged_revocation_list",
        "forged_revocation", "forged_renewal", "forged_grant", "origin_mismatch", "certificate_expired",
        "certificate_revoked",
        "scope_not_allowed",
        "clock_ahead", "bad_signature", "unknown_key_epoch", "decryption_failed", "corrupt_delta",
        "delta_outside_scope", "unauthorized",
    ]

    /// The refusal's case in snake case, without its details (a metric label).
    var reasonName: String {
        switch self {
        case .malformed: "malformed"
        case .wrongTenant: "wrong_tenant"
        case .unknownCertificate: "unknown_certificate"
        case .forgedCertificate: "forged_certificate"
        case .forgedRevocationList: "forged_revocation_list"
        case .forgedRevocation: "forged_revocation"
        case .forgedRenewal: "forged_renewal"
        case .forgedGrant: "forged_grant"
        case .originMismatch: "origin_mismatch"
        case .certificateExpired: "certificate_expired"
        case .certificateRevoked: "certificate_revoked"
        case .scopeNotAllowed: "scope_not_allowed"
        case .clockAhead: "clock_ahead"
        case .badSignature: "bad_signature"
        case .unknownKeyEpoch: "unknown_key_epoch"
        case .decryptionFailed: "decryption_failed"
        case .corruptDelta: "corrupt_delta"
        case .deltaOutsideScope: "delta_outside_scope"
        case .unauthorized: "unauthorized"
        }
    }
}
