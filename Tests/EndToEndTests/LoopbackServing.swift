import AisleHub
import Hummingbird
import Testing

extension SyncServer {
    /// Serves this server's application on a free loopback port until the returned task is
    /// cancelled.
    func serveOnLoopback() async throws -> (port: Int, serving: Task<Void, any Error>) {
        let (ports, found) = AsyncStream.makeStream(of: Int.self)
        let application = application(host: "127.0.0.1", port: 0, onServerRunning: { port in found.yield(port) })
        let serving = Task { try await application.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        return (try #require(await iterator.next()), serving)
    }
}
