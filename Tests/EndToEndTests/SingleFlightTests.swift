import AisleHub
import AisleTesting
import Synchronization
import Testing

@Suite("The status view made one at a time")
struct SingleFlightTests {
    struct Failed: Error {}

    /// How many computations began.
    final class Made: Sendable {
        let count = Atomic(0)
    }

    @Test(
        "callers that ask while a view is being made share it; the next call makes a new one; a failure reaches only the callers that shared it"
    )
    func callersShareTheRunningComputation() async throws {
        let flight = SingleFlight<Int>()
        let made = Made()
        @Sendable func make() async throws -> Int {
            let number = made.count.add(1, ordering: .relaxed).newValue
            try await Task.sleep(for: .seconds(1))
            return number
        }
        let shared = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<5 { group.addTask { try await flight.value(make) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(shared == [1, 1, 1, 1, 1])
        #expect(try await flight.value(make) == 2)

        await #expect(throws: Failed.self) {
            try await flight.value {
                try await Task.sleep(for: .milliseconds(100))
                throw Failed()
            }
        }
        #expect(try await flight.value(make) == 3)
    }
}

extension SingleFlightTests {
    /// A result that counts its own end.
    final class Tracked: Sendable {
        let number: Int
        let ended: Made
        init(_ number: Int, ended: Made) {
            self.number = number
            self.ended = ended
        }
        deinit { ended.count.add(1, ordering: .relaxed) }
    }

    @Test(
        "a result is reused for the given multiple of the time it took to make, then made anew; the one kept is let go once its time is up"
    )
    func resultReusedForAWhile() async throws {
        let time = Mutex(Duration.zero)
        let flight = SingleFlight<Tracked>(reuse: 4, clock: { time.withLock { $0 } })
        let made = Made()
        let ended = Made()
        // Each takes half a second of the test's clock to make: reused for two seconds after.
        @Sendable func make() async throws -> Tracked {
            time.withLock { $0 += .milliseconds(500) }
            return Tracked(made.count.add(1, ordering: .relaxed).newValue, ended: ended)
        }
        #expect(try await flight.value(make).number == 1)
        time.withLock { $0 += .milliseconds(1_999) }
        #expect(try await flight.value(make).number == 1)
        time.withLock { $0 += .milliseconds(1) }
        #expect(try await flight.value(make).number == 2)
        #expect(ended.count.load(ordering: .relaxed) == 1)
        // Nothing asks for the second: it is let go when its time is up.
        time.withLock { $0 += .milliseconds(2_000) }
        #expect(try await eventually(timeout: .seconds(10)) { ended.count.load(ordering: .relaxed) == 2 })
        #expect(made.count.load(ordering: .relaxed) == 2)
    }
}
