/// A grow-only map whose values are lattices, merged key by key.
///
/// Keys are never removed; a value's own lattice decides what "removed" means (a cart is
/// abandoned, a product is withdrawn). This is how a scope holds many carts or many SKUs' stock.
public struct LatticeMap<
    Key: Hashable & Comparable & Sendable & CanonicalEncodable, Value: Lattice & CanonicalEncodable
>:
    Lattice, CanonicalEncodable
{
    /// The entries; a key absent here holds bottom.
    public private(set) var entries: [Key: Value]

    public init(_ entries: [Key: Value] = [:]) {
        self.entries = entries.filter { $0.value != .bottom }
    }

    /// The value at `key`, bottom when never written.
    public subscript(key: Key) -> Value {
        entries[key] ?? .bottom
    }

    /// The keys with a value, in ascending order.
    public var keys: [Key] { entries.keys.sorted() }

    public static var bottom: LatticeMap { LatticeMap() }

    public func joined(with other: LatticeMap) -> LatticeMap {
        var result = self
        result.join(other)
        return result
    }

    public mutating func join(_ other: LatticeMap) {
        for (key, value) in other.entries {
            // In place: joining a small delta into a large map must not copy the map or its values.
            if let index = entries.index(forKey: key) {
                entries.values[index].join(value)
            } else {
                entries[key] = value
            }
        }
    }

    /// Mutates the value at `key` with a delta mutator and returns the map delta.
    ///
    /// - Parameter mutator: changes the value in place and returns the value's delta.
    @discardableResult
    public mutating func update<Failure: Error>(
        _ key: Key, _ mutator: (inout Value) throws(Failure) -> Value
    ) throws(Failure) -> LatticeMap {
        var value = self[key]
        let delta = try mutator(&value)
        if value == .bottom { entries[key] = nil } else { entries[key] = value }
        return delta == .bottom ? .bottom : LatticeMap([key: delta])
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(map: entries)
    }
}
