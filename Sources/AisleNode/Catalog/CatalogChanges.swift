public import AisleCore

/// One catalog object to write: its new value, or nil to withdraw it.
public enum CatalogWrite: Hashable, Sendable {
    case product(SKU, Product?)
    case price(SKU, Int64?)
    case promotion(PromotionID, Promotion?)
    case store(StoreID, StoreInfo?)
    case hours(StoreID, OpeningHours?)

    /// The object written.
    public var key: ObjectKey {
        // The ids are typed, so the keys are valid.
        switch self {
        case .product(let sku, _): try! ObjectKey(scope: .catalog, kind: .product, id: sku.rawValue)
        case .price(let sku, _): try! ObjectKey(scope: .catalog, kind: .price, id: sku.rawValue)
        case .promotion(let id, _): try! ObjectKey(scope: .catalog, kind: .promotion, id: id.rawValue)
        case .store(let id, _): try! ObjectKey(scope: .catalog, kind: .storeInfo, id: id.rawValue)
        case .hours(let id, _): try! ObjectKey(scope: .catalog, kind: .storeHours, id: id.rawValue)
        }
    }

    /// Whether the write withdraws the object.
    public var isWithdrawal: Bool {
        switch self {
        case .product(_, let value): value == nil
        case .price(_, let value): value == nil
        case .promotion(_, let value): value == nil
        case .store(_, let value): value == nil
        case .hours(_, let value): value == nil
        }
    }

    /// Writes the value into `catalog` at `stamp`; returns the delta.
    func apply(to catalog: inout Catalog, at stamp: HLCTimestamp) throws(CatalogError) -> Catalog {
        switch self {
        case .product(let sku, let value): catalog.setProduct(sku, value, at: stamp)
        case .price(let sku, let value): try catalog.setPrice(sku, value, at: stamp)
        case .promotion(let id, let value): try catalog.setPromotion(id, value, at: stamp)
        case .store(let id, let value): catalog.setStore(id, value, at: stamp)
        case .hours(let id, let value): catalog.setHours(id, value, at: stamp)
        }
    }
}

/// What publishing a ``CatalogPublication`` changes in a catalog: every object whose value
/// differs, each new, changed or withdrawn.
///
/// An object the files hold with the catalog's current value is not written, so importing the
/// same files twice writes nothing and one changed price writes one object. An object the
/// catalog holds and the files do not is withdrawn (written as nil: every node stops offering
/// it), unless `keepMissing` is set.
public struct CatalogChanges: Equatable, Sendable {
    /// How many objects of one kind an import adds, changes, withdraws and leaves as they are.
    public struct Counts: Equatable, Sendable {
        public internal(set) var added = 0
        public internal(set) var changed = 0
        public internal(set) var withdrawn = 0
        public internal(set) var unchanged = 0

        public init(added: Int = 0, changed: Int = 0, withdrawn: Int = 0, unchanged: Int = 0) {
            self.added = added
            self.changed = changed
            self.withdrawn = withdrawn
            self.unchanged = unchanged
        }
    }

    /// The writes, in key order.
    public let writes: [CatalogWrite]
    /// The counts per catalog kind (product, price, promotion, store, hours).
    public let counts: [ObjectKind: Counts]

    /// The difference between `publication` and `catalog`.
    public init(publishing publication: CatalogPublication, over catalog: Catalog, keepMissing: Bool = false) {
        var writes: [CatalogWrite] = []
        var counts: [ObjectKind: Counts] = [:]
        func compare<
            Key: Hashable & Comparable & Sendable & CanonicalEncodable, Value: CanonicalEncodable & Hashable & Sendable
        >(
            _ kind: ObjectKind, _ wanted: [Key: Value], _ current: LWWMap<Key, Value>,
            _ write: (Key, Value?) -> CatalogWrite
        ) {
            var tally = Counts()
            for key in wanted.keys.sorted() {
                let now = current[key]
                if now == wanted[key] {
                    tally.unchanged += 1
                } else {
                    writes.append(write(key, wanted[key]))
                    if now == nil { tally.added += 1 } else { tally.changed += 1 }
                }
            }
            for key in current.keys where wanted[key] == nil {
                if keepMissing {
                    tally.unchanged += 1
                } else {
                    writes.append(write(key, nil))
                    tally.withdrawn += 1
                }
            }
            counts[kind] = tally
        }
        compare(.product, publication.products.mapValues(\.product), catalog.products, CatalogWrite.product)
        compare(.price, publication.products.mapValues(\.price), catalog.prices, CatalogWrite.price)
        compare(.promotion, publication.promotions, catalog.promotions, CatalogWrite.promotion)
        compare(.storeInfo, publication.stores.mapValues(\.info), catalog.stores, CatalogWrite.store)
        compare(.storeHours, publication.stores.compactMapValues(\.hours), catalog.hours, CatalogWrite.hours)
        self.writes = writes.sorted { $0.key < $1.key }
        self.counts = counts
    }

    /// Whether the files match the catalog: nothing to write.
    public var isEmpty: Bool { writes.isEmpty }

    /// The objects the writes touch, for ``ReplicaStore/updateCatalog(touching:_:)``.
    public var keys: [ObjectKey] { writes.map(\.key) }

    /// Writes every change into `catalog` at `stamp`; returns the delta (one change).
    public func apply(to catalog: inout Catalog, at stamp: HLCTimestamp) throws(CatalogError) -> Catalog {
        var delta = Catalog()
        for write in writes { delta.join(try write.apply(to: &catalog, at: stamp)) }
        return delta
    }

    /// One line per kind, such as `products    2 added, 1 changed, 0 withdrawn, 297 unchanged`.
    public var summary: [String] {
        let names: [(ObjectKind, String)] = [
            (.product, "products"), (.price, "prices"), (.promotion, "promotions"), (.storeInfo, "stores"),
            (.storeHours, "hours"),
        ]
        return names.map { kind, name in
            let tally = counts[kind] ?? Counts()
            let padded = name + String(repeating: " ", count: max(1, 12 - name.count))
            return padded
                + "\(tally.added) added, \(tally.changed) changed, \(tally.withdrawn) withdrawn, \(tally.unchanged) unchanged"
        }
    }
}
