import Foundation
import GRDB

/// A certificate or handoff grant as a store keeps it: opaque `bytes` under a `kind` and `id`,
/// with a grant's scope and end (nil for a certificate), by which a node reads a scope's older
/// grants when it needs them.
public struct TrustedRow: Sendable, Equatable {
    public var kind: String
    public var id: [UInt8]
    public var bytes: [UInt8]
    public var scope: String?
    public var notAfter: UInt64?

    public init(kind: String, id: [UInt8], bytes: [UInt8], scope: String? = nil, notAfter: UInt64? = nil) {
        self.kind = kind
        self.id = id
        self.bytes = bytes
        self.scope = scope
        self.notAfter = notAfter
    }
}

/// A kept certificate or grant as read back: its bytes, the admin key it was checked under (nil:
/// kept before that was noted), and whether its scope and end are noted (a grant kept before
/// they were is not, until its node notes them: ``ReplicaStore/noteTrustedEnds(kind:_:)``).
public struct KeptTrusted: Sendable {
    public let bytes: [UInt8]
    public let checkedBy: [UInt8]?
    public let endNoted: Bool
}

extension ReplicaStore {
    /// Keeps each record (a certificate or grant, checked by the caller under the admin key
    /// `checkedBy`), all in one transaction; a second copy of the same id only notes who checked
    /// it, and its scope and end.
    public func keepTrusted(_ records: [TrustedRow], checkedBy: [UInt8]) async throws {
        try await writeTransaction { db, _ in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO trusted (kind, id, bytes, checked_by, scope, not_after) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (kind, id) DO UPDATE SET checked_by = excluded.checked_by,
                        scope = coalesce(excluded.scope, scope), not_after = coalesce(excluded.not_after, not_after)
                    """)
            for record in records {
                try insert.execute(arguments: [
                    record.kind, Data(record.id), Data(record.bytes), Data(checkedBy), record.scope,
                    record.notAfter.map { Int64(bitPattern: $0) },
                ])
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

    /// Notes the scope and end of grants kept before the store had columns for them (read once,
    /// at the node's first start since). Synchronous: for a node's start.
    public func noteTrustedEnds(kind: String, _ ends: [(id: [UInt8], scope: String, notAfter: UInt64)]) throws {
        guard !ends.isEmpty else { return }
        try pool.write { db in
            let update = try db.cachedStatement(
                sql: "UPDATE trusted SET scope = ?, not_after = ? WHERE kind = ? AND id = ?")
            for end in ends {
                try update.execute(arguments: [end.scope, Int64(bitPattern: end.notAfter), kind, Data(end.id)])
            }
        }
    }

    /// Everything kept under `kind`, in id order.
    public func trusted(kind: String) throws -> [[UInt8]] {
        try trustedRecords(kind: kind).map(\.bytes)
    }

    /// Everything kept under `kind`, in id order.
    public func trustedRecords(kind: String) throws -> [KeptTrusted] {
        try readTrusted("WHERE kind = ? ORDER BY id", [kind])
    }

    /// What a node's start reads of `kind`, in id order: every record whose end is not noted
    /// (every certificate), or that ends at `endingFrom` or later, or that the admin key `admin`
    /// did not check. A grant that ended before and that this admin checked stays on disk until a
    /// change needs it (``trustedRecords(kind:scopes:)``).
    public func trustedRecords(kind: String, endingFrom: UInt64, checkedBy admin: [UInt8]) throws -> [KeptTrusted] {
        try readTrusted(
            """
            WHERE kind = ? AND (not_after IS NULL OR not_after >= ? OR checked_by IS NULL OR checked_by != ?)
            ORDER BY id
            """, [kind, Int64(bitPattern: endingFrom), Data(admin)])
    }

    /// The records of `kind` kept for `scopes` (a customer's handoff grants), each scope read by
    /// its index.
    public func trustedRecords(kind: String, scopes: some Sequence<String>) throws -> [KeptTrusted] {
        try scopes.flatMap { scope in try readTrusted("WHERE scope = ? AND kind = ?", [scope, kind]) }
    }

    private func readTrusted(_ condition: String, _ arguments: StatementArguments) throws -> [KeptTrusted] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT bytes, checked_by, not_after IS NOT NULL AS noted FROM trusted \(condition)",
                arguments: arguments
            )
            .map { row in
                KeptTrusted(
                    bytes: Array(row["bytes"] as Data), checkedBy: (row["checked_by"] as Data?).map { Array($0) },
                    endNoted: row["noted"])
            }
        }
    }
}
