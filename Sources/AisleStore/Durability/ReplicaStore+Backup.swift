public import AisleCore
import Foundation
import GRDB

extension ReplicaStore {
    /// Copies the database to `path` with SQLite's online backup, while writes continue.
    ///
    /// - Throws: ``StoreError/targetExists(_:)`` rather than overwrite a file.
    public func backup(to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw StoreError.targetExists(path) }
        let target = try DatabaseQueue(path: path)
        try pool.backup(to: target)
        try target.close()
    }

    /// Copies the database file at `path` to `target` with SQLite's online backup, from any
    /// process, while the replica that owns it keeps writing.
    ///
    /// - Throws: ``StoreError/missingFile(_:)`` or ``StoreError/targetExists(_:)``; nothing is overwritten.
    public static func backup(databaseAt path: String, to target: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missingFile(path) }
        guard !FileManager.default.fileExists(atPath: target) else { throw StoreError.targetExists(target) }
        let source = try openReadOnly(path)
        let destination = try DatabasePool(path: target)
        try source.backup(to: destination)
        try source.close()
        try destination.close()
    }

    /// Opens `path` so that nothing can be written through the connection.
    static func openReadOnly(_ path: String) throws -> DatabaseQueue {
        var readOnly = Configuration()
        readOnly.readonly = true
        return try DatabaseQueue(path: path, configuration: readOnly)
    }

    /// The replica that owns the database at `path`, read without writing to it.
    public static func replicaID(ofDatabaseAt path: String) throws -> ReplicaID {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missingFile(path) }
        let database = try openReadOnly(path)
        defer { try? database.close() }
        let text = try database.read { db -> String? in
            guard try db.tableExists("replica") else { return nil }
            return try String.fetchOne(db, sql: "SELECT replica_id FROM replica")
        }
        guard let text else { throw StoreError.notAReplica(path) }
        return try ReplicaID(text)
    }

    /// Restores a backup made by ``backup(to:)`` into a new database file at `path`.
    ///
    /// - Throws: ``StoreError/missingFile(_:)`` or ``StoreError/targetExists(_:)``; nothing is overwritten.
    public static func restore(from backup: String, to path: String) throws {
        try self.backup(databaseAt: backup, to: path)
    }
}

extension ReplicaStore {
    /// The value of a PRAGMA on a writer connection, for diagnostics (`aisle admin` and tests).
    public func pragma(_ name: String) throws -> String? {
        guard name.allSatisfy({ $0.isLetter || $0 == "_" }) else { return nil }
        return try pool.write { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }
}
