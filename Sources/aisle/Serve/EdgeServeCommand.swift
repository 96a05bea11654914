import AisleCore
import AisleCrypto
import AisleEdge
import AisleNode
import AisleStore
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

struct EdgeServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a store's edge: the tills' local API, synced with the hub.",
        discussion: """
            Reads the configuration (edge/edge.json in the run kit: the hub's sync URL, the API's \
            host and port, database, identity directory; paths relative to the file). Serves the \
            tills' HTTP/JSON API (docs/edge-api.yaml) and keeps a sync link to the hub, \
            reconnecting with exponential backoff and jitter; while the hub is away the store keeps \
            selling and every change waits in the replica's log. Stops gracefully on SIGTERM or SIGINT.
            """)

    @Option(name: .long, help: "The edge's configuration file.")
    var config: String

    @Option(name: .long, help: "Serve the API on this port instead of the configured one (0: any free port).")
    var port: Int?

    @Option(name: .long, help: "Sync with this hub URL instead of the configured one.")
    var hub: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        let settings = try ConfigFile.load(EdgeConfiguration.self, from: config)
        let node = try DeviceDirectory(ConfigFile.resolve(settings.identity, against: config)).openNode(
            database: ConfigFile.resolve(settings.database, against: config))
        guard let store = node.identity.certificate.body.scopes.lazy.compactMap(Self.store).first else {
            throw CommandFailure(
                "the edge's certificate grants no store scope: enrol it with `aisle edge init --store`")
        }
        var logger = Logger(label: "aisle.edge")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let hubURL = hub ?? settings.hub
        let link = HubLink(node: node, url: hubURL, logger: logger) { [logger] event in
            switch event {
            case .connected(let device, _): logger.info("hub connected", metadata: ["hub": "\(device)"])
            case .applied(let scope, let count, _):
                logger.debug("applied", metadata: ["scope": "\(scope)", "changes": "\(count)"])
            case .caughtUp, .ended: break
            }
        }
        let api = EdgeAPI(
            node: node, store: store, changed: { scope in await link.changed(scope) },
            connected: { await link.isConnected })
        let host = settings.host
        let application = Application(
            router: api.router(),
            configuration: .init(address: .hostname(host, port: port ?? settings.port), serverName: "aisle-edge"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.port
                FileHandle.standardOutput.write(
                    Data(
                        "edge \(node.store.replica) of store \(store) listening on http://\(host):\(port); hub \(hubURL)\n"
                            .utf8))
            },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [application, LinkService(link: link), CheckpointService(store: node.store)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try node.store.close()
        print("edge stopped")
    }

    private static func store(_ grant: ScopeGrant) -> StoreID? {
        if case .exactly(.store(let store)) = grant { return store }
        return nil
    }
}

/// Keeps the hub link up until graceful shutdown.
struct LinkService: Service {
    let link: HubLink

    func run() async throws {
        await cancelWhenGracefulShutdown { [link] in await link.run() }
    }
}
