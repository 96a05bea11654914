/// Everything one replica holds: the catalog, carts, each store's stock, loyalty accounts, orders.
///
/// A product of lattices, so itself a lattice: a delta is a sparse `RetailState` holding only
/// what one mutation changed, and applying a remote change is a join.
public struct RetailState: Lattice, CanonicalEncodable {
    public private(set) var catalog: Catalog
    public private(set) var carts: LatticeMap<CartID, Cart>
    /// Stock ledgers by store.
    public private(set) var stock: LatticeMap<StoreID, StockLedger>
    /// Points accounts by customer.
    public private(set) var loyalty: LatticeMap<CustomerID, LoyaltyAccount>
    public private(set) var orders: OrderBook

    public init() {
        catalog = .bottom
        carts = .bottom
        stock = .bottom
        loyalty = .bottom
        orders = .bottom
    }

    public static var bottom: RetailState { RetailState() }

    public func joined(with other: RetailState) -> RetailState {
        var result = self
        result.catalog.join(other.catalog)
        result.carts.join(other.carts)
        result.stock.join(other.stock)
        result.loyalty.join(other.loyalty)
        result.orders.join(other.orders)
        return result
    }

    /// Applies a catalog mutator; returns the delta.
    @discardableResult
    public mutating func updateCatalog<Failure: Error>(_ mutator: (inout Catalog) throws(Failure) -> Catalog)
        throws(Failure) -> RetailState
    {
        var delta = RetailState()
        delta.catalog = try mutator(&catalog)
        return delta
    }

    /// Applies a mutator to cart `id`; returns the delta.
    @discardableResult
    public mutating func updateCart<Failure: Error>(_ id: CartID, _ mutator: (inout Cart) throws(Failure) -> Cart)
        throws(Failure) -> RetailState
    {
        try update(\.carts, id, mutator)
    }

    /// Applies a mutator to the stock ledger of `store`; returns the delta.
    @discardableResult
    public mutating func updateStock<Failure: Error>(
        _ store: StoreID, _ mutator: (inout StockLedger) throws(Failure) -> StockLedger
    ) throws(Failure) -> RetailState {
        try update(\.stock, store, mutator)
    }

    /// Applies a mutator to the points account of `customer`; returns the delta.
    @discardableResult
    public mutating func updateLoyalty<Failure: Error>(
        _ customer: CustomerID, _ mutator: (inout LoyaltyAccount) throws(Failure) -> LoyaltyAccount
    ) throws(Failure) -> RetailState {
        try update(\.loyalty, customer, mutator)
    }

    private mutating func update<Key, Value, Failure: Error>(
        _ map: WritableKeyPath<RetailState, LatticeMap<Key, Value>>, _ key: Key,
        _ mutator: (inout Value) throws(Failure) -> Value
    ) throws(Failure) -> RetailState {
        var delta = RetailState()
        delta[keyPath: map] = try self[keyPath: map].update(key, mutator)
        return delta
    }

    /// Checks out cart `id`: seals its lines, prices them against the catalog, and records the
    /// order `orderID` with those prices locked. Returns the delta.
    ///
    /// - Throws: ``CartError`` if the cart is closed, empty, or holds an unpriced SKU; nothing changes.
    @discardableResult
    public mutating func checkOut(_ id: CartID, as orderID: OrderID, in store: StoreID?, at stamp: HLCTimestamp)
        throws(CartError) -> RetailState
    {
        let totals = carts[id].priced(with: catalog)
        guard totals.unpriced.isEmpty else { throw .unpriced(totals.unpriced) }
        var delta = try updateCart(id) { cart throws(CartError) in try cart.checkOut() }
        let order = Order(
            id: orderID, cart: id, customer: carts[id].owner.value, store: store, placedAt: stamp, totals: totals,
            catalogDigest: catalog.digest)
        delta.orders = orders.record(order)
        return delta
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(catalog)
        encoder.append(carts)
        encoder.append(stock)
        encoder.append(loyalty)
        encoder.append(orders)
    }
}
