import AisleCore
import AisleCrypto
import AisleEdge
import AisleNode
import AisleStore
import ArgumentParser
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

struct LoadgenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: "Drive synthetic tills and phones against a running hub; report throughput and latency.",
        discussion: """
            Mints the devices in this process with the tenant's admin key (--dir, the directory of \
            `aisle admin init`), as enrolment would: each till and phone is a real node with its own \
            SQLite file in a temporary directory, its own certificate (valid a day) and its scope keys, \
            syncing through a real WebSocket link (the edge's HubLink) to the hub, which must be enrolled \
            in the same tenant. Device ids carry a random run tag, so runs never collide on one hub.

            Each phone hands its cart off to a till of store `phone % stores` (a handoff code, accepted \
            in-process as a scan would be); then, for --duration, every till and phone edits a cart \
            --rate times a second (a phone its cart in its customer scope, relayed unread by the hub; a \
            till a walk-in cart in its store scope) and pushes it. Latency is measured from just before \
            the local write to the moment the receiving node has applied it (its version vector covers \
            it): phone → till (the till holding the phone's handoff) and till → till (the other tills \
            of the store), recorded in HdrHistograms. Progress is printed every second; the last line \
            starts with `result` and has every figure as key=value.

            With several --hub URLs (hub processes on one PostgreSQL database), the tills of store s use \
            hub s % hubs and each phone the next hub after its till's, so phone → till changes cross \
            hubs. --idle N adds N phones that connect and stay idle, to measure what a hub holds per \
            connection: each with its own certificate and handshake, but, since they never write, \
            sharing one store file and one key pair, granted their customer scope only; --watch-pid reports a local \
            hub's resident memory (VmRSS) as the run goes, and the CPU it and the load generator used \
            while writing (cores, and the hub's milliseconds per change).
            """)

    @OptionGroup var tenant: TenantDirectory

    @Option(
        name: .customLong("hub"),
        help: "A hub's URL (http://HOST:PORT or ws://HOST:PORT/v1/sync); repeat for several hubs.")
    var hubs: [String]

    @Option(help: "How many stores.") var stores = 1
    @Option(help: "How many tills per store.") var tills = 2
    @Option(help: "How many phones (customers), handed off to the stores' tills in turn.") var phones = 4
    @Option(help: "How many extra phones that connect and stay idle.") var idle = 0
    @Option(help: "Changes per second each till and phone writes.") var rate = 10.0
    @Option(help: "How long to write once every device is connected: 60s, 2m, 500ms.") var duration = "60s"
    @Option(help: "Devices to start connecting per second.") var connectRate = 1_000
    @Option(help: "Give up waiting for every device to connect after this long.") var connectTimeout = "120s"
    @Option(help: "The process id of a hub on this machine, to report its resident memory and CPU.")
    var watchPid: Int32?
    @Option(help: "How much the devices' links log.")
    var logLevel = Logger.Level.error

    func validate() throws {
        guard !hubs.isEmpty else { throw ValidationError("give at least one --hub") }
        for hub in hubs { try HubURL.validate(hub) }
        guard stores >= 0, tills >= 0, phones >= 0, idle >= 0 else {
            throw ValidationError("--stores, --tills, --phones and --idle cannot be negative")
        }
        guard phones == 0 || stores * tills > 0 else {
            throw ValidationError("phones hand their carts off to tills: give --stores and --tills of at least 1")
        }
        guard rate > 0 else { throw ValidationError("--rate must be positive") }
        _ = try Self.duration(duration)
        _ = try Self.duration(connectTimeout)
    }

    func run() async throws {
        // Checked before anything is made: at the limit sockets and SQLite files fail to open, the
        // run stalls, and libdispatch traps when it cannot open what it monitors threads with.
        let needed = Self.filesNeeded(active: stores * tills + phones, idle: idle)
        if let limit = OpenFiles.raiseLimit(), needed > limit {
            throw CommandFailure(
                "this run needs about \(needed) open files (\(Self.filesPerActiveDevice) per till or phone, for its "
                    + "SQLite files and its socket, and 1 per idle phone), and this process may open \(limit): raise "
                    + "the hard limit (ulimit -Hn as root) or run fewer devices")
        }
        let (tenantFile, admin) = try tenant.open()
        var logger = Logger(label: "aisle.loadgen")
        logger.logLevel = logLevel
        let workspace = FileManager.default.temporaryDirectory.appendingPathComponent("aisle-loadgen-\(UUID())").path
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        let run = "lg-" + String(UUID().uuidString.lowercased().prefix(6))
        let fleet = LoadFleet(
            tenant: try TenantID(tenantFile.tenant), admin: admin, epoch: try tenant.currentEpoch(),
            directory: workspace, run: run, logger: logger)
        let book = LatencyBook()
        let counters = LoadCounters()
        let urls = try hubs.map { try HubURL.parse($0).sync }

        let minted = ContinuousClock.now
        let devices = try await fleet.devices(
            stores: stores, tills: tills, phones: phones, idle: idle, hubs: urls, book: book
        ) { kind, node, event in
            switch event {
            case .applied(let scope, _, _):
                // The writer's memory of what it just committed: no read from disk per batch.
                guard case .till = kind, let vector = try? node.store.committedVector(of: scope) else { return }
                book.applied(scope, vector, by: node.identity.certificate.body.device)
            case .ended:
                counters.sessionsEnded.add(1, ordering: .relaxed)
            default:
                break
            }
        }
        let active = devices.filter { $0.home != nil }
        print(
            "loadgen \(run): \(stores) stores × \(tills) tills, \(phones) phones, \(idle) idle against "
                + "\(urls.joined(separator: ", ")); minted \(devices.count) devices in "
                + "\(Self.seconds(ContinuousClock.now - minted))")

        let report = LoadReport(
            devices: devices, book: book, rate: rate, watchPid: watchPid)
        let outcome = await withTaskGroup(of: Void.self) { links -> LoadOutcome in
            for (index, device) in devices.enumerated() {
                if index > 0, index % max(1, connectRate / 10) == 0 { try? await Task.sleep(for: .milliseconds(100)) }
                links.addTask { await device.link.run(initialDelay: .milliseconds(200), maxDelay: .seconds(5)) }
            }
            let outcome = await drive(active, report: report, book: book, counters: counters)
            links.cancelAll()
            return outcome
        }
        report.printSummary(outcome, header: "\(stores) stores × \(tills) tills, \(phones) phones, \(idle) idle")
        if outcome.connectFailed { throw ExitCode(2) }
    }

    /// Waits until every device is connected, writes for the duration, and waits for the last
    /// changes to arrive.
    private func drive(_ active: [LoadDevice], report: LoadReport, book: LatencyBook, counters: LoadCounters) async
        -> LoadOutcome
    {
        let connectStarted = ContinuousClock.now
        let connectDeadline = connectStarted + ((try? Self.duration(connectTimeout)) ?? .seconds(120))
        var connected = 0
        while connected < report.devices.count, ContinuousClock.now < connectDeadline {
            try? await Task.sleep(for: .milliseconds(500))
            connected = await report.connected()
            print(
                "connecting: \(connected)/\(report.devices.count) after \(Self.seconds(ContinuousClock.now - connectStarted))"
            )
            fflush(nil)  // progress is for watching, also through a pipe or a file (`| tee`)
        }
        let connectTime = ContinuousClock.now - connectStarted
        guard connected == report.devices.count else {
            print("error: only \(connected) of \(report.devices.count) devices connected within \(connectTimeout)")
            return LoadOutcome(connectTime: connectTime, connectFailed: true)
        }
        // Let the first exchanges (subscriptions, catch-up) settle before measuring.
        try? await Task.sleep(for: .seconds(1))
        let endedBefore = counters.sessionsEnded.load(ordering: .relaxed)
        let length = (try? Self.duration(duration)) ?? .seconds(60)
        let started = ContinuousClock.now
        let end = started + length
        report.startWriting()
        await withTaskGroup(of: Void.self) { group in
            for device in active {
                group.addTask { await self.write(device, until: end, book: book, counters: counters) }
            }
            group.addTask {
                var tick = started
                while ContinuousClock.now < end {
                    tick += .seconds(1)
                    try? await Task.sleep(until: min(tick, end), clock: .continuous)
                    await report.printProgress(elapsed: ContinuousClock.now - started)
                }
            }
        }
        let writing = ContinuousClock.now - started
        let cores = report.coresSinceWritingStarted(writing)
        // The last changes are still on their way: wait until every expected delivery is recorded
        // (or 5 s).
        let drainDeadline = ContinuousClock.now + .seconds(5)
        while report.delivered < report.expectedDeliveries, ContinuousClock.now < drainDeadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        let connectedAtEnd = await report.connected()
        book.closeRun()
        return LoadOutcome(
            connectTime: connectTime, connectFailed: false, writing: writing,
            connectedAtEnd: connectedAtEnd, hubRSS: report.hubRSS(), hubCores: cores.hub, ownCores: cores.own,
            writeErrors: counters.writeErrors.load(ordering: .relaxed),
            sessionsEnded: counters.sessionsEnded.load(ordering: .relaxed) - endedBefore)
    }

    /// Edits `device`'s cart `rate` times a second until `end`, pushing each change at once. A
    /// device that falls behind does not burst to catch up: the achieved rate is reported.
    private func write(
        _ device: LoadDevice, until end: ContinuousClock.Instant, book: LatencyBook, counters: LoadCounters
    )
        async
    {
        guard let home = device.home else { return }
        let interval = Duration.seconds(1) / rate
        // Spread the devices' writes over the interval.
        var next = ContinuousClock.now + interval * Double.random(in: 0..<1)
        let sku: SKU = "load-sku"
        var quantity: Int64 = 0
        while next < end {
            try? await Task.sleep(until: next, clock: .continuous)
            quantity = quantity % 9 + 1
            let expected = book.willWrite(home.scope, by: device.id)
            do {
                let acknowledgements = try await device.node.store.updateCart(device.cart, in: home) {
                    [quantity] cart, _, stamp in try cart.setQuantity(sku, to: quantity, at: stamp)
                }
                if acknowledgements.first?.seq != expected { counters.writeErrors.add(1, ordering: .relaxed) }
            } catch {
                book.didNotWrite(home.scope, by: device.id)
                counters.writeErrors.add(1, ordering: .relaxed)
            }
            await device.link.changed(home.scope)
            next += interval
            let now = ContinuousClock.now
            if next < now { next = now }
        }
    }

    /// Descriptors an active till or phone holds, as measured in `/proc/PID/fd` during a run:
    /// its store's SQLite pool (the writer and two readers, each with the database and its WAL,
    /// and one shared-memory map) and its link's socket.
    static let filesPerActiveDevice = 8

    /// About how many descriptors a run with `active` writing devices and `idle` phones holds (the
    /// idle phones share one store file), with room for the process's own.
    static func filesNeeded(active: Int, idle: Int) -> Int {
        active * filesPerActiveDevice + idle + 64
    }

    /// Parses 60s, 2m, 500ms or a number of seconds.
    static func duration(_ text: String) throws -> Duration {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3_600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value >= 0 { return .seconds(value * scale) }
        }
        if let value = Double(text), value >= 0 { return .seconds(value) }
        throw ValidationError("'\(text)' is not a duration: write 60s, 2m or 500ms")
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.1f s", Double(duration.microseconds) / 1e6)
    }
}

/// What goes wrong during a run, counted from every device's task.
final class LoadCounters: Sendable {
    /// Sessions the protocol ended with an error (the link then reconnects).
    let sessionsEnded = Atomic<Int>(0)
    /// Local writes that failed, or got another sequence number than expected.
    let writeErrors = Atomic<Int>(0)
}

/// How a run went, besides the latencies.
struct LoadOutcome {
    var connectTime: Duration
    var connectFailed: Bool
    var writing: Duration = .zero
    var connectedAtEnd = 0
    var hubRSS: Int?
    /// The cores the watched hub (`--watch-pid`) and the load generator kept busy while writing.
    var hubCores: Double?
    var ownCores: Double?
    var writeErrors = 0
    var sessionsEnded = 0
}
