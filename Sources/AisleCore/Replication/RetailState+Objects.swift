/// A replica's state as addressable objects: how a scope is stored row by row and shipped.
extension RetailState {
    /// The scopes holding any object, ascending.
    public var scopes: [Scope] {
        var result: [Scope] = catalog == .bottom ? [] : [.catalog]
        result += stores.keys.map(Scope.store)
        result += customers.keys.map(Scope.customer)
        result += loyalty.keys.map(Scope.loyalty)
        return result.sorted()
    }

    /// Every object of `scope`, by key.
    public func objects(in scope: Scope) -> [ObjectKey: ObjectValue] {
        var result: [ObjectKey: ObjectValue] = [:]
        func add(_ kind: ObjectKind, _ id: String, _ value: ObjectValue) {
            result[ObjectKey(unchecked: scope, kind, id)] = value
        }
        switch scope {
        case .catalog:
            for (sku, register) in catalog.products.registers.entries {
                add(.product, sku.rawValue, .product(register))
            }
            for (sku, register) in catalog.prices.registers.entries { add(.price, sku.rawValue, .price(register)) }
            for (id, register) in catalog.promotions.registers.entries {
                add(.promotion, id.rawValue, .promotion(register))
            }
            for (id, register) in catalog.stores.registers.entries {
                add(.storeInfo, id.rawValue, .storeInfo(register))
            }
            for (id, register) in catalog.hours.registers.entries {
                add(.storeHours, id.rawValue, .storeHours(register))
            }
            for (id, revocation) in catalog.revocations.entries {
                add(.revocation, id.rawValue, .revocation(revocation))
            }
            for (device, renewal) in catalog.renewals.entries { add(.renewal, device.rawValue, .renewal(renewal)) }
        case .store(let store):
            let state = stores[store]
            for (sku, counter) in state.stock.counters.entries { add(.stock, sku.rawValue, .stock(counter)) }
            for (id, reservation) in state.reservations.entries {
                add(.reservation, id.rawValue, .reservation(reservation))
            }
            addShopping(state.shopping, add)
        case .customer(let customer):
            addShopping(customers[customer], add)
            let wishlist = customers[customer].wishlist
            if wishlist != .bottom { add(.wishlist, "", .wishlist(wishlist)) }
            for (id, note) in customers[customer].reservations.entries {
                add(.reservationNote, id.rawValue, .reservationNote(note))
            }
        case .loyalty(let customer):
            let account = loyalty[customer]
            if account != .bottom { add(.account, "", .account(account)) }
        }
        return result
    }

    private func addShopping(_ shopping: Shopping, _ add: (ObjectKind, String, ObjectValue) -> Void) {
        for (id, cart) in shopping.carts.entries { add(.cart, id.rawValue, .cart(cart)) }
        for (id, order) in shopping.orders.orders { add(.order, id.rawValue, .order(order)) }
    }

    /// The delta split by scope: what one local mutation ships, one change per scope.
    public var deltasByScope: [ObjectDelta] {
        scopes.map { ObjectDelta(scope: $0, objects: objects(in: $0)) }
    }

    /// Joins one object into the state.
    ///
    /// - Throws: ``ObjectError`` when the value's kind does not match the key's.
    public mutating func join(_ value: ObjectValue, at key: ObjectKey) throws(ObjectError) {
        guard value.kind == key.kind else { throw .valueKindMismatch(key.kind, value.kind) }
        // Keys are validated on construction, so the typed ids below cannot fail.
        switch (value, key.scope) {
        case (.product(let register), .catalog):
            catalog.products.join(LWWMap(registers: LatticeMap([SKU(unchecked: key.id): register])))
        case (.price(let register), .catalog):
            catalog.prices.join(LWWMap(registers: LatticeMap([SKU(unchecked: key.id): register])))
        case (.promotion(let register), .catalog):
            catalog.promotions.join(LWWMap(registers: LatticeMap([PromotionID(unchecked: key.id): register])))
        case (.storeInfo(let register), .catalog):
            catalog.stores.join(LWWMap(registers: LatticeMap([StoreID(unchecked: key.id): register])))
        case (.storeHours(let register), .catalog):
            catalog.hours.join(LWWMap(registers: LatticeMap([StoreID(unchecked: key.id): register])))
        case (.revocation(let revocation), .catalog):
            catalog.revocations.join(LatticeMap([CertificateID(unchecked: key.id): revocation]))
        case (.renewal(let renewal), .catalog):
            catalog.renewals.join(LatticeMap([ReplicaID(unchecked: key.id): renewal]))
        case (.stock(let counter), .store(let store)):
            var state = StoreState()
            state.stock = StockLedger(counters: LatticeMap([SKU(unchecked: key.id): counter]))
            stores.join(LatticeMap([store: state]))
        case (.reservation(let reservation), .store(let store)):
            var state = StoreState()
            state.reservations = LatticeMap([ReservationID(unchecked: key.id): reservation])
            stores.join(LatticeMap([store: state]))
        case (.cart(let cart), .store(let store)):
            var state = StoreState()
            state.shopping.carts = LatticeMap([CartID(unchecked: key.id): cart])
            stores.join(LatticeMap([store: state]))
        case (.order(let order), .store(let store)):
            var state = StoreState()
            state.shopping.record(order)
            stores.join(LatticeMap([store: state]))
        case (.cart(let cart), .customer(let customer)):
            var shopping = Shopping()
            shopping.carts = LatticeMap([CartID(unchecked: key.id): cart])
            customers.join(LatticeMap([customer: shopping]))
        case (.order(let order), .customer(let customer)):
            var shopping = Shopping()
            shopping.record(order)
            customers.join(LatticeMap([customer: shopping]))
        case (.account(let account), .loyalty(let customer)):
            loyalty.join(LatticeMap([customer: account]))
        case (.wishlist(let wishlist), .customer(let customer)):
            var shopping = Shopping()
            shopping.wishlist = wishlist
            customers.join(LatticeMap([customer: shopping]))
        case (.reservationNote(let note), .customer(let customer)):
            var shopping = Shopping()
            shopping.reservations = LatticeMap([ReservationID(unchecked: key.id): note])
            customers.join(LatticeMap([customer: shopping]))
        default:
            throw .kindOutsideScope(key.kind, key.scope)
        }
    }

    /// Joins every object of a delta.
    public mutating func join(_ delta: ObjectDelta) {
        for (key, value) in delta.objects {
            // An ObjectDelta only holds keys and values that were checked to match.
            try! join(value, at: key)
        }
    }
}

extension Identifier {
    /// An identifier already known to be valid (it came from a validated key).
    init(unchecked rawValue: String) {
        self = try! Identifier(rawValue)
    }
}

extension RetailState {
    /// The bounded counter at `key`: a store's stock of one SKU, or a customer's points.
    ///
    /// - Throws: ``ObjectError/notACounter(_:)`` for any other kind of object.
    public func counter(at key: ObjectKey) throws(ObjectError) -> BoundedCounter {
        switch (key.kind, key.scope) {
        case (.stock, .store(let store)):
            guard let sku = try? SKU(key.id) else { throw .invalidID(.stock, key.id) }
            return stock(at: store).counters[sku]
        case (.account, .loyalty(let customer)):
            return loyalty[customer].points
        default:
            throw .notACounter(key.kind)
        }
    }
}
