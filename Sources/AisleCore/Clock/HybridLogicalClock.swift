/// A hybrid logical clock (Kulkarni et al.): timestamps that follow wall time, never go backwards,
/// and always exceed every timestamp the replica has seen.
///
/// The wall clock is a parameter (milliseconds since the Unix epoch), never read here. A remote
/// timestamp more than ``maxDrift`` ahead of local wall time is refused: one device with a clock
/// set a year ahead must not drag every replica's clock, and every later last-writer-wins
/// decision, with it.
public struct HybridLogicalClock: Sendable {
    /// The default tolerance for remote clocks running ahead: 60 seconds.
    public static let defaultMaxDrift: UInt64 = 60_000

    /// The replica stamping with this clock.
    public let replica: ReplicaID
    /// How far ahead of local wall time, in milliseconds, a remote timestamp may be.
    public let maxDrift: UInt64
    /// The last physical time and counter issued or observed, packed.
    public private(set) var last: UInt64 = 0

    public init(replica: ReplicaID, maxDrift: UInt64 = HybridLogicalClock.defaultMaxDrift) {
        self.replica = replica
        self.maxDrift = maxDrift
    }

    /// Resumes a clock after a restart from the last value it persisted.
    public init(replica: ReplicaID, resumingAfter last: UInt64, maxDrift: UInt64 = HybridLogicalClock.defaultMaxDrift) {
        self.init(replica: replica, maxDrift: maxDrift)
        self.last = last
    }

    /// A fresh timestamp for a local event.
    ///
    /// - Parameter wallMillis: the local wall clock, milliseconds since the Unix epoch.
    /// - Throws: ``ClockError`` if the wall clock is beyond the 48-bit range.
    public mutating func now(wallMillis: UInt64) throws(ClockError) -> HLCTimestamp {
        try advance(wallMillis: wallMillis, observing: 0)
    }

    /// Merges a remote timestamp into the clock and returns a timestamp after both.
    ///
    /// - Throws: ``ClockError/remoteAhead(by:maxDrift:)`` if `remote` is more than ``maxDrift``
    ///   ahead of `wallMillis`; the clock is unchanged then.
    @discardableResult
    public mutating func receive(_ remote: HLCTimestamp, wallMillis: UInt64) throws(ClockError) -> HLCTimestamp {
        if remote.physical > wallMillis, remote.physical - wallMillis > maxDrift {
            throw .remoteAhead(by: remote.physical - wallMillis, maxDrift: maxDrift, from: remote.replica)
        }
        return try advance(wallMillis: wallMillis, observing: remote.packed)
    }

    private mutating func advance(wallMillis: UInt64, observing remote: UInt64) throws(ClockError) -> HLCTimestamp {
        guard wallMillis <= HLCTimestamp.maximumPhysical else { throw .wallClockOutOfRange(wallMillis) }
        let wall = wallMillis << 16
        // The next reading is after the wall clock, the last reading and the remote one; when the
        // 16-bit counter is exhausted within a millisecond the physical part borrows one ms ahead.
        let next = max(wall, last &+ 1, remote &+ 1)
        if next >> 16 > HLCTimestamp.maximumPhysical { throw .wallClockOutOfRange(next >> 16) }
        last = next
        return HLCTimestamp(physical: next >> 16, counter: UInt16(truncatingIfNeeded: next), replica: replica)
    }
}

/// A timestamp the clock refused.
public enum ClockError: Error, Equatable, CustomStringConvertible {
    /// The remote timestamp is `by` milliseconds ahead of local wall time, more than `maxDrift`.
    case remoteAhead(by: UInt64, maxDrift: UInt64, from: ReplicaID)
    /// The wall clock reads beyond the 48-bit millisecond range.
    case wallClockOutOfRange(UInt64)

    public var description: String {
        switch self {
        case .remoteAhead(let ahead, let maxDrift, let replica):
            "timestamp from \(replica) is \(ahead) ms ahead of this device's clock (limit \(maxDrift) ms): "
                + "check the clock of \(replica) or of this device"
        case .wallClockOutOfRange(let millis):
            "wall clock reads \(millis) ms since 1970, beyond the 48-bit range: check the system clock"
        }
    }
}
