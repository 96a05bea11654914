import AisleCore
import AisleTesting
import Foundation
import Testing

@Suite("Seeded escrow simulations: stock and points with the hub as rights bank")
struct EscrowSimulationTests {
    /// `AISLE_ESCROW_SEED=S` replays one schedule (of both modes); `AISLE_ESCROW_SCHEDULES=N` and
    /// `AISLE_ESCROW_BASE_SEED=B` change the sweep.
    static let environment = ProcessInfo.processInfo.environment

    @Test("stock: sales, receipts, returns and transfers across partitioned tills never oversell")
    func stockNeverOversells() async {
        await sweep(.stock, name: "stock_escrow")
    }

    @Test("points: earning and redeeming across partitioned tills and a phone never spends a point twice")
    func pointsNeverSpentTwice() async {
        await sweep(.points, name: "points_escrow")
    }

    private func sweep(_ mode: EscrowSimulation.Mode, name: String) async {
        if let replay = Self.environment["AISLE_ESCROW_SEED"].flatMap(UInt64.init) {
            let report = EscrowSimulation.run(seed: replay, mode: mode)
            print("sim \(name) schedules=1 failures=\(report.passed ? 0 : 1) seed=\(replay)  \(report)")
            #expect(report.passed, "seed \(replay): \(report)")
            return
        }
        let schedules = Self.environment["AISLE_ESCROW_SCHEDULES"].flatMap(Int.init) ?? 10_000
        let base = Self.environment["AISLE_ESCROW_BASE_SEED"].flatMap(UInt64.init) ?? 20_261_202
        let (reports, seconds) = await sweepSchedules(schedules, base: base) { seed in
            EscrowSimulation.run(seed: seed, mode: mode)
        }
        let failures = reports.filter { !$0.passed }
        for failure in failures.prefix(10) {
            print("sim \(name) FAILED: replay with AISLE_ESCROW_SEED=\(failure.seed): \(failure)")
        }
        let spends = reports.reduce(0) { $0 + $1.localSpends }
        let refusals = reports.reduce(0) { $0 + $1.refusals }
        let grants = reports.reduce(0) { $0 + $1.grants }
        let reservations = reports.reduce(0) { $0 + $1.reservations }
        let collected = reports.reduce(0) { $0 + $1.collected }
        let released = reports.reduce(0) { $0 + $1.released }
        let recalls = reports.reduce(0) { $0 + $1.recalls }
        let placedAfterRecall = reports.reduce(0) { $0 + $1.placedAfterRecall }
        print(
            "sim \(name) schedules=\(schedules) failures=\(failures.count) seed=\(base) "
                + "spends=\(spends) refused=\(refusals) grants=\(grants) reservations=\(reservations) "
                + "collected=\(collected) released=\(released) recalls=\(recalls) placedAfterRecall=\(placedAfterRecall) "
                + "seconds=\(String(format: "%.1f", seconds))")
        #expect(
            failures.isEmpty, "\(failures.count) schedules failed; first: \(failures.first.map(\.description) ?? "")")
        // The bank and the reservations must actually be exercised, or the proof proves nothing.
        #expect(spends > schedules && grants > schedules / 10, "spends \(spends), grants \(grants)")
        if mode == .stock {
            #expect(
                reservations > schedules / 10 && collected > 0 && released > 0,
                "reservations \(reservations), collected \(collected), released \(released)")
            // Reservations the hub could not cover are placed with rights its tills handed in.
            #expect(placedAfterRecall > 0, "recalls \(recalls), placed after a recall \(placedAfterRecall)")
        }
    }
}
