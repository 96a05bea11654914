/// A customer's wishlist: SKUs the customer wants, each with where it was added ("app", or the
/// store whose till scanned it after a handoff). An add-wins observed-remove set: removing an item
/// on the phone while a till adds it again keeps it.
public struct Wishlist: Lattice, CanonicalEncodable {
    public private(set) var items: ORMap<SKU, LWWRegister<String>>

    public init() {
        items = .bottom
    }

    init(items: ORMap<SKU, LWWRegister<String>>) {
        self.items = items
    }

    public static var bottom: Wishlist { Wishlist() }

    /// The SKUs on the list with where each was added, by SKU.
    public var entries: [(sku: SKU, addedAt: String)] {
        items.keys.map { ($0, items[$0]?.value ?? "") }
    }

    public func joined(with other: Wishlist) -> Wishlist {
        Wishlist(items: items.joined(with: other.items))
    }

    public mutating func join(_ other: Wishlist) {
        items.join(other.items)
    }

    /// Adds `sku` (noting where) as a write by `replica`; returns the delta.
    @discardableResult
    public mutating func add(_ sku: SKU, from place: String, at stamp: HLCTimestamp) -> Wishlist {
        Wishlist(items: items.apply(LWWRegister(place, at: stamp), to: sku, at: stamp.replica))
    }

    /// Removes `sku` (the adds seen here); returns the delta.
    @discardableResult
    public mutating func remove(_ sku: SKU) -> Wishlist {
        Wishlist(items: items.remove(sku))
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(items)
    }
}

extension Wishlist: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self.init(items: try decoder.decode(ORMap<SKU, LWWRegister<String>>.self))
    }
}
