public import AisleCore
import Foundation
import GRDB
import Synchronization

/// What a peer reported holding of a scope (its version vector, in a subscription or an ack).
public struct PeerAcknowledgement: Sendable, Equatable {
    public let scope: Scope
    public let peer: ReplicaID
    public let vector: VersionVector
    /// Wall-clock milliseconds when the peer reported it.
    public let at: UInt64
    /// Whether the peer is an archive (the hub): the replica every other catches up from, which
    /// compaction never runs ahead of, however long it has been silent.
    public let archive: Bool

    public init(scope: Scope, peer: ReplicaID, vector: VersionVector, at: UInt64, archive: Bool = false) {
        self.scope = scope
        self.peer = peer
        self.vector = vector
        self.at = at
        self.archive = archive
    }

    /// A report's scope and peer: a peer's newest report of a scope replaces its older ones.
    public struct Key: Hashable, Sendable {
        public let scope: Scope
        public let peer: ReplicaID
    }

    /// This report's scope and peer.
    public var key: Key { Key(scope: scope, peer: peer) }
}

extension [PeerAcknowledgement] {
    /// These reports with `others` laid over them: each replaced by the newer of it and the one of
    /// its scope and peer in `others`, which is taken out of `others` (what is left there matches
    /// none of these).
    public func overlaid(with others: inout [PeerAcknowledgement.Key: PeerAcknowledgement]) -> [PeerAcknowledgement] {
        guard !others.isEmpty else { return self }
        return map { report in
            guard let other = others.removeValue(forKey: report.key) else { return report }
            return other.at >= report.at ? other : report
        }
    }
}

/// A scope's whole state: every object with its whole state, the version vector it reflects, and
/// the clock reading of the replica that took it. Installing it joins the objects (a whole state is
/// a delta like any other) and raises the version vector, for a peer that lacks changes the log no
/// longer holds.
public struct ScopeSnapshot: Sendable, Equatable {
    public let scope: Scope
    public let objects: ObjectDelta
    public let covers: VersionVector
    /// The hybrid clock of the replica that took it, packed (its replica is `source`).
    public let stamp: UInt64
    public let source: ReplicaID

    public init(objects: ObjectDelta, covers: VersionVector, stamp: UInt64, source: ReplicaID) {
        scope = objects.scope
        self.objects = objects
        self.covers = covers
        self.stamp = stamp
        self.source = source
    }
}

/// The result of compacting one scope's log.
public struct Compaction: Sendable, Equatable {
    /// What every replica of the scope known here has acknowledged (and this one holds).
    public let stable: VersionVector
    /// Changes dropped from the log.
    public let dropped: Int

    public init(stable: VersionVector, dropped: Int) {
        self.stable = stable
        self.dropped = dropped
    }
}

extension ReplicaStore {
    /// Keeps what peers reported holding: the newest report per scope and peer wins.
    public func recordAcknowledgements(_ acknowledgements: [PeerAcknowledgement]) async throws {
        guard !acknowledgements.isEmpty else { return }
        try await writeTransaction { db, _ in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO peer_acks (scope, peer, vector, acked_at_ms, archive) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (scope, peer) DO UPDATE SET
                        vector = excluded.vector, acked_at_ms = excluded.acked_at_ms, archive = excluded.archive
                    WHERE excluded.acked_at_ms >= peer_acks.acked_at_ms
                    """)
            for ack in acknowledgements {
                try statement.execute(arguments: [
                    ack.scope.description, ack.peer.rawValue, Data(ack.vector.canonicalBytes), Int64(ack.at),
                    ack.archive,
                ])
            }
        }
    }

    /// What each peer that synced `scope` here last reported holding.
    public func acknowledgements(in scope: Scope) throws -> [PeerAcknowledgement] {
        try pool.read { db in try Self.acknowledgements(in: scope, db) }
    }

    static func acknowledgements(in scope: Scope, _ db: Database) throws -> [PeerAcknowledgement] {
        try Row.fetchAll(
            db, sql: "SELECT peer, vector, acked_at_ms, archive FROM peer_acks WHERE scope = ? ORDER BY peer",
            arguments: [scope.description]
        ).map { row in try acknowledgement(row, scope: scope) }
    }

    /// What every peer that synced any scope here last reported holding, in one read; with
    /// `storesOnly`, of store scopes only, read as one range of the key: a hub's phones report
    /// their own scopes too (three each), and a million of them need not be read for the stores.
    public func acknowledgements(storesOnly: Bool = false) throws -> [PeerAcknowledgement] {
        let stores = Scope.Kind.store.textRange
        let sql =
            "SELECT scope, peer, vector, acked_at_ms, archive FROM peer_acks"
            + (storesOnly ? " WHERE scope >= ? AND scope < ?" : "")
        let arguments: StatementArguments = storesOnly ? [stores.lower, stores.upper] : []
        return try pool.read { db in
            var scopes: [String: Scope] = [:]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let name: String = row[0]
                let scope = try scopes[name] ?? Scope(name)
                scopes[name] = scope
                return try Self.acknowledgement(row, scope: scope, from: 1)
            }
        }
    }

    /// Every report written, `size` at a time in the order of their key (scope, peer), each batch
    /// read in a transaction of its own: the status view goes through a million phones' reports
    /// (three each) without holding them all. A report written meanwhile may be left out.
    public func forEachAcknowledgementBatch(
        size: Int = 2_000, _ body: ([PeerAcknowledgement]) async throws -> Void
    ) async throws {
        // Every key follows ("", ""): a scope is never empty.
        var after = (scope: "", peer: "")
        while true {
            let from = after
            let batch = try await pool.read { db in
                let rows = try Row.fetchAll(
                    db.cachedStatement(
                        sql: """
                            SELECT scope, peer, vector, acked_at_ms, archive FROM peer_acks
                            WHERE (scope, peer) > (?, ?) ORDER BY scope, peer LIMIT ?
                            """), arguments: [from.scope, from.peer, size])
                var last: (name: String, scope: Scope)?
                return try rows.map { row in
                    let name: String = row[0]
                    let scope = try last?.name == name ? last!.scope : Scope(name)
                    last = (name, scope)
                    return (name, try Self.acknowledgement(row, scope: scope, from: 1))
                }
            }
            if !batch.isEmpty { try await body(batch.map(\.1)) }
            guard batch.count == size, let last = batch.last else { return }
            after = (last.0, last.1.peer.rawValue)
        }
    }

    /// The report of `scope` in `row`, whose columns from `first` on are peer, vector,
    /// acked_at_ms and archive (read by position: a status view reads a million).
    private static func acknowledgement(_ row: Row, scope: Scope, from first: Int = 0) throws -> PeerAcknowledgement {
        PeerAcknowledgement(
            scope: scope, peer: try ReplicaID(row[first]),
            vector: try VersionVector(canonicalBytes: Array(row[first + 1] as Data)),
            at: UInt64(row[first + 2] as Int64), archive: row[first + 3])
    }

    /// The scopes some peer has synced here.
    public func acknowledgedScopes() throws -> [Scope] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT scope FROM peer_acks ORDER BY scope").map { try Scope($0) }
        }
    }

    /// Per origin, the sequence number up to which the log of `scope` may lack changes (dropped by
    /// compaction or never logged because a snapshot brought them).
    public func logFloor(of scope: Scope) throws -> VersionVector {
        try pool.read { db in try Self.logFloor(of: scope, db) }
    }

    static func logFloor(of scope: Scope, _ db: Database) throws -> VersionVector {
        try vector(in: "log_floor", of: scope, db)
    }

    /// Compaction by causal stability: drops the logged changes of `scope` that every peer known
    /// to have synced it has acknowledged: every archive, and every other peer heard from at or
    /// after `cutoff` (wall-clock milliseconds). With no such peer nothing is dropped: nobody is
    /// known to hold the changes.
    /// - Parameter requireArchive: drop nothing until an archive (the hub) has synced the scope
    ///   here: every replica but the hub itself, so no change is lost to the replicas that will
    ///   only ever catch up from the hub.
    public func compactLog(
        in scope: Scope, peersHeardSince cutoff: UInt64 = 0, ignoring revoked: Set<ReplicaID> = [],
        requireArchive: Bool = false
    ) async throws -> Compaction {
        try await pool.write { db in
            let peers = try Self.acknowledgements(in: scope, db).filter {
                $0.archive || ($0.at >= cutoff && !revoked.contains($0.peer))
            }
            guard !peers.isEmpty, !requireArchive || peers.contains(where: \.archive) else {
                return Compaction(stable: VersionVector(), dropped: 0)
            }
            var stable = try Self.versionVector(of: scope, db)
            for peer in peers { stable = stable.meet(peer.vector) }
            return Compaction(stable: stable, dropped: try self.truncate(scope, through: stable, db))
        }
    }

    /// Drops logged changes of `scope` up to `stable` (per origin, at most what this replica holds)
    /// and records the log's new floor, keeping the log bounded by what is still in flight.
    ///
    /// Object state already holds their effect, and the version vector still refuses them as
    /// duplicates; what is lost is the ability to send them again (a peer that lacks them then
    /// needs a snapshot) and to tell an equivocating copy from a duplicate.
    /// - Returns: how many changes were dropped.
    @discardableResult
    public func truncateLog(in scope: Scope, acknowledgedBy stable: VersionVector) async throws -> Int {
        try await pool.write { db in
            try self.truncate(scope, through: stable.meet(try Self.versionVector(of: scope, db)), db)
        }
    }

    private func truncate(_ scope: Scope, through stable: VersionVector, _ db: Database) throws -> Int {
        var dropped = 0
        for (origin, seq) in stable.entries {
            try Self.keepRunsWhole(scope, origin, through: seq, db)
            try db.execute(
                sql: "DELETE FROM changes WHERE scope = ? AND origin = ? AND seq <= ?",
                arguments: [scope.description, origin.rawValue, Int64(seq)])
            dropped += db.changesCount
            // The dropped changes no longer show in the view `versions`: the mark keeps them.
            try Self.markVersion(scope, origin, seq, db)
            try Self.raiseFloor(scope, origin, to: seq, db)
        }
        // Keep the clock's high-water mark, which the dropped changes carried.
        try persistClock(db)
        // A peer behind the new floor needs a snapshot, not the changes the memory still holds.
        // (On the writer's queue: no memo transaction is running, the memo is in its place.)
        if dropped > 0 { writerMemo.withLock { $0?.forgetRecent(scope) } }
        return dropped
    }

    /// Stores the clock's reading, so a restart resumes past it even when no logged change carries it.
    private func persistClock(_ db: Database) throws {
        try db.execute(
            sql: "UPDATE replica SET hlc = max(hlc, ?)", arguments: [Int64(bitPattern: clock.withLock { $0.last })])
    }

    private static func raiseFloor(_ scope: Scope, _ origin: ReplicaID, to seq: UInt64, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO log_floor (scope, origin, seq) VALUES (?, ?, ?)
                ON CONFLICT (scope, origin) DO UPDATE SET seq = max(seq, excluded.seq)
                """
        ).execute(arguments: [scope.description, origin.rawValue, Int64(seq)])
    }

    /// Installs a snapshot (or one part of one; only the last part carries `covers`) in one
    /// transaction: joins its objects, raises the version vector and the log's floor to what it
    /// covers, drops held changes it covers and applies those it releases.
    ///
    /// - Throws: ``StoreError/snapshotAhead(scope:seq:has:)`` when it covers more of this
    ///   replica's own changes than the replica holds (it lost some: restored from an old backup);
    ///   a `ClockError` when its clock reading is too far ahead of this one. Nothing is installed.
    ///   With `adoptingOwnChanges`, a snapshot covering own changes this replica lacks is taken
    ///   and raises its own sequence past them: for a hub process rebuilding its cache from the
    ///   shared journal, where the processes act as one replica and the checkpoint holds changes
    ///   another process made under the same identity (docs/scale-out.md).
    @discardableResult
    public func install(_ snapshot: ScopeSnapshot, adoptingOwnChanges: Bool = false) async throws
        -> [DeliveryOutcome]
    {
        let scope = snapshot.scope
        return try await writeTransaction(refetchable: true) { db, memo in
            let current = try memo.versionVector(of: scope, db)
            guard adoptingOwnChanges || snapshot.covers[self.replica] <= current[self.replica] else {
                throw StoreError.snapshotAhead(
                    scope: scope, seq: snapshot.covers[self.replica], has: current[self.replica])
            }
            try self.clock.withLock { clock in
                _ = try clock.receive(
                    HLCTimestamp(
                        physical: snapshot.stamp >> 16, counter: UInt16(truncatingIfNeeded: snapshot.stamp),
                        replica: snapshot.source),
                    wallMillis: self.wallClock())
            }
            try memo.joinAll(snapshot.objects.objects, replica: self.replica, db)
            for (origin, seq) in snapshot.covers.entries where seq > current[origin] {
                try Self.markVersion(scope, origin, seq, db)
                try db.execute(
                    sql: "DELETE FROM held_changes WHERE scope = ? AND origin = ? AND seq <= ?",
                    arguments: [scope.description, origin.rawValue, Int64(seq)])
                try Self.raiseFloor(scope, origin, to: seq, db)
            }
            try self.persistClock(db)
            memo.record(current.joined(with: snapshot.covers), for: scope, logging: [])
            // Held changes the snapshot did not cover may now be deliverable.
            return try self.apply([], in: scope, decoded: [:], memo: &memo, db)
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
