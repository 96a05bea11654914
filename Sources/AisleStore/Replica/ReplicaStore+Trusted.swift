import Foundation
import GRDB

extension ReplicaStore {
    /// Keeps each record's `bytes` (a certificate or grant, checked by the caller) under its
    /// `kind` and `id`, all in one transaction; a second copy of the same id is ignored.
    public func keepTrusted(_ records: [(kind: String, id: [UInt8], bytes: [UInt8])]) async throws {
        try await writeTransaction { db, _ in
            let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO trusted (kind, id, bytes) VALUES (?, ?, ?)")
            for record in records {
                try insert.execute(arguments: [record.kind, Data(record.id), Data(record.bytes)])
            }
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
