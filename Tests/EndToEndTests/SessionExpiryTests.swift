import AisleCore
import AisleCrypto
import AisleEdge
import AisleHub
import AisleNode
import AisleSync
import AisleTesting
import Hummingbird
import Logging
import Synchronization
import Testing

@Suite("A session ends with its device's certificate")
struct SessionExpiryTests {
    static let day: UInt64 = 86_400_000

    @Test(
        "a hub serving on loopback ends the session of a till whose certificate ended while it was connected, telling it why; the till is refused when it tries again"
    )
    func sessionEndsWithTheCertificate() async throws {
        let chain = try TestTenant()
        let time = SharedWallClock()
        let berlin = Scope.store("berlin")
        let hub = try chain.node(
            "hub", .hub, [.allStores], keys: [berlin], wallClock: time.read, notAfter: TestTenant.now + 30 * Self.day)
        let till = try chain.node("till-1", .pos, [.exactly(berlin)], keys: [berlin], wallClock: time.read)
        try await chain.introduce([hub, till])
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let server = SyncServer(node: hub, logger: logger)
        let (port, serving) = try await server.serveOnLoopback()
        defer { serving.cancel() }

        let ended = Mutex<[SyncError]>([])
        let link = HubLink(node: till, url: "ws://127.0.0.1:\(port)/v1/sync", logger: logger) { event in
            if case .ended(let error) = event { ended.withLock { $0.append(error) } }
        }
        let running = Task { await link.run(initialDelay: .milliseconds(20), maxDelay: .milliseconds(200)) }
        defer { running.cancel() }
        #expect(try await eventually { await link.isConnected })

        // Past the handshake's ticks (one a second until the peer is known), nothing else times
        // the session. Before the end nothing is ended; after it the session is, with the reason.
        try await Task.sleep(for: .milliseconds(1_500))
        await server.endExpiredSessions()
        #expect(await link.isConnected)
        time.advance(by: 2 * Self.day)
        await server.endExpiredSessions()
        #expect(try await eventually { await !link.isConnected })
        let expired = SyncError.refusedByPeer(
            SyncError.peerRefused(.certificateExpired(notAfter: till.identity.certificate.body.notAfter)).description)
        #expect(try await eventually { ended.withLock { $0.contains(expired) } }, "\(ended.withLock { $0 })")
        // Trying again, it is refused at the handshake.
        try await Task.sleep(for: .milliseconds(500))
        #expect(await !link.isConnected)
    }

    @Test(
        "a till's link ends its session once the hub's certificate has ended, with the reason, and refuses the hub when it connects again"
    )
    func linkEndsWithTheHubsCertificate() async throws {
        let chain = try TestTenant()
        let time = SharedWallClock()
        let berlin = Scope.store("berlin")
        let hub = try chain.node("hub", .hub, [.allStores], keys: [berlin], wallClock: time.read)
        let till = try chain.node(
            "till-1", .pos, [.exactly(berlin)], keys: [berlin], wallClock: time.read,
            notAfter: TestTenant.now + 30 * Self.day)
        try await chain.introduce([hub, till])
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let (port, serving) = try await SyncServer(node: hub, logger: logger).serveOnLoopback()
        defer { serving.cancel() }

        let ended = Mutex<[SyncError]>([])
        let link = HubLink(
            node: till, url: "ws://127.0.0.1:\(port)/v1/sync", limits: SyncLimits(certificateCheckInterval: 100),
            logger: logger
        ) { event in
            if case .ended(let error) = event { ended.withLock { $0.append(error) } }
        }
        let running = Task { await link.run(initialDelay: .milliseconds(20), maxDelay: .milliseconds(200)) }
        defer { running.cancel() }
        #expect(try await eventually { await link.isConnected })
        // Checked ten times a second, the session stays up while the hub's certificate holds.
        try await Task.sleep(for: .milliseconds(500))
        #expect(await link.isConnected)
        #expect(ended.withLock { $0.isEmpty })

        time.advance(by: 2 * Self.day)
        #expect(try await eventually { await !link.isConnected })
        let expired = SyncError.peerRefused(.certificateExpired(notAfter: hub.identity.certificate.body.notAfter))
        #expect(try await eventually { ended.withLock { $0.first == expired } }, "\(ended.withLock { $0 })")
        // Trying again, the till refuses the hub at the handshake.
        #expect(try await eventually { ended.withLock { $0.count >= 2 } }, "\(ended.withLock { $0 })")
        #expect(await !link.isConnected)
        #expect(ended.withLock { $0.allSatisfy { $0 == expired } }, "\(ended.withLock { $0 })")
    }
}
