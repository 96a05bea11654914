import AisleCore
import AisleCrypto
import AisleHub
import AisleSync
import AisleTesting
import Hummingbird
import HummingbirdWSClient
import Logging
import NIOWebSocket
import Synchronization
import Testing

@Suite("A full hub's refusals hold few sockets")
struct RefusalTests {
    /// How long a refused connection waits for a first frame that never comes, here.
    static let handshakeTimeout: UInt64 = 3_000

    @Test(
        "a full hub waits for the first frame of at most 64 refused connections at once: a silent 65th is closed with Try Again Later before them, and once the waits end the next refusal waits again"
    )
    func silentRefusalsAreBounded() async throws {
        let chain = try TestTenant()
        let hub = try chain.node("hub", .hub, [.allStores], keys: [])
        let logger = {
            var logger = Logger(label: "test"); logger.logLevel = .critical; return logger
        }()
        let server = SyncServer(
            node: hub, limits: SyncLimits(handshakeTimeout: Self.handshakeTimeout), logger: logger, maxConnections: 0)
        let (port, serving) = try await server.serveOnLoopback()
        defer { serving.cancel() }
        let url = "ws://127.0.0.1:\(port)/v1/sync"

        // 64 sockets that never say a word, each waited on for the whole timeout.
        let (upgrades, upgraded) = AsyncStream.makeStream(of: Void.self)
        let silent = (0..<64).map { _ in
            Task { try await Self.closeAfterSilence(url, logger: logger) { upgraded.yield() } }
        }
        var count = 0
        for await _ in upgrades.prefix(64) { count += 1 }
        #expect(count == 64)
        // The hub's side of each upgrade runs a moment after the device's.
        try await Task.sleep(for: .milliseconds(300))
        // The 65th gets its close straight away: before any of the 64, which all connected
        // earlier. (Not timed against a bound: on a loaded machine a close that goes at once can
        // take a second or two to arrive.)
        let (code, _, closed) = try await Self.closeAfterSilence(url, logger: logger)
        #expect(code == .unknown(SyncCloseCode.tryAgainLater))
        for task in silent {
            let (code, waited, silentClosed) = try await task.value
            #expect(code == .unknown(SyncCloseCode.tryAgainLater))
            #expect(waited >= .milliseconds(Self.handshakeTimeout / 2), "closed after \(waited)")
            #expect(closed < silentClosed)
        }
        // With the waits over, a refused connection is waited on again.
        let (_, waitedAgain, _) = try await Self.closeAfterSilence(url, logger: logger)
        #expect(waitedAgain >= .milliseconds(Self.handshakeTimeout / 2), "closed after \(waitedAgain)")
    }

    /// Opens a WebSocket to `url`, sends nothing, and returns the hub's close code, how long after
    /// the upgrade it came, and when.
    static func closeAfterSilence(
        _ url: String, logger: Logger, upgraded: @escaping @Sendable () -> Void = {}
    ) async throws -> (WebSocketErrorCode?, Duration, ContinuousClock.Instant) {
        let opened = Mutex<ContinuousClock.Instant?>(nil)
        let close = try await WebSocketClient.connect(url: url, logger: logger) { inbound, _, _ in
            opened.withLock { $0 = .now }
            upgraded()
            for try await _ in inbound {}
        }
        let start = try #require(opened.withLock { $0 })
        let now = ContinuousClock.now
        return (close?.closeCode, now - start, now)
    }
}
