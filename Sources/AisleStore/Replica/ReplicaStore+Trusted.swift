import Foundation
import GRDB

extension ReplicaStore {
    /// Keeps each record's `bytes` (a certificate or grant, checked by the caller under the admin
    /// key `checkedBy`) under its `kind` and `id`, all in one transaction; a second copy of the
    /// same id only notes who checked it.
    public func keepTrusted(_ records: [(kind: String, id: [UInt8], bytes: [UInt8])], checkedBy: [UInt8])
        async throws
    {
        try await writeTransaction { db, _ in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO trusted (kind, id, bytes, checked_by) VALUES (?, ?, ?, ?)
                    ON CONFLICT (kind, id) DO UPDATE SET checked_by = excluded.checked_by
                    """)
            for record in records {
                try insert.execute(arguments: [record.kind, Data(record.id), Data(record.bytes), Data(checkedBy)])
            }
        }
    }

    /// Notes that the records `ids` of `kind`, kept earlier, were checked under the admin key
    /// `checkedBy` (a node that checked them when it started). Synchronous: for a node's start.
    public func noteTrustedChecked(kind: String, ids: [[UInt8]], checkedBy: [UInt8]) throws {
        guard !ids.isEmpty else { return }
        try pool.write { db in
            let update = try db.cachedStatement(sql: "UPDATE trusted SET checked_by = ? WHERE kind = ? AND id = ?")
            for id in ids { try update.execute(arguments: [Data(checkedBy), kind, Data(id)]) }
        }
    }

    /// Everything kept under `kind`, in id order.
    public func trusted(kind: String) throws -> [[UInt8]] {
        try trustedRecords(kind: kind).map(\.bytes)
    }

    /// Everything kept under `kind`, in id order, each with the admin key it was checked under
    /// (nil: kept before that was noted).
    public func trustedRecords(kind: String) throws -> [(bytes: [UInt8], checkedBy: [UInt8]?)] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT bytes, checked_by FROM trusted WHERE kind = ? ORDER BY id", arguments: [kind]
            )
            .map { row in (Array(row["bytes"] as Data), (row["checked_by"] as Data?).map { Array($0) }) }
        }
    }
}
