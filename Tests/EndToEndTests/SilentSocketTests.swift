import AisleCore
import AisleCrypto
import AisleHub
import AisleSync
import AisleTesting
import Logging
import Testing

@Suite("Sockets that hold a hub's descriptors without a request")
struct SilentSocketTests {
    static let limit: UInt64 = 1_500

    /// A hub (or an edge) serving on loopback whose handshake timeout, and HTTP idle timeout, are
    /// `limit`.
    static func serve() async throws -> (port: Int, serving: Task<Void, any Error>) {
        let chain = try TestTenant()
        let hub = try chain.node("hub", .hub, [.allStores], keys: [])
        let logger = {
            var logger = Logger(label: "test"); logger.logLevel = .critical; return logger
        }()
        let server = SyncServer(
            node: hub, limits: SyncLimits(handshakeTimeout: Self.limit), logger: logger,
            httpIdleTimeout: .milliseconds(Self.limit))
        return try await server.serveOnLoopback()
    }

    @Test(
        "a connection that never sends a request, or never finishes its request's head, is closed after the handshake timeout",
        arguments: ["", "GET /v1/sync HTTP/1.1\r\nHost: 127.0.0.1\r\n", "GET /health HTTP/1.1\r\nHost: 12"])
    func unfinishedRequestClosed(sending bytes: String) async throws {
        let (port, serving) = try await Self.serve()
        defer { serving.cancel() }
        let (head, waited) = try await StalledSocket.closed(port: port, sending: bytes, within: .seconds(20))
        #expect(head.isEmpty, "\(head)")
        #expect(waited >= .milliseconds(Self.limit - 200) && waited < .seconds(10), "closed after \(waited)")
    }

    @Test(
        "a connection kept alive after its answer is closed once idle for the idle timeout; one that finished its head in time is answered"
    )
    func idleKeepAliveClosed() async throws {
        let (port, serving) = try await Self.serve()
        defer { serving.cancel() }
        let (head, waited) = try await StalledSocket.closed(
            port: port, sending: "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", within: .seconds(20))
        #expect(head.hasPrefix("HTTP/1.1 200"), "\(head)")
        #expect(waited >= .milliseconds(Self.limit - 200) && waited < .seconds(10), "closed after \(waited)")
    }
}
