/// One write to a causal counter: an addition, or an assignment ("set to") made at a clock reading.
public struct CounterEntry: Lattice, Hashable, CanonicalEncodable {
    /// The amount added, or the value assigned.
    public let amount: Int64
    /// Set for an assignment: when it was made. Nil for an addition.
    public let assignedAt: HLCTimestamp?

    public init(amount: Int64, assignedAt: HLCTimestamp? = nil) {
        self.amount = amount
        self.assignedAt = assignedAt
    }

    public static var bottom: CounterEntry { CounterEntry(amount: 0) }

    // One dot is one write, so both sides normally hold the same entry; a faulty replica that
    // reused a dot is resolved by canonical bytes so the merge stays deterministic.
    public func joined(with other: CounterEntry) -> CounterEntry {
        canonicalBytes.lexicographicallyPrecedes(other.canonicalBytes) ? other : self
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(amount)
        encoder.append(assignedAt)
    }
}

/// The dot-level algebra of causal counters, shared by ``CausalCounter`` and cart line quantities.
extension DotFun where Value == CounterEntry {
    /// The counter's value: the latest surviving assignment (0 if none) plus every surviving addition.
    ///
    /// An assignment removes every write it had seen, so additions made concurrently with it
    /// survive and count on top. Of two concurrent assignments the later one (by hybrid clock) wins.
    public var total: Int64 {
        var latest: CounterEntry?
        var added: Int64 = 0
        for entry in entries.values {
            if let stamp = entry.assignedAt {
                if let current = latest?.assignedAt, current >= stamp { continue }
                latest = entry
            } else {
                added &+= entry.amount
            }
        }
        return (latest?.amount ?? 0) &+ added
    }

    /// The delta that adds `amount` at `replica`.
    ///
    /// The replica's own earlier additions are folded into the new entry, so a counter carries
    /// at most one addition per replica however often it is incremented.
    public func incrementDelta(by amount: Int64, at replica: ReplicaID, seen context: CausalContext) -> Causal<Self> {
        let own = entries.filter { $0.key.replica == replica && $0.value.assignedAt == nil }
        let dot = context.nextDot(for: replica)
        let folded = own.values.reduce(amount) { $0 &+ $1.amount }
        return Causal(
            store: DotFun([dot: CounterEntry(amount: folded)]),
            context: CausalContext(dots: Array(own.keys) + [dot]))
    }

    /// The delta that sets the counter to `value`: removes every write seen and adds one assignment.
    public func assignDelta(to value: Int64, at stamp: HLCTimestamp, seen context: CausalContext) -> Causal<Self> {
        let dot = context.nextDot(for: stamp.replica)
        return Causal(
            store: DotFun([dot: CounterEntry(amount: value, assignedAt: stamp)]),
            context: CausalContext(dots: Array(entries.keys) + [dot]))
    }
}

/// A counter where "set to" and "add" mix without losing concurrent additions.
///
/// Two devices adding to it both count; setting it removes only what the setter had seen, so an
/// addition made at the same time on another device is kept on top of the new value.
public struct CausalCounter: Lattice, CanonicalEncodable {
    /// The underlying causal state.
    public private(set) var state: Causal<DotFun<CounterEntry>>

    public init() {
        state = Causal()
    }

    private init(state: Causal<DotFun<CounterEntry>>) {
        self.state = state
    }

    /// The current value.
    public var value: Int64 { state.store.total }

    public static var bottom: CausalCounter { CausalCounter() }

    public func joined(with other: CausalCounter) -> CausalCounter {
        CausalCounter(state: state.joined(with: other.state))
    }

    /// Adds `amount` (which may be negative) at `replica`; returns the delta.
    @discardableResult
    public mutating func increment(by amount: Int64, at replica: ReplicaID) -> CausalCounter {
        apply(state.store.incrementDelta(by: amount, at: replica, seen: state.context))
    }

    /// Sets the value to `value` at `stamp`; returns the delta.
    @discardableResult
    public mutating func assign(_ value: Int64, at stamp: HLCTimestamp) -> CausalCounter {
        apply(state.store.assignDelta(to: value, at: stamp, seen: state.context))
    }

    private mutating func apply(_ delta: Causal<DotFun<CounterEntry>>) -> CausalCounter {
        state.apply(delta)
        return CausalCounter(state: delta)
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(state)
    }
}
