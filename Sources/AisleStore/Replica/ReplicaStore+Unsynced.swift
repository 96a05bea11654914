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
            var unsynced = UnsyncedChanges()
            for (origin, seq) in try Self.versionVector(of: scope, db).entries
            where seq > vector[origin] && counted(origin) {
                let row = try Row.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) AS count, MIN(hlc) AS oldest FROM changes WHERE scope = ? AND origin = ? AND seq > ?",
                    arguments: [scope.description, origin.rawValue, Int64(vector[origin])])
                guard let row, let oldest = row["oldest"] as Int64? else { continue }
                // The hybrid clock packs 48 bits of milliseconds over a 16-bit counter.
                unsynced.add(UnsyncedChanges(count: row["count"], oldestMillis: UInt64(oldest) >> 16))
            }
            return unsynced
        }
    }
}
