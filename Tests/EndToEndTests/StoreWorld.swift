import AisleTesting
import Foundation
import Testing

/// A hub and two tills of the Berlin store, each a real `aisle` process on 127.0.0.1.
struct StoreWorld {
    let world: SyncWorld
    var till1: String { world.directory.file("till-1") }
    var till2: String { world.directory.file("till-2") }

    init() throws {
        world = try SyncWorld()
        for (dir, device) in [(till1, "till-1"), (till2, "till-2")] {
            _ = try world.run([
                "edge", "init", "--dir", dir, "--tenant", "acme", "--device", device, "--store", "berlin",
            ])
            _ = try world.run(["admin", "enroll", "--dir", world.hq, "--request", dir + "/request.json"])
        }
    }

    func startEdge(_ dir: String, hubPort: Int, peers: [Int] = []) async throws -> (ServerProcess, Int) {
        try await startEdge(dir, hubPorts: [hubPort], peers: peers)
    }

    /// An edge syncing with the hubs on `hubPorts`, in that order (several hubs on one database),
    /// pinging them every `keepalive` seconds (nil: the default).
    func startEdge(
        _ dir: String, hubPorts: [Int], peers: [Int] = [], keepalive: Double? = nil
    ) async throws -> (ServerProcess, Int) {
        func urls(_ ports: [Int]) -> String {
            ports.map { #""ws://127.0.0.1:\#($0)/v1/sync""# }.joined(separator: ", ")
        }
        let pings = keepalive.map { #", "keepalive": \#($0)"# } ?? ""
        let config =
            #"{"hubs": [\#(urls(hubPorts))], "host": "127.0.0.1", "port": 0, "database": "edge.db", "identity": ".", "peers": [\#(urls(peers))]\#(pings)}"#
        try Data(config.utf8).write(to: URL(fileURLWithPath: dir + "/edge.json"))
        let edge = try ServerProcess(AisleCommandTests.executable, ["edge", "serve", "--config", dir + "/edge.json"])
        guard let port = try await edge.listeningPort() else {
            throw CommandFailed(arguments: ["edge", "serve"], output: edge.text)
        }
        return (edge, port)
    }

    /// The edge of `dir` (``startEdge(_:hubPort:peers:)``), once it is linked to its hub: the
    /// process and its base URL.
    /// - Throws: ``CommandFailed`` with the edge's output, when it is not linked within 30 s.
    func startLinkedEdge(_ dir: String, hubPort: Int, peers: [Int] = []) async throws -> (ServerProcess, String) {
        let (edge, port) = try await startEdge(dir, hubPort: hubPort, peers: peers)
        let base = "http://127.0.0.1:\(port)"
        guard try await hubLink(of: base) else {
            throw CommandFailed(arguments: ["edge", "serve", "(no hub link in 30 s)"], output: edge.text)
        }
        return (edge, base)
    }
}
