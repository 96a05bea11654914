import AisleCrypto
import AisleNode
import Hummingbird
import Metrics

/// The hub's connection gauge (docs/operations.md).
extension SyncServer {
    /// Samples the devices connected now, by role, into `aisle_connected_devices` (every role is
    /// reported, 0 when none is connected). Run it every few seconds.
    public func sampleConnections() async {
        var counts: [Role: Int] = [:]
        for peer in await registry.peers() { counts[peer.body.role, default: 0] += 1 }
        for role in Role.allCases {
            Gauge(label: HubMetrics.connectedDevices, dimensions: [("role", role.rawValue)]).record(counts[role] ?? 0)
        }
    }
}

/// The names of the metrics the hub's own code reports (the node's are in `NodeMetrics`).
public enum HubMetrics {
    public static let connectedDevices = "aisle_connected_devices"
    /// Devices refused because the process held the most connections it may.
    public static let connectionsRefused = "aisle_connections_refused_total"
    /// Connections closed because their first request had not arrived whole in time
    /// (``RequestHeadDeadline``).
    public static let connectionsTimedOut = "aisle_connections_timed_out_total"
    /// PostgreSQL hubs: how long keeping one group of devices' envelopes takes (its `INSERT` and
    /// `NOTIFY`); every envelope a device sends waits for it before it is applied and acknowledged.
    public static let journalKeep = "aisle_journal_keep_seconds"
    /// PostgreSQL hubs: one batch of the other processes' envelopes followed, by `stage`: `read`
    /// (the query) and `apply` (verified and applied here).
    public static let journalFollow = "aisle_journal_follow_seconds"
    /// PostgreSQL hubs: how old each change another process kept was (from its hybrid clock
    /// reading) when this process read it from the journal and applied it: the journal's share of
    /// a device's lag to devices on another hub process.
    public static let journalFollowLag = "aisle_journal_follow_lag_seconds"
    /// PostgreSQL hubs: one of the hub's own writes (a rights grant, a reservation), by `stage`:
    /// `wait` (for this process's turn, the advisory lock the processes share, and applying what
    /// the others committed before it) and `write` (the write, sealed and kept).
    public static let journalOwnWrite = "aisle_journal_own_write_seconds"
    /// PostgreSQL hubs: envelopes compaction folded into checkpoints and removed from the journal.
    public static let journalCompacted = "aisle_journal_compacted_envelopes_total"

    /// Creates the journal's timers and counter, so a dashboard sees them before their first event (a hub on
    /// PostgreSQL; call after bootstrapping).
    public static func declareJournal() {
        _ = Timer(label: journalKeep)
        for stage in ["read", "apply"] { _ = Timer(label: journalFollow, dimensions: [("stage", stage)]) }
        _ = Timer(label: journalFollowLag)
        for stage in ["wait", "write"] { _ = Timer(label: journalOwnWrite, dimensions: [("stage", stage)]) }
        _ = Counter(label: journalCompacted)
    }
}
