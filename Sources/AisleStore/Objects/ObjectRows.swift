import AisleCore
import Foundation
import GRDB

/// Reads and writes one replicated object as its row: the CRDT state in `state`, and the columns
/// of its read table kept in step in the same transaction.
struct ObjectRows: Sendable {
    /// The numbers that stand for store and replica ids in `stock` rows.
    let names: NameNumbers

    /// The object at `key`, nil when never written.
    func load(_ key: ObjectKey, _ db: Database) throws -> ObjectValue? {
        if case (.stock, .store(let store)) = (key.kind, key.scope) { return try loadStock(key, at: store, db) }
        return try Self.loadRow(key, db)
    }

    /// The object at `key` from its table's `state` column (every kind but stock), nil when never written.
    /// Bound through SQLite's C API (``BoundStatement``): a till prices a cart by reading each
    /// line's price, and GRDB's argument handling cost more than the lookups themselves.
    private static func loadRow(_ key: ObjectKey, _ db: Database) throws -> ObjectValue? {
        let (sql, arguments) = select(key)
        var statement = try BoundStatement(db, sql: sql)
        for argument in arguments { statement.bind(argument) }
        guard let bytes = try statement.firstBlob() else { return nil }
        return try decode(key, bytes)
    }

    /// Decodes a stored state column (of any table but `stock`, whose states are numbered);
    /// damage is a ``StoreError/corruptState(_:_:)``.
    static func decode(_ key: ObjectKey, _ data: Data) throws -> ObjectValue {
        try decode(key, Array(data))
    }

    static func decode(_ key: ObjectKey, _ bytes: [UInt8]) throws -> ObjectValue {
        do {
            return try ObjectValue(key.kind, canonicalBytes: bytes)
        } catch {
            throw StoreError.corruptState(key, error)
        }
    }

    private static func select(_ key: ObjectKey) -> (String, [String]) {
        switch (key.kind, key.scope) {
        case (.cart, _):
            ("SELECT state FROM carts WHERE scope = ? AND cart_id = ?", [key.scope.description, key.id])
        case (.order, _):
            ("SELECT state FROM orders WHERE scope = ? AND order_id = ?", [key.scope.description, key.id])
        case (.account, .loyalty(let customer)):
            ("SELECT state FROM loyalty_balances WHERE customer_id = ?", [customer.rawValue])
        case (.reservation, .store(let store)):
            ("SELECT state FROM reservations WHERE store_id = ? AND reservation_id = ?", [store.rawValue, key.id])
        case (.wishlist, .customer(let customer)):
            ("SELECT state FROM wishlists WHERE customer_id = ?", [customer.rawValue])
        case (.reservationNote, .customer(let customer)):
            (
                "SELECT state FROM reservation_notes WHERE customer_id = ? AND reservation_id = ?",
                [customer.rawValue, key.id]
            )
        default:
            ("SELECT state FROM catalog_entries WHERE kind = ? AND id = ?", [key.kind.description, key.id])
        }
    }

    /// Writes `value` as the object at `key`, with its read-table columns; `replica` is this
    /// replica (for "sellable here" and "redeemable here"), `previous` what the row held (so only
    /// the cart lines that changed are rewritten).
    func save(
        _ value: ObjectValue, at key: ObjectKey, previous: ObjectValue?, replica: ReplicaID, _ db: Database
    ) throws {
        var state: Data { Data(value.canonicalBytes) }
        switch (value, key.scope) {
        case (.stock(let counter), .store(let store)):
            try saveStock(counter, sku: key.id, at: store, replica: replica, db)
        case (.cart(let cart), let scope):
            var previousLines: [CartLineView] = []
            if case .cart(let old)? = previous { previousLines = old.visibleLines }
            try Self.saveCart(
                cart, previousLines: previousLines, scope: scope, id: key.id, state: value.canonicalBytes, db)
        case (.order(let order), let scope):
            let totals = order.totals
            try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO orders (scope, order_id, cart_id, customer_id, store_id, placed_at_ms,
                        placed_by, subtotal_minor, discount_minor, total_minor, points, state)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                scope.description, key.id, order.cart.rawValue, order.customer?.rawValue, order.store?.rawValue,
                Int64(order.placedAt.physical), order.placedAt.replica.rawValue, totals.subtotal,
                totals.discount, totals.total, totals.points, state,
            ])
        case (.account(let account), .loyalty(let customer)):
            try db.cachedStatement(
                sql: """
                    INSERT INTO loyalty_balances (customer_id, balance, redeemable_here, state) VALUES (?, ?, ?, ?)
                    ON CONFLICT (customer_id) DO UPDATE SET
                        balance = excluded.balance, redeemable_here = excluded.redeemable_here, state = excluded.state
                    """
            ).execute(arguments: [customer.rawValue, account.balance, max(0, account.redeemable(at: replica)), state])
        case (.reservation(let reservation), .store(let store)):
            let terms = reservation.terms
            let lines = terms?.lines.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }
            try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO reservations (store_id, reservation_id, customer_id, phase, custodian,
                        expires_at_ms, lines, state)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                store.rawValue, key.id, terms?.customer.rawValue, reservation.phase.value.description,
                reservation.custodian?.rawValue, terms.map { Int64($0.expiresAt) },
                lines?.joined(separator: ", ") ?? "", state,
            ])
        case (.reservationNote(let note), .customer(let customer)):
            let lines = note.terms?.lines.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }
            try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO reservation_notes (customer_id, reservation_id, store_id, phase,
                        expires_at_ms, lines, state)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                customer.rawValue, key.id, note.terms?.store.rawValue, note.phase.value.description,
                note.terms.map { Int64(clamping: $0.expiresAt) }, lines?.joined(separator: ", ") ?? "", state,
            ])
        case (.wishlist(let wishlist), .customer(let customer)):
            let skus = wishlist.entries.map(\.sku.rawValue)
            try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO wishlists (customer_id, items, item_count, state) VALUES (?, ?, ?, ?)"
            ).execute(arguments: [customer.rawValue, skus.joined(separator: ", "), skus.count, state])
        default:
            try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO catalog_entries (kind, id, state) VALUES (?, ?, ?)"
            ).execute(arguments: [key.kind.description, key.id, state])
            if key.kind == .product || key.kind == .price { try Self.refreshProduct(sku: key.id, db) }
        }
    }

    /// A cart's row and its changed lines (a cart edit is the till's most frequent local write:
    /// bound through the C API, like the stock rows).
    private static func saveCart(
        _ cart: Cart, previousLines: [CartLineView], scope: Scope, id: String, state: [UInt8], _ db: Database
    ) throws {
        let lines = cart.visibleLines
        let scopeName = scope.description
        var row = try BoundStatement(
            db,
            sql: """
                INSERT OR REPLACE INTO carts (scope, cart_id, owner, phase, line_count, item_count, late_edits, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
        row.bind(scopeName)
        row.bind(id)
        row.bind(cart.owner.value?.rawValue)
        row.bind(cart.phase.value.description)
        row.bind(lines.count)
        row.bind(lines.reduce(0) { $0 + $1.quantity })
        row.bind(cart.lateEdits.count)
        row.bind(state)
        try row.run()
        // Rewrite only the lines that changed: one edit touches one line of a long cart.
        let current = Dictionary(uniqueKeysWithValues: lines.map { ($0.sku, $0) })
        for old in previousLines where current[old.sku] == nil {
            var delete = try BoundStatement(
                db, sql: "DELETE FROM cart_lines WHERE scope = ? AND cart_id = ? AND sku = ?")
            delete.bind(scopeName)
            delete.bind(id)
            delete.bind(old.sku.rawValue)
            try delete.run()
        }
        let unchanged = Set(previousLines.filter { current[$0.sku] == $0 }.map(\.sku))
        for line in lines where !unchanged.contains(line.sku) {
            var upsert = try BoundStatement(
                db,
                sql: "INSERT OR REPLACE INTO cart_lines (scope, cart_id, sku, quantity, note) VALUES (?, ?, ?, ?, ?)")
            upsert.bind(scopeName)
            upsert.bind(id)
            upsert.bind(line.sku.rawValue)
            upsert.bind(line.quantity)
            upsert.bind(line.note)
            try upsert.run()
        }
    }

    private static func refreshProduct(sku: String, _ db: Database) throws {
        let product = try loadRow(ObjectKey(scope: .catalog, kind: .product, id: sku), db)
        let price = try loadRow(ObjectKey(scope: .catalog, kind: .price, id: sku), db)
        guard case .product(let productRegister)? = product else {
            try db.execute(sql: "DELETE FROM products WHERE sku = ?", arguments: [sku])
            if case .price(let register)? = price, let minor = register.value ?? nil {
                try db.execute(
                    sql: "INSERT INTO products (sku, name, category, price_minor) VALUES (?, NULL, NULL, ?)",
                    arguments: [sku, minor])
            }
            return
        }
        var minor: Int64?
        if case .price(let register)? = price { minor = register.value ?? nil }
        let described = productRegister.value ?? nil
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO products (sku, name, category, price_minor) VALUES (?, ?, ?, ?)"
        ).execute(arguments: [sku, described?.name, described?.category, minor])
    }

    /// Joins every catalog object into `state` (pricing needs the whole catalog).
    static func loadCatalog(into state: inout RetailState, _ db: Database) throws {
        try forEachCatalogEntry(db) { key, data in try state.join(try decode(key, data), at: key) }
    }

    /// Joins every catalog object of `kind` (or only the one whose id is `id`) into `state`.
    static func loadCatalog(_ kind: ObjectKind, id: String? = nil, into state: inout RetailState, _ db: Database)
        throws
    {
        try forEachRow(
            db, "SELECT id, state FROM catalog_entries WHERE kind = ?" + (id == nil ? "" : " AND id = ?"),
            id.map { [kind.description, $0] } ?? [kind.description],
            { row in try ObjectKey(scope: .catalog, kind: kind, id: row[0]) }
        ) { key, data in try state.join(try decode(key, data), at: key) }
    }

    /// Joins into `state` what pricing lines of `skus` reads of the catalog (``Pricing``): their
    /// prices and every promotion, not the whole catalog (a till shows its cart on every change).
    static func loadPricing(of skus: some Sequence<SKU>, into state: inout RetailState, _ db: Database) throws {
        try loadCatalog(.promotion, into: &state, db)
        // Every line's price in one query: a SKU is an identifier ([A-Za-z0-9._:-]), so quoting
        // each makes a JSON array.
        var prices = try BoundStatement(
            db, sql: "SELECT id, state FROM catalog_entries WHERE kind = ? AND id IN (SELECT value FROM json_each(?))")
        prices.bind(ObjectKind.price.description)
        prices.bind("[" + skus.map { "\"\($0.rawValue)\"" }.joined(separator: ",") + "]")
        try prices.forEachRow { id, bytes in
            let key = try ObjectKey(scope: .catalog, kind: .price, id: id)
            try state.join(try decode(key, bytes), at: key)
        }
    }

    /// Every object stored, as a state (for digests, backups checks and tests).
    func loadAll(_ db: Database) throws -> RetailState {
        var state = RetailState()
        let add: (ObjectKey, Data) throws -> Void = { key, data in
            try state.join(try Self.decode(key, data), at: key)
        }
        try Self.forEachCatalogEntry(db, add)
        try forEachStock(db) { key, value in try state.join(value, at: key) }
        try Self.forEachRow(db, "SELECT scope, cart_id, state FROM carts", [], Self.scopedKey(.cart), add)
        try Self.forEachRow(db, "SELECT scope, order_id, state FROM orders", [], Self.scopedKey(.order), add)
        try Self.forEachRow(db, "SELECT customer_id, state FROM loyalty_balances", [], Self.accountKey, add)
        try Self.forEachRow(
            db, "SELECT store_id, reservation_id, state FROM reservations", [], Self.reservationKey, add)
        try Self.forEachRow(db, "SELECT customer_id, state FROM wishlists", [], Self.wishlistKey, add)
        try Self.forEachRow(
            db, "SELECT customer_id, reservation_id, state FROM reservation_notes", [], Self.noteKey, add)
        return state
    }

    /// Runs `body` on every object of `scope`, each with its whole state (a snapshot's content).
    func forEachObject(
        in scope: Scope, _ db: Database, _ body: (ObjectKey, ObjectValue) throws -> Void
    ) throws {
        let add: (ObjectKey, Data) throws -> Void = { key, data in try body(key, try Self.decode(key, data)) }
        let name: any DatabaseValueConvertible = scope.description
        switch scope {
        case .catalog:
            try Self.forEachCatalogEntry(db, add)
        case .loyalty(let customer):
            try Self.forEachRow(
                db, "SELECT customer_id, state FROM loyalty_balances WHERE customer_id = ?", [customer.rawValue],
                Self.accountKey, add)
        case .store, .customer:
            if case .store(let store) = scope {
                try forEachStock(at: store, db, body)
                try Self.forEachRow(
                    db, "SELECT store_id, reservation_id, state FROM reservations WHERE store_id = ?",
                    [store.rawValue], Self.reservationKey, add)
            }
            try Self.forEachRow(
                db, "SELECT scope, cart_id, state FROM carts WHERE scope = ?", [name], Self.scopedKey(.cart), add)
            try Self.forEachRow(
                db, "SELECT scope, order_id, state FROM orders WHERE scope = ?", [name], Self.scopedKey(.order), add)
            if case .customer(let customer) = scope {
                try Self.forEachRow(
                    db, "SELECT customer_id, state FROM wishlists WHERE customer_id = ?", [customer.rawValue],
                    Self.wishlistKey, add)
                try Self.forEachRow(
                    db, "SELECT customer_id, reservation_id, state FROM reservation_notes WHERE customer_id = ?",
                    [customer.rawValue], Self.noteKey, add)
            }
        }
    }

    private static func forEachCatalogEntry(_ db: Database, _ body: (ObjectKey, Data) throws -> Void) throws {
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT kind, id, state FROM catalog_entries")) {
            guard let kind = ObjectKind.allCases.first(where: { $0.description == row["kind"] as String }) else {
                continue
            }
            try body(try ObjectKey(scope: .catalog, kind: kind, id: row["id"]), row["state"])
        }
    }

    /// Runs `body` on the key and state of every row `sql` selects (the state is the last column).
    private static func forEachRow(
        _ db: Database, _ sql: String, _ arguments: [any DatabaseValueConvertible], _ key: (Row) throws -> ObjectKey,
        _ body: (ObjectKey, Data) throws -> Void
    ) throws {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
        while let row = try rows.next() { try body(try key(row), row["state"]) }
    }

    private static func wishlistKey(_ row: Row) throws -> ObjectKey {
        try ObjectKey(scope: .customer(try CustomerID(row[0])), kind: .wishlist, id: "")
    }

    private static func noteKey(_ row: Row) throws -> ObjectKey {
        .reservationNote(try ReservationID(row[1]), of: try CustomerID(row[0]))
    }

    private static func reservationKey(_ row: Row) throws -> ObjectKey {
        try ObjectKey(scope: .store(try StoreID(row[0])), kind: .reservation, id: row[1])
    }

    private static func scopedKey(_ kind: ObjectKind) -> (Row) throws -> ObjectKey {
        { row in try ObjectKey(scope: try Scope(row[0]), kind: kind, id: row[1]) }
    }

    private static func accountKey(_ row: Row) throws -> ObjectKey {
        try ObjectKey(scope: .loyalty(try CustomerID(row[0])), kind: .account, id: "")
    }
}
