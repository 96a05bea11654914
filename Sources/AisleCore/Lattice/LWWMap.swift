/// A map where each key is a last-writer-wins register; removing a key is a timestamped write too.
///
/// Used where one writer (head office) publishes and the newest publication must win: products,
/// prices, promotions and stores in the catalog.
public struct LWWMap<
    Key: Hashable & Comparable & Sendable & CanonicalEncodable, Value: CanonicalEncodable & Hashable & Sendable
>:
    Lattice, CanonicalEncodable
{
    /// The register per key; a nil value records a removal.
    public private(set) var registers: LatticeMap<Key, LWWRegister<Value?>>

    public init() {
        registers = .bottom
    }

    init(registers: LatticeMap<Key, LWWRegister<Value?>>) {
        self.registers = registers
    }

    /// The current value at `key`, nil when never written or removed.
    public subscript(key: Key) -> Value? {
        registers[key].value ?? nil
    }

    /// The keys with a current value, ascending.
    public var keys: [Key] { registers.keys.filter { self[$0] != nil } }

    public static var bottom: LWWMap { LWWMap() }

    public func joined(with other: LWWMap) -> LWWMap {
        LWWMap(registers: registers.joined(with: other.registers))
    }

    public mutating func join(_ other: LWWMap) {
        registers.join(other.registers)
    }

    /// Writes `value` at `key` (nil removes it) at `stamp`; returns the delta.
    @discardableResult
    public mutating func set(_ key: Key, to value: Value?, at stamp: HLCTimestamp) -> LWWMap {
        LWWMap(registers: registers.update(key) { $0.assign(value, at: stamp) })
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(registers)
    }
}
