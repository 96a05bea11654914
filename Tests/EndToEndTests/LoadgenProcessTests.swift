import AisleTesting
import Foundation
import Testing

/// `aisle loadgen` against a real hub process, with small numbers.
@Suite("aisle loadgen against a real hub")
struct LoadgenProcessTests {
    @Test("tills and phones minted by the load generator sync through a real hub: throughput, percentiles, no errors")
    func loadgenReportsThroughputAndPercentiles() async throws {
        let world = try SyncWorld()
        defer { withExtendedLifetime(world) {} }
        let (hub, port) = try await world.startHub()
        defer { hub.stop(SIGKILL) }
        let result = try AisleCommandTests.run([
            "loadgen", "--dir", world.hq, "--hub", "http://127.0.0.1:\(port)", "--stores", "1", "--tills", "2",
            "--phones", "4", "--idle", "3", "--rate", "10", "--duration", "3s", "--connect-timeout", "30s",
            "--watch-pid", "\(hub.pid)",
        ])
        #expect(result.status == 0, "\(result.output)\n\(hub.text)")
        #expect(result.output.contains("connected ·"), "progress lines while it runs: \(result.output)")
        let line = try #require(result.output.split(separator: "\n").last { $0.hasPrefix("result ") })
        let figures = Dictionary(
            line.split(separator: " ").dropFirst().map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), String(parts[1]))
            }, uniquingKeysWith: { $1 })
        #expect(figures["devices"] == "9", "\(line)")
        #expect(figures["connected"] == "9", "\(line)")
        #expect(figures["errors"] == "0", "\(result.output)")
        #expect((Double(figures["changes_per_s"] ?? "") ?? 0) > 0, "\(line)")
        // 4 phones and 2 tills at 10 changes/s for 3 s: about 180 changes, each phone's seen by its till.
        #expect((Int(figures["phone_till"] ?? "") ?? 0) > 20, "\(line)")
        #expect((Int(figures["till_till"] ?? "") ?? 0) > 10, "\(line)")
        for key in ["p50_ms", "p99_ms", "p999_ms", "max_ms", "till_p99_ms"] {
            #expect((Double(figures[key] ?? "") ?? 0) > 0, "\(key) in \(line)")
        }
        #expect(figures["delivered"] == figures["expected"], "every change reached its tills: \(line)")
        // The watched hub: its memory, and the CPU it and the generator used (both did work).
        #expect((Int(figures["hub_rss_mb"] ?? "") ?? 0) > 0, "\(line)")
        for key in ["hub_cpu_cores", "loadgen_cpu_cores"] {
            #expect((Double(figures[key] ?? "") ?? 0) > 0, "\(key) in \(line)")
        }
        #expect(result.output.contains("ms per change written"), "\(result.output)")
    }
}
