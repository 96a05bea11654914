/// A counter that goes up and down: each replica counts its own increments and decrements.
///
/// Every replica's additions count once, however often they are delivered. It has no bound:
/// use ``BoundedCounter`` where the value must never go below zero.
public struct PNCounter: Lattice, Hashable, CanonicalEncodable {
    /// Total increments per replica.
    public private(set) var increments: [ReplicaID: UInt64] = [:]
    /// Total decrements per replica.
    public private(set) var decrements: [ReplicaID: UInt64] = [:]

    public init() {}

    init(increments: [ReplicaID: UInt64], decrements: [ReplicaID: UInt64]) {
        self.increments = increments.values.contains(0) ? increments.filter { $0.value > 0 } : increments
        self.decrements = decrements.values.contains(0) ? decrements.filter { $0.value > 0 } : decrements
    }

    /// Increments minus decrements.
    public var value: Int64 {
        Int64(bitPattern: increments.values.reduce(0, &+) &- decrements.values.reduce(0, &+))
    }

    public static var bottom: PNCounter { PNCounter() }

    public func joined(with other: PNCounter) -> PNCounter {
        var result = self
        result.join(other)
        return result
    }

    public mutating func join(_ other: PNCounter) {
        // Merging nothing would still copy a shared dictionary (most deltas only add, or only sell).
        if !other.increments.isEmpty { increments.merge(other.increments, uniquingKeysWith: max) }
        if !other.decrements.isEmpty { decrements.merge(other.decrements, uniquingKeysWith: max) }
    }

    /// Adds `amount` at `replica`; returns the delta.
    @discardableResult
    public mutating func increment(by amount: UInt64, at replica: ReplicaID) -> PNCounter {
        var delta = PNCounter()
        guard amount > 0 else { return delta }
        increments[replica, default: 0] &+= amount
        delta.increments[replica] = increments[replica]
        return delta
    }

    /// Subtracts `amount` at `replica`; returns the delta.
    @discardableResult
    public mutating func decrement(by amount: UInt64, at replica: ReplicaID) -> PNCounter {
        var delta = PNCounter()
        guard amount > 0 else { return delta }
        decrements[replica, default: 0] &+= amount
        delta.decrements[replica] = decrements[replica]
        return delta
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(map: increments)
        encoder.append(map: decrements)
    }
}
