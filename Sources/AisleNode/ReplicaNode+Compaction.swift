public import AisleCore
public import AisleCrypto
public import AisleStore
import Synchronization

/// Peers' reports of what they hold, between writes to the store.
struct PendingAcknowledgements: Sendable {
    /// The newest report per scope and peer not yet written.
    var pending: [PeerAcknowledgement.Key: PeerAcknowledgement] = [:]
    /// The scopes of each connected peer this process has written a report of, since the peer
    /// connected (``ReplicaNode/forgetWrittenReports(of:)``).
    var recorded: [ReplicaID: Set<Scope>] = [:]
    /// The scopes of the reports written at once since the last compaction (the pending ones say
    /// their own): with those, the only scopes where compaction may drop more.
    var moved: Set<Scope> = []
    /// When compaction last went over every scope (wall clock, ms), and the devices revoked then.
    var lastFullCompaction: UInt64?
    var revokedAtFullCompaction: Set<ReplicaID> = []
}

/// What a peer that lacks some of a scope's changes is sent.
public enum CatchUp: Sendable {
    /// The envelopes it lacks (at most the size asked for), and whether that is all of them.
    case envelopes([Envelope], complete: Bool)
    /// The log no longer holds some of them: the scope's whole state, in parts (encoded
    /// ObjectDeltas, each within the size asked for) handed out as they are read, with the
    /// version vector the state reflects and this node's clock reading. Durable once handed here.
    case snapshot(SnapshotStream)
}

extension ReplicaNode {
    /// The devices revoked for good here: every certificate of theirs the store keeps is revoked
    /// (a device enrolled again, with a certificate that is not, is not among them). They can
    /// never sync again, and their reports no longer hold compaction back. Counted in the store,
    /// which keeps every certificate the node trusts, by the few revoked ones.
    public func revokedDevices() throws -> Set<ReplicaID> {
        let revoked = trust.withLock { $0.revoked }
        return Set(try store.devices(kind: Self.certificateKind, allAmong: revoked).compactMap { try? ReplicaID($0) })
    }

    /// Notes that `peer` holds `scope` up to `vector` (it subscribed, or acknowledged a batch).
    ///
    /// The first report of a scope and peer this process sees is written at once, and the peer's
    /// certificate learnt: from then on the peer counts among the scope's replicas, and
    /// compaction keeps what it lacks. Later reports wait in memory for
    /// ``compact(peerRetention:fullPassEvery:)``: losing them in a crash only makes compaction
    /// keep more for a while.
    public func acknowledged(_ scope: Scope, by peer: Certificate, _ vector: VersionVector) async throws {
        let report = PeerAcknowledgement(
            scope: scope, peer: peer.body.device, vector: vector, at: store.wallClock(),
            archive: peer.body.role == .hub)
        journal?.noteAcknowledgement(report)
        let key = report.key
        let first = acknowledgements.withLock { state in
            if state.recorded[peer.body.device]?.contains(scope) == true {
                state.pending[key] = report
                return false
            }
            return true
        }
        guard first else { return }
        // Its certificate, checked when it connected, is kept too (known ones are not written
        // again): the status view shows a device's role, stores and expiry after it has gone,
        // even if it never wrote (its changes would have brought the certificate). Only the view
        // needs it: the report is written either way.
        try? await learn(peer)
        try await store.recordAcknowledgements([report])
        acknowledgements.withLock { state in
            state.recorded[peer.body.device, default: []].insert(scope)
            state.moved.insert(scope)
        }
    }

    /// Forgets which of `peer`'s reports this process has written: its connection ended. Its next
    /// connection's first report of each scope is written at once again (an upsert, a few per
    /// connection). So a hub keeps this for the devices connected now, not for every device that
    /// ever connected: about 120 bytes a scope and device, measured, or some 360 MB a million
    /// phones with three scopes each, for as long as the process runs.
    public func forgetWrittenReports(of peer: ReplicaID) {
        _ = acknowledgements.withLock { $0.recorded.removeValue(forKey: peer) }
    }

    /// How many peers' written reports this process remembers (``forgetWrittenReports(of:)``).
    @_spi(Testing) public var peersWithWrittenReports: Int { acknowledgements.withLock { $0.recorded.count } }

    /// Compaction by causal stability: writes the peers' pending reports, then drops from each
    /// scope's log what every replica of the scope known here has acknowledged: the hub, and the
    /// other peers that ever synced it with this node and were heard from within `peerRetention`.
    ///
    /// Nothing is dropped before the hub has it (it is the archive every replica catches up from).
    /// Another peer silent for longer than the retention no longer holds compaction back; if it
    /// comes back lacking what was dropped, the hub sends it a snapshot. Nor does a revoked device,
    /// which can never sync again (``revokedDevices()``). A hub keeps the customer
    /// scopes it relays unread whole: it cannot make a snapshot of what it cannot read.
    ///
    /// Only the scopes some peer reported on since the last run are compacted: elsewhere nothing
    /// more can be dropped, except when a silent peer passes the retention, a device is revoked,
    /// or a change arrives that the peers had reported holding already. So every scope is gone
    /// over on the first run, after a revocation, and once every `fullPassEvery`. (A hub went over
    /// every points account it holds each minute: about 0.4 ms each in a debug build, minutes
    /// at a million.)
    /// - Returns: what was done, per scope compacted.
    @discardableResult
    public func compact(
        peerRetention: Duration = .seconds(30 * 24 * 3_600), fullPassEvery: Duration = .seconds(3_600)
    ) async throws -> [Scope: Compaction] {
        let now = store.wallClock()
        let revoked = try revokedDevices()
        let every = UInt64(fullPassEvery.components.seconds) * 1_000
        let (reports, moved, full) = acknowledgements.withLock { state in
            defer {
                state.pending.removeAll()
                state.moved.removeAll()
            }
            let full =
                state.lastFullCompaction.map { now < $0 || now - $0 >= every } ?? true
                || state.revokedAtFullCompaction != revoked
            return (Array(state.pending.values), state.moved, full)
        }
        try await store.recordAcknowledgements(reports)
        let retention = UInt64(peerRetention.components.seconds) * 1_000
        let cutoff = now > retention ? now - retention : 0
        let scopes = full ? try store.acknowledgedScopes() : moved.union(reports.map(\.scope)).sorted()
        var done: [Scope: Compaction] = [:]
        do {
            for scope in scopes where reads(scope) {
                done[scope] = try await store.compactLog(
                    in: scope, peersHeardSince: cutoff, ignoring: revoked,
                    requireArchive: identity.certificate.body.role != .hub)
            }
        } catch {
            // The scopes not done yet are the next run's.
            acknowledgements.withLock { $0.moved.formUnion(scopes.filter { done[$0] == nil }) }
            throw error
        }
        if full {
            acknowledgements.withLock { state in
                state.lastFullCompaction = now
                state.revokedAtFullCompaction = revoked
            }
        }
        return done
    }

    /// What a peer that has applied `peer` of `scope` lacks: envelopes, at most about `maxBytes`
    /// of them, or, when this node's log no longer holds some of them and this node is the hub,
    /// a snapshot of the scope in parts of at most `partBytes`.
    /// - Throws: ``StoreError/compacted(scope:origin:through:)`` when the log no longer holds them
    ///   and this node cannot send a snapshot (only the hub does, of scopes it reads).
    public func catchUp(in scope: Scope, missingFrom peer: VersionVector, maxBytes: Int, partBytes: Int)
        async throws -> CatchUp
    {
        // This node's own changes, and a snapshot of its state, go out only once durable: a power
        // cut must not take back a sequence number a peer holds. Relayed envelopes go at once
        // (their authors keep them until acknowledged).
        do {
            let (envelopes, complete) = try await envelopes(in: scope, missingFrom: peer, maxBytes: maxBytes)
            if envelopes.contains(where: { $0.header.origin == store.replica }) { try await store.flush() }
            return .envelopes(envelopes, complete: complete)
        } catch StoreError.compacted where identity.certificate.body.role == .hub && reads(scope) {
            let snapshot = try await store.snapshot(of: scope, partBytes: partBytes)
            // The read has begun: this makes all it can hold durable.
            try await store.flush()
            return .snapshot(snapshot)
        }
    }

    /// One part of a hub's snapshot of `scope` (see ``CatchUp/snapshot(_:)``), decoded and checked,
    /// ready for ``ReplicaStore/install(_:)``. The bytes are untrusted until decoded: every object
    /// must be in `scope`.
    public func snapshotPart(
        _ scope: Scope, objects: [UInt8], stamp: UInt64, covers: VersionVector?, from hub: Certificate
    ) throws -> ScopeSnapshot {
        let delta: ObjectDelta
        do { delta = try ObjectDelta(encoded: objects) } catch {
            throw NodeError.badSnapshot(scope, "\(error)")
        }
        guard delta.scope == scope else { throw NodeError.badSnapshot(scope, "it holds objects of \(delta.scope)") }
        return ScopeSnapshot(objects: delta, covers: covers ?? VersionVector(), stamp: stamp, source: hub.body.device)
    }

    /// Installs a part of a scope's snapshot (``ReplicaStore/install(_:adoptingOwnChanges:)``):
    /// a hub's, or a checkpoint of the hubs' shared journal. A part of the catalog may hold
    /// revocations: they are learnt at once, as with a received change.
    public func install(_ part: ScopeSnapshot, adoptingOwnChanges: Bool = false) async throws {
        try await store.install(part, adoptingOwnChanges: adoptingOwnChanges)
        if part.scope == .catalog { try learnCatalogTrust() }
    }
}

/// When a serving node compacts its log (`"compaction"` in hub.json and edge.json; both optional).
public struct CompactionSettings: Codable, Sendable, Equatable {
    /// Seconds between compactions (default 60).
    public var everySeconds: Int?
    /// Days after which a silent peer no longer holds compaction back (default 30): it is sent a
    /// snapshot by the hub if it comes back lacking what was dropped.
    public var peerRetentionDays: Int?
    /// Seconds between compactions of the shared journal of hubs on PostgreSQL (default 600):
    /// one process at a time folds what every device acknowledged into checkpoints.
    public var journalEverySeconds: Int?
    /// The fewest newly acknowledged changes of a scope worth a new checkpoint (default 1,000):
    /// each rewrites the scope's whole state.
    public var journalMinimumChanges: Int?

    public init(
        everySeconds: Int? = nil, peerRetentionDays: Int? = nil, journalEverySeconds: Int? = nil,
        journalMinimumChanges: Int? = nil
    ) {
        self.everySeconds = everySeconds
        self.peerRetentionDays = peerRetentionDays
        self.journalEverySeconds = journalEverySeconds
        self.journalMinimumChanges = journalMinimumChanges
    }

    public var interval: Duration { .seconds(max(1, everySeconds ?? 60)) }
    public var journalInterval: Duration { .seconds(max(1, journalEverySeconds ?? 600)) }
    public var journalMinimum: Int { max(1, journalMinimumChanges ?? 1_000) }
    public var peerRetention: Duration { .seconds(max(0, peerRetentionDays ?? 30) * 24 * 3_600) }
}
