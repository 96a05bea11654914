import Synchronization

/// Simulated wall time for many replicas: one true time, and a per-replica skew so clocks can
/// run ahead, behind, or jump.
public struct ManualClock: Sendable {
    /// The simulation's true time, milliseconds since the Unix epoch.
    public private(set) var now: UInt64
    private var skew: [String: Int64] = [:]

    public init(startingAt now: UInt64 = 1_767_225_600_000) {
        self.now = now
    }

    /// Moves true time forward.
    public mutating func advance(by millis: UInt64) {
        now += millis
    }

    /// Sets how far `name`'s clock reads from true time (negative: behind).
    public mutating func setSkew(_ millis: Int64, for name: String) {
        skew[name] = millis
    }

    /// Removes every skew: all clocks read true time again.
    public mutating func resetSkews() {
        skew.removeAll()
    }

    /// What `name`'s wall clock reads now.
    public func reading(for name: String) -> UInt64 {
        UInt64(max(0, Int64(now) + (skew[name] ?? 0)))
    }
}

/// One wall clock several nodes of a test read, which the test moves forward (a node's
/// `wallClock` is ``read``).
public final class SharedWallClock: Sendable {
    private let millis: Atomic<UInt64>

    public init(at now: UInt64 = TestTenant.now) {
        millis = Atomic(now)
    }

    /// Milliseconds since the Unix epoch.
    public var now: UInt64 { millis.load(ordering: .relaxed) }

    /// What a node reads.
    public var read: @Sendable () -> UInt64 { { [self] in now } }

    /// Moves the clock forward.
    public func advance(by millis: UInt64) {
        self.millis.add(millis, ordering: .relaxed)
    }
}
