/// A last-writer-wins register: the write with the latest hybrid-clock timestamp is the value.
///
/// Two writes with equal timestamps can only come from one replica at one instant; should they
/// still differ (a faulty replica), the one with the larger canonical bytes wins, so every replica
/// makes the same choice and the register stays a lattice.
public struct LWWRegister<Value: CanonicalEncodable & Hashable & Sendable>: Lattice, Hashable {
    /// The winning write, if any.
    public private(set) var entry: Entry?

    /// One timestamped write.
    public struct Entry: Hashable, Sendable {
        public init(stamp: HLCTimestamp, value: Value) {
            self.stamp = stamp
            self.value = value
        }

        public let stamp: HLCTimestamp
        public let value: Value
    }

    /// An empty register.
    public init() {}

    /// A register holding one write.
    public init(_ value: Value, at stamp: HLCTimestamp) {
        entry = Entry(stamp: stamp, value: value)
    }

    /// The current value, nil when never written.
    public var value: Value? { entry?.value }

    /// The timestamp of the current value.
    public var stamp: HLCTimestamp? { entry?.stamp }

    public static var bottom: LWWRegister { LWWRegister() }

    public func joined(with other: LWWRegister) -> LWWRegister {
        guard let mine = entry else { return other }
        guard let theirs = other.entry else { return self }
        if mine.stamp != theirs.stamp { return mine.stamp > theirs.stamp ? self : other }
        return mine.value.canonicalBytes.lexicographicallyPrecedes(theirs.value.canonicalBytes) ? other : self
    }

    /// Writes `value` at `stamp` and returns the delta; a write older than the current one is a no-op
    /// (returns bottom).
    @discardableResult
    public mutating func assign(_ value: Value, at stamp: HLCTimestamp) -> LWWRegister {
        let delta = LWWRegister(value, at: stamp)
        let joined = joined(with: delta)
        guard joined != self else { return .bottom }
        self = joined
        return delta
    }
}

extension LWWRegister: CanonicalEncodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        if let entry {
            encoder.append(true)
            encoder.append(entry.stamp)
            encoder.append(entry.value)
        } else {
            encoder.append(false)
        }
    }
}
