/// Where a customer can buy a product: the chain's stores, nearest first, each with the units it
/// holds and its opening hours ("the nearest store with stock").
///
/// Pure: the catalog, the stock levels and the place are given, so every node that holds the same
/// catalog and levels gives the same answer in the same order. Stores are ordered by great-circle
/// distance (``GeoPoint/distance(to:)``), equal distances by store id. A store out of stock is
/// listed (the app shows "out of stock" there) unless only stores with stock are asked for.
public struct StockAvailability: Sendable, Equatable {
    /// One store's answer.
    public struct Store: Sendable, Equatable {
        /// The store's id, as its tills are enrolled with.
        public let id: StoreID
        /// The store's name, as head office published it.
        public let name: String
        /// Where the store is.
        public let location: GeoPoint
        /// How far the store is from the place asked about, in metres.
        public let distance: Double
        /// Units of the SKU in the store (never below zero).
        public let quantity: Int64
        /// The store's weekly opening hours; nil when head office published none.
        public let hours: OpeningHours?

        /// Whether the store has at least one unit.
        public var inStock: Bool { quantity > 0 }

        /// Whether the store is open at `time`, read as the store's local time; nil when it
        /// published no opening hours (unknown, not closed).
        public func isOpen(at time: LocalTime) -> Bool? {
            hours?.isOpen(at: time)
        }
    }

    /// The SKU asked about.
    public let sku: SKU
    /// The product the SKU names in the catalog.
    public let product: Product
    /// The place distances are measured from.
    public let origin: GeoPoint
    /// The stores, nearest first.
    public let stores: [Store]

    /// The availability of `sku` around `origin`.
    ///
    /// - Parameters:
    ///   - sku: the SKU; it must be a product of `catalog`.
    ///   - origin: where the customer is.
    ///   - catalog: the catalog: its products, its stores (a withdrawn store is not listed, nor a
    ///     store whose coordinates are out of range, as no distance can be given for it) and
    ///     their opening hours.
    ///   - quantities: units of `sku` per store; a store missing here holds none.
    ///   - inStockOnly: leave out the stores that hold none.
    /// - Throws: ``StockAvailabilityError/unknownSKU(_:)`` when the catalog has no product `sku`.
    public init(
        sku: SKU, near origin: GeoPoint, catalog: Catalog, quantities: [StoreID: Int64], inStockOnly: Bool = false
    ) throws(StockAvailabilityError) {
        guard let product = catalog.products[sku] else { throw .unknownSKU(sku) }
        var stores: [Store] = []
        for id in catalog.stores.keys {
            guard let info = catalog.stores[id], let location = info.location else { continue }
            let quantity = max(0, quantities[id] ?? 0)
            if inStockOnly && quantity == 0 { continue }
            stores.append(
                Store(
                    id: id, name: info.name, location: location, distance: origin.distance(to: location),
                    quantity: quantity, hours: catalog.hours[id]))
        }
        stores.sort { ($0.distance, $0.id) < ($1.distance, $1.id) }
        self.sku = sku
        self.product = product
        self.origin = origin
        self.stores = stores
    }

    /// The nearest store that holds at least one unit; nil when none does.
    public var nearestInStock: Store? { stores.first(where: \.inStock) }
}

/// An availability question that cannot be answered, saying what to do instead.
public struct StockAvailabilityError: Error, Equatable, Sendable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case unknownSKU(SKU)
    }

    private let code: Code

    private init(_ code: Code) {
        self.code = code
    }

    /// The catalog has no product `sku` (never published, or withdrawn).
    public static func unknownSKU(_ sku: SKU) -> Self { Self(.unknownSKU(sku)) }

    /// The SKU the error is about.
    public var sku: SKU {
        switch code {
        case .unknownSKU(let sku): sku
        }
    }

    public var description: String {
        switch code {
        case .unknownSKU(let sku):
            "SKU '\(sku)' is not in the catalog, so no store sells it: check the spelling"
        }
    }
}
