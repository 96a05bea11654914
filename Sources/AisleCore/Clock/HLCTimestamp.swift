/// A hybrid logical clock reading: 48-bit wall milliseconds, a 16-bit counter, and the replica.
///
/// Readings order by physical time, then counter, then replica id, so every two readings from
/// different replicas are ordered and last-writer-wins never needs a coin toss.
public struct HLCTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The largest physical time representable: 2^48 − 1 milliseconds (year 10889).
    public static let maximumPhysical: UInt64 = (1 << 48) - 1

    /// Milliseconds since the Unix epoch, at most ``maximumPhysical``.
    public let physical: UInt64
    /// Orders readings within one millisecond.
    public let counter: UInt16
    /// The replica that took the reading.
    public let replica: ReplicaID

    /// A reading; `physical` must fit in 48 bits.
    public init(physical: UInt64, counter: UInt16, replica: ReplicaID) {
        precondition(physical <= Self.maximumPhysical, "HLC physical time exceeds 48 bits")
        self.physical = physical
        self.counter = counter
        self.replica = replica
    }

    /// Physical time and counter packed into one 64-bit number, as stored and sent.
    public var packed: UInt64 { physical << 16 | UInt64(counter) }

    public static func < (lhs: HLCTimestamp, rhs: HLCTimestamp) -> Bool {
        (lhs.packed, lhs.replica) < (rhs.packed, rhs.replica)
    }

    public var description: String { "\(physical).\(counter)@\(replica)" }
}

extension HLCTimestamp: CanonicalEncodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(packed)
        encoder.append(replica)
    }
}
