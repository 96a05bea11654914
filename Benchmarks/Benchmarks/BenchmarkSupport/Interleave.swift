public import Benchmark

/// Per-round durations of the Aisle side of a paired benchmark; scripts/bench reads `aislens`.
public let aisleNanoseconds = BenchmarkMetric.custom("aisle ns", polarity: .prefersSmaller, useScalingFactor: false)
/// Per-round durations of the raw baseline; scripts/bench reads `rawns`.
public let rawNanoseconds = BenchmarkMetric.custom("raw ns", polarity: .prefersSmaller, useScalingFactor: false)

/// Times one Aisle round and one raw round, alternately, `rounds` times, recording each duration:
/// both sides see the same machine at the same moment, so background noise falls on both.
public func interleave(
    _ benchmark: Benchmark, rounds: Int, aisle: () async throws -> Void, raw: () async throws -> Void
) async rethrows {
    let clock = ContinuousClock()
    for _ in 0..<rounds {
        let aisleTime = try await clock.measure { try await aisle() }
        let rawTime = try await clock.measure { try await raw() }
        benchmark.measurement(aisleNanoseconds, Int(aisleTime / .nanoseconds(1)))
        benchmark.measurement(rawNanoseconds, Int(rawTime / .nanoseconds(1)))
    }
}
