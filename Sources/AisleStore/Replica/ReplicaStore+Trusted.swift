import Foundation
import GRDB

extension ReplicaStore {
    /// Keeps `bytes` (a certificate or grant, checked by the caller) under `kind` and `id`; a
    /// second copy of the same id is ignored.
    public func keepTrusted(kind: String, id: [UInt8], bytes: [UInt8]) async throws {
        try await writeTransaction { db, _ in
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO trusted (kind, id, bytes) VALUES (?, ?, ?)").execute(
                arguments: [kind, Data(id), Data(bytes)])
        }
    }

    /// Everything kept under `kind`, in id order.
    public func trusted(kind: String) throws -> [[UInt8]] {
        try pool.read { db in
            try Data.fetchAll(db, sql: "SELECT bytes FROM trusted WHERE kind = ? ORDER BY id", arguments: [kind])
                .map { Array($0) }
        }
    }
}
