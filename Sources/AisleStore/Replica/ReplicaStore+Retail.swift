public import AisleCore
import GRDB
import Synchronization

/// The retail operations a till, kiosk or phone performs, each one transaction.
extension ReplicaStore {
    /// Edits cart `id` in `home` with `edit` (given this replica and a fresh timestamp).
    @discardableResult
    public func updateCart(
        _ id: CartID, in home: CartHome,
        _ edit: @escaping @Sendable (inout Cart, ReplicaID, HLCTimestamp) throws -> Cart
    ) async throws -> [Acknowledgement] {
        let me = replica
        return try await mutate(objects: [try ObjectKey(scope: home.scope, kind: .cart, id: id.rawValue)]) {
            state, stamp in
            try state.updateCart(id, in: home) { cart in try edit(&cart, me, stamp) }
        }
    }

    /// Checks out cart `id`: seals it and records order `orderID` with prices locked.
    @discardableResult
    public func checkOut(_ id: CartID, in home: CartHome, as orderID: OrderID, store: StoreID?) async throws
        -> [Acknowledgement]
    {
        let keys = [
            try ObjectKey(scope: home.scope, kind: .cart, id: id.rawValue),
            try ObjectKey(scope: home.scope, kind: .order, id: orderID.rawValue),
        ]
        return try await mutate(objects: keys, readsCatalog: true) { state, stamp in
            try state.checkOut(id, in: home, as: orderID, store: store, at: stamp)
        }
    }

    /// Checks out cart `id` at a till: seals it, records order `orderID` with prices locked, sells
    /// every unit from `store`'s stock within this replica's rights, and redeems `points` of the
    /// customer's as part payment within this replica's rights, in one transaction.
    ///
    /// - Throws: ``CartError``, ``StockError`` (the first line this till may not sell that many
    ///   of), ``PointsPaymentError`` or ``LoyaltyError`` (this till may not redeem that many
    ///   points); nothing is written.
    @discardableResult
    public func checkOut(
        _ id: CartID, in home: CartHome, as orderID: OrderID, sellingFrom store: StoreID, redeeming points: UInt64 = 0
    ) async throws -> [Acknowledgement] {
        let cartKey = try ObjectKey(scope: home.scope, kind: .cart, id: id.rawValue)
        let me = replica
        // The stock objects to declare are the cart's SKUs; a line added between this read and the
        // transaction is refused as an undeclared write, and the checkout is tried again.
        for attempt in 1...3 {
            var cartState = RetailState()
            if let value = try await pool.read({ db in try self.rows.load(cartKey, db) }) {
                try cartState.join(value, at: cartKey)
            }
            let skus = cartState.cart(id, in: home).lines.store.entries.keys.sorted()
            var keys =
                [cartKey, try ObjectKey(scope: home.scope, kind: .order, id: orderID.rawValue)]
                + skus.map { .stock($0, at: store) }
            if let customer = cartState.customer(of: id, in: home) {
                keys.append(.account(of: customer))
            }
            do {
                return try await mutate(objects: keys, readsCatalog: true) { state, stamp in
                    try state.checkOut(
                        id, in: home, as: orderID, sellingFrom: store, at: me, stamp: stamp, redeeming: points)
                }
            } catch StoreError.undeclaredWrite where attempt < 3 {
                continue
            }
        }
        preconditionFailure("unreachable: the last attempt returns or throws")
    }

    /// Books `units` of `sku` received in `store` (goods in or a return); this replica gains the rights.
    ///
    /// - Throws: ``AmountOutOfRange`` unless `units` is 1 to ``RetailLimits/maxUnits``.
    @discardableResult
    public func receiveStock(_ units: UInt64, of sku: SKU, in store: StoreID) async throws -> [Acknowledgement] {
        try RetailLimits.check(units, .units)
        return try await updateStock(sku, in: store) { ledger, me in ledger.receive(units, of: sku, at: me) }
    }

    /// Sells `units` of `sku` in `store` within this replica's rights.
    ///
    /// - Throws: ``StockError`` saying what is left and what this replica may sell;
    ///   ``AmountOutOfRange`` unless `units` is 1 to ``RetailLimits/maxUnits``.
    @discardableResult
    public func sell(_ units: UInt64, of sku: SKU, in store: StoreID) async throws -> [Acknowledgement] {
        try RetailLimits.check(units, .units)
        return try await updateStock(sku, in: store) { ledger, me in try ledger.sell(units, of: sku, at: me) }
    }

    /// Hands rights to sell `units` of `sku` in `store` to `recipient`.
    @discardableResult
    public func transferStockRights(_ units: UInt64, of sku: SKU, in store: StoreID, to recipient: ReplicaID)
        async throws -> [Acknowledgement]
    {
        try RetailLimits.check(units, .units)
        return try await updateStock(sku, in: store) { ledger, me in
            try ledger.transferRights(units, of: sku, from: me, to: recipient)
        }
    }

    private func updateStock(
        _ sku: SKU, in store: StoreID, _ edit: @escaping @Sendable (inout StockLedger, ReplicaID) throws -> StockLedger
    ) async throws -> [Acknowledgement] {
        let me = replica
        return try await mutate(objects: [.stock(sku, at: store)]) {
            state, _ in try state.updateStock(store) { ledger in try edit(&ledger, me) }
        }
    }

    /// Books `points` earned by `customer` at this replica.
    ///
    /// - Throws: ``AmountOutOfRange`` unless `points` is 1 to ``RetailLimits/maxUnits``.
    @discardableResult
    public func earnPoints(_ points: UInt64, for customer: CustomerID) async throws -> [Acknowledgement] {
        try RetailLimits.check(points, .points)
        return try await updateLoyalty(customer) { account, me in account.earn(points, at: me) }
    }

    /// Redeems `points` of `customer` within this replica's rights.
    ///
    /// - Throws: ``LoyaltyError`` saying the balance and what this replica may redeem;
    ///   ``AmountOutOfRange`` unless `points` is 1 to ``RetailLimits/maxUnits``.
    @discardableResult
    public func redeemPoints(_ points: UInt64, of customer: CustomerID) async throws -> [Acknowledgement] {
        try RetailLimits.check(points, .points)
        return try await updateLoyalty(customer) { account, me in try account.redeem(points, at: me) }
    }

    private func updateLoyalty(
        _ customer: CustomerID, _ edit: @escaping @Sendable (inout LoyaltyAccount, ReplicaID) throws -> LoyaltyAccount
    ) async throws -> [Acknowledgement] {
        let me = replica
        return try await mutate(objects: [.account(of: customer)]) {
            state, _ in try state.updateLoyalty(customer) { account in try edit(&account, me) }
        }
    }

    /// Hands rights of the bounded counter at `key` (a store's stock of one SKU, or a points
    /// account) from this replica to `recipient`: as many as `amount` decides from the counter as
    /// it stands inside the transaction. Nothing is written when that is 0.
    ///
    /// - Returns: the rights handed over, and the change's acknowledgement.
    public func transferRights(
        of key: ObjectKey, to recipient: ReplicaID, amount: @escaping @Sendable (BoundedCounter) -> UInt64
    ) async throws -> (units: UInt64, acknowledgements: [Acknowledgement]) {
        let me = replica
        let handed = Mutex<UInt64>(0)
        let acknowledgements = try await mutate(objects: [key]) { state, _ in
            let counter = try state.counter(at: key)
            let units = amount(counter)
            handed.withLock { $0 = units }
            guard units > 0 else { return RetailState() }
            switch key.scope {
            case .store(let store):
                let sku = try SKU(key.id)
                return try state.updateStock(store) { ledger in
                    try ledger.transferRights(units, of: sku, from: me, to: recipient)
                }
            case .loyalty(let customer):
                return try state.updateLoyalty(customer) { account in
                    try account.transferRights(units, from: me, to: recipient)
                }
            case .catalog, .customer:
                throw ObjectError.kindOutsideScope(key.kind, key.scope)
            }
        }
        return (handed.withLock { $0 }, acknowledgements)
    }

    /// The bounded counter at `key` (a store's stock of one SKU, or a points account) as this
    /// replica holds it now; empty when never written.
    public func counter(at key: ObjectKey) throws -> BoundedCounter {
        try counters(at: [key])[key]!
    }

    /// The bounded counters at `keys`, read in one read transaction (a till or hub weighing the
    /// rights of a whole store pays one, not one per SKU); each empty when never written.
    public func counters(at keys: [ObjectKey]) throws -> [ObjectKey: BoundedCounter] {
        let values = try pool.read { db in try keys.map { try self.rows.load($0, db) } }
        var counters: [ObjectKey: BoundedCounter] = [:]
        counters.reserveCapacity(keys.count)
        for (key, value) in zip(keys, values) {
            var state = RetailState()
            if let value { try state.join(value, at: key) }
            counters[key] = try state.counter(at: key)
        }
        return counters
    }

    /// Adds `sku` to `customer`'s wishlist, noting where (`app`, or the store that scanned it).
    @discardableResult
    public func addToWishlist(_ sku: SKU, of customer: CustomerID, from place: String) async throws
        -> [Acknowledgement]
    {
        try await mutate(objects: [.wishlist(of: customer)]) {
            state, stamp in
            state.updateWishlist(customer) { $0.add(sku, from: place, at: stamp) }
        }
    }

    /// Removes `sku` from `customer`'s wishlist (nothing is written when it is not on it).
    @discardableResult
    public func removeFromWishlist(_ sku: SKU, of customer: CustomerID) async throws -> [Acknowledgement] {
        try await mutate(objects: [.wishlist(of: customer)]) { state, _ in
            state.updateWishlist(customer) { $0.remove(sku) }
        }
    }

    /// `customer`'s wishlist: each SKU with where it was added, by SKU.
    public func wishlist(of customer: CustomerID) throws -> [(sku: SKU, addedAt: String)] {
        let key = ObjectKey.wishlist(of: customer)
        guard case .wishlist(let wishlist)? = try pool.read({ db in try self.rows.load(key, db) }) else { return [] }
        return wishlist.entries
    }

    /// Publishes a catalog change touching the given objects (head office).
    @discardableResult
    public func updateCatalog(
        touching keys: [ObjectKey], _ edit: @escaping @Sendable (inout Catalog, HLCTimestamp) throws -> Catalog
    ) async throws -> [Acknowledgement] {
        try await mutate(objects: keys) { state, stamp in
            try state.updateCatalog { catalog in try edit(&catalog, stamp) }
        }
    }
}
