import AisleCore
import Foundation
import GRDB

/// Stock rows: the most numerous of all (a store's every SKU, a hub's every store's), so kept
/// small. The table `stock` is keyed by the store's number and the SKU, and its `state` is the
/// counter in numbered form (``BoundedCounter/numberedBytes(_:)``), replica ids as numbers from
/// `name_numbers`; the view `stock_levels` shows it with store ids for people.
extension ObjectRows {
    /// The stock counter of `sku` at `store`, nil when never written.
    func loadStock(_ key: ObjectKey, at store: StoreID, _ db: Database) throws -> ObjectValue? {
        guard let storeNumber = try names.existingNumber(for: store.rawValue, db) else { return nil }
        // Read once per stock delta applied (unless the writer's memo holds it): the C API again.
        var statement = try BoundStatement(db, sql: "SELECT state FROM stock WHERE store_no = ? AND sku = ?")
        statement.bind(storeNumber)
        statement.bind(key.id)
        guard let state = try statement.firstBlob() else { return nil }
        return try decodeStock(state, at: key, db)
    }

    /// Writes `counter` as the stock of `sku` at `store`, with its read columns.
    func saveStock(_ counter: BoundedCounter, sku: String, at store: StoreID, replica: ReplicaID, _ db: Database)
        throws
    {
        let storeNumber = try names.number(for: store.rawValue, db)
        let state = try counter.numberedBytes { UInt64(try names.number(for: $0.rawValue, db)) }
        // The hottest write of all (one per stock delta applied): bound through the C API. The
        // row is the whole object, so REPLACE (an overwrite: `stock` has no other index) serves.
        var statement = try BoundStatement(
            db, sql: "INSERT OR REPLACE INTO stock (store_no, sku, level, sellable_here, state) VALUES (?, ?, ?, ?, ?)")
        statement.bind(storeNumber)
        statement.bind(sku)
        statement.bind(counter.value)
        statement.bind(max(Int64(0), counter.rights(of: replica)))
        statement.bind(state)
        try statement.run()
    }

    /// Runs `body` on every stock counter stored (of `store` only, when given).
    func forEachStock(
        at store: StoreID? = nil, _ db: Database, _ body: (ObjectKey, ObjectValue) throws -> Void
    ) throws {
        let rows: RowCursor
        if let store {
            guard let storeNumber = try names.existingNumber(for: store.rawValue, db) else { return }
            rows = try Row.fetchCursor(
                db, sql: "SELECT store_no, sku, state FROM stock WHERE store_no = ?", arguments: [storeNumber])
        } else {
            rows = try Row.fetchCursor(db, sql: "SELECT store_no, sku, state FROM stock")
        }
        while let row = try rows.next() {
            let number: Int64 = row[0]
            guard let storeName = try names.name(of: number, db), let store = try? StoreID(storeName) else {
                throw StoreError.unknownNumber(number)
            }
            let key = try ObjectKey(scope: .store(store), kind: .stock, id: row[1])
            try body(key, try decodeStock(Array(row[2] as Data), at: key, db))
        }
    }

    /// Decodes a numbered stock state; damage (or a replica number nobody has) is a
    /// ``StoreError/corruptState(_:_:)``.
    private func decodeStock(_ state: [UInt8], at key: ObjectKey, _ db: Database) throws -> ObjectValue {
        do {
            return .stock(
                try BoundedCounter(numberedBytes: state) { number in
                    try names.name(of: Int64(bitPattern: number), db).flatMap { try? ReplicaID($0) }
                })
        } catch let error as CanonicalDecodingError {
            throw StoreError.corruptState(key, error)
        }
    }
}
