import AisleEdge
import AisleHub
import AisleNode
import Logging

/// Logs only what would be a problem: the benchmarks print figures, not connection chatter.
func quietLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .error
    return logger
}

/// A hub serving `/v1/sync` on 127.0.0.1 (a free port) in this process, as `aisle hub serve`
/// does, until stopped.
final class LoopbackHub: Sendable {
    let url: String
    private let task: Task<Void, any Error>

    init(node: ReplicaNode) async throws {
        let server = SyncServer(node: node, logger: quietLogger("bench.hub"))
        let (ports, found) = AsyncStream.makeStream(of: Int.self)
        let application = server.application(host: "127.0.0.1", port: 0, onServerRunning: { port in found.yield(port) })
        task = Task { try await application.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        url = "ws://127.0.0.1:\(port)/v1/sync"
    }

    func stop() { task.cancel() }
}

/// A node's link to the hub, kept up in the background (as an edge's is) until stopped.
final class RunningLink: Sendable {
    let link: HubLink
    private let task: Task<Void, Never>

    init(_ link: HubLink) async throws {
        self.link = link
        task = Task { await link.run(initialDelay: .milliseconds(20), maxDelay: .milliseconds(200)) }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while await !link.isConnected {
            guard clock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func stop() { task.cancel() }
}
