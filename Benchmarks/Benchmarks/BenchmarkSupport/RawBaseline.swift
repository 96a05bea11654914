import Foundation
public import GRDB

/// The raw-SQLite baseline: the equivalent statements on plain tables, through the same library
/// (GRDB) and the same access as the Aisle store under test (a commit that does not sync runs on
/// the calling thread, one that syncs on GRDB's writer queue; reads on the reader pool), the same
/// WAL mode and the same `synchronous` setting.
public final class RawBaseline: Sendable {
    public let pool: DatabasePool
    public let path: String
    private let checkpointer: DatabaseQueue
    private let syncs: Bool

    public init(path: String, synchronous: String = "NORMAL") throws {
        self.path = path
        syncs = synchronous == "FULL"
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        pool = try DatabasePool(path: path, configuration: configuration)
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS stock (sku TEXT PRIMARY KEY NOT NULL, level INTEGER NOT NULL) WITHOUT ROWID;
                    CREATE TABLE IF NOT EXISTS cart_lines (
                        cart_id TEXT NOT NULL, sku TEXT NOT NULL, quantity INTEGER NOT NULL,
                        PRIMARY KEY (cart_id, sku)) WITHOUT ROWID;
                    """)
        }
        checkpointer = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// A passive checkpoint on a connection of its own, as the Aisle store does.
    public func checkpoint() throws {
        _ = try checkpointer.writeWithoutTransaction { db in try db.checkpoint(.passive) }
    }

    /// One write transaction, where the Aisle store would run it (``ReplicaStore``'s `memoTransaction`).
    private func write(_ updates: @escaping @Sendable (Database) throws -> Void) async throws {
        if syncs { try await pool.write(updates) } else { try writeHere(updates) }
    }

    private func writeHere(_ updates: (Database) throws -> Void) throws { try pool.write(updates) }

    /// Adds `amount` to each SKU's level, one upsert per SKU, all in one transaction.
    public func upsertStock(_ skus: [String], amount: Int = 1) async throws {
        try await write { db in
            let statement = try db.cachedStatement(
                sql:
                    "INSERT INTO stock (sku, level) VALUES (?, ?) ON CONFLICT (sku) DO UPDATE SET level = level + excluded.level"
            )
            for sku in skus { try statement.execute(arguments: [sku, amount]) }
        }
    }

    /// Adds one unit to a cart line: one upsert, one transaction.
    public func addCartLine(cart: String, sku: String) async throws {
        try await write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO cart_lines (cart_id, sku, quantity) VALUES (?, ?, 1)
                    ON CONFLICT (cart_id, sku) DO UPDATE SET quantity = quantity + 1
                    """
            ).execute(arguments: [cart, sku])
        }
    }

    /// Reads one SKU's level by primary key.
    public func level(of sku: String) throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT level FROM stock WHERE sku = ?"), arguments: [sku]) ?? 0
        }
    }

    /// Bytes of the main database file after a full checkpoint and VACUUM.
    public func compactedFileBytes() throws -> Int {
        try pool.writeWithoutTransaction { db in
            try db.checkpoint(.truncate)
            try db.execute(sql: "VACUUM")
            try db.checkpoint(.truncate)
        }
        return (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}
