import AisleHub
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
