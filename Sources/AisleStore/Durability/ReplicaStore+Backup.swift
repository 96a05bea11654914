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

    /// Restores a backup made by ``backup(to:)`` into a new database file at `path`.
    ///
    /// - Throws: ``StoreError/missingFile(_:)`` or ``StoreError/targetExists(_:)``; nothing is overwritten.
    public static func restore(from backup: String, to path: String) throws {
        guard FileManager.default.fileExists(atPath: backup) else { throw StoreError.missingFile(backup) }
        guard !FileManager.default.fileExists(atPath: path) else { throw StoreError.targetExists(path) }
        var readOnly = Configuration()
        readOnly.readonly = true
        let source = try DatabaseQueue(path: backup, configuration: readOnly)
        let target = try DatabasePool(path: path)
        try source.backup(to: target)
        try source.close()
        try target.close()
    }
}

extension ReplicaStore {
    /// The value of a PRAGMA on a writer connection, for diagnostics (`aisle admin` and tests).
    public func pragma(_ name: String) throws -> String? {
        guard name.allSatisfy({ $0.isLetter || $0 == "_" }) else { return nil }
        return try pool.write { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }
}
