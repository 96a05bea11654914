import AisleCore
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
            """)

    @Option(name: .long, help: "The hub's configuration file.")
    var config: String

    @Option(name: .long, help: "Listen on this port instead of the configured one (0: any free port).")
    var port: Int?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        let metrics = ProcessMetrics.registry
        let settings = try ConfigFile.load(HubConfiguration.self, from: config)
        let node = try DeviceDirectory(ConfigFile.resolve(settings.identity, against: config)).openNode(
            database: ConfigFile.resolve(settings.database, against: config))
        var logger = Logger(label: "aisle.hub")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let hub = SyncServer(node: node, logger: logger)
        let host = settings.host
        let application = hub.application(host: host, port: port ?? settings.port, metrics: metrics) { port in
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
                        released: { store in await hub.changed(.store(store)) }),
                    MetricsSampling.hub(
                        hub, retention: (settings.compaction ?? .init()).peerRetention, logger: logger),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try node.store.close()
        print("hub stopped")
    }
}

/// Reads a JSON configuration file, explaining what is wrong with it.
enum ConfigFile {
    static func load<Value: Decodable>(_ type: Value.Type, from path: String) throws -> Value {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("\(path) does not exist: copy the example from the run kit and edit it")
        }
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw CommandFailure("\(path) is not a valid configuration: \(error)")
        }
    }

    /// `path` as written in the configuration file at `file`: relative paths are relative to it.
    static func resolve(_ path: String, against file: String) -> String {
        path.hasPrefix("/")
            ? path : ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(path)
    }
}
