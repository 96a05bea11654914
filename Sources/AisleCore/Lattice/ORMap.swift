/// An add-wins observed-remove map over any value lattice, with no tombstones.
///
/// Each write to a key is tagged with a dot. Removing a key removes the writes the remover had
/// seen, so a write made concurrently on another device survives: the add wins. Concurrent
/// writes to one key are merged with the value's own join.
public struct ORMap<
    Key: Hashable & Comparable & Sendable & CanonicalEncodable, Value: Lattice & Hashable & CanonicalEncodable
>:
    Lattice, CanonicalEncodable
{
    /// The underlying causal state.
    public private(set) var state: Causal<DotMap<Key, DotFun<Value>>>

    public init() {
        state = Causal()
    }

    init(state: Causal<DotMap<Key, DotFun<Value>>>) {
        self.state = state
    }

    /// The value at `key`: the join of every surviving write, nil when absent.
    public subscript(key: Key) -> Value? {
        let writes = state.store[key]
        guard !writes.isBottom else { return nil }
        return writes.values.reduce(Value.bottom) { $0.joined(with: $1) }
    }

    /// The present keys, ascending.
    public var keys: [Key] { state.store.entries.keys.sorted() }

    public static var bottom: ORMap { ORMap() }

    public func joined(with other: ORMap) -> ORMap {
        ORMap(state: state.joined(with: other.state))
    }

    /// Joins `value` into the entry at `key` as a write by `replica`; returns the delta.
    ///
    /// The new write carries the merged value and replaces the writes this replica had seen,
    /// so the entry stays one write per concurrent writer.
    @discardableResult
    public mutating func apply(_ value: Value, to key: Key, at replica: ReplicaID) -> ORMap {
        let seen = state.store[key]
        let merged = (self[key] ?? .bottom).joined(with: value)
        let dot = state.context.nextDot(for: replica)
        let delta = Causal(
            store: DotMap([key: DotFun([dot: merged])]),
            context: CausalContext(dots: Array(seen.dots) + [dot]))
        state.apply(delta)
        return ORMap(state: delta)
    }

    /// Removes `key` (the writes to it seen here); returns the delta.
    @discardableResult
    public mutating func remove(_ key: Key) -> ORMap {
        let delta = Causal<DotMap<Key, DotFun<Value>>>(
            store: .bottom, context: CausalContext(dots: state.store[key].dots))
        state.apply(delta)
        return ORMap(state: delta)
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(state)
    }
}
