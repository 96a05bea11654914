public import AisleCore
import Foundation
import GRDB

/// A cart with its price, as the till shows it.
public struct PricedCart: Sendable {
    /// The cart's CRDT state (lines, owner, phase, seal).
    public let cart: Cart
    /// The cart priced against this replica's catalog.
    public let totals: CartTotals
}

/// A SKU's stock in one store.
public struct StockLevel: Sendable, Equatable {
    /// Units in the store, as far as this replica knows.
    public let level: Int64
    /// Units this replica may sell without asking anyone.
    public let sellableHere: Int64

    /// A stock level as read.
    public init(level: Int64, sellableHere: Int64) {
        self.level = level
        self.sellableHere = sellableHere
    }
}

/// A customer's points.
public struct LoyaltyBalance: Sendable, Equatable {
    /// Points across the chain, as far as this replica knows.
    public let balance: Int64
    /// Points this replica may redeem without asking anyone.
    public let redeemableHere: Int64

    /// A balance as read.
    public init(balance: Int64, redeemableHere: Int64) {
        self.balance = balance
        self.redeemableHere = redeemableHere
    }
}

extension ReplicaStore {
    /// Cart `id` in `home`, priced against this replica's catalog (AisleCore pricing); nil when
    /// the cart was never written here.
    public func cart(_ id: CartID, in home: CartHome) throws -> PricedCart? {
        try pool.read { db in
            let key = try ObjectKey(scope: home.scope, kind: .cart, id: id.rawValue)
            guard case .cart(let cart)? = try self.rows.load(key, db) else { return nil }
            var catalog = RetailState()
            try ObjectRows.loadPricing(of: cart.visibleLines.map(\.sku), into: &catalog, db)
            return PricedCart(cart: cart, totals: cart.priced(with: catalog.catalog))
        }
    }

    /// This replica's catalog as far as it knows: products, prices, promotions, stores and their
    /// opening hours (what head office published and sync brought here).
    public func catalog() throws -> Catalog {
        try pool.read { db in
            var state = RetailState()
            try ObjectRows.loadCatalog(into: &state, db)
            return state.catalog
        }
    }

    /// The device certificates head office revoked in the catalog, as far as this replica knows
    /// (each signature checked when its change was received; `TrustStore.learn` checks it again).
    public func revocations() throws -> LatticeMap<CertificateID, Revocation> {
        try pool.read { db in
            var state = RetailState()
            try ObjectRows.loadCatalog(.revocation, into: &state, db)
            return state.catalog.revocations
        }
    }

    /// `device`'s renewed certificate head office published in the catalog, if this replica holds
    /// one (its signature checked when its change was received; the node checks it again).
    public func renewal(of device: ReplicaID) throws -> Renewal? {
        let renewal = try renewals(of: device)[device]
        return renewal == .bottom ? nil : renewal
    }

    /// Every renewed certificate head office published in the catalog (or only `device`'s).
    public func renewals(of device: ReplicaID? = nil) throws -> LatticeMap<ReplicaID, Renewal> {
        try pool.read { db in
            var state = RetailState()
            try ObjectRows.loadCatalog(.renewal, id: device?.rawValue, into: &state, db)
            return state.catalog.renewals
        }
    }

    /// Stock of `sku` in `store`; zero when never booked.
    public func stockLevel(of sku: SKU, in store: StoreID) throws -> StockLevel {
        let (level, sellable) = try readPair("SELECT level, sellable_here FROM stock WHERE store_no = ? AND sku = ?") {
            db in try self.rows.names.existingNumber(for: store.rawValue, db).map { [$0, sku.rawValue] }
        }
        return StockLevel(level: level, sellableHere: sellable)
    }

    /// The SKUs of `store` this replica holds rights to sell (the hub: what its bank can hand out).
    public func skusHeld(in store: StoreID) throws -> [SKU] {
        try pool.read { db -> [String] in
            guard let number = try self.rows.names.existingNumber(for: store.rawValue, db) else { return [] }
            return try String.fetchAll(
                db, sql: "SELECT sku FROM stock WHERE store_no = ? AND sellable_here > 0 ORDER BY sku",
                arguments: [number])
        }.map { try SKU($0) }
    }

    /// The customers whose points this replica holds rights to redeem.
    public func accountsHeld() throws -> [CustomerID] {
        try pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT customer_id FROM loyalty_balances WHERE redeemable_here > 0 ORDER BY customer_id")
        }.map { try CustomerID($0) }
    }

    /// Points of `customer`; zero when never booked.
    public func loyaltyBalance(of customer: CustomerID) throws -> LoyaltyBalance {
        let (balance, redeemable) = try readPair(
            "SELECT balance, redeemable_here FROM loyalty_balances WHERE customer_id = ?"
        ) { _ in [customer.rawValue] }
        return LoyaltyBalance(balance: balance, redeemableHere: redeemable)
    }

    /// The two integer columns of the row `sql` selects with the `arguments` worked out in the same
    /// read transaction; (0, 0) when there is no such row (or `arguments` is nil: nothing to find).
    private func readPair(
        _ sql: String, _ arguments: (Database) throws -> StatementArguments?
    ) throws -> (Int64, Int64) {
        try pool.read { db in
            guard let arguments = try arguments(db) else { return (0, 0) }
            // A cursor's row is read in place, without the copy `fetchOne` makes: this is the hot read.
            // The statement is ours and its arguments always match, so they are bound unchecked.
            let statement = try db.cachedStatement(sql: sql)
            statement.setUncheckedArguments(arguments)
            let rows = try Row.fetchCursor(statement)
            guard let row = try rows.next() else { return (0, 0) }
            return (row[0], row[1])
        }
    }

    /// Order `id` in `home`; nil when not recorded here.
    public func order(_ id: OrderID, in home: CartHome) throws -> Order? {
        let key = try ObjectKey(scope: home.scope, kind: .order, id: id.rawValue)
        guard case .order(let order)? = try pool.read({ db in try self.rows.load(key, db) }) else { return nil }
        return order
    }

    /// The orders recorded in `home`, oldest first.
    public func orders(in home: CartHome) throws -> [Order] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT order_id, state FROM orders WHERE scope = ? ORDER BY placed_at_ms, order_id",
                arguments: [home.scope.description]
            ).compactMap { row in
                let key = try ObjectKey(scope: home.scope, kind: .order, id: row["order_id"])
                guard case .order(let order) = try ObjectRows.decode(key, row["state"]) else { return nil }
                return order
            }
        }
    }
}
