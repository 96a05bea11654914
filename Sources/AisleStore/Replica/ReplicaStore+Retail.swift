public import AisleCore

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

    /// Books `units` of `sku` received in `store` (goods in or a return); this replica gains the rights.
    @discardableResult
    public func receiveStock(_ units: UInt64, of sku: SKU, in store: StoreID) async throws -> [Acknowledgement] {
        try await updateStock(sku, in: store) { ledger, me in ledger.receive(units, of: sku, at: me) }
    }

    /// Sells `units` of `sku` in `store` within this replica's rights.
    ///
    /// - Throws: ``StockError`` saying what is left and what this replica may sell.
    @discardableResult
    public func sell(_ units: UInt64, of sku: SKU, in store: StoreID) async throws -> [Acknowledgement] {
        try await updateStock(sku, in: store) { ledger, me in try ledger.sell(units, of: sku, at: me) }
    }

    /// Hands rights to sell `units` of `sku` in `store` to `recipient`.
    @discardableResult
    public func transferStockRights(_ units: UInt64, of sku: SKU, in store: StoreID, to recipient: ReplicaID)
        async throws -> [Acknowledgement]
    {
        try await updateStock(sku, in: store) { ledger, me in
            try ledger.transferRights(units, of: sku, from: me, to: recipient)
        }
    }

    private func updateStock(
        _ sku: SKU, in store: StoreID, _ edit: @escaping @Sendable (inout StockLedger, ReplicaID) throws -> StockLedger
    ) async throws -> [Acknowledgement] {
        let me = replica
        return try await mutate(objects: [try ObjectKey(scope: .store(store), kind: .stock, id: sku.rawValue)]) {
            state, _ in try state.updateStock(store) { ledger in try edit(&ledger, me) }
        }
    }

    /// Books `points` earned by `customer` at this replica.
    @discardableResult
    public func earnPoints(_ points: UInt64, for customer: CustomerID) async throws -> [Acknowledgement] {
        try await updateLoyalty(customer) { account, me in account.earn(points, at: me) }
    }

    /// Redeems `points` of `customer` within this replica's rights.
    ///
    /// - Throws: ``LoyaltyError`` saying the balance and what this replica may redeem.
    @discardableResult
    public func redeemPoints(_ points: UInt64, of customer: CustomerID) async throws -> [Acknowledgement] {
        try await updateLoyalty(customer) { account, me in try account.redeem(points, at: me) }
    }

    private func updateLoyalty(
        _ customer: CustomerID, _ edit: @escaping @Sendable (inout LoyaltyAccount, ReplicaID) throws -> LoyaltyAccount
    ) async throws -> [Acknowledgement] {
        let me = replica
        return try await mutate(objects: [try ObjectKey(scope: .loyalty(customer), kind: .account, id: "")]) {
            state, _ in try state.updateLoyalty(customer) { account in try edit(&account, me) }
        }
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
