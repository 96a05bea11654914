import AisleCore
import GRDB
import Synchronization

/// What the writer connection remembers between its transactions, so a write need not read it
/// back from disk: each scope's version vector and recently written or read objects, decoded, as
/// of the last commit.
///
/// Valid only while no other connection has written the file: every write transaction first
/// compares SQLite's `PRAGMA data_version` (which moves when another connection commits) with
/// the value the memo was made under, and starts afresh from disk when they differ. A rollback
/// (rare: an equivocation, a refused change) forgets everything, so nothing rolled back is kept.
struct WriterMemo: Sendable {
    /// `PRAGMA data_version` on the writer connection when the memo was made.
    let dataVersion: Int64
    /// At most this many decoded objects are kept; past it the memo forgets them all and refills.
    let objectLimit: Int
    /// How objects are read from and written to their rows.
    let rows: ObjectRows
    private var versions: [Scope: VersionVector] = [:]
    /// Decoded objects, and (as nil) keys known to hold no object yet.
    private var objects: [ObjectKey: ObjectValue?] = [:]
    /// The changes logged last in each scope, for peers just behind (``RecentChanges``).
    private(set) var recent = RecentChanges()
    /// Scopes known to hold no change waiting for its dependencies (none in `held_changes`, the
    /// usual case): each batch applied in one asked for them, a query that cost the hub about
    /// 1 % of its time.
    private var holdingNothing: Set<Scope> = []

    init(dataVersion: Int64, objectLimit: Int, rows: ObjectRows) {
        self.dataVersion = dataVersion
        self.objectLimit = objectLimit
        self.rows = rows
    }

    /// The version vector of `scope` as committed, read from disk the first time.
    mutating func versionVector(of scope: Scope, _ db: Database) throws -> VersionVector {
        if let known = versions[scope] { return known }
        let loaded = try ReplicaStore.versionVector(of: scope, db)
        versions[scope] = loaded
        return loaded
    }

    /// The version vector of `scope` as committed, if remembered.
    func knownVector(of scope: Scope) -> VersionVector? {
        versions[scope]
    }

    /// The changes of `scope` held until their dependencies arrive, read from disk unless the
    /// scope is known to hold none.
    mutating func heldChanges(in scope: Scope, _ db: Database) throws -> [RemoteChange] {
        if holdingNothing.contains(scope) { return [] }
        let held = try ReplicaStore.heldChanges(in: scope, db)
        if held.isEmpty { holdingNothing.insert(scope) }
        return held
    }

    /// Notes that `scope` now holds changes until their dependencies arrive.
    mutating func holds(_ scope: Scope) {
        holdingNothing.remove(scope)
    }

    /// Forgets the changes logged last in `scope` (the log dropped some of them).
    mutating func forgetRecent(_ scope: Scope) {
        recent.forget(scope)
    }

    /// Records `vector` as the version vector of `scope` (what `versions` now holds), reached by
    /// logging `changes` in this order (none: a snapshot raised it) since the vector this memo held,
    /// which the caller read through ``versionVector(of:_:)``.
    mutating func record(_ vector: VersionVector, for scope: Scope, logging changes: [RemoteChange]) {
        if let before = versions[scope] {
            recent.logged(changes, in: scope, before: before, after: vector)
        } else {
            recent.forget(scope)
        }
        versions[scope] = vector
    }

    /// The object at `key`, nil when never written; read and decoded from disk when not remembered.
    mutating func object(at key: ObjectKey, _ db: Database) throws -> ObjectValue? {
        if let known = objects[key] { return known }
        let loaded = try rows.load(key, db)
        remember(loaded, at: key)
        return loaded
    }

    /// Writes `value` as the object at `key` (its row and read columns) and remembers it.
    mutating func save(
        _ value: ObjectValue, at key: ObjectKey, previous: ObjectValue?, replica: ReplicaID, _ db: Database
    ) throws {
        try rows.save(value, at: key, previous: previous, replica: replica, db)
        remember(value, at: key)
    }

    /// Joins `value` into the object at `key` (a remote change's or a snapshot's) and writes it.
    mutating func join(_ value: ObjectValue, at key: ObjectKey, replica: ReplicaID, _ db: Database) throws {
        // A remembered object is found, read and replaced through one index: one hash of its key,
        // not two (sealed_apply in docs/performance.md).
        guard let index = objects.index(forKey: key) else {
            let previous = try rows.load(key, db)
            return try save(Self.merged(previous, value), at: key, previous: previous, replica: replica, db)
        }
        if case .stock(let delta) = value, case .stock? = objects.values[index] {
            return try joinStock(delta, at: index, key: key, replica: replica, db)
        }
        let previous = objects.values[index]
        let merged = Self.merged(previous, value)
        try rows.save(merged, at: key, previous: previous, replica: replica, db)
        objects.values[index] = merged
    }

    /// Joins a stock delta into the remembered counter at `index` in place: taken out of the memo
    /// first, the counter's tables are its alone and are not copied to be changed (the most
    /// frequent join of all; a stock row's save needs no previous value).
    private mutating func joinStock(
        _ delta: BoundedCounter, at index: [ObjectKey: ObjectValue?].Index, key: ObjectKey, replica: ReplicaID,
        _ db: Database
    ) throws {
        var taken: ObjectValue? = nil
        swap(&taken, &objects.values[index])
        guard case .stock(var counter)? = consume taken else { preconditionFailure("checked by the caller") }
        counter.join(delta)
        let merged = ObjectValue.stock(counter)
        do {
            try rows.save(merged, at: key, previous: nil, replica: replica, db)
        } catch {
            // Not written: forgotten, so the row is read again when next needed.
            objects.remove(at: index)
            throw error
        }
        objects.values[index] = merged
    }

    /// `value` joined into the object `previous` (a value of another kind replaces it).
    private static func merged(_ previous: ObjectValue?, _ value: ObjectValue) -> ObjectValue {
        previous.flatMap { $0.joined(with: value) } ?? value
    }

    /// Joins each of `objects` (a snapshot's: each key once, most never seen here) into its row,
    /// read from and written to disk without remembering it: a million objects remembered once
    /// each would only churn the memo. The memo then forgets the objects it held, which may be
    /// among those written.
    mutating func joinAll(_ objects: [ObjectKey: ObjectValue], replica: ReplicaID, _ db: Database) throws {
        for (key, value) in objects {
            let previous = try rows.load(key, db)
            try rows.save(Self.merged(previous, value), at: key, previous: previous, replica: replica, db)
        }
        self.objects.removeAll()
    }

    /// Remembers `value` (nil: no object yet) as the object at `key`.
    private mutating func remember(_ value: ObjectValue?, at key: ObjectKey) {
        if objects.count >= objectLimit { objects.removeAll(keepingCapacity: true) }
        objects.updateValue(value, forKey: key)
    }

    /// The memo once the running transaction (or a savepoint in it) has rolled back: empty,
    /// so it holds nothing the rollback undid, and the store's name numbers forgotten (the
    /// rollback may have undone numbers handed out).
    mutating func rolledBack() {
        objects.removeAll()
        versions.removeAll()
        holdingNothing.removeAll()
        recent.forgetAll()
        rows.names.forgetAll()
    }
}

/// Carries the memo from a transaction to its commit or rollback callback. Used only on the
/// writer's serial queue (the transaction and then its callback), hence unchecked.
private final class MemoHandoff: @unchecked Sendable {
    var memo: WriterMemo?

    init(_ memo: WriterMemo) {
        self.memo = memo
    }
}

extension ReplicaStore {
    /// One write transaction with the writer's memo (``WriterMemo``).
    ///
    /// Not interrupted if the calling task is cancelled (GRDB's async `write` would be): the
    /// transaction may hold other callers' writes too (``writeTransaction(refetchable:_:)``), and a service
    /// shutting down must not cut off a commit another connection is waiting for.
    ///
    /// Begins and commits through cached statements: GRDB's `inTransaction` prepares its `BEGIN`
    /// and `COMMIT` afresh each time, which cost a single cart-line write about a tenth of its
    /// time (docs/performance.md, `local_write_single`). Executed as GRDB statements, so GRDB
    /// still sees the transaction end (``memoBody(_:_:)``'s commit and rollback callbacks).
    ///
    /// A commit that does not sync (every durability but `.full`, and refetchable writes at
    /// `.full`) runs on the calling thread: it is CPU work and a write into the page cache, and
    /// sending it to GRDB's writer queue and resuming the caller afterwards cost two thread
    /// wake-ups at each of a handoff's three nodes (docs/performance.md, thirteenth session). Only
    /// the group commit's leader writes, so this holds at most one cooperative thread per store.
    /// A commit that syncs waits for the disk for milliseconds: it runs on the writer's queue,
    /// and the calling task is suspended meanwhile.
    ///
    /// - Parameter refetchable: at ``StoreConfiguration/Durability-swift.enum/full``, commit at
    ///   `synchronous = NORMAL` (``writeTransaction(refetchable:_:)``).
    func memoTransaction<T: Sendable>(
        refetchable: Bool = false,
        _ body: @escaping @Sendable (Database, inout WriterMemo) throws -> T
    ) async throws -> T {
        let durability = configuration.durability
        let synced = durability == .full && !refetchable
        let transaction: @Sendable (Database) throws -> T = { db in
            if durability == .full, self.writerRelaxed.load(ordering: .relaxed) == synced {
                try db.cachedStatement(sql: "PRAGMA synchronous = \(synced ? "FULL" : "NORMAL")").execute()
                self.writerRelaxed.store(!synced, ordering: .relaxed)
            }
            try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
            do {
                let value = try self.memoBody(db, synced: synced, body)
                try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
                return value
            } catch {
                // As GRDB's own transactions: the first error is the one reported; a
                // transaction SQLite already rolled back makes this rollback fail.
                try? db.rollback()
                throw error
            }
        }
        if !synced { return try writeHere(transaction) }
        return try await withCheckedThrowingContinuation { continuation in
            pool.asyncWriteWithoutTransaction { db in continuation.resume(with: Result { try transaction(db) }) }
        }
    }

    /// Runs `transaction` on the writer connection from the calling thread (GRDB's synchronous
    /// write: a `DispatchQueue.sync` that libdispatch runs on the caller's thread).
    private func writeHere<T>(_ transaction: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction(transaction)
    }

    /// The transaction's body: the memo taken out, `body` run on it, and put back at commit or
    /// rollback.
    private func memoBody<T: Sendable>(
        _ db: Database, synced: Bool, _ body: @Sendable (Database, inout WriterMemo) throws -> T
    ) throws -> T {
        let objectLimit = configuration.memoObjects
        let dataVersion = try BoundStatement(db, sql: "PRAGMA data_version").firstInteger() ?? 0
        // Taken out while the transaction runs, so updating it never copies it.
        var memo = self.writerMemo.withLock { held in
            defer { held = nil }
            return held
        }
        if memo?.dataVersion != dataVersion {
            memo = WriterMemo(dataVersion: dataVersion, objectLimit: objectLimit, rows: rows)
        }
        var working = memo.take()!
        let result: T
        do {
            result = try body(db, &working)
        } catch {
            working.rolledBack()
            self.writerMemo.withLock { $0 = working }
            throw error
        }
        let handoff = MemoHandoff(working)
        db.afterNextTransaction(
            onCommit: { _ in
                self.flusher.committed(synced: synced)
                let memo = handoff.memo.take()!
                self.writerMemo.withLock { $0 = memo }
            },
            onRollback: { _ in
                var memo = handoff.memo.take()!
                memo.rolledBack()
                self.writerMemo.withLock { $0 = memo }
            })
        return result
    }
}
