import Foundation
import GRDB

/// A certificate or handoff grant as a store keeps it: opaque `bytes` under a `kind` and `id`,
/// with a grant's scope and end, by which a node reads a scope's older grants when it needs
/// them, and a certificate's device, role and end, by which it reads the certificates it does not
/// hold in memory and lists the devices it knows (nil where they do not apply).
public struct TrustedRow: Sendable, Equatable {
    public var kind: String
    public var id: [UInt8]
    public var bytes: [UInt8]
    public var scope: String?
    public var notAfter: UInt64?
    public var device: String?
    public var role: String?

    public init(
        kind: String, id: [UInt8], bytes: [UInt8], scope: String? = nil, notAfter: UInt64? = nil,
        device: String? = nil, role: String? = nil
    ) {
        self.kind = kind
        self.id = id
        self.bytes = bytes
        self.scope = scope
        self.notAfter = notAfter
        self.device = device
        self.role = role
    }
}

/// A kept certificate or grant as read back: its bytes, the admin key it was checked under (nil:
/// kept before that was noted), and whether what it is read by is noted (a grant's scope and end,
/// a certificate's device, role and end; one kept before those columns is not, until its node
/// notes them: ``ReplicaStore/noteTrusted(_:)``).
public struct KeptTrusted: Sendable {
    public let bytes: [UInt8]
    public let checkedBy: [UInt8]?
    public let noted: Bool
}

extension ReplicaStore {
    /// Keeps each record (a certificate or grant, checked by the caller under the admin key
    /// `checkedBy`), all in one transaction; a second copy of the same id only notes who checked
    /// it, and what it is read by.
    public func keepTrusted(_ records: [TrustedRow], checkedBy: [UInt8]) async throws {
        try await writeTransaction { db, _ in try Self.keep(records, checkedBy: checkedBy, db) }
    }

    /// As ``keepTrusted(_:checkedBy:)``, at once. Synchronous: for a node's start.
    public func keepTrustedNow(_ records: [TrustedRow], checkedBy: [UInt8]) throws {
        guard !records.isEmpty else { return }
        try pool.write { db in try Self.keep(records, checkedBy: checkedBy, db) }
    }

    private static func keep(_ records: [TrustedRow], checkedBy: [UInt8], _ db: Database) throws {
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO trusted (kind, id, bytes, checked_by, scope, not_after, device, role)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (kind, id) DO UPDATE SET checked_by = excluded.checked_by,
                    scope = coalesce(excluded.scope, scope), not_after = coalesce(excluded.not_after, not_after),
                    device = coalesce(excluded.device, device), role = coalesce(excluded.role, role)
                """)
        for record in records {
            try insert.execute(arguments: [
                record.kind, Data(record.id), Data(record.bytes), Data(checkedBy), record.scope,
                record.notAfter.map { Int64(bitPattern: $0) }, record.device, record.role,
            ])
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

    /// Notes what records kept before the store had columns for it are read by (a grant's scope
    /// and end, a certificate's device, role and end), read once, at the node's first start since.
    /// Synchronous: for a node's start.
    public func noteTrusted(_ records: [TrustedRow]) throws {
        guard !records.isEmpty else { return }
        try pool.write { db in
            let update = try db.cachedStatement(
                sql: "UPDATE trusted SET scope = ?, not_after = ?, device = ?, role = ? WHERE kind = ? AND id = ?")
            for record in records {
                try update.execute(arguments: [
                    record.scope, record.notAfter.map { Int64(bitPattern: $0) }, record.device, record.role,
                    record.kind, Data(record.id),
                ])
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

    /// What a node's start reads of `kind`, in id order: every record not noted yet
    /// (``noteTrusted(_:)``), or that the admin key `admin` did not check, or that ends at
    /// `endingFrom` or later (a grant), or whose role is not `setAside` (a certificate). A grant
    /// that ended before, and a certificate of the role set aside (a phone's), that this admin
    /// checked stay on disk until a change needs them (``trustedRecords(kind:scopes:)``,
    /// ``trustedRecords(kind:ids:)``).
    public func trustedRecords(kind: String, endingFrom: UInt64, checkedBy admin: [UInt8], setAside: String)
        throws -> [KeptTrusted]
    {
        try readTrusted(
            """
            WHERE kind = ? AND (checked_by IS NULL OR checked_by != ? OR (not_after IS NULL AND device IS NULL)
                OR (device IS NULL AND not_after >= ?) OR role != ?)
            ORDER BY id
            """, [kind, Data(admin), Int64(bitPattern: endingFrom), setAside])
    }

    /// The records of `kind` kept under `ids`, each read by its key, in one read.
    public func trustedRecords(kind: String, ids: some Sequence<[UInt8]>) throws -> [KeptTrusted] {
        try pool.read { db in
            let statement = try db.cachedStatement(sql: "\(Self.readTrustedColumns) WHERE kind = ? AND id = ?")
            return try ids.compactMap { id in
                try Row.fetchOne(statement, arguments: [kind, Data(id)]).map(KeptTrusted.init(row:))
            }
        }
    }

    /// The device, role and end noted of every record of `kind` kept with a device (every
    /// certificate), read from their columns: nothing is decoded.
    public func trustedSubjects(kind: String) throws -> [(device: String, role: String?, notAfter: UInt64?)] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT device, role, not_after FROM trusted WHERE kind = ? AND device IS NOT NULL",
                arguments: [kind]
            )
            .map { row in
                (row["device"], row["role"], (row["not_after"] as Int64?).map { UInt64(bitPattern: $0) })
            }
        }
    }

    /// The devices whose every record of `kind` kept here (certificates) is among `ids` (revoked
    /// ones): each id read by its key, each of their devices by its index.
    public func devices(kind: String, allAmong ids: Set<[UInt8]>) throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try pool.read { db in
            let deviceOf = try db.cachedStatement(sql: "SELECT device FROM trusted WHERE kind = ? AND id = ?")
            let idsOf = try db.cachedStatement(sql: "SELECT id FROM trusted WHERE device = ? AND kind = ?")
            var devices: Set<String> = []
            for id in ids {
                if let device = try String.fetchOne(deviceOf, arguments: [kind, Data(id)]) { devices.insert(device) }
            }
            return try devices.filter { device in
                try Data.fetchAll(idsOf, arguments: [device, kind]).allSatisfy { ids.contains(Array($0)) }
            }
        }
    }

    /// The records of `kind` kept for `scopes` (a customer's handoff grants), each scope read by
    /// its index.
    public func trustedRecords(kind: String, scopes: some Sequence<String>) throws -> [KeptTrusted] {
        try scopes.flatMap { scope in try readTrusted("WHERE scope = ? AND kind = ?", [scope, kind]) }
    }

    private func readTrusted(_ condition: String, _ arguments: StatementArguments) throws -> [KeptTrusted] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "\(Self.readTrustedColumns) \(condition)", arguments: arguments)
                .map(KeptTrusted.init(row:))
        }
    }

    private static let readTrustedColumns = """
        SELECT bytes, checked_by, not_after IS NOT NULL OR device IS NOT NULL AS noted FROM trusted
        """
}

extension KeptTrusted {
    fileprivate init(row: Row) {
        self.init(
            bytes: Array(row["bytes"] as Data), checkedBy: (row["checked_by"] as Data?).map { Array($0) },
            noted: row["noted"])
    }
}
