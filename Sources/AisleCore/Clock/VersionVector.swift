/// For each replica, the highest sequence number seen without gaps.
///
/// Sync exchanges version vectors to learn what the other side lacks. Replicas never seen are
/// absent (an implicit 0), so equal knowledge always has equal representation.
public struct VersionVector: Hashable, Sendable, CustomStringConvertible {
    /// The non-zero entries.
    public private(set) var entries: [ReplicaID: UInt64]

    /// An empty vector: nothing seen from anyone.
    public init() { entries = [:] }

    /// A vector with the given entries; zero entries are dropped.
    public init(_ entries: [ReplicaID: UInt64]) {
        self.entries = entries.filter { $0.value > 0 }
    }

    /// The highest contiguous sequence number seen from `replica`, 0 when none.
    public subscript(replica: ReplicaID) -> UInt64 {
        entries[replica] ?? 0
    }

    /// Raises the entry for `replica` to at least `value`.
    public mutating func advance(_ replica: ReplicaID, to value: UInt64) {
        if value > self[replica] { entries[replica] = value }
    }

    /// Whether every entry of `other` is at or below the matching entry here.
    public func includes(_ other: VersionVector) -> Bool {
        other.entries.allSatisfy { self[$0.key] >= $0.value }
    }

    /// Whether the dot is covered: its counter is at or below this replica's entry.
    public func contains(_ dot: Dot) -> Bool {
        dot.counter <= self[dot.replica]
    }

    public var description: String {
        "[" + entries.keys.sorted().map { "\($0):\(entries[$0]!)" }.joined(separator: " ") + "]"
    }
}

extension VersionVector: Lattice {
    public static var bottom: VersionVector { VersionVector() }

    public func joined(with other: VersionVector) -> VersionVector {
        var result = self
        result.join(other)
        return result
    }

    public mutating func join(_ other: VersionVector) {
        for (replica, value) in other.entries { advance(replica, to: value) }
    }

    /// The greatest lower bound: per replica, the lower of the two entries. What every one of
    /// several replicas has seen (causal stability) is the meet of their vectors.
    public func meet(_ other: VersionVector) -> VersionVector {
        var entries: [ReplicaID: UInt64] = [:]
        for (replica, value) in self.entries {
            let lower = min(value, other[replica])
            if lower > 0 { entries[replica] = lower }
        }
        return VersionVector(entries)
    }

    /// How many changes this vector includes that `other` does not: per replica, the entries
    /// past `other`'s.
    public func count(beyond other: VersionVector) -> Int {
        entries.reduce(0) { $0 + Int($1.value - min($1.value, other[$1.key])) }
    }
}

extension VersionVector: CanonicalEncodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(map: entries)
    }
}
