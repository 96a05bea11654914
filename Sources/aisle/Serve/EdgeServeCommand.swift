import AisleCore
import AisleCrypto
import AisleEdge
import AisleHub
import AisleNode
import AisleStore
import AisleSync
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

    @Option(
        name: .long, parsing: .unconditional,
        help: "Serve the API on this port instead of the configured one (0: any free port).")
    var port: Int?

    @Option(
        name: .long,
        help: "Sync with this hub URL instead of the configured ones (repeat it for several hubs on one database).")
    var hub: [String] = []

    @Option(name: .long, help: "How much to log.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        try ServeChecks.validate(port: port)
        for url in hub { try HubURL.validate(url) }
    }

    func run() async throws {
        _ = ProcessMetrics.registry  // bootstrapped before anything is recorded
        let settings = try ConfigFile.load(EdgeConfiguration.self, from: config, name: "edge.json")
        let hubURLs = try settings.checkedHubs(file: config, flags: hub)
        let limits = try settings.syncLimits()
        let directory = try ServeChecks.identity(
            DeviceDirectory(ConfigFile.resolve(settings.identity, against: config)), roles: [.pos, .kiosk],
            for: "an edge", file: config)
        let database = ConfigFile.resolve(settings.database, against: config)
        try DatabaseFile.check(database, given: "\(config): \"database\"")
        var logger = Logger(label: "aisle.edge")
        logger.logLevel = logLevel
        let node = try directory.openNode(database: database, renewed: logger.renewed)
        guard let store = node.identity.certificate.body.namedStores.first else {
            throw CommandFailure(
                "the edge's certificate grants no store scope: enrol it with `aisle edge init --store`")
        }
        // Every line names this till, so logs shipped from many stores can be told apart.
        logger[metadataKey: "replica"] = "\(node.store.replica)"
        logger[metadataKey: "store"] = "\(store)"
        // A store's terminals and its kiosks: a few hundred descriptors are plenty.
        OpenFiles.logLimit(OpenFiles.raiseLimit(), warnBelow: 256, logger: logger)
        node.logCertificateExpiry(logger: logger)
        let fanout = Fanout()
        let server = SyncServer(
            node: node, limits: limits, logger: logger,
            onApplied: { scope in await fanout.changed(scope, from: .terminal) })
        var links: [HubLink] = []
        let rights = RightsPlace()
        for urls in [hubURLs] + (settings.peers ?? []).map({ [$0] }) {
            let url = urls[0]
            let link = HubLink(node: node, urls: urls, limits: limits, logger: logger) { [logger] event in
                switch event {
                case .connected(let device, let role):
                    logger.info(
                        "sync connected", metadata: ["device": "\(device)", "role": "\(role)", "peer": "\(url)"])
                    if role == .hub { Task { await rights.keeper?.countersChanged() } }
                case .applied(let scope, let count, _):
                    logger.debug("applied", metadata: ["scope": "\(scope)", "changes": "\(count)", "peer": "\(url)"])
                    Task {
                        await fanout.changed(scope, from: .link(url))
                        switch scope {
                        case .store, .loyalty: await rights.keeper?.countersChanged()
                        case .catalog, .customer: break
                        }
                    }
                case .installed(let scope, let objects, let last):
                    logger.notice(
                        "installed a snapshot part from the hub (this edge lacked changes the hub had compacted)",
                        metadata: ["scope": "\(scope)", "objects": "\(objects)", "last": "\(last)"])
                    Task { await fanout.changed(scope, from: .link(url)) }
                case .served(let scope):
                    // This till answered the hub with a change of its own (rights recalled): the
                    // terminals connected here learn it too.
                    Task { await fanout.changed(scope, from: .link(url)) }
                case .caughtUp, .ended: break
                }
            }
            links.append(link)
        }
        await fanout.connect(links: links, server: server)
        let hubLink = links[0]
        let desk = RightsDesk(node: node) { hubLink }
        await rights.keep(
            RightsKeeper(desk: desk, store: store, logger: logger) { scope in await fanout.changed(scope, from: .local)
            })
        let api = EdgeAPI(
            node: node, store: store, changed: { scope in await fanout.changed(scope, from: .local) },
            connected: { await hubLink.isConnected }, refusal: { hubLink.refusal },
            handedOff: { grant, grantor in await fanout.use(grant, grantor: grantor) }, desk: desk,
            follow: { scope in await hubLink.follow(scope) })
        let host = settings.host
        let application = Application(
            router: api.router(routes: ProcessMetrics.addRoute),
            server: server.server(),
            configuration: .init(address: .hostname(host, port: port ?? settings.port), serverName: "aisle-edge"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.port
                FileHandle.standardOutput.write(
                    Data(
                        "edge \(node.store.replica) of store \(store) listening on http://\(host):\(port) (sync: ws://\(host):\(port)/v1/sync); hub \(hubURLs.joined(separator: ", "))\n"
                            .utf8))
            },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    application,
                    MaintenanceService(
                        node: node, compaction: settings.compaction ?? .init(), logger: logger,
                        released: { store in await fanout.changed(.store(store), from: .local) }, server: server),
                    MetricsSampling.edge(server: server, links: links, logger: logger),
                ] + links.map(LinkService.init),
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try node.store.close()
        print("edge stopped")
    }
}

/// Passes news of changes in a scope to every sync connection of the edge but the one they came
/// from: the hub link, the peer links, and the terminals connected to this edge.
actor Fanout {
    private var links: [HubLink] = []
    private var server: SyncServer?

    func connect(links: [HubLink], server: SyncServer) {
        self.links = links
        self.server = server
    }

    enum Source {
        /// Made here (the tills' API).
        case local
        /// Received on the link to this URL (the hub or a peer edge).
        case link(String)
        /// Received from a terminal connected to this edge (the server told its other connections).
        case terminal
    }

    /// Starts using a handoff grant on every link (the hub, and peers that relay for it).
    func use(_ grant: HandoffGrant, grantor: Certificate) async {
        for link in links { await link.use(grant, grantor: grantor) }
    }

    func changed(_ scope: Scope, from source: Source) async {
        for link in links {
            if case .link(let url) = source, url == link.url { continue }
            await link.changed(scope)
        }
        switch source {
        case .local, .link: await server?.changed([scope])
        case .terminal: break
        }
    }
}

/// Where the links find the rights keeper, made after them (it needs the hub link).
actor RightsPlace {
    private(set) var keeper: RightsKeeper?

    func keep(_ keeper: RightsKeeper) {
        self.keeper = keeper
    }
}

/// Keeps the hub link up until graceful shutdown.
struct LinkService: Service {
    let link: HubLink

    func run() async throws {
        await cancelWhenGracefulShutdown { [link] in await link.run() }
    }
}
