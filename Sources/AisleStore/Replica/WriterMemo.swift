import AisleCore
import GRDB
import Synchronization

/// What the writer connection remembers between its transactions, so a write need not read it
/// back from disk: each scope's version vector, as of the last commit.
///
/// Valid only while no other connection has written the file: every write transaction first
/// compares SQLite's `PRAGMA data_version` (which moves when another connection commits) with
/// the value the memo was made under, and starts afresh from disk when they differ. A transaction
/// works on a copy; the copy replaces the memo only when the transaction commits.
struct WriterMemo: Sendable {
    /// `PRAGMA data_version` on the writer connection when the memo was made.
    let dataVersion: Int64
    private var versions: [Scope: VersionVector] = [:]

    init(dataVersion: Int64) {
        self.dataVersion = dataVersion
    }

    /// The version vector of `scope` as committed, read from disk the first time.
    mutating func versionVector(of scope: Scope, _ db: Database) throws -> VersionVector {
        if let known = versions[scope] { return known }
        let loaded = try ReplicaStore.versionVector(of: scope, db)
        versions[scope] = loaded
        return loaded
    }

    /// Records `vector` as the committed version vector of `scope` (what `versions` now holds).
    mutating func record(_ vector: VersionVector, for scope: Scope) {
        versions[scope] = vector
    }
}

extension ReplicaStore {
    /// Runs `body` in one write transaction with the writer's memo, which it may update; the
    /// updated memo is kept only if the transaction commits.
    func writeTransaction<T: Sendable>(
        _ body: @Sendable (Database, inout WriterMemo) throws -> T
    ) async throws -> T {
        try await pool.write { db in
            let dataVersion = try Int64.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? 0
            var memo = self.writerMemo.withLock { $0 }
            if memo?.dataVersion != dataVersion { memo = WriterMemo(dataVersion: dataVersion) }
            var working = memo!
            let result = try body(db, &working)
            let committed = working
            db.afterNextTransaction(
                onCommit: { _ in self.writerMemo.withLock { $0 = committed } },
                onRollback: { _ in self.writerMemo.withLock { $0 = nil } })
            return result
        }
    }
}
