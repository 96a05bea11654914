import AisleCore
import Testing

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

extension CausalDeliveryTests {
    @Test("a change still waiting is reported held even when it unblocks others' changes")
    func heldReportedAlongsideApplied() {
        var delivery = CausalDelivery<Int>()
        _ = delivery.receive(Self.change("b", 1, deps: ["a": 1])) { _ in }
        let outcomes = delivery.receive(Self.change("a", 2)) { _ in }
        #expect(outcomes == [.held(origin: "a", seq: 2)])
        let released = delivery.receive(Self.change("a", 1)) { _ in }
        #expect(
            released == [.applied(origin: "a", seq: 1), .applied(origin: "a", seq: 2), .applied(origin: "b", seq: 1)])
    }
}
