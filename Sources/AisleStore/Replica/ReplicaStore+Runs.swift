import AisleCore
import Foundation
import GRDB

/// Run envelopes in the log (docs/sync.md, "Run envelopes"; docs/storage.md): the envelope of a
/// run is kept once, on the row of the run's first change the log still holds; every later
/// change of the run names that row in `run_start` and keeps no envelope. A change read back
/// carries the run's envelope again (one array shared by the run's changes).
struct RunEnvelopes {
    /// The last run envelope read, by its row's (scope, origin, seq).
    private var last: (scope: String, origin: String, seq: Int64, envelope: [UInt8]?)?

    /// The logged change of `row` (of `changes`, or `held_changes`, which keeps whole envelopes),
    /// with its run's envelope when it is a later change of a run.
    mutating func loggedChange(_ row: Row, _ db: Database) throws -> RemoteChange {
        var change = try ReplicaStore.remoteChange(row)
        guard let start = row["run_start"] as Int64? else { return change }
        let (scope, origin) = (change.scope.description, change.origin.rawValue)
        if let last, last.scope == scope, last.origin == origin, last.seq == start {
            change.envelope = last.envelope
        } else {
            let envelope = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT envelope FROM changes WHERE scope = ? AND origin = ? AND seq = ?"),
                arguments: [scope, origin, start]
            ).map(Array.init)
            last = (scope, origin, start, envelope)
            change.envelope = envelope
        }
        change.runStart = UInt64(start)
        return change
    }
}

extension ReplicaStore {
    /// Whether the row of (scope, origin, `seq`) keeps an envelope a later change of its run can
    /// name (a change applied before it in the same run, in this transaction or an earlier one).
    static func keepsEnvelope(_ scope: Scope, _ origin: ReplicaID, _ seq: UInt64, _ db: Database) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(
                sql: "SELECT envelope IS NOT NULL FROM changes WHERE scope = ? AND origin = ? AND seq = ?"),
            arguments: [scope.description, origin.rawValue, Int64(seq)]) ?? false
    }

    /// Before the log drops `origin`'s changes through `seq`: a run that continues past `seq`
    /// would lose the row its later changes take their envelope from, so the run's envelope moves
    /// to its first change kept (which then keeps it whole: a peer sent it treats the run's
    /// dropped changes as the duplicates they are) and the later ones name that change.
    static func keepRunsWhole(_ scope: Scope, _ origin: ReplicaID, through seq: UInt64, _ db: Database) throws {
        let arguments: StatementArguments = [scope.description, origin.rawValue, Int64(seq)]
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT seq, run_start FROM changes
                    WHERE scope = ? AND origin = ? AND seq > ? ORDER BY seq LIMIT 1
                    """, arguments: arguments),
            let start = row["run_start"] as Int64?, start <= Int64(seq)
        else { return }
        let first: Int64 = row["seq"]
        try db.execute(
            sql: """
                UPDATE changes SET run_start = NULL, envelope = (
                    SELECT envelope FROM changes WHERE scope = ?1 AND origin = ?2 AND seq = ?3)
                WHERE scope = ?1 AND origin = ?2 AND seq = ?4
                """, arguments: [scope.description, origin.rawValue, start, first])
        try db.execute(
            sql: "UPDATE changes SET run_start = ?4 WHERE scope = ?1 AND origin = ?2 AND run_start = ?3 AND seq > ?4",
            arguments: [scope.description, origin.rawValue, start, first])
    }

    /// Keeps envelopes this replica sealed for its own changes the first time they are sent: each
    /// unit is one change and its envelope, or a run (its changes in order, its envelope).
    ///
    /// A unit is kept only if none of its changes has an envelope yet (another connection may
    /// have sealed them first, perhaps into other runs).
    /// - Returns: per unit, the envelope now kept for it: its own; for a single change sealed
    ///   before by another connection, that sealing (send it instead); nil for a run that lost
    ///   to another sealing: read its changes again to send what is kept.
    public func attachEnvelopes(_ units: [(envelope: [UInt8], changes: [RemoteChange])]) async throws -> [[UInt8]?] {
        guard !units.isEmpty else { return [] }
        return try await writeTransaction { db, memo in
            let claimed = try db.cachedStatement(
                sql: """
                    SELECT count(*) FROM changes WHERE scope = ? AND origin = ? AND seq BETWEEN ? AND ?
                        AND (envelope IS NOT NULL OR run_start IS NOT NULL)
                    """)
            let keep = try db.cachedStatement(
                sql: "UPDATE changes SET envelope = ? WHERE scope = ? AND origin = ? AND seq = ?")
            let follow = try db.cachedStatement(
                sql: "UPDATE changes SET run_start = ? WHERE scope = ? AND origin = ? AND seq BETWEEN ? AND ?")
            let kept = try db.cachedStatement(
                sql: "SELECT envelope FROM changes WHERE scope = ? AND origin = ? AND seq = ?")
            return try units.map { envelope, changes in
                let (first, last) = (changes[0], changes[changes.count - 1])
                let key: StatementArguments = [first.scope.description, first.origin.rawValue]
                guard try Int.fetchOne(claimed, arguments: key + [Int64(first.seq), Int64(last.seq)]) == 0 else {
                    guard changes.count == 1 else { return nil }
                    return try Data.fetchOne(kept, arguments: key + [Int64(first.seq)]).map(Array.init)
                }
                try keep.execute(arguments: [Data(envelope)] + key + [Int64(first.seq)])
                if changes.count > 1 {
                    try follow.execute(arguments: [Int64(first.seq)] + key + [Int64(first.seq + 1), Int64(last.seq)])
                }
                // The memory's copies of these changes lack the envelope: later sends read the log.
                memo.forgetRecent(first.scope)
                return envelope
            }
        }
    }
}
