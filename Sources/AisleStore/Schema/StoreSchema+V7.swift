import AisleCore
import Foundation
import GRDB

extension StoreSchema {
    /// Stock rows made small (docs/storage.md, docs/performance.md `disk_bytes_per_row`): store
    /// and replica ids become numbers from one dictionary, `stock` is keyed by the store's number,
    /// its counter state is numbered (``BoundedCounter/numberedBytes(_:)``), and `stock_levels`
    /// becomes a view that shows store ids.
    static let v7 = """
        -- Names this file stores as numbers: store ids (stock.store_no) and replica ids (inside
        -- stock.state). A number never changes its name; numbers are local to this file.
        CREATE TABLE name_numbers (
            name_no INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );

        -- Stock per store number and SKU: level across the chain, what this replica may sell, the
        -- counter's CRDT state in numbered form. Read it through the view stock_levels.
        CREATE TABLE stock (
            store_no INTEGER NOT NULL,
            sku TEXT NOT NULL,
            level INTEGER NOT NULL,
            sellable_here INTEGER NOT NULL,
            state BLOB NOT NULL,
            PRIMARY KEY (store_no, sku)
        ) WITHOUT ROWID;
        """

    /// The view that replaces the v1 table `stock_levels`, with the same readable columns.
    static let v7View = """
        CREATE VIEW stock_levels (store_id, sku, level, sellable_here) AS
            SELECT name_numbers.name, stock.sku, stock.level, stock.sellable_here
            FROM stock JOIN name_numbers ON name_numbers.name_no = stock.store_no;
        """

    /// Creates the v7 tables, moves every `stock_levels` row into `stock` (its state re-encoded
    /// numbered), and replaces the table with the view. In the migration's transaction: a
    /// damaged state stops it, and the file stays as it was.
    static func migrateToNumberedStock(_ db: Database) throws {
        try db.execute(sql: v7)
        let rows = ObjectRows(names: NameNumbers())
        // Rows exist only in a file a replica has opened, which has its `replica` row.
        let owner = try String.fetchOne(db, sql: "SELECT replica_id FROM replica") ?? ""
        let old = try Row.fetchCursor(db, sql: "SELECT store_id, sku, state FROM stock_levels")
        while let row = try old.next() {
            let store = try StoreID(row[0])
            let key = try ObjectKey(scope: .store(store), kind: .stock, id: row[1])
            guard case .stock(let counter) = try ObjectRows.decode(key, row[2]) else { continue }
            try rows.saveStock(counter, sku: key.id, at: store, replica: try ReplicaID(owner), db)
        }
        try db.execute(sql: "DROP TABLE stock_levels")
        try db.execute(sql: v7View)
    }
}
