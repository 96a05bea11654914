import AisleCore
import AisleEdge
import Foundation
import Histogram
import Synchronization

/// What the load generator prints: a progress line every second while it writes, and a summary
/// with every figure on a last `result key=value …` line.
final class LoadReport: Sendable {
    let devices: [LoadDevice]
    let book: LatencyBook
    let rate: Double
    let watchPid: Int32?
    private let tillsPerStore: [Int]
    /// Written totals at the previous progress line, for the rate of the last second.
    private let previous = Mutex((written: 0, at: ContinuousClock.now))
    private let peakRSS = Atomic<Int>(0)
    /// CPU seconds the watched process and this one had used when the writing started.
    private let cpuAtStart = Mutex<(hub: Double?, own: Double?)>((nil, nil))

    init(devices: [LoadDevice], book: LatencyBook, rate: Double, watchPid: Int32?) {
        self.devices = devices
        self.book = book
        self.rate = rate
        self.watchPid = watchPid
        var perStore: [String: Int] = [:]
        for device in devices {
            if case .till(let store) = device.kind { perStore[store.rawValue, default: 0] += 1 }
        }
        tillsPerStore = Array(perStore.values)
    }

    /// Starts the progress lines' rate from now (the writing starts).
    func startWriting() {
        let written = book.written
        previous.withLock { $0 = (written.phones + written.tills, ContinuousClock.now) }
        cpuAtStart.withLock { $0 = (watchPid.flatMap { Self.cpuSeconds(of: "\($0)") }, Self.cpuSeconds(of: "self")) }
    }

    /// The cores the watched process and this one kept busy on average since the writing started,
    /// `elapsed` ago (nil where /proc could not say).
    func coresSinceWritingStarted(_ elapsed: Duration) -> (hub: Double?, own: Double?) {
        let seconds = max(Double(elapsed.microseconds) / 1e6, 1e-9)
        let start = cpuAtStart.withLock { $0 }
        func cores(_ before: Double?, _ now: Double?) -> Double? {
            guard let before, let now else { return nil }
            return (now - before) / seconds
        }
        return (
            cores(start.hub, watchPid.flatMap { Self.cpuSeconds(of: "\($0)") }),
            cores(start.own, Self.cpuSeconds(of: "self"))
        )
    }

    /// The CPU time (user and system) process `pid` ("self" for this one) has used, in seconds,
    /// from `/proc/PID/stat`.
    static func cpuSeconds(of pid: String) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After the command name in parentheses: field 3 (state) on; utime and stime are 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// How many devices hold a session with their hub now.
    func connected() async -> Int {
        var count = 0
        for device in devices where await device.link.isConnected { count += 1 }
        return count
    }

    /// The deliveries the writes so far should make: each phone change to one till, each till
    /// change to the other tills of its store.
    var expectedDeliveries: UInt64 {
        let (phoneWrites, tillWrites) = book.written
        let others = tillsPerStore.isEmpty ? 0 : tillsPerStore.max()! - 1
        return UInt64(phoneWrites + tillWrites * others)
    }

    var delivered: UInt64 { book.delivered }

    /// The watched process's resident memory in MB (VmRSS in /proc), nil without one.
    func hubRSS() -> Int? {
        guard let watchPid,
            let status = try? String(contentsOfFile: "/proc/\(watchPid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        let megabytes = kilobytes / 1_024
        peakRSS.max(megabytes, ordering: .relaxed)
        return megabytes
    }

    func printProgress(elapsed: Duration) async {
        let (phoneWrites, tillWrites) = book.written
        let written = phoneWrites + tillWrites
        let now = ContinuousClock.now
        let last = previous.withLock { previous in
            defer { previous = (written, now) }
            return previous
        }
        let seconds = Double((now - last.at).microseconds) / 1e6
        let phoneToTill = book.histogram(.phoneToTill)
        let recent = book.takeRecentPhoneToTill()
        let connected = await connected()
        var line = String(
            format: "[%5.1f s] %d/%d connected · written %d (%.0f/s) · phone → till %llu seen, p99 ",
            Double(elapsed.microseconds) / 1e6, connected, devices.count, written,
            seconds > 0 ? Double(written - last.written) / seconds : 0, phoneToTill.totalCount)
        line += Self.milliseconds(phoneToTill, 99) + " ms"
        line +=
            " (last second: \(recent.totalCount) seen, p99 " + Self.milliseconds(recent, 99) + " ms, max "
            + Self.milliseconds(recent, 100) + " ms)"
        if let rss = hubRSS() { line += " · hub RSS \(rss) MB" }
        print(line)
        fflush(nil)  // a line at a time, also through a pipe or into a file
    }

    func printSummary(_ outcome: LoadOutcome, header: String) {
        let (phoneWrites, tillWrites) = book.written
        let written = phoneWrites + tillWrites
        let seconds = max(Double(outcome.writing.microseconds) / 1e6, 1e-9)
        let active = devices.filter { $0.home != nil }.count
        let phoneToTill = book.histogram(.phoneToTill)
        let tillToTill = book.histogram(.tillToTill)
        let errors = outcome.writeErrors + outcome.sessionsEnded + (outcome.connectFailed ? 1 : 0)
        print("")
        print("loadgen summary: \(header); \(devices.count) devices")
        print(
            String(
                format: "connect   %d devices in %.1f s; %d connected at the end", devices.count,
                Double(outcome.connectTime.microseconds) / 1e6, outcome.connectedAtEnd))
        print(
            String(
                format: "written   %d changes in %.1f s: %.1f changes/s (target %.0f/s: %d devices × %g/s)", written,
                seconds, Double(written) / seconds, Double(active) * rate, active, rate))
        for (name, histogram) in [("phone → till", phoneToTill), ("till → till ", tillToTill)] {
            print(
                "\(name) \(histogram.totalCount) seen: p50 \(Self.milliseconds(histogram, 50)) ms, "
                    + "p90 \(Self.milliseconds(histogram, 90)) ms, p99 \(Self.milliseconds(histogram, 99)) ms, "
                    + "p99.9 \(Self.milliseconds(histogram, 99.9)) ms, max \(Self.milliseconds(histogram, 100)) ms")
        }
        if let hub = outcome.hubCores {
            print(
                String(
                    format: "cpu       hub %.2f cores (%.3f ms per change written), load generator %.2f cores", hub,
                    written > 0 ? hub * seconds * 1_000 / Double(written) : 0, outcome.ownCores ?? 0))
        }
        print(
            "deliveries \(delivered) of \(expectedDeliveries) expected by the end (the \(book.undelivered) missing are in the "
                + "percentiles at their age then, a lower bound); \(outcome.writeErrors) write errors, "
                + "\(outcome.sessionsEnded) sessions ended by an error")
        var result = [
            "devices=\(devices.count)", "active=\(active)", "connected=\(outcome.connectedAtEnd)",
            String(format: "connect_s=%.1f", Double(outcome.connectTime.microseconds) / 1e6),
            "written=\(written)", String(format: "changes_per_s=%.1f", Double(written) / seconds),
            String(format: "target_per_s=%.0f", Double(active) * rate),
            "phone_till=\(phoneToTill.totalCount)",
            "p50_ms=\(Self.milliseconds(phoneToTill, 50))", "p90_ms=\(Self.milliseconds(phoneToTill, 90))",
            "p99_ms=\(Self.milliseconds(phoneToTill, 99))", "p999_ms=\(Self.milliseconds(phoneToTill, 99.9))",
            "max_ms=\(Self.milliseconds(phoneToTill, 100))",
            "till_till=\(tillToTill.totalCount)", "till_p99_ms=\(Self.milliseconds(tillToTill, 99))",
            "delivered=\(delivered)", "expected=\(expectedDeliveries)", "undelivered=\(book.undelivered)",
            "errors=\(errors)",
        ]
        if let rss = outcome.hubRSS {
            result += ["hub_rss_mb=\(rss)", "hub_rss_peak_mb=\(max(rss, peakRSS.load(ordering: .relaxed)))"]
        }
        if let hub = outcome.hubCores { result.append(String(format: "hub_cpu_cores=%.3f", hub)) }
        if let own = outcome.ownCores { result.append(String(format: "loadgen_cpu_cores=%.3f", own)) }
        print("result " + result.joined(separator: " "))
    }

    /// The value at `percentile` in milliseconds ("-" when nothing was recorded).
    static func milliseconds(_ histogram: Histogram<UInt64>, _ percentile: Double) -> String {
        guard histogram.totalCount > 0 else { return "-" }
        let micros = percentile >= 100 ? histogram.max : histogram.valueAtPercentile(percentile)
        return String(format: "%.3f", Double(micros) / 1_000)
    }
}
