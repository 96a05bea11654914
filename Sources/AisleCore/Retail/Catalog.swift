/// A product as head office describes it.
public struct Product: Hashable, Sendable, CanonicalEncodable {
    /// The name shown on receipts and in the app.
    public var name: String
    /// A grouping such as "dairy", for reports and promotions.
    public var category: String

    public init(name: String, category: String = "") {
        self.name = name
        self.category = category
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(name)
        encoder.append(category)
    }
}

/// A physical store and where it is.
public struct StoreInfo: Hashable, Sendable, CanonicalEncodable {
    public var name: String
    /// Latitude in millionths of a degree (integer, so every node computes the same distance).
    public var latitudeMicrodegrees: Int64
    /// Longitude in millionths of a degree.
    public var longitudeMicrodegrees: Int64

    public init(name: String, latitudeMicrodegrees: Int64, longitudeMicrodegrees: Int64) {
        self.name = name
        self.latitudeMicrodegrees = latitudeMicrodegrees
        self.longitudeMicrodegrees = longitudeMicrodegrees
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(name)
        encoder.append(latitudeMicrodegrees)
        encoder.append(longitudeMicrodegrees)
    }
}

/// The chain's catalog: products, unit prices, promotions, stores and their opening hours, the
/// revoked device certificates and the renewed ones, written by head office only.
///
/// Each but the revocations is a last-writer-wins map, so the newest publication wins everywhere,
/// and pricing a cart against the same catalog gives the same total on phone, till and hub.
/// Revocations only grow (``Revocation``); a device's renewal only moves its end later (``Renewal``).
public struct Catalog: Lattice, CanonicalEncodable {
    public internal(set) var products: LWWMap<SKU, Product>
    /// Unit prices in integer minor units (cents).
    public internal(set) var prices: LWWMap<SKU, Int64>
    public internal(set) var promotions: LWWMap<PromotionID, Promotion>
    public internal(set) var stores: LWWMap<StoreID, StoreInfo>
    /// Each store's weekly opening hours (an object of its own, so ``StoreInfo``'s stored encoding stays as it is).
    public internal(set) var hours: LWWMap<StoreID, OpeningHours>
    /// The revoked device certificates, by certificate id: grow-only (``Revocation``).
    public internal(set) var revocations: LatticeMap<CertificateID, Revocation>
    /// Each device's renewed certificate, by device id (``Renewal``).
    public internal(set) var renewals: LatticeMap<ReplicaID, Renewal>

    public init() {
        products = .bottom
        prices = .bottom
        promotions = .bottom
        stores = .bottom
        hours = .bottom
        revocations = .bottom
        renewals = .bottom
    }

    public static var bottom: Catalog { Catalog() }

    public func joined(with other: Catalog) -> Catalog {
        var result = self
        result.join(other)
        return result
    }

    public mutating func join(_ other: Catalog) {
        products.join(other.products)
        prices.join(other.prices)
        promotions.join(other.promotions)
        stores.join(other.stores)
        hours.join(other.hours)
        revocations.join(other.revocations)
        renewals.join(other.renewals)
    }

    /// Publishes or withdraws (nil) a product; returns the delta.
    @discardableResult
    public mutating func setProduct(_ sku: SKU, _ product: Product?, at stamp: HLCTimestamp) -> Catalog {
        var delta = Catalog()
        delta.products = products.set(sku, to: product, at: stamp)
        return delta
    }

    /// Sets or clears (nil) the unit price of `sku` in minor units; returns the delta.
    ///
    /// - Throws: ``CatalogError/negativePrice(_:_:)`` for a price below zero.
    @discardableResult
    public mutating func setPrice(_ sku: SKU, _ price: Int64?, at stamp: HLCTimestamp) throws(CatalogError) -> Catalog {
        if let price, price < 0 { throw .negativePrice(sku, price) }
        var delta = Catalog()
        delta.prices = prices.set(sku, to: price, at: stamp)
        return delta
    }

    /// Publishes or withdraws (nil) a promotion; returns the delta.
    ///
    /// - Throws: ``CatalogError/invalidPromotion(_:_:)`` when the promotion's numbers are out of range.
    @discardableResult
    public mutating func setPromotion(_ id: PromotionID, _ promotion: Promotion?, at stamp: HLCTimestamp)
        throws(CatalogError) -> Catalog
    {
        if let promotion { try promotion.validate(id) }
        var delta = Catalog()
        delta.promotions = promotions.set(id, to: promotion, at: stamp)
        return delta
    }

    /// Publishes or closes (nil) a store; returns the delta.
    @discardableResult
    public mutating func setStore(_ id: StoreID, _ store: StoreInfo?, at stamp: HLCTimestamp) -> Catalog {
        var delta = Catalog()
        delta.stores = stores.set(id, to: store, at: stamp)
        return delta
    }

    /// Publishes or withdraws (nil) a store's opening hours; returns the delta.
    @discardableResult
    public mutating func setHours(_ id: StoreID, _ hours: OpeningHours?, at stamp: HLCTimestamp) -> Catalog {
        var delta = Catalog()
        delta.hours = self.hours.set(id, to: hours, at: stamp)
        return delta
    }

    /// Revokes the certificate whose id is `certificate`, with the admin's `revocation`; returns
    /// the delta (bottom when it was revoked already).
    @discardableResult
    public mutating func revoke(_ certificate: [UInt8], _ revocation: Revocation) -> Catalog {
        let id = Revocation.catalogID(of: certificate)
        var delta = Catalog()
        guard revocations[id].joined(with: revocation) != revocations[id] else { return delta }
        delta.revocations = LatticeMap([id: revocation])
        revocations.join(delta.revocations)
        return delta
    }

    /// Publishes `device`'s renewed certificate; returns the delta (bottom when the catalog holds
    /// one valid as long already).
    @discardableResult
    public mutating func renew(_ device: ReplicaID, _ renewal: Renewal) -> Catalog {
        var delta = Catalog()
        guard renewals[device].joined(with: renewal) != renewals[device] else { return delta }
        delta.renewals = LatticeMap([device: renewal])
        renewals.join(delta.renewals)
        return delta
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(products)
        encoder.append(prices)
        encoder.append(promotions)
        encoder.append(stores)
        encoder.append(hours)
        // Appended last, and only when there is one: a catalog without revocations keeps the
        // bytes (and digest) it had before revocations were catalog objects.
        if revocations != .bottom || renewals != .bottom { encoder.append(revocations) }
        // The same for renewals, after the revocations.
        if renewals != .bottom { encoder.append(renewals) }
    }
}

/// A catalog write that was refused.
public enum CatalogError: Error, Equatable, CustomStringConvertible {
    case negativePrice(SKU, Int64)
    case invalidPromotion(PromotionID, String)

    public var description: String {
        switch self {
        case .negativePrice(let sku, let price):
            "price \(price) for SKU \(sku) is negative: prices are minor units, 0 or more"
        case .invalidPromotion(let id, let problem):
            "promotion \(id): \(problem)"
        }
    }
}
