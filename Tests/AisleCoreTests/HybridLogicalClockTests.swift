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

@Suite("Causal delivery")
struct CausalDeliveryTests {
    static func change(_ origin: ReplicaID, _ seq: UInt64, deps: [ReplicaID: UInt64] = [:]) -> Change<Int> {
        var dependencies = VersionVector(deps)
        dependencies.advance(origin, to: seq - 1)
        return Change(
            origin: origin, seq: seq, stamp: HLCTimestamp(physical: seq, counter: 0, replica: origin),
            dependencies: dependencies, delta: Int(seq))
    }

    @Test("a change that arrives before an earlier one from its origin is held, then applied in order")
    func holdsGapsUntilFilled() {
        var delivery = CausalDelivery<Int>()
        var applied: [UInt64] = []
        #expect(delivery.receive(Self.change("a", 2)) { applied.append($0.seq) } == [.held(origin: "a", seq: 2)])
        _ = delivery.receive(Self.change("a", 1)) { applied.append($0.seq) }
        #expect(applied == [1, 2])
        #expect(delivery.delivered["a"] == 2)
    }

    @Test("a change waits for the changes of other origins it had seen")
    func waitsForDependencies() {
        var delivery = CausalDelivery<Int>()
        var applied: [String] = []
        _ = delivery.receive(Self.change("b", 1, deps: ["a": 1])) { applied.append("\($0.origin)\($0.seq)") }
        #expect(applied.isEmpty)
        _ = delivery.receive(Self.change("a", 1)) { applied.append("\($0.origin)\($0.seq)") }
        #expect(applied == ["a1", "b1"])
    }

    @Test("a duplicate is a no-op")
    func duplicatesIgnored() {
        var delivery = CausalDelivery<Int>()
        var count = 0
        _ = delivery.receive(Self.change("a", 1)) { _ in count += 1 }
        #expect(delivery.receive(Self.change("a", 1)) { _ in count += 1 } == [.duplicate(origin: "a", seq: 1)])
        #expect(count == 1)
    }

    @Test("a change the applier refuses is dropped and its successors wait for it to come again")
    func refusalBlocksSuccessors() {
        struct Refused: Error {}
        var delivery = CausalDelivery<Int>()
        let outcome = delivery.receive(Self.change("a", 1)) { _ in throw Refused() }
        #expect(outcome.count == 1)
        guard case .refused = outcome[0] else { Issue.record("expected a refusal"); return }
        #expect(delivery.receive(Self.change("a", 2)) { _ in } == [.held(origin: "a", seq: 2)])
        var applied: [UInt64] = []
        _ = delivery.receive(Self.change("a", 1)) { applied.append($0.seq) }
        #expect(applied == [1, 2])
    }
}
