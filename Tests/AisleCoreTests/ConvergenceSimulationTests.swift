import AisleCore
import AisleTesting
import Foundation
import Testing

@Suite("Seeded convergence simulation")
struct ConvergenceSimulationTests {
    /// `AISLE_SEED=S` replays one schedule; `AISLE_SCHEDULES=N` and `AISLE_SIM_BASE_SEED=B` change the sweep.
    static let environment = ProcessInfo.processInfo.environment

    @Test("replicas that edit carts, sell, move rights and redeem through faults converge, never below zero")
    func schedulesConvergeWithoutGoingNegative() async throws {
        if let replay = Self.environment["AISLE_SEED"].flatMap(UInt64.init) {
            let report = ConvergenceSimulation.run(seed: replay)
            print("sim convergence schedules=1 failures=\(report.passed ? 0 : 1) seed=\(replay)  \(report)")
            #expect(report.passed, "seed \(replay): \(report)")
            return
        }
        let schedules = Self.environment["AISLE_SCHEDULES"].flatMap(Int.init) ?? 10_000
        let base = Self.environment["AISLE_SIM_BASE_SEED"].flatMap(UInt64.init) ?? 20_261_123
        let (reports, seconds) = await sweepSchedules(schedules, base: base) { seed in
            ConvergenceSimulation.run(seed: seed)
        }
        let failures = reports.filter { !$0.passed }
        for failure in failures.prefix(10) {
            print("sim convergence FAILED: replay with AISLE_SEED=\(failure.seed): \(failure)")
        }
        print(
            "sim convergence schedules=\(schedules) failures=\(failures.count) seed=\(base) "
                + "seconds=\(String(format: "%.1f", seconds)) schedules_per_second=\(Int(Double(schedules) / seconds))")
        #expect(
            failures.isEmpty, "\(failures.count) schedules failed; first: \(failures.first.map(\.description) ?? "")")
    }
}
