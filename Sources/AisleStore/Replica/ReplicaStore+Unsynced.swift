public import AisleCore
import GRDB

/// Logged changes a peer has not acknowledged yet: how many, and when the oldest was made (for
/// the outbox metrics of docs/operations.md).
public struct UnsyncedChanges: Sendable, Equatable {
    /// How many changes.
    public var count: Int
    /// The physical time of the oldest (milliseconds since the Unix epoch, from its hybrid clock
    /// reading), or nil when there are none.
    public var oldestMillis: UInt64?

    public init(count: Int = 0, oldestMillis: UInt64? = nil) {
        self.count = count
        self.oldestMillis = oldestMillis
    }

    /// Adds `other`'s changes to these.
    public mutating func add(_ other: UnsyncedChanges) {
        count += other.count
        if let millis = other.oldestMillis { oldestMillis = min(oldestMillis ?? millis, millis) }
    }
}

extension ReplicaStore {
    /// The changes of `scope` in this replica's log that a peer holding `vector` lacks, counting
    /// only those of the origins `counted` picks (this replica's own, for what the hub has not
    /// taken; all but the peer's own, for what a till has not been sent).
    ///
    /// Reads one range of the log per origin the peer is behind on; changes compaction already
    /// dropped are not counted.
    public func unsynced(
        in scope: Scope, missingFrom vector: VersionVector,
        counting counted: @escaping @Sendable (ReplicaID) -> Bool = { _ in true }
    ) async throws -> UnsyncedChanges {
        try await pool.read { db in
            try Self.unsynced(
                in: scope, held: Self.versionVector(of: scope, db), missingFrom: vector, counting: counted, db)
        }
    }

    /// For each report, the changes of its scope that its peer lacks, not counting the peer's
    /// own: what a hub holds that each device has not acknowledged (the status view, the
    /// per-store backlog metric). Read in one transaction, each scope's version vector once,
    /// however many peers share it, a few hundred scopes to a query; the log only where a peer
    /// is behind.
    public func unsynced(missingFrom reports: [PeerAcknowledgement]) async throws -> [UnsyncedChanges] {
        guard !reports.isEmpty else { return [] }
        return try await pool.read { db in
            let held = try Self.versionVectors(of: Set(reports.lazy.map(\.scope)), db)
            return try reports.map { report in
                let peer = report.peer
                return try Self.unsynced(
                    in: report.scope, held: held[report.scope] ?? VersionVector(), missingFrom: report.vector,
                    counting: { $0 != peer }, db)
            }
        }
    }

    /// The customer scopes in which this replica's own changes go beyond what a hub (the archive,
    /// one process or several sharing one journal) last acknowledged: what a till hands over to
    /// the hub even where it may no longer sync (docs/sync.md, "Handing over"). Over-reports when
    /// acknowledgements were not yet written (those in `pending` count), never under-reports.
    ///
    /// Reads the log only: compaction never drops a change the hub has not acknowledged, so the
    /// log holds every such change, and the scopes a till met long ago (one per handoff) are not
    /// read at each connection.
    public func customerScopesAheadOfArchive(pending: [PeerAcknowledgement] = []) throws -> [Scope] {
        try pool.read { db in
            let customers = Scope.Kind.customer.textRange
            let own = try Row.fetchAll(
                db,
                sql: """
                    SELECT scope, max(seq) AS seq FROM changes
                    WHERE scope >= ? AND scope < ? AND origin = ? GROUP BY scope
                    """, arguments: [customers.lower, customers.upper, replica.rawValue])
            var ahead: [Scope] = []
            for row in own {
                let scope = try Scope(row["scope"] as String)
                let acknowledged =
                    (try Self.acknowledgements(in: scope, db) + pending.filter { $0.scope == scope })
                    .filter(\.archive).map { $0.vector[replica] }.max() ?? 0
                if UInt64(row["seq"] as Int64) > acknowledged { ahead.append(scope) }
            }
            return ahead
        }
    }

    /// The changes of `scope`, whose replica holds `held`, that a peer holding `vector` lacks.
    private static func unsynced(
        in scope: Scope, held: VersionVector, missingFrom vector: VersionVector, counting counted: (ReplicaID) -> Bool,
        _ db: Database
    ) throws -> UnsyncedChanges {
        var unsynced = UnsyncedChanges()
        for (origin, seq) in held.entries where seq > vector[origin] && counted(origin) {
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql:
                        "SELECT COUNT(*) AS count, MIN(hlc) AS oldest FROM changes WHERE scope = ? AND origin = ? AND seq > ?"
                ),
                arguments: [scope.description, origin.rawValue, Int64(vector[origin])])
            guard let row, let oldest = row["oldest"] as Int64? else { continue }
            // The hybrid clock packs 48 bits of milliseconds over a 16-bit counter.
            unsynced.add(UnsyncedChanges(count: row["count"], oldestMillis: UInt64(oldest) >> 16))
        }
        return unsynced
    }
}
