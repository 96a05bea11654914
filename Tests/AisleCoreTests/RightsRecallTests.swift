import AisleCore
import Testing

@Suite("What a till spares when the hub recalls stock rights")
struct RightsRecallTests {
    static let hub: ReplicaID = "hub"

    /// A counter of `value` units received at till-1, which handed `handedIn` of them to the hub.
    func counter(_ value: UInt64, handedIn: UInt64 = 0) throws -> BoundedCounter {
        var counter = BoundedCounter()
        counter.increment(by: value, at: "till-1")
        try counter.transfer(handedIn, from: "till-1", to: Self.hub)
        return counter
    }

    @Test(
        "a till keeps the refill floor of its share (half of it, rounded up) and spares the rest, at most what was asked",
        arguments: [
            // value, handed in, asked → spared. One spender: share = 80 % of the value.
            (10, 2, 3, 3),  // share 8, floor 4: holds 8, may spare 4
            (10, 2, 9, 4),
            (5, 0, 9, 3),  // share 4, floor 2: holds 5
            (3, 0, 9, 2),  // share 2, floor 1: holds 3
            (1, 0, 1, 1),  // share 0: nothing to keep
            (0, 0, 1, 0),
        ] as [(UInt64, UInt64, UInt64, UInt64)])
    func spareKeepsTheFloor(_ value: UInt64, _ handedIn: UInt64, _ asked: UInt64, _ spared: UInt64) throws {
        let counter = try counter(value, handedIn: handedIn)
        #expect(RightsPolicy.stock.spare(counter, at: "till-1", hub: Self.hub, asked: asked) == spared)
    }

    @Test("a till left at its floor after a recall is not topped up again at once")
    func floorIsNotToppedUp() throws {
        var counter = try counter(10, handedIn: 2)
        let spared = RightsPolicy.stock.spare(counter, at: "till-1", hub: Self.hub, asked: 100)
        try counter.transfer(spared, from: "till-1", to: Self.hub)
        #expect(counter.rights(of: "till-1") == 4)
        #expect(RightsPolicy.stock.topUps(counter, hub: Self.hub, devices: ["till-1"]).isEmpty)
    }

    @Test("a till that holds nothing, or only its floor, spares nothing")
    func nothingBelowTheFloor() throws {
        #expect(RightsPolicy.stock.spare(try counter(10, handedIn: 10), at: "till-1", hub: Self.hub, asked: 5) == 0)
        #expect(RightsPolicy.stock.spare(try counter(10, handedIn: 6), at: "till-1", hub: Self.hub, asked: 5) == 0)
        #expect(RightsPolicy.stock.spare(try counter(10), at: "till-2", hub: Self.hub, asked: 5) == 0)
    }
}
