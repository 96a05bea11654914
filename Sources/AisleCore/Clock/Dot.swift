/// One event of one replica: the replica's `counter`-th write.
///
/// Dots name the individual writes that causal CRDTs keep or remove: a removal removes exactly
/// the dots it had seen, so a write it had not seen survives.
public struct Dot: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The replica that made the write.
    public let replica: ReplicaID
    /// The replica's write counter, starting at 1.
    public let counter: UInt64

    public init(_ replica: ReplicaID, _ counter: UInt64) {
        self.replica = replica
        self.counter = counter
    }

    public static func < (lhs: Dot, rhs: Dot) -> Bool {
        (lhs.replica, lhs.counter) < (rhs.replica, rhs.counter)
    }

    public var description: String { "\(replica)#\(counter)" }
}

extension Dot: CanonicalEncodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(replica)
        encoder.append(counter)
    }
}
