public import AisleCore
import Foundation
import GRDB
import Synchronization

extension ReplicaStore {
    /// Drops logged changes of `scope` that every replica of the scope has acknowledged
    /// (`stable`, per origin), keeping the log bounded by what is still in flight.
    ///
    /// Object state already holds their effect, and the version vector still refuses them as
    /// duplicates; what is lost is the ability to send them again and to tell an equivocating
    /// copy from a duplicate. Sync ([4/6]) computes `stable` from peers' acknowledgements.
    /// - Returns: how many changes were dropped.
    @discardableResult
    public func truncateLog(in scope: Scope, acknowledgedBy stable: VersionVector) async throws -> Int {
        try await pool.write { db in
            var dropped = 0
            for (origin, seq) in stable.entries {
                try db.execute(
                    sql: "DELETE FROM changes WHERE scope = ? AND origin = ? AND seq <= ?",
                    arguments: [scope.description, origin.rawValue, Int64(seq)])
                dropped += db.changesCount
            }
            // Keep the clock's high-water mark, which the dropped changes carried.
            try db.execute(
                sql: "UPDATE replica SET hlc = ?", arguments: [Int64(bitPattern: self.clock.withLock { $0.last })])
            return dropped
        }
    }

    /// Checkpoints, rebuilds the file without free pages (VACUUM) and returns its size in bytes.
    /// Blocks writers while it runs: a maintenance operation, not for the commit path.
    public func vacuum() throws -> Int {
        try pool.writeWithoutTransaction { db in
            try db.checkpoint(.truncate)
            try db.execute(sql: "VACUUM")
            try db.checkpoint(.truncate)
        }
        return (try FileManager.default.attributesOfItem(atPath: configuration.path)[.size] as? Int) ?? 0
    }
}
