public import AisleCore
import Foundation
import GRDB
import Synchronization

/// One replica on disk: CRDT state, the change log, version vectors and read tables in one
/// SQLite file (WAL), written only in whole transactions.
///
/// Every write method returns after its transaction has committed, so an acknowledged change
/// is on disk with the durability configured (docs/durability.md). A failing write changes nothing.
public final class ReplicaStore: Sendable {
    /// This replica.
    public let replica: ReplicaID
    /// Where and how the database was opened.
    public let configuration: StoreConfiguration
    let pool: DatabasePool
    /// A connection of its own for checkpoints, so they never queue behind or ahead of commits.
    let checkpointer: DatabaseQueue
    let clock: Mutex<HybridLogicalClock>
    /// Milliseconds since the Unix epoch, as this replica reads them.
    public let wallClock: @Sendable () -> UInt64
    /// Reads and writes objects as rows (sharing the store's name numbers).
    let rows = ObjectRows(names: NameNumbers())
    /// The writer's memo of committed version vectors (see ``WriterMemo``).
    let writerMemo = Mutex<WriterMemo?>(nil)
    /// Writes waiting to be committed together (``writeTransaction(refetchable:_:)``).
    let waitingWrites = GroupQueue<WaitingWrite>()
    /// Makes `.flushed` commits, and `.full` commits of refetchable writes, durable (``flush()``).
    let flusher: WALFlusher
    /// At `.full`: whether the writer connection is at `synchronous = NORMAL` now, as it is for a
    /// transaction of refetchable writes only (``writeTransaction(refetchable:_:)``). Used on the
    /// writer's queue only.
    let writerRelaxed = Atomic<Bool>(false)
    /// Snapshot reads running (``snapshot(of:partBytes:)``).
    let snapshotReaders = Atomic<Int>(0)
    /// Seals this replica's own changes as they are written (``sealOwnChanges(with:)``).
    ///
    /// Boxed: a function value kept directly in the generic `Mutex` is reabstracted each time the
    /// lock's `inout` passes it, and written back wrapped in two more thunks, so every write made
    /// the sealer one call deeper (15% of a handoff's CPU after some thousands of writes).
    let ownSealer = Mutex<OwnSealerBox?>(nil)
    /// Checks each of this replica's own changes before it is written (``checkOwnWrites(with:)``).
    let ownWriteCheck = Mutex<OwnWriteCheckBox?>(nil)
    /// Held while the store is open, when ``StoreConfiguration/exclusive``.
    private let lock: DatabaseLock?

    /// Seals one of this replica's own changes for sending: the envelope's bytes, or nil when it
    /// cannot be sealed now (it is sealed when first sent instead).
    public typealias OwnSealer = @Sendable (RemoteChange) -> [UInt8]?

    /// From now on, seals each of this replica's own changes inside the transaction that writes it
    /// and keeps the envelope with the change, so sending it needs no second transaction (a till
    /// at `synchronous = FULL` would otherwise sync twice per sale). The node that holds this
    /// replica's keys sets it.
    public func sealOwnChanges(with sealer: @escaping OwnSealer) {
        let box = OwnSealerBox(seal: sealer)
        ownSealer.withLock { $0 = box }
    }

    /// Checks one of this replica's own changes before it is written: its scope and the physical
    /// time of its clock reading (ms). Throws to refuse it: nothing of the mutation is written.
    public typealias OwnWriteCheck = @Sendable (Scope, UInt64) throws -> Void

    /// From now on, runs `check` on each of this replica's own changes inside the transaction
    /// that would write it. The node that holds this replica's certificate sets it, so the store
    /// never logs a change every peer would refuse (a till's line in a customer's cart after the
    /// customer's handoff ended).
    public func checkOwnWrites(with check: @escaping OwnWriteCheck) {
        let box = OwnWriteCheckBox(check: check)
        ownWriteCheck.withLock { $0 = box }
    }

    /// Opens (creating if needed) the replica database at `configuration.path`.
    ///
    /// Migrations run on open. A database written by a newer schema is refused, untouched.
    /// - Parameters:
    ///   - replica: this replica's id; a file created by another replica is refused.
    ///   - wallClock: milliseconds since the Unix epoch (a parameter so tests can control time).
    public init(
        _ configuration: StoreConfiguration, replica: ReplicaID,
        maxDrift: UInt64 = HybridLogicalClock.defaultMaxDrift,
        wallClock: @escaping @Sendable () -> UInt64 = ReplicaStore.systemWallClock
    ) throws {
        // First, so a second process touches nothing.
        let lock = configuration.exclusive ? try DatabaseLock(database: configuration.path) : nil
        let migrator = StoreSchema.migrator
        try Self.refuseNewerSchema(at: configuration.path, migrator: migrator)
        var settings = Configuration()
        settings.busyMode = .timeout(Double(configuration.busyTimeoutMilliseconds) / 1_000)
        settings.prepareDatabase { db in
            // No checkpoint inside a commit: `checkpoint()` runs them on a connection of its own.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            // A WAL grown past this by a burst is cut back to it when the log restarts.
            try db.execute(sql: "PRAGMA journal_size_limit = \(Self.walSizeLimit)")
        }
        let pool = try DatabasePool(path: configuration.path, configuration: settings)
        // After GRDB's own WAL setup, which sets synchronous = NORMAL on the writer.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(configuration.durability.pragma)")
        }
        let now = wallClock()
        try migrator.migrate(pool)
        let resumed = try pool.write { db -> UInt64 in
            if let owner = try String.fetchOne(db, sql: "SELECT replica_id FROM replica") {
                guard owner == replica.rawValue else {
                    throw StoreError.replicaMismatch(path: configuration.path, expected: replica, found: owner)
                }
            } else {
                try db.execute(
                    sql: "INSERT INTO replica (singleton, replica_id, created_at_ms) VALUES (1, ?, ?)",
                    arguments: [replica.rawValue, Int64(now)])
            }
            // The clock resumes past every stamp it issued or observed, even after a crash.
            let stored = try Int64.fetchOne(db, sql: "SELECT hlc FROM replica") ?? 0
            let logged = try Int64.fetchOne(db, sql: "SELECT max(hlc) FROM changes") ?? 0
            let held = try Int64.fetchOne(db, sql: "SELECT max(hlc) FROM held_changes") ?? 0
            return UInt64(max(stored, logged, held))
        }
        self.replica = replica
        self.configuration = configuration
        self.lock = lock
        self.pool = pool
        // Its checkpoints wait little: one that finds a writer or a reader in its way for longer
        // tries again at the next turn, rather than hold the writer lock while it waits
        // (`checkpoint()`).
        var checkpointing = settings
        checkpointing.busyMode = .timeout(Self.restartWait)
        checkpointer = try DatabaseQueue(path: configuration.path, configuration: checkpointing)
        flusher = WALFlusher(databasePath: configuration.path)
        self.wallClock = wallClock
        clock = Mutex(HybridLogicalClock(replica: replica, resumingAfter: resumed, maxDrift: maxDrift))
    }

    /// Refuses, without writing a byte, a file whose applied migrations this build does not know.
    private static func refuseNewerSchema(at path: String, migrator: DatabaseMigrator) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let database = try openReadOnly(path)
        defer { try? database.close() }
        try database.read { db in
            guard try migrator.hasBeenSuperseded(db) else { return }
            let known = Set(migrator.migrations)
            let unknown = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations").filter {
                !known.contains($0)
            }
            throw StoreError.newerSchema(path: path, unknown: unknown)
        }
    }

    /// Returns once every write committed before the call survives a power cut: one `fdatasync`
    /// of the WAL shared by every caller that asked meanwhile, at
    /// ``StoreConfiguration/Durability-swift.enum/flushed`` and at `.full` when refetchable writes
    /// (remote changes, snapshot parts) committed since the last sync; at once otherwise
    /// (`.normal` and `.off` promise no more).
    /// - Throws: ``StoreError/flushFailed(path:errno:)``.
    public func flush() async throws {
        guard configuration.durability == .flushed || configuration.durability == .full else { return }
        try await flusher.flush()
    }

    /// How many times ``flush()`` synced the WAL since the store opened.
    public var walFlushes: UInt64 { flusher.performed.load(ordering: .relaxed) }

    /// Milliseconds since the Unix epoch from the system clock.
    public static let systemWallClock: @Sendable () -> UInt64 = {
        UInt64(max(0, Date().timeIntervalSince1970 * 1_000))
    }

    /// The canonical digest of everything this replica holds; equal on replicas that applied the
    /// same changes.
    public func digest() throws -> StateDigest {
        try state().digest
    }

    /// Everything this replica holds, assembled in memory (for digests and tests; reads for
    /// people go through the read methods).
    public func state() throws -> RetailState {
        try pool.read { db in try self.rows.loadAll(db) }
    }

    /// Per origin, the highest sequence number applied without gaps in `scope`.
    public func versionVector(of scope: Scope) throws -> VersionVector {
        try pool.read { db in try Self.versionVector(of: scope, db) }
    }

    /// What to tell a peer this replica holds of `scope` (an acknowledgement, a subscription):
    /// the writer's memory of the committed vector when it has one, else ``versionVector(of:)``.
    /// Never names a change not committed; may lack changes another process committed since this
    /// writer's last transaction, which only makes the peer send them again.
    public func committedVector(of scope: Scope) throws -> VersionVector {
        if let known = writerMemo.withLock({ $0?.knownVector(of: scope) }) { return known }
        return try versionVector(of: scope)
    }

    static func versionVector(of scope: Scope, _ db: Database) throws -> VersionVector {
        try vector(in: "versions", of: scope, db)
    }

    /// A vector kept as (scope, origin, seq) rows: `versions`, or `log_floor`.
    static func vector(in table: String, of scope: Scope, _ db: Database) throws -> VersionVector {
        var entries: [ReplicaID: UInt64] = [:]
        for row in try Row.fetchAll(
            db.cachedStatement(sql: "SELECT origin, seq FROM \(table) WHERE scope = ?"), arguments: [scope.description])
        {
            entries[try ReplicaID(row[0])] = UInt64(row[1] as Int64)
        }
        return VersionVector(entries)
    }

    /// The version vectors of `scopes` (an empty one for a scope with no change), read a few
    /// hundred scopes to a query: the status view asks for every scope a device reported, which
    /// on a hub is three per phone.
    static func versionVectors(of scopes: Set<Scope>, _ db: Database) throws -> [Scope: VersionVector] {
        let chunk = 500
        let scopes = Array(scopes)
        var vectors: [Scope: VersionVector] = [:]
        vectors.reserveCapacity(scopes.count)
        for start in stride(from: 0, to: scopes.count, by: chunk) {
            let part = scopes[start..<min(scopes.count, start + chunk)]
            let byName = Dictionary(uniqueKeysWithValues: part.map { ($0.description, $0) })
            let sql =
                "SELECT scope, origin, seq FROM versions WHERE scope IN ("
                + repeatElement("?", count: part.count).joined(separator: ",") + ")"
            var entries: [Scope: [ReplicaID: UInt64]] = [:]
            let statement = try part.count == chunk ? db.cachedStatement(sql: sql) : db.makeStatement(sql: sql)
            let rows = try Row.fetchCursor(statement, arguments: StatementArguments(byName.keys.map { $0 }))
            while let row = try rows.next() {
                guard let scope = byName[row[0] as String] else { continue }
                entries[scope, default: [:]][try ReplicaID(row[1])] = UInt64(row[2] as Int64)
            }
            for scope in part { vectors[scope] = VersionVector(entries[scope] ?? [:]) }
        }
        return vectors
    }

    /// Runs SQLite's own consistency check; "ok" when the file is sound.
    public func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    /// Copies committed WAL pages into the main file without blocking writers (a passive
    /// checkpoint on its own connection). Run it from a background service every few seconds;
    /// commits never pay for it.
    ///
    /// A passive checkpoint never lets the log start over while writes go on: the next writer
    /// starts the WAL from its beginning only if every frame was copied, and under steady writes
    /// new ones always arrive while a checkpoint copies. The WAL then grew for as long as the load
    /// lasted (a hub at 1,000 changes/s: 14 MB a second). So once the log holds more than
    /// `restartAbove` frames, the checkpoint goes on to a RESTART one, which takes the writer lock
    /// to copy the few frames written meanwhile (commits wait that long, a few milliseconds) and
    /// lets the next writer start the log over. It waits at most ``restartWait`` for a writer to
    /// commit and for the readers that began before it to end; past that it gives up, and the next
    /// checkpoint tries again.
    /// - Returns: the frames in the log and those copied, as the last checkpoint left them.
    @discardableResult
    public func checkpoint(restartAbove: Int = ReplicaStore.restartAboveFrames) throws -> (
        walFrames: Int, checkpointed: Int
    ) {
        try checkpointer.writeWithoutTransaction { db in
            let passive = try db.checkpoint(.passive)
            guard passive.walFrameCount > restartAbove else {
                return (passive.walFrameCount, passive.checkpointedFrameCount)
            }
            do {
                let restarted = try db.checkpoint(.restart)
                return (restarted.walFrameCount, restarted.checkpointedFrameCount)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                return (passive.walFrameCount, passive.checkpointedFrameCount)
            }
        }
    }

    /// WAL frames past which ``checkpoint(restartAbove:)`` restarts the log: about 16 MB of 4 KiB
    /// pages.
    public static let restartAboveFrames = 4_096

    /// How long, in seconds, a restarting checkpoint waits for the writer to commit and for the
    /// readers that began before it to end (commits wait while it holds the writer lock).
    static let restartWait: TimeInterval = 0.01

    /// The size, in bytes, a WAL file is cut back to when the log starts over (SQLite's
    /// `journal_size_limit`): a burst's growth is not kept on disk.
    static let walSizeLimit = 64 << 20

    /// Checkpoints fully and closes the database; the store cannot be used afterwards.
    public func close() throws {
        try checkpointer.close()
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        try pool.close()
        lock?.release()
    }
}

/// A ``ReplicaStore/OwnSealer`` held by value in a struct, whose layout the generic lock does not
/// reabstract (``ReplicaStore/ownSealer``).
struct OwnSealerBox: Sendable {
    let seal: ReplicaStore.OwnSealer
}

/// A ``ReplicaStore/OwnWriteCheck`` held by value, as ``OwnSealerBox``.
struct OwnWriteCheckBox: Sendable {
    let check: ReplicaStore.OwnWriteCheck
}
