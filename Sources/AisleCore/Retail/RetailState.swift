/// Everything one replica holds, by scope: the catalog, each store's stock and walk-in carts,
/// each customer's carts and orders, and each customer's points account.
///
/// A product of lattices, so itself a lattice: a delta is a sparse `RetailState` holding only
/// what one mutation changed, and applying a remote change is a join.
public struct RetailState: Lattice, CanonicalEncodable {
    public internal(set) var catalog: Catalog
    /// Store scopes by store.
    public internal(set) var stores: LatticeMap<StoreID, StoreState>
    /// Customer scopes (carts and order history) by customer.
    public internal(set) var customers: LatticeMap<CustomerID, Shopping>
    /// Loyalty scopes (points accounts) by customer.
    public internal(set) var loyalty: LatticeMap<CustomerID, LoyaltyAccount>

    public init() {
        catalog = .bottom
        stores = .bottom
        customers = .bottom
        loyalty = .bottom
    }

    public static var bottom: RetailState { RetailState() }

    public func joined(with other: RetailState) -> RetailState {
        var result = self
        result.join(other)
        return result
    }

    public mutating func join(_ other: RetailState) {
        catalog.join(other.catalog)
        stores.join(other.stores)
        customers.join(other.customers)
        loyalty.join(other.loyalty)
    }

    // MARK: Reading

    /// The carts and orders of `home`.
    public func shopping(in home: CartHome) -> Shopping {
        switch home {
        case .store(let store): stores[store].shopping
        case .customer(let customer): customers[customer]
        }
    }

    /// Cart `id` in `home` (bottom, an empty open cart, when never written).
    public func cart(_ id: CartID, in home: CartHome) -> Cart {
        shopping(in: home).carts[id]
    }

    /// The stock ledger of `store`.
    public func stock(at store: StoreID) -> StockLedger {
        stores[store].stock
    }

    // MARK: Mutating

    /// Applies a catalog mutator; returns the delta.
    @discardableResult
    public mutating func updateCatalog<Failure: Error>(_ mutator: (inout Catalog) throws(Failure) -> Catalog)
        throws(Failure) -> RetailState
    {
        var delta = RetailState()
        delta.catalog = try mutator(&catalog)
        return delta
    }

    /// Applies a mutator to cart `id` in `home`; returns the delta.
    @discardableResult
    public mutating func updateCart<Failure: Error>(
        _ id: CartID, in home: CartHome, _ mutator: (inout Cart) throws(Failure) -> Cart
    ) throws(Failure) -> RetailState {
        try updateShopping(home) { shopping throws(Failure) in try shopping.updateCart(id, mutator) }
    }

    /// Applies a mutator to the stock ledger of `store`; returns the delta.
    @discardableResult
    public mutating func updateStock<Failure: Error>(
        _ store: StoreID, _ mutator: (inout StockLedger) throws(Failure) -> StockLedger
    ) throws(Failure) -> RetailState {
        var delta = RetailState()
        delta.stores = try stores.update(store) { state throws(Failure) in try state.updateStock(mutator) }
        return delta
    }

    /// Applies a mutator to the wishlist of `customer`; returns the delta.
    @discardableResult
    public mutating func updateWishlist<Failure: Error>(
        _ customer: CustomerID, _ mutator: (inout Wishlist) throws(Failure) -> Wishlist
    ) throws(Failure) -> RetailState {
        var delta = RetailState()
        delta.customers = try customers.update(customer) { shopping throws(Failure) in
            var shoppingDelta = Shopping()
            shoppingDelta.wishlist = try mutator(&shopping.wishlist)
            return shoppingDelta
        }
        return delta
    }

    /// Applies a mutator to the note of reservation `id` in `customer`'s scope; returns the delta.
    @discardableResult
    public mutating func updateReservationNote(
        _ id: ReservationID, of customer: CustomerID, _ mutator: (inout ReservationNote) -> ReservationNote
    ) -> RetailState {
        var delta = RetailState()
        delta.customers = customers.update(customer) { shopping in
            var shoppingDelta = Shopping()
            shoppingDelta.reservations = shopping.reservations.update(id, mutator)
            return shoppingDelta
        }
        return delta
    }

    /// Applies a mutator to the points account of `customer`; returns the delta.
    @discardableResult
    public mutating func updateLoyalty<Failure: Error>(
        _ customer: CustomerID, _ mutator: (inout LoyaltyAccount) throws(Failure) -> LoyaltyAccount
    ) throws(Failure) -> RetailState {
        var delta = RetailState()
        delta.loyalty = try loyalty.update(customer, mutator)
        return delta
    }

    /// Checks out cart `id` in `home`: seals its lines, prices them against the catalog, and
    /// records the order `orderID`, with those prices locked, in the same scope. Returns the delta.
    ///
    /// - Throws: ``CartError`` if the cart is closed, empty, or holds an unpriced SKU; nothing changes.
    @discardableResult
    public mutating func checkOut(
        _ id: CartID, in home: CartHome, as orderID: OrderID, store: StoreID?, at stamp: HLCTimestamp
    ) throws(CartError) -> RetailState {
        let totals = cart(id, in: home).priced(with: catalog)
        guard totals.unpriced.isEmpty else { throw .unpriced(totals.unpriced) }
        return try record(id, in: home, as: orderID, totals: totals, store: store, at: stamp)
    }

    /// Checks out cart `id` at a till: as ``checkOut(_:in:as:store:at:)``, and in the same delta
    /// sells every unit of the cart from `store`'s stock within `till`'s rights, redeems `points`
    /// of its customer's (the cart's owner, or the customer whose own cart it is) within `till`'s
    /// rights as part payment (``PointsPayment``, recorded in the order), and books the points the
    /// cart earns to that customer's account at `till`.
    ///
    /// - Throws: ``CartError`` as checkout does, ``StockError`` for the first line `till` may not
    ///   sell that many of, ``PointsPaymentError`` when there is no customer or the points would
    ///   pay more than the total, or ``LoyaltyError`` when `till` may not redeem that many points;
    ///   nothing changes.
    @discardableResult
    public mutating func checkOut(
        _ id: CartID, in home: CartHome, as orderID: OrderID, sellingFrom store: StoreID, at till: ReplicaID,
        stamp: HLCTimestamp, redeeming points: UInt64 = 0
    ) throws -> RetailState {
        let totals = cart(id, in: home).priced(with: catalog)
        guard totals.unpriced.isEmpty else { throw CartError.unpriced(totals.unpriced) }
        let customer = self.customer(of: id, in: home)
        var payment: PointsPayment?
        if points > 0 {
            guard customer != nil else { throw PointsPaymentError.noCustomer(id) }
            let redeemed = PointsPayment(redeeming: points)
            guard redeemed.value <= totals.total else {
                throw PointsPaymentError.exceedsTotal(points: points, value: redeemed.value, total: totals.total)
            }
            payment = redeemed
        }
        var working = self
        var delta = RetailState()
        for line in totals.lines {
            delta.join(
                try working.updateStock(store) { ledger throws(StockError) in
                    try ledger.sell(UInt64(line.quantity), of: line.sku, at: till)
                })
        }
        if let customer, let payment {
            delta.join(
                try working.updateLoyalty(customer) { account throws(LoyaltyError) in
                    try account.redeem(payment.points, at: till)
                })
        }
        delta.join(
            try working.record(
                id, in: home, as: orderID, totals: totals, store: store, at: stamp, pointsPayment: payment))
        if let customer, totals.points > 0 {
            delta.join(working.updateLoyalty(customer) { $0.earn(UInt64(totals.points), at: till) })
        }
        self = working
        return delta
    }

    /// Whose points cart `id` earns: its owner, or the customer whose own cart it is.
    public func customer(of id: CartID, in home: CartHome) -> CustomerID? {
        if let owner = cart(id, in: home).owner.value { return owner }
        if case .customer(let customer) = home { return customer }
        return nil
    }

    /// Closes the cart and records its order with `totals` locked in.
    private mutating func record(
        _ id: CartID, in home: CartHome, as orderID: OrderID, totals: CartTotals, store: StoreID?,
        at stamp: HLCTimestamp, pointsPayment: PointsPayment? = nil
    ) throws(CartError) -> RetailState {
        let catalogDigest = catalog.digest
        return try updateShopping(home) { shopping throws(CartError) in
            var delta = try shopping.updateCart(id) { cart throws(CartError) in try cart.checkOut() }
            let order = Order(
                id: orderID, cart: id, customer: shopping.carts[id].owner.value, store: store, placedAt: stamp,
                totals: totals, catalogDigest: catalogDigest, pointsPayment: pointsPayment)
            delta.join(shopping.record(order))
            return delta
        }
    }

    private mutating func updateShopping<Failure: Error>(
        _ home: CartHome, _ mutator: (inout Shopping) throws(Failure) -> Shopping
    ) throws(Failure) -> RetailState {
        var delta = RetailState()
        switch home {
        case .store(let store):
            delta.stores = try stores.update(store) { state throws(Failure) in
                var storeDelta = StoreState()
                storeDelta.shopping = try mutator(&state.shopping)
                return storeDelta
            }
        case .customer(let customer):
            delta.customers = try customers.update(customer, mutator)
        }
        return delta
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(catalog)
        encoder.append(stores)
        encoder.append(customers)
        encoder.append(loyalty)
    }
}
