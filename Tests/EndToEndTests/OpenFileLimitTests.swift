import AisleTesting
import Foundation
import Glibc
import Testing

/// A process's open-file limit, set the way a shell or a service manager sets it.
@Suite("Open-file limits of real processes")
struct OpenFileLimitTests {
    /// Runs `aisle arguments…` under `/bin/sh` with the open-file limit set to `hard`, and the
    /// soft limit to `soft` when given.
    static func limited(hard: Int, soft: Int? = nil, _ arguments: [String]) -> [String] {
        let command = ([AisleCommandTests.executable.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        return ["-c", "ulimit -n \(hard); \(soft.map { "ulimit -S -n \($0); " } ?? "")exec \(command)"]
    }

    static let shell = URL(fileURLWithPath: "/bin/sh")

    @Test("a hub started under a low soft limit raises it to the hard limit, and /metrics reports both")
    func hubRaisesItsLimit() async throws {
        let world = try SyncWorld()
        defer { withExtendedLifetime(world) {} }
        let hub = try ServerProcess(
            Self.shell, Self.limited(hard: 4_096, soft: 256, ["hub", "serve", "--config", world.hub + "/hub.json"]))
        let port = try #require(try await hub.listeningPort(), "\(hub.text)")
        let metrics = "http://127.0.0.1:\(port)/metrics"
        #expect(
            try await eventually {
                let scrape = try await Exposition.scrape(metrics)
                return scrape.types["process_max_fds"] == "gauge" && scrape.types["process_open_fds"] == "gauge"
                    && scrape.sum("process_max_fds", [:]) == 4_096 && scrape.sum("process_open_fds", [:]) > 0
            }, "\(hub.text)")
        #expect(hub.text.contains("limit=4096"), "\(hub.text)")
        // It takes as many devices as the raised limit holds, less what it keeps for itself.
        #expect(hub.text.contains("max=3968"), "\(hub.text)")
        #expect(!hub.text.contains("open-file limit is low"), "\(hub.text)")
        #expect(hub.stop(SIGTERM) == 0, "\(hub.text)")
    }

    @Test(
        "a hub whose connections reach its open-file limit warns that new ones are refused, and says so when they fall back"
    )
    func hubWarnsAtItsLimit() async throws {
        let world = try SyncWorld()
        defer { withExtendedLifetime(world) {} }
        let hub = try ServerProcess(
            Self.shell, Self.limited(hard: 64, ["hub", "serve", "--config", world.hub + "/hub.json"]))
        let port = try #require(try await hub.listeningPort(), "\(hub.text)")
        #expect(hub.text.contains("the open-file limit is low"), "\(hub.text)")
        // Plain TCP connections, each a descriptor in the hub until closed.
        var sockets: [Int32] = []
        defer { for socket in sockets { close(socket) } }
        for _ in 0..<64 {
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            try #require(connected == 0)
            sockets.append(socket)
        }
        #expect(try await hub.waitFor("open files near the limit", timeout: .seconds(20)), "\(hub.text)")
        for socket in sockets { close(socket) }
        sockets = []
        #expect(try await hub.waitFor("open files back below", timeout: .seconds(20)), "\(hub.text)")
        #expect(hub.stop(SIGTERM) == 0, "\(hub.text)")
    }

    @Test("aisle loadgen refuses a run needing more open files than it may open, before making any device")
    func loadgenRefusesARunItCannotHold() throws {
        let world = try SyncWorld()
        defer { withExtendedLifetime(world) {} }
        let (status, output) = try runProcess(
            Self.shell,
            Self.limited(
                hard: 1_000,
                ["loadgen", "--dir", world.hq, "--hub", "ws://127.0.0.1:9/v1/sync", "--phones", "4", "--idle", "2000"]))
        #expect(status == 1, "\(output)")
        #expect(output.contains("this run needs about 2112 open files"), "\(output)")
        #expect(output.contains("may open 1000"), "\(output)")
    }
}
