import Foundation

/// Runs seeded schedules on every core: schedule `index` runs with the seed derived from `base`
/// and `index`, so any one can be replayed from its printed seed.
/// - Returns: every schedule's report, in no particular order, and the seconds the sweep took.
public func sweepSchedules<Report: Sendable>(
    _ schedules: Int, base: UInt64, _ run: @escaping @Sendable (UInt64) async -> Report
) async -> (reports: [Report], seconds: Double) {
    let started = ContinuousClock.now
    let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    let reports = await withTaskGroup(of: [Report].self) { group in
        for worker in 0..<workers {
            group.addTask {
                var reports: [Report] = []
                for index in stride(from: worker, to: schedules, by: workers) {
                    reports.append(await run(SeededRandom.derive(base: base, index: UInt64(index))))
                    // A schedule runs without suspending: let the other tests' tasks (process
                    // tests waiting for a child's output, say) have the cooperative threads too.
                    await Task.yield()
                }
                return reports
            }
        }
        return await group.reduce(into: []) { $0 += $1 }
    }
    return (reports, (ContinuousClock.now - started) / .seconds(1))
}
