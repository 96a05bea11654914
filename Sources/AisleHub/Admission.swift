import AisleSync
import Hummingbird
import HummingbirdWebSocket
import Logging
import Metrics
import NIOWebSocket
import Synchronization

/// How many sync connections a hub process holds at most. Each holds a file descriptor and a few
/// memory mappings (its session's guarded secrets), and a process that runs out of either cannot
/// go on: at the open-file limit the kernel refuses connections in silence, and at the mapping
/// limit libsodium cannot allocate a session's keys and the process stops. So a connection beyond
/// the most is closed before any handshake (once the device has said its first word, see
/// ``refuse(inbound:outbound:within:)``), with close code 1013 ("Try Again Later",
/// ``SyncCloseCode/tryAgainLater``): a till with a list of hubs moves on to the next at once, a
/// phone retries later (docs/operations.md, "Connection capacity").
///
/// A refused connection waits for the device's first frame, and holds its descriptor meanwhile,
/// outside the count: so at most ``maxWaitingRefusals`` wait at once (within the 128 descriptors
/// `maxConnections` leaves spare by default), and the next is closed at once. A device sends its
/// hello within a round trip of its upgrade; a socket that says nothing (a scanner, a client
/// flooding the hub) would otherwise hold a descriptor for the whole handshake timeout, uncounted.
final class Admission: Sendable {
    let maxConnections: Int
    /// The most refused connections waiting for their device's first frame at once.
    static let maxWaitingRefusals = 64
    private let logger: Logger
    /// Connections being served now.
    private let open = Atomic<Int>(0)
    /// Refused connections waiting for their device's first frame now.
    private let waiting = Atomic<Int>(0)
    /// Whether the last connection was refused (the warning is logged once per spell).
    private let full = Mutex(false)

    init(maxConnections: Int, logger: Logger) {
        self.maxConnections = maxConnections
        self.logger = logger
        _ = Counter(label: HubMetrics.connectionsRefused)
    }

    /// Takes a new connection if the process holds fewer than the most (then ``closed()`` must
    /// follow when it ends); logs when the process starts refusing, and when it takes them again.
    func admit() -> Bool {
        var connections = open.load(ordering: .relaxed)
        var admitted = false
        while connections < maxConnections {
            let (exchanged, original) = open.compareExchange(
                expected: connections, desired: connections + 1, ordering: .relaxed)
            if exchanged {
                admitted = true
                break
            }
            connections = original
        }
        if !admitted { Counter(label: HubMetrics.connectionsRefused).increment() }
        let wasFull = full.withLock { full in
            defer { full = !admitted }
            return full
        }
        let metadata: Logger.Metadata = ["connections": "\(connections)", "max": "\(maxConnections)"]
        if !admitted && !wasFull {
            logger.warning(
                "refusing device connections: this process holds the most it may; they move to another hub process or retry",
                metadata: metadata)
        } else if admitted && wasFull {
            logger.notice("taking device connections again", metadata: metadata)
        }
        return admitted
    }

    /// Closes a connection ``admit()`` refused with ``SyncCloseCode/tryAgainLater``, once the
    /// device has sent its first frame (its hello, which it sends as soon as its upgrade is done)
    /// or within the handshake timeout. Nothing of the frame is read or kept.
    ///
    /// Why it waits: a close sent right after the upgrade reaches the device together with the
    /// upgrade's response and the end of the stream (the server half-closes after its close frame).
    /// swift-nio's client upgrade handler holds back the bytes that came with the response until
    /// the upgrade is done, but not the end of the stream, and the device's WebSocket client then
    /// loses both: it sees neither the close nor the end, and waits out its handshake timeout
    /// instead of moving on. In `ConnectionCapacityTests`, under CPU load, 9 of 16 refused phones
    /// waited out their timeout when the close went at once, and none of 48 since it waits.
    ///
    /// Beyond ``maxWaitingRefusals`` waiting at once, the close goes at once.
    func refuse(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, within limits: SyncLimits) async {
        let waitingNow = waiting.add(1, ordering: .relaxed).newValue
        defer { waiting.subtract(1, ordering: .relaxed) }
        if waitingNow <= Self.maxWaitingRefusals {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    var frames = inbound.messages(maxSize: limits.maxFrameBytes).makeAsyncIterator()
                    _ = try? await frames.next()
                }
                group.addTask { try? await Task.sleep(for: .milliseconds(limits.handshakeTimeout)) }
                await group.next()
                group.cancelAll()
            }
        }
        try? await outbound.close(
            .unknown(SyncCloseCode.tryAgainLater),
            reason: "this hub process holds the most devices it may (\(maxConnections))")
    }

    /// A connection ``admit()`` took has ended.
    func closed() { open.subtract(1, ordering: .relaxed) }

    /// `GET /v1/sync` without a WebSocket upgrade: 426, the endpoint speaks only WebSocket.
    static func addRoute(to router: Router<BasicRequestContext>) {
        router.get("/v1/sync") { _, _ in
            Response(
                status: .upgradeRequired, headers: [.upgrade: "websocket", .contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "/v1/sync speaks the sync protocol over WebSocket only\n")))
        }
    }
}
