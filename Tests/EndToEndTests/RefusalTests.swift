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
        "a full hub waits for the first frame of at most 64 refused connections at once: a silent 65th is closed with Try Again Later at once, and once the waits end the next refusal waits again"
    )
    func silentRefusalsAreBounded() async throws {
        let chain = try TestTenant()
        let hub = try chain.node("hub", .hub, [.allStores], keys: [])
        let logger = {
            var logger = Logger(label: "test"); logger.logLevel = .critical; return logger
        }()
        let server = SyncServer(
            node: hub, limits: SyncLimits(handshakeTimeout: Self.handshakeTimeout), logger: logger, maxConnections: 0)
        let (port, serving) = try await SessionExpiryTests.serve(server)
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
        // The 65th gets its close straight away.
        let (code, waited) = try await Self.closeAfterSilence(url, logger: logger)
        #expect(code == .unknown(SyncCloseCode.tryAgainLater))
        #expect(waited < .milliseconds(Self.handshakeTimeout / 2), "closed after \(waited)")
        for task in silent {
            let (code, waited) = try await task.value
            #expect(code == .unknown(SyncCloseCode.tryAgainLater))
            #expect(waited >= .milliseconds(Self.handshakeTimeout / 2), "closed after \(waited)")
        }
        // With the waits over, a refused connection is waited on again.
        let (_, waitedAgain) = try await Self.closeAfterSilence(url, logger: logger)
        #expect(waitedAgain >= .milliseconds(Self.handshakeTimeout / 2), "closed after \(waitedAgain)")
    }

    /// Opens a WebSocket to `url`, sends nothing, and returns the hub's close code and how long
    /// after the upgrade it came.
    static func closeAfterSilence(
        _ url: String, logger: Logger, upgraded: @escaping @Sendable () -> Void = {}
    ) async throws -> (WebSocketErrorCode?, Duration) {
        let opened = Mutex<ContinuousClock.Instant?>(nil)
        let close = try await WebSocketClient.connect(url: url, logger: logger) { inbound, _, _ in
            opened.withLock { $0 = .now }
            upgraded()
            for try await _ in inbound {}
        }
        let start = try #require(opened.withLock { $0 })
        return (close?.closeCode, ContinuousClock.now - start)
    }
}
