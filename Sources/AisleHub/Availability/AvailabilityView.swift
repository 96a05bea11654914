public import AisleCore
public import Hummingbird

/// The answer of `GET /v1/availability` (docs/hub-api.yaml), as the hub sends it and a client
/// (`aisle mobile find`) reads it: the stores nearest first, each with its stock and opening hours.
public struct AvailabilityView: ResponseCodable, Sendable, Equatable {
    /// One store.
    public struct Store: Codable, Sendable, Equatable {
        /// The store's id.
        public let id: String
        /// The store's name.
        public let name: String
        /// Where the store is, `latitude,longitude` in decimal degrees.
        public let location: String
        /// The great-circle distance from `near`, in whole metres.
        public let distanceMetres: Int64
        /// Units of the SKU in the store, as the hub knows them (0 or more).
        public let quantity: Int64
        /// Whether the store holds at least one unit (false: show "out of stock").
        public let inStock: Bool
        /// Weekly opening hours in the store's local time, such as `Mo-Sa 08:00-20:00; Su closed`;
        /// absent when head office published none.
        public let hours: String?
        /// Whether the store is open at the answer's `localTime`; absent when no local time was
        /// given or the store has no published hours.
        public let openNow: Bool?

        public init(
            id: String, name: String, location: String, distanceMetres: Int64, quantity: Int64, inStock: Bool,
            hours: String?, openNow: Bool?
        ) {
            self.id = id
            self.name = name
            self.location = location
            self.distanceMetres = distanceMetres
            self.quantity = quantity
            self.inStock = inStock
            self.hours = hours
            self.openNow = openNow
        }
    }

    /// The SKU asked about.
    public let sku: String
    /// The product's name in the catalog.
    public let product: String
    /// The place distances are measured from, `latitude,longitude`.
    public let near: String
    /// The caller's local wall-clock time `openNow` was read against (each store's hours are in
    /// its own local time); absent when the caller gave none.
    public let localTime: String?
    /// The stores, nearest first (equal distances by id).
    public let stores: [Store]

    /// The view of `availability`, with "open now" read at `localTime` when given.
    public init(_ availability: StockAvailability, localTime: LocalTime?) {
        sku = availability.sku.rawValue
        product = availability.product.name
        near = availability.origin.description
        self.localTime = localTime?.description
        stores = availability.stores.map { store in
            Store(
                id: store.id.rawValue, name: store.name, location: store.location.description,
                distanceMetres: Int64(store.distance.rounded()), quantity: store.quantity, inStock: store.inStock,
                hours: store.hours?.description, openNow: localTime.flatMap { store.isOpen(at: $0) })
        }
    }
}
