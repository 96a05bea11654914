import AisleTesting
import Foundation
import Testing

@Suite("Seeded sync network simulation")
struct SyncSimulationTests {
    /// `AISLE_SYNC_SEED=S` replays one schedule; `AISLE_SYNC_SCHEDULES=N` and
    /// `AISLE_SYNC_BASE_SEED=B` change the sweep.
    static let environment = ProcessInfo.processInfo.environment

    @Test("hub and tills on the real protocol engine converge through faults, restarts, compaction and a late joiner")
    func schedulesConverge() async throws {
        if let replay = Self.environment["AISLE_SYNC_SEED"].flatMap(UInt64.init) {
            let report = await SyncSimulation.run(seed: replay)
            print("sim sync_network schedules=1 failures=\(report.violation == nil ? 0 : 1) seed=\(replay)  \(report)")
            #expect(report.violation == nil, "seed \(replay): \(report)")
            return
        }
        let schedules = Self.environment["AISLE_SYNC_SCHEDULES"].flatMap(Int.init) ?? 1_000
        let base = Self.environment["AISLE_SYNC_BASE_SEED"].flatMap(UInt64.init) ?? 20_261_202
        let (reports, seconds) = await sweepSchedules(schedules, base: base) { seed in
            await SyncSimulation.run(seed: seed)
        }
        let failures = reports.filter { $0.violation != nil }
        for failure in failures.prefix(10) {
            print("sim sync_network FAILED: replay with AISLE_SYNC_SEED=\(failure.seed): \(failure)")
        }
        func total(_ value: (SyncSimulation.Report) -> Int) -> Int { reports.reduce(0) { $0 + value($1) } }
        print(
            "sim sync_network schedules=\(schedules) failures=\(failures.count) seed=\(base) "
                + "seconds=\(String(format: "%.1f", seconds)) writes=\(total(\.writes)) "
                + "sessions_ended=\(total(\.sessionsEnded)) restarts=\(total(\.restarts)) "
                + "compacted=\(total(\.compacted)) snapshot_parts=\(total(\.snapshotParts))")
        #expect(
            failures.isEmpty, "\(failures.count) schedules failed; first: \(failures.first.map(\.description) ?? "")")
        // The sweep must exercise what it claims to.
        #expect(total(\.sessionsEnded) > 0 && total(\.restarts) > 0 && total(\.compacted) > 0)
        #expect(total(\.snapshotParts) > 0, "no schedule bootstrapped a late joiner from a snapshot")
    }
}
