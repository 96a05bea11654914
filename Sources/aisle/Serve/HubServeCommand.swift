import AisleCore
import AisleCrypto
import AisleHub
import AisleNode
import AisleStore
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

struct HubServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the hub: sync over WebSocket at /v1/sync, and GET /health.",
        discussion: """
            Reads the configuration (hub/hub.json in the run kit: host, port, database, identity \
            directory; paths relative to the file). Stops gracefully on SIGTERM or SIGINT: open \
            connections end, the database is checkpointed and closed.

            With --storage postgres://USER@HOST:PORT/DATABASE (or "storage" in the file), the hub \
            keeps everything in PostgreSQL, and several hub processes with the same identity can \
            serve together on one database (docs/scale-out.md): each rebuilds a local cache from \
            PostgreSQL on start and follows the others through LISTEN/NOTIFY.

            Takes at most "maxConnections" devices at once (by default what the open-file limit, \
            raised to its hard limit at start, and vm.max_map_count hold; logged at start) and \
            closes any beyond with WebSocket close code 1013, Try Again Later: edges move on to \
            their next hub (docs/operations.md, "Connection capacity").
            """)

    @Option(name: .long, help: "The hub's configuration file.")
    var config: String

    @Option(
        name: .long, parsing: .unconditional,
        help: "Listen on this port instead of the configured one (0: any free port).")
    var port: Int?

    @Option(
        name: .long,
        help: "Keep the hub's state in PostgreSQL (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE) instead of SQLite.")
    var storage: String?

    @Option(name: .long, help: "How much to log.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        try ServeChecks.validate(port: port)
    }

    func run() async throws {
        _ = ProcessMetrics.registry  // bootstrapped before anything is recorded
        let settings = try ConfigFile.load(HubConfiguration.self, from: config, name: "hub.json")
        try settings.check(file: config)
        let directory = try ServeChecks.identity(
            DeviceDirectory(ConfigFile.resolve(settings.identity, against: config)), roles: [.hub], for: "the hub",
            file: config)
        var logger = Logger(label: "aisle.hub")
        logger.logLevel = logLevel
        // Each connected device holds a descriptor: 4,096 is a few thousand devices.
        let openFiles = OpenFiles.raiseLimit()
        OpenFiles.logLimit(openFiles, warnBelow: 4_096, logger: logger)
        let maxConnections = ConnectionCapacity(openFiles: openFiles, mappings: ConnectionCapacity.mappingLimit())
            .maxConnections(configured: settings.maxConnections, logger: logger)
        if let url = storage ?? settings.storage {
            try await runOnPostgres(
                url: url, settings: settings, directory: directory, maxConnections: maxConnections, logger: logger)
            return
        }
        let database = ConfigFile.resolve(settings.database, against: config)
        try DatabaseFile.check(database, given: "\(config): \"database\"")
        // Relays a change as soon as it commits, acknowledges it once flushed (docs/durability.md).
        let node = try directory.openNode(
            database: database, durability: .flushed,
            renewed: logger.renewed)
        try await serve(node: node, settings: settings, maxConnections: maxConnections, logger: logger)
    }

    /// Serves `node` until SIGTERM or SIGINT, with `extra` services beside the HTTP server, then
    /// closes its store.
    private func serve(
        node: ReplicaNode, settings: HubConfiguration, maxConnections: Int, logger: Logger,
        extra: (SyncServer) -> [any Service] = { _ in [] }
    ) async throws {
        node.logCertificateExpiry(logger: logger)
        let hub = SyncServer(node: node, logger: logger, maxConnections: maxConnections)
        let host = settings.host
        let application = hub.application(
            host: host, port: port ?? settings.port, routes: ProcessMetrics.addRoute
        ) { port in
            // Written unbuffered: a supervisor or test waits for this line.
            FileHandle.standardOutput.write(
                Data(
                    "hub \(node.store.replica) listening on http://\(host):\(port) (sync: ws://\(host):\(port)/v1/sync)\n"
                        .utf8))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    application,
                    MaintenanceService(
                        node: node, compaction: settings.compaction ?? .init(), logger: logger,
                        released: { store in await hub.changed([.store(store)]) }, server: hub),
                    MetricsSampling.hub(
                        hub, retention: (settings.compaction ?? .init()).peerRetention, logger: logger),
                ] + extra(hub),
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try node.store.close()
        print("hub stopped")
    }

    /// The scale-out hub: a cache in a fresh temporary SQLite file, rebuilt from PostgreSQL before
    /// serving, and kept up with the other hub processes while serving.
    private func runOnPostgres(
        url: String, settings: HubConfiguration, directory: DeviceDirectory, maxConnections: Int, logger: Logger
    ) async throws {
        let location: PostgresLocation
        do { location = try PostgresLocation(url: url) } catch { throw CommandFailure("\(error)") }
        let base = FileManager.default.temporaryDirectory
        for left in HubCacheDirectory.sweep(in: base) {
            logger.notice("removed the cache a stopped hub process left", metadata: ["directory": "\(left.path)"])
        }
        let cache: HubCacheDirectory
        do { cache = try HubCacheDirectory(in: base) } catch { throw CommandFailure("\(error)") }
        defer { cache.remove() }
        logger.info("cache kept in a directory of its own", metadata: ["directory": "\(cache.url.path)"])
        let node = try directory.openNode(
            database: cache.url.appendingPathComponent("cache.db").path, durability: .normal, renewed: logger.renewed)
        let journal = PostgresJournal(at: location, node: node, logger: logger) { _ in
            // The cache is ahead of PostgreSQL: serving on would send a change no other hub has.
            Foundation.exit(75)
        }
        let running = Task { await journal.runClient() }
        defer { running.cancel() }
        HubMetrics.declareJournal()
        do {
            // The pool retries a refused connection without end: give up with a sentence instead.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await journal.migrate() }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    throw CommandFailure("no answer within 10 s: is PostgreSQL running there, and the URL right?")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            throw CommandFailure("cannot use PostgreSQL at \(location): \(String(reflecting: error))")
        }
        node.attach(journal)
        let started = ContinuousClock.now
        let count = try await journal.catchUp()
        let checkpoints = await journal.checkpointsInstalled()
        FileHandle.standardOutput.write(
            Data(
                "hub: rebuilt from \(location): \(count) changes in \(ContinuousClock.now - started) (after \(checkpoints) checkpoints)\n"
                    .utf8))
        try await serve(node: node, settings: settings, maxConnections: maxConnections, logger: logger) { hub in
            [
                JournalFollower(journal: journal, hub: hub),
                JournalCompactionService(
                    journal: journal, compaction: settings.compaction ?? .init(), scratch: cache.url, logger: logger),
            ]
        }
    }
}

/// Follows the other hub processes' changes through the journal until graceful shutdown.
struct JournalFollower: Service {
    let journal: PostgresJournal
    let hub: SyncServer

    func run() async throws {
        // The scopes the follower saw change, passed on by one task at a time, each once however
        // often it changed meanwhile: a store's change runs the rights bank, whose top-ups take
        // the writer lock in turn with the other processes, and the follower must read on.
        let changed = GroupQueue<Scope>()
        await cancelWhenGracefulShutdown { [journal, hub] in
            await journal.follow { scope in
                guard changed.add(scope) else { return }
                Task {
                    while case let scopes = Set(changed.take()), !scopes.isEmpty {
                        await hub.changed(scopes.sorted())
                    }
                }
            }
        }
    }
}

/// Compacts the shared journal every `compaction.journalInterval` until graceful shutdown (one
/// process at a time does the work; the others find the lock taken).
struct JournalCompactionService: Service {
    let journal: PostgresJournal
    let compaction: CompactionSettings
    let scratch: URL
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { [journal, compaction, scratch, logger] in
            while !Task.isCancelled {
                try? await Task.sleep(for: compaction.journalInterval)
                if Task.isCancelled { return }
                do {
                    _ = try await journal.compact(
                        peerRetention: compaction.peerRetention, minimumChanges: compaction.journalMinimum,
                        scratchDirectory: scratch)
                } catch {
                    logger.warning("journal: compaction failed; retrying later", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
