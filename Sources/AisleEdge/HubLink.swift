public import AisleCore
public import AisleCrypto
public import AisleNode
import AisleStore
public import AisleSync
import Foundation
import Hummingbird
import HummingbirdWSClient
public import Logging
import NIOWebSocket
import Synchronization

/// A node's connection to the hub (or to a store's edge acting as its peer): one-shot sync for a
/// phone, or a link that stays up for an edge, reconnecting with exponential backoff and jitter.
/// What was written while disconnected is in the node's log and goes out on the next connection.
public actor HubLink {
    public nonisolated let node: ReplicaNode
    /// The hubs to sync with, in order of preference: on failure the link moves to the next.
    public nonisolated let urls: [String]
    /// The link's name: its first URL.
    public nonisolated var url: String { urls[0] }
    /// The index in `urls` of the hub used now.
    private var current = 0
    private let limits: SyncLimits
    private let logger: Logger
    private let progress: @Sendable (SyncProgress) -> Void
    private var connection: SyncConnection?
    /// Why the hub last refused this device's handshake (revoked, expired, another tenant…),
    /// until a handshake succeeds: ``refusal``.
    private nonisolated let lastRefusal = Mutex<String?>(nil)

    /// - Parameter url: the peer's sync endpoint, such as `ws://127.0.0.1:8470/v1/sync`.
    public init(
        node: ReplicaNode, url: String, limits: SyncLimits = .init(), logger: Logger,
        progress: @escaping @Sendable (SyncProgress) -> Void = { _ in }
    ) {
        self.init(node: node, urls: [url], limits: limits, logger: logger, progress: progress)
    }

    /// - Parameter urls: the sync endpoints of hub processes that serve the same replica (several
    ///   hubs on one PostgreSQL database), tried in turn; at least one.
    public init(
        node: ReplicaNode, urls: [String], limits: SyncLimits = .init(), logger: Logger,
        progress: @escaping @Sendable (SyncProgress) -> Void = { _ in }
    ) {
        precondition(!urls.isEmpty, "a link needs at least one URL")
        self.node = node
        self.urls = urls
        self.limits = limits
        self.logger = logger
        self.progress = progress
    }

    /// Whether a session with the peer is established now.
    public var isConnected: Bool { get async { await connection?.peer != nil } }

    /// Why the hub refused this device at its last handshake, as the hub said it; nil once a
    /// handshake succeeds. A refused device cannot sync until someone acts (renews, re-enrols,
    /// fixes its clock): an edge's `/health` says so, where an unreachable hub is only offline.
    public nonisolated var refusal: String? { lastRefusal.withLock { $0 } }

    /// Tells the peer about new local changes in `scope`, if connected (otherwise they go on the
    /// next connection).
    public func changed(_ scope: Scope) async {
        try? await connection?.changed(scope)
    }

    /// Starts using a customer's handoff grant on the current connection (later connections use
    /// it from the start).
    public func use(_ grant: HandoffGrant, grantor: Certificate) async {
        try? await connection?.use(grant, grantor: grantor)
    }

    /// Subscribes to `scope` on the current connection and waits, up to `timeout`, until the peer
    /// has sent what it has of it (a customer's points account a till meets for the first time).
    /// Returns at once while disconnected: the till then works with what it holds.
    public func follow(_ scope: Scope, timeout: Duration = .seconds(2)) async {
        guard let connection, await connection.peer != nil else { return }
        do { try await connection.follow(scope) } catch { return }
        let deadline = ContinuousClock.now + timeout
        while await !connection.hasCaughtUp(scope), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Connects, exchanges until both sides have everything, and disconnects.
    /// - Throws: ``SyncError`` if the session ends early, or the transport's error.
    public func syncOnce(timeout: Duration = .seconds(60)) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.session(untilSettled: true) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw SyncError.protocolViolation("sync did not finish within \(timeout)")
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Connects, asks `request` once the session is up, and disconnects (a phone's reservation).
    /// - Throws: ``SyncError`` if the session ends first, or ``RightsUnavailable`` without an answer in time.
    public func askOnce(_ request: SyncRequest, timeout: Duration = .seconds(30)) async throws -> SyncReply {
        try await withThrowingTaskGroup(of: SyncReply?.self) { group in
            group.addTask {
                try await self.session(untilSettled: false)
                return nil
            }
            group.addTask {
                let deadline = ContinuousClock.now + timeout
                while await !self.isConnected {
                    guard ContinuousClock.now < deadline else { throw RightsUnavailable.noAnswer(timeout) }
                    try await Task.sleep(for: .milliseconds(10))
                }
                return try await self.ask(request, timeout: timeout)
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let reply = result { return reply }
            }
            throw SyncError.refusedByPeer("the connection closed before the hub answered")
        }
    }

    /// Stays connected until the task is cancelled, reconnecting after any failure. With several
    /// URLs, a link that drops moves on to the next hub at once; when every hub of the list has
    /// failed in a row, delays double from `initialDelay` up to `maxDelay`, each with random
    /// jitter (half to all of it), so a hub coming back is not hit by every store at once.
    public func run(initialDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30)) async {
        var delay = initialDelay
        var failedInARow = 0
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                try await session(untilSettled: false)
            } catch {
                logger.notice("sync link down", metadata: ["peer": "\(urls[current])", "reason": "\(error)"])
            }
            // A session that lasted a while was healthy: start the backoff again.
            if ContinuousClock.now - started > maxDelay {
                delay = initialDelay
                failedInARow = 0
            }
            failedInARow += 1
            current = (current + 1) % urls.count
            if urls.count > 1 {
                logger.info("sync link moves to the next hub", metadata: ["peer": "\(urls[current])"])
            }
            guard failedInARow >= urls.count else { continue }
            failedInARow = 0
            let jittered = delay * Double.random(in: 0.5...1.0)
            try? await Task.sleep(for: jittered)
            delay = min(delay * 2, maxDelay)
        }
    }

    /// One connection to the hub in use, until it ends.
    ///
    /// A connection not established within ``SyncLimits/handshakeTimeout`` (the TCP connection,
    /// the WebSocket upgrade and the sync handshake together) is given up: a hub that accepts the
    /// socket and never answers (a hung process, a proxy in front of a dead one) would otherwise
    /// hold the link, and its move to the next hub, for good. The upgrade cannot be interrupted
    /// (the WebSocket client waits on it uncancellably), so the attempt is left behind, cancelled:
    /// it ends when its socket does, without ever serving. Once established, WebSocket pings
    /// every ``SyncLimits/pingInterval`` find a hub gone silent without closing (a WAN that drops
    /// packets): unanswered by the next ping, the connection ends. It also ends once the hub's
    /// certificate has (checked every ``SyncLimits/certificateCheckInterval``).
    private func session(untilSettled: Bool) async throws {
        let end = AttemptEnd()
        let limits = self.limits
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                end.wait(
                    continuation,
                    attempt: Task {
                        do {
                            try await self.connect(untilSettled: untilSettled)
                            end.finish(.success(()))
                        } catch {
                            end.finish(.failure(error))
                        }
                    },
                    deadline: Task {
                        try await Task.sleep(for: .milliseconds(limits.handshakeTimeout))
                        if await !self.isConnected { end.finish(.failure(SyncError.handshakeTimedOut)) }
                    })
            }
        } onCancel: {
            end.finish(.failure(CancellationError()))
        }
    }

    private func connect(untilSettled: Bool) async throws {
        let node = self.node
        let limits = self.limits
        let progress = self.progress
        let configuration = WebSocketClientConfiguration(
            maxFrameSize: limits.maxFrameBytes + 4_096,
            autoPing: .enabled(timePeriod: .milliseconds(limits.pingInterval)))
        let settled = Atomic(false)
        // Whether this attempt's handshake finished: a refusal before it is the hub refusing
        // this device (``refusal``); one after it, a batch or a question.
        let established = Atomic(false)
        let closeFrame = try await WebSocketClient.connect(
            url: urls[current], configuration: configuration, logger: logger
        ) { inbound, outbound, _ in
            // An attempt given up while its upgrade was pending never serves.
            try Task.checkCancellation()
            let connection = SyncConnection(
                node: node, side: .initiator, limits: limits,
                scopes: { peer in try node.scopes(sharedWith: peer) },
                send: { frame in try await outbound.write(.binary(ByteBuffer(bytes: frame))) },
                progress: { event in
                    switch event {
                    case .connected:
                        established.store(true, ordering: .relaxed)
                        self.lastRefusal.withLock { $0 = nil }
                    case .ended(.refusedByPeer(let reason)) where !established.load(ordering: .relaxed):
                        self.lastRefusal.withLock { $0 = reason }
                    default: break
                    }
                    progress(event)
                })
            await self.attach(connection)
            defer {
                Task {
                    await connection.disconnected()
                    await self.detach(connection)
                }
            }
            let settledHere = try await withThrowingTaskGroup(of: Bool.self) { group in
                // A hub whose certificate ends while connected is refused from then on, as a new
                // handshake with it would be: the tick throws, which ends the connection.
                group.addTask {
                    while true {
                        try await Task.sleep(for: .milliseconds(limits.certificateCheckInterval))
                        try await connection.tick()
                    }
                }
                group.addTask {
                    try await connection.start()
                    for try await message in inbound.messages(maxSize: limits.maxFrameBytes + 4_096) {
                        guard case .binary(let buffer) = message else { continue }
                        try await connection.receive(Array(buffer.readableBytesView))
                        if untilSettled, await connection.isSettled {
                            try await outbound.close(.normalClosure, reason: "settled")
                            return true
                        }
                    }
                    if let ended = await connection.ended { throw ended }
                    return false
                }
                // Until the reading ends, or either task throws (the other is cancelled).
                defer { group.cancelAll() }
                return try await group.next() ?? false
            }
            if settledHere { settled.store(true, ordering: .relaxed) }
        }
        logger.debug("sync connection closed", metadata: ["code": "\(String(describing: closeFrame?.closeCode))"])
        if let closeFrame, closeFrame.closeCode == .unknown(SyncCloseCode.tryAgainLater) {
            throw SyncError.refusedByPeer("the hub is full, try again later: \(closeFrame.reason ?? "no reason given")")
        }
        if untilSettled && !settled.load(ordering: .relaxed) {
            throw SyncError.refusedByPeer("the connection closed before the sync finished")
        }
    }

    private func attach(_ connection: SyncConnection) {
        self.connection = connection
    }

    private func detach(_ connection: SyncConnection) {
        if self.connection === connection { self.connection = nil }
    }
}

extension HubLink: RightsBank {
    public func bankReplica() async -> ReplicaID? {
        await connection?.bankReplica()
    }

    public func ask(_ request: SyncRequest, timeout: Duration) async throws -> SyncReply {
        guard let connection else { throw RightsUnavailable.offline }
        return try await connection.ask(request, timeout: timeout)
    }
}

/// How one connection attempt ended, told once: by the attempt itself, by its deadline, or by the
/// link's cancellation; whichever comes first resumes the waiting link and cancels the others.
private final class AttemptEnd: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Void, any Error>?
        var result: Result<Void, any Error>?
        var tasks: [Task<Void, any Error>] = []
    }

    private let state = Mutex(State())

    /// Waits on `continuation` for the end of `attempt`, or `deadline`'s verdict.
    func wait(
        _ continuation: CheckedContinuation<Void, any Error>, attempt: Task<Void, any Error>,
        deadline: Task<Void, any Error>
    ) {
        let ended = state.withLock { state -> Result<Void, any Error>? in
            state.tasks = [attempt, deadline]
            guard let result = state.result else {
                state.continuation = continuation
                return nil
            }
            return result
        }
        if let ended {
            attempt.cancel()
            deadline.cancel()
            continuation.resume(with: ended)
        }
    }

    /// The attempt's end; only the first call counts.
    func finish(_ result: Result<Void, any Error>) {
        let (continuation, tasks) = state.withLock {
            state -> (CheckedContinuation<Void, any Error>?, [Task<Void, any Error>]) in
            guard state.result == nil else { return (nil, []) }
            state.result = result
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        for task in tasks { task.cancel() }
        continuation?.resume(with: result)
    }
}
