public import AisleCore
import AisleCrypto
public import AisleNode
import AisleStore
public import AisleSync
import Foundation
public import Hummingbird
public import HummingbirdCore
import HummingbirdWebSocket
public import Logging
import Metrics
import NIOCore
import NIOWebSocket
import Synchronization

/// Serves sync over WebSocket at `/v1/sync` for a node: the hub for every store and phone, and a
/// store's edge for the store's other terminals while the WAN is down.
///
/// Each connection runs the sync protocol (``SyncConnection``) against the node; when a
/// connection delivers changes of a scope, every other connection subscribed to it is told (and
/// `onApplied`, so the edge can pass them on to its hub link), so changes flow on at once. The hub
/// holds no customer keys: it stores and relays customer envelopes unread.
public final class SyncServer: Sendable {
    public let node: ReplicaNode
    let registry = ConnectionRegistry()
    let limits: SyncLimits
    let httpIdleTimeout: Duration
    let logger: Logger
    let onApplied: @Sendable (Scope) async -> Void
    /// The rights bank's top-ups (the hub only).
    let bank: HubBank
    /// Refuses connections beyond the most this process may hold.
    let admission: Admission
    /// The status view being made: requests that arrive meanwhile share it, and those that arrive
    /// within four times as long as it took after (so polling it costs at most a fifth of a core).
    let statusViews = SingleFlight<(devices: [DeviceSyncStatus], at: UInt64)>(reuse: 4)

    /// - Parameters:
    ///   - maxConnections: the most sync connections to hold at once; the next device is closed at
    ///     once with ``SyncCloseCode/tryAgainLater`` and moves on to another hub process, or
    ///     retries later.
    ///   - httpIdleTimeout: how long an HTTP connection kept alive after its answer (a scraper's,
    ///     an operator's) may wait for its next request. Any connection's first request must
    ///     arrive within ``SyncLimits/handshakeTimeout`` (``RequestHeadDeadline``).
    public init(
        node: ReplicaNode, limits: SyncLimits = .init(), logger: Logger, maxConnections: Int = .max,
        httpIdleTimeout: Duration = .seconds(60), onApplied: @escaping @Sendable (Scope) async -> Void = { _ in }
    ) {
        self.node = node
        self.limits = limits
        self.httpIdleTimeout = httpIdleTimeout
        self.logger = logger
        self.onApplied = onApplied
        admission = Admission(maxConnections: maxConnections, logger: logger)
        _ = Counter(label: HubMetrics.connectionsTimedOut)  // listed from the start, at 0
        bank = HubBank(node: node, logger: logger)
        // A device head office revokes is disconnected at once, not at its next change.
        node.onRevocation { [registry, logger] revoked in
            Task {
                let ended = await registry.endSessions(of: Set(revoked))
                if !ended.isEmpty {
                    logger.notice("revoked: sessions ended", metadata: ["devices": "\(ended.map(\.rawValue))"])
                }
            }
        }
    }

    /// Ends the sessions of the devices whose certificates have ended since they connected, telling
    /// each why (as its handshake would refuse it now), and closes their sockets. A serving
    /// process calls it every ``endSessionsEvery``.
    public func endExpiredSessions() async {
        let ended = await registry.endSessions(endedBy: node.store.wallClock())
        if !ended.isEmpty {
            logger.notice("certificate expired: sessions ended", metadata: ["devices": "\(ended.map(\.rawValue))"])
        }
    }

    /// How often a serving process looks for sessions whose device's certificate has ended
    /// (``SyncLimits/certificateCheckInterval``, a minute by default).
    public var endSessionsEvery: Duration { .milliseconds(limits.certificateCheckInterval) }

    /// Tops up the connected tills of `store` from the hub's rights, and pushes what that wrote.
    func rebalance(_ store: StoreID) async {
        let registry = self.registry
        if await bank.storeChanged(store, tills: { await registry.tills(of: store) }) {
            await registry.changed(.store(store), except: nil)
        }
    }

    /// Tells every connection that `scopes` have new changes (made here or received elsewhere);
    /// on the hub, a store's change also tops up its tills from the rights bank, after every
    /// connection was told of every scope (a top-up may wait for the other hub processes).
    public func changed(_ scopes: [Scope]) async {
        for scope in scopes { await registry.changed(scope, except: nil) }
        for case .store(let store) in scopes { await rebalance(store) }
    }

    /// The WebSocket upgrade for `/v1/sync`, to serve next to an application's HTTP routes.
    public func server() -> HTTPServerBuilder {
        let sockets = Router(context: BasicWebSocketRequestContext.self)
        sockets.ws("/v1/sync") { _, _ in
            .upgrade([:])
        } onUpgrade: { inbound, outbound, _ in
            await self.serve(inbound: inbound, outbound: outbound)
        }
        let webSocketResponder = sockets.buildResponder()
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: .init(idleTimeout: .nanoseconds(Int64(httpIdleTimeout / .nanoseconds(1)))),
            ws: .init(
                maxFrameSize: limits.maxFrameBytes + 4_096,
                autoPing: .enabled(timePeriod: .milliseconds(limits.pingInterval))))
        let headDeadline = TimeAmount.milliseconds(Int64(limits.handshakeTimeout))
        return HTTPServerBuilder { responder in
            RequestHeadDeadline(
                base: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder, configuration: configuration),
                deadline: headDeadline)
        }
    }

    /// The hub's HTTP application (`/health` and the sync upgrade), ready to run as a service.
    /// - Parameter routes: adds the process's own routes (`GET /metrics`, docs/operations.md).
    public func application(
        host: String, port: Int, routes: (Router<BasicRequestContext>) -> Void = { _ in },
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    )
        -> some ApplicationProtocol
    {
        let router = Router()
        router.get("/health") { _, _ in
            let health = Health(
                status: "ok", replica: self.node.store.replica.rawValue,
                connections: await self.registry.count)
            return try Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: Array(JSONEncoder().encode(health)))))
        }
        Admission.addRoute(to: router)
        AvailabilityAPI(node: node).addRoutes(to: router)
        addStatusRoute(to: router)
        routes(router)
        return Application(
            router: router,
            server: server(),
            configuration: .init(address: .hostname(host, port: port), serverName: "aisle-hub"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    private struct Health: Encodable {
        let status: String
        let replica: String
        let connections: Int
    }

    /// One device's connection, from the upgrade until either side closes.
    private func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        guard admission.admit() else {
            await admission.refuse(inbound: inbound, outbound: outbound, within: limits)
            return
        }
        defer { admission.closed() }
        let id = UUID()
        let registry = self.registry
        let logger = self.logger
        let onApplied = self.onApplied
        // Every line about this connection names its device, once the handshake told it.
        let device = Mutex("(handshake)")
        let connection = SyncConnection(
            node: node, side: .responder, limits: limits,
            scopes: { [node] peer in try node.scopes(sharedWith: peer) },
            send: { frame in try await outbound.write(.binary(ByteBuffer(bytes: frame))) },
            progress: { event in
                switch event {
                case .connected(let peer, let role):
                    device.withLock { $0 = "\(peer)" }
                    logger.info("connected", metadata: ["device": "\(peer)", "role": "\(role)"])
                    Task {
                        for store in await registry.established(id) { await self.rebalance(store) }
                    }
                case .applied(let scope, let count, _):
                    logger.debug(
                        "applied",
                        metadata: ["device": "\(device.withLock { $0 })", "scope": "\(scope)", "changes": "\(count)"])
                    Task {
                        await registry.changed(scope, except: id)
                        await onApplied(scope)
                        if case .store(let store) = scope { await self.rebalance(store) }
                    }
                case .served(let scope):
                    logger.debug(
                        "answered with a change",
                        metadata: ["device": "\(device.withLock { $0 })", "scope": "\(scope)"])
                    Task { await registry.changed(scope, except: id) }
                case .installed(let scope, let objects, _):
                    logger.info(
                        "installed snapshot part",
                        metadata: ["device": "\(device.withLock { $0 })", "scope": "\(scope)", "objects": "\(objects)"])
                    Task { await registry.changed(scope, except: id) }
                case .caughtUp:
                    break
                case .ended(let error):
                    logger.notice(
                        "sync ended", metadata: ["device": "\(device.withLock { $0 })", "reason": "\(error)"])
                }
            }, recall: TillRecall(node: node, registry: registry, logger: logger),
            followed: { scopes in registry.follow(scopes, by: id) })
        await registry.add(connection, id: id) { reason in
            try? await outbound.close(.policyViolation, reason: reason)
        }
        defer {
            Task {
                await registry.remove(id)
                await connection.disconnected()
            }
        }
        do {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                // Ends a handshake that stalls (a connection that never proves who it is): the
                // tick throws once the session has ended, which ends the connection below. Once
                // the peer is known there is nothing left to time here: a hub holding 10,000 idle
                // devices is not woken 10,000 times a second, nor holds a sleeping task for each
                // (about 10 KB: `endExpiredSessions()` ends the sessions of certificates that
                // ended, for all of them at once).
                group.addTask {
                    repeat {
                        try await Task.sleep(for: .seconds(1))
                        try await connection.tick()
                    } while await connection.peer == nil
                    return false
                }
                group.addTask { [limits] in
                    try await connection.start()
                    for try await message in inbound.messages(maxSize: limits.maxFrameBytes + 4_096) {
                        guard case .binary(let buffer) = message else {
                            logger.notice("text message on the sync socket: closing")
                            break
                        }
                        try await connection.receive(Array(buffer.readableBytesView))
                    }
                    return true
                }
                // Until the peer's messages end, or either task throws (a session ended: the
                // other task is cancelled, and the socket closes when this handler returns).
                while let readerDone = try await group.next(), !readerDone {}
                group.cancelAll()
            }
        } catch {
            logger.debug("connection closed", metadata: ["reason": "\(error)"])
        }
    }
}
