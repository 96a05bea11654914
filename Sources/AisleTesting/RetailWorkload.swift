public import AisleCore

/// One operation of a ``RetailWorkload``: which objects it touches and what it does.
public struct WorkloadOperation: Sendable {
    /// Every object the mutation reads or writes (what a store must load).
    public let objects: [ObjectKey]
    /// Whether it prices a cart, and so reads the whole catalog.
    public let readsCatalog: Bool
    /// The mutation, given a fresh timestamp; returns the delta.
    public let mutation: @Sendable (inout RetailState, HLCTimestamp) throws -> RetailState
}

/// A seeded stream of the operations a till performs: receipts, sales, points earned and
/// redeemed, cart edits, checkouts and price changes. The same seed gives the same stream, so a
/// crashed process's work can be replayed exactly in memory.
public struct RetailWorkload: Sendable {
    public static let store: StoreID = "store-1"
    public static let skus: [SKU] = (1...12).map { SKU(stringLiteral: "sku-\($0)") }
    public static let customers: [CustomerID] = (1...4).map { CustomerID(stringLiteral: "cust-\($0)") }

    private var random: SeededRandom
    private let replica: ReplicaID
    private var index = 0

    public init(seed: UInt64, replica: ReplicaID) {
        random = SeededRandom(seed: seed)
        self.replica = replica
    }

    /// The next operation.
    public mutating func next() -> WorkloadOperation {
        index += 1
        let me = replica
        let store = Self.store
        let sku = Self.skus[Int(random.next() % UInt64(Self.skus.count))]
        let customer = Self.customers[Int(random.next() % UInt64(Self.customers.count))]
        let amount = 1 + random.next() % 5
        let home: CartHome = random.chance(0.5) ? .customer(customer) : .store(store)
        let cart = CartID(stringLiteral: "cart-\(random.next() % 6)")
        let cartKey = try! ObjectKey(scope: home.scope, kind: .cart, id: cart.rawValue)
        let stockKey = ObjectKey.stock(sku, at: store)
        let accountKey = ObjectKey.account(of: customer)
        switch random.next() % 100 {
        case 0..<20:
            return WorkloadOperation(objects: [stockKey], readsCatalog: false) { state, _ in
                state.updateStock(store) { $0.receive(amount, of: sku, at: me) }
            }
        case 20..<40:
            return WorkloadOperation(objects: [stockKey], readsCatalog: false) { state, _ in
                try state.updateStock(store) { ledger throws(StockError) in try ledger.sell(amount, of: sku, at: me) }
            }
        case 40..<50:
            return WorkloadOperation(objects: [accountKey], readsCatalog: false) { state, _ in
                state.updateLoyalty(customer) { $0.earn(amount * 10, at: me) }
            }
        case 50..<58:
            return WorkloadOperation(objects: [accountKey], readsCatalog: false) { state, _ in
                try state.updateLoyalty(customer) { account throws(LoyaltyError) in
                    try account.redeem(amount * 4, at: me)
                }
            }
        case 58..<80:
            return WorkloadOperation(objects: [cartKey], readsCatalog: false) { state, _ in
                try state.updateCart(cart, in: home) { cart throws(CartError) in
                    try cart.add(sku, quantity: Int64(amount), at: me)
                }
            }
        case 80..<88:
            return WorkloadOperation(objects: [cartKey], readsCatalog: false) { state, stamp in
                try state.updateCart(cart, in: home) { cart throws(CartError) in
                    try cart.setQuantity(sku, to: Int64(amount % 3), at: stamp)
                }
            }
        case 88..<93:
            let order = OrderID(stringLiteral: "order-\(me)-\(index)")
            let orderKey = try! ObjectKey(scope: home.scope, kind: .order, id: order.rawValue)
            return WorkloadOperation(objects: [cartKey, orderKey], readsCatalog: true) { state, stamp in
                try state.checkOut(cart, in: home, as: order, store: store, at: stamp)
            }
        default:
            let price = Int64(50 + random.next() % 900)
            let priceKey = try! ObjectKey(scope: .catalog, kind: .price, id: sku.rawValue)
            return WorkloadOperation(objects: [priceKey], readsCatalog: false) { state, stamp in
                try state.updateCatalog { catalog throws(CatalogError) in try catalog.setPrice(sku, price, at: stamp) }
            }
        }
    }

    /// The state `count` operations of `seed` produce at `replica`, replayed in memory with the
    /// wall clock fixed at `wallMillis` (refused operations still take a timestamp, as in a store).
    public static func replay(seed: UInt64, replica: ReplicaID, count: Int, wallMillis: UInt64) -> RetailState {
        var workload = RetailWorkload(seed: seed, replica: replica)
        var clock = HybridLogicalClock(replica: replica)
        var state = RetailState()
        for _ in 0..<count {
            let operation = workload.next()
            let stamp = try! clock.now(wallMillis: wallMillis)
            var next = state
            if (try? operation.mutation(&next, stamp)) != nil { state = next }
        }
        return state
    }
}
