import AisleCore
import Testing

@Suite("Hybrid logical clock")
struct HybridLogicalClockTests {
    @Test("timestamps never go backwards, even when the wall clock does")
    func monotonicThroughWallClockJumps() throws {
        var clock = HybridLogicalClock(replica: "till")
        let first = try clock.now(wallMillis: 10_000)
        let second = try clock.now(wallMillis: 4_000)
        let third = try clock.now(wallMillis: 4_000)
        #expect(first < second && second < third)
        #expect(second.physical == 10_000 && second.counter == 1)
    }

    @Test("a timestamp follows wall time when wall time is ahead")
    func followsWallTime() throws {
        var clock = HybridLogicalClock(replica: "till")
        _ = try clock.now(wallMillis: 10_000)
        let later = try clock.now(wallMillis: 20_000)
        #expect(later.physical == 20_000 && later.counter == 0)
    }

    @Test("an exhausted 16-bit counter borrows the next millisecond")
    func counterOverflowBorrows() throws {
        var clock = HybridLogicalClock(replica: "till", resumingAfter: 10_000 << 16 | 0xFFFF)
        let next = try clock.now(wallMillis: 10_000)
        #expect(next.physical == 10_001 && next.counter == 0)
    }

    @Test("a remote stamp within the drift limit advances the clock past it")
    func receiveWithinDrift() throws {
        var clock = HybridLogicalClock(replica: "till")
        let remote = HLCTimestamp(physical: 50_000, counter: 3, replica: "phone")
        try clock.receive(remote, wallMillis: 20_000)
        #expect(try clock.now(wallMillis: 20_000) > remote)
    }

    @Test("a remote stamp more than maxDrift ahead is refused with a typed error and changes nothing")
    func refusesRemoteTooFarAhead() throws {
        var clock = HybridLogicalClock(replica: "till", maxDrift: 60_000)
        _ = try clock.now(wallMillis: 1_000)
        let before = clock.last
        let remote = HLCTimestamp(physical: 61_001 + 1_000, counter: 0, replica: "phone")
        #expect(throws: ClockError.remoteAhead(by: 61_001, maxDrift: 60_000, from: "phone")) {
            try clock.receive(remote, wallMillis: 1_000)
        }
        #expect(clock.last == before)
        #expect(ClockError.remoteAhead(by: 61_001, maxDrift: 60_000, from: "phone").description.contains("phone"))
    }

    @Test("equal physical time and counter are ordered by replica id")
    func tieBreakByReplica() {
        let a = HLCTimestamp(physical: 5, counter: 1, replica: "a")
        let b = HLCTimestamp(physical: 5, counter: 1, replica: "b")
        #expect(a < b)
        #expect(!(b < a))
    }

    @Test("a wall clock beyond 48 bits is refused")
    func wallClockOutOfRange() {
        var clock = HybridLogicalClock(replica: "till")
        #expect(throws: ClockError.wallClockOutOfRange(1 << 48)) { try clock.now(wallMillis: 1 << 48) }
    }
}
