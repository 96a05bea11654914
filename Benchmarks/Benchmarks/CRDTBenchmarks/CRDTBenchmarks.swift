import AisleCore
import Benchmark

let benchmarks: @Sendable () -> Void = {
    Benchmark("placeholder") { benchmark in
        blackHole(CausalContext())
    }
}
