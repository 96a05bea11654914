import AisleTesting
import Foundation
import Testing

/// A hub and a till made and enrolled as the README says, whose `serve` is started with
/// configurations a person could get wrong.
struct ServeWorld {
    let directory: TemporaryDirectory
    var hq: String { directory.file("hq") }
    var hub: String { directory.file("hub") }
    var till: String { directory.file("till") }
    var initOutput = ""

    init() throws {
        directory = try TemporaryDirectory(prefix: "serve-config")
        for arguments in [
            ["admin", "init", "--dir", hq, "--tenant", "acme"],
            ["hub", "init", "--dir", hub, "--tenant", "acme", "--device", "hub-1"],
            ["edge", "init", "--dir", till, "--tenant", "acme", "--device", "till-berlin-1", "--store", "berlin"],
            ["admin", "enroll", "--dir", hq, "--request", hub + "/request.json"],
            ["admin", "enroll", "--dir", hq, "--request", till + "/request.json"],
        ] {
            let result = try AisleCommandTests.run(arguments)
            guard result.status == 0 else { throw CommandFailed(arguments: arguments, output: result.output) }
            initOutput += result.output
        }
    }

    /// Writes `json` as `name` in `dir` and returns its path.
    func write(_ json: String, as name: String, in dir: String) throws -> String {
        let path = dir + "/" + name
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Starts `arguments` and returns what it printed once `expected` came (or 30 s passed), and
    /// its exit status (a process still serving then is stopped: status 0).
    func output(of arguments: [String], awaiting expected: String) async throws -> (String, status: Int32) {
        let process = try ServerProcess(AisleCommandTests.executable, arguments)
        try await process.waitFor(expected, timeout: .seconds(30))
        try await Task.sleep(for: .milliseconds(200))
        let status = process.stop(SIGTERM, grace: .seconds(10))
        return (process.text, status)
    }
}

@Suite("hub serve and edge serve refuse a configuration that cannot work")
struct ServeConfigurationTests {
    static let hubBase = #""host": "127.0.0.1", "database": "hub.db""#
    static let edgeBase = #""host": "127.0.0.1", "database": "edge.db""#

    @Test(
        "hub.json: a bad value is refused at start, naming the file, the key, the value and what is accepted",
        arguments: [
            (#"{\#(hubBase), "port": 99999, "identity": "."}"#, #""port" is 99999: give a TCP port from 0 to 65535"#),
            (
                #"{\#(hubBase), "port": 0, "identity": "../till"}"#,
                "a pos device's (its certificate's role): the hub needs a hub identity"
            ),
            (
                #"{\#(hubBase), "port": 0, "identity": ".", "compaction": {"everySeconds": -5}}"#,
                #""compaction.everySeconds" is -5: give whole seconds, at least 1"#
            ),
            (
                #"{\#(hubBase), "prot": 8470, "port": 0, "identity": "."}"#,
                #"has the key "prot", which the configuration does not know"#
            ),
            (
                #"{\#(hubBase), "port": 0, "identity": ".", "compaction": {"everySecond": 5}}"#,
                #"has the key "compaction.everySecond", which the configuration does not know (a typo?): the keys there are everySeconds"#
            ),
            (
                #"{"host": "127.0.0.1", "port": 0, "identity": ".", "database": "missing/hub.db"}"#,
                "missing/hub.db: the directory"
            ),
            (
                #"{"host": "127.0.0.1", "port": 0, "identity": ".", "database": "."}"#,
                "is a directory: give the database file's path"
            ),
        ])
    func hubRefuses(json: String, expected: String) async throws {
        let world = try ServeWorld()
        try await Self.expectRefused(["hub", "serve"], json: json, in: world.hub, saying: expected, world)
    }

    /// Runs `command` with `json` as its configuration file in `directory`, and expects it to stop
    /// before serving with `expected`, naming the file once.
    static func expectRefused(
        _ command: [String], json: String, in directory: String, saying expected: String, _ world: ServeWorld
    ) async throws {
        let config = try world.write(json, as: "bad.json", in: directory)
        let (output, status) = try await world.output(of: command + ["--config", config], awaiting: expected)
        #expect(output.contains(expected), "\(output)")
        #expect(output.contains(config), "names the file: \(output)")
        #expect(!output.contains("\(config): \(config)"), "names it once: \(output)")
        #expect(status != 0, "\(output)")
        #expect(!output.contains("listening"), "\(output)")
    }

    @Test(
        "edge.json: a bad value is refused at start, naming the file, the key, the value and what is accepted",
        arguments: [
            (
                #"{\#(edgeBase), "hub": "ws://127.0.0.1:1/v1/sync", "port": 99999, "identity": "."}"#,
                #""port" is 99999"#
            ),
            (
                #"{\#(edgeBase), "hub": "not a url", "port": 0, "identity": "."}"#,
                #""hub": 'not a url' is not a hub URL"#
            ),
            (
                #"{\#(edgeBase), "hubs": ["ws://127.0.0.1:1/v1/sync", "ws://"], "port": 0, "identity": "."}"#,
                #""hubs": 'ws://' is not a hub URL (no host)"#
            ),
            (
                #"{\#(edgeBase), "hub": "ws://127.0.0.1:1/v1/sync", "port": 0, "identity": "../hub"}"#,
                "a hub device's (its certificate's role): an edge needs a kiosk or pos identity"
            ),
            (
                #"{\#(edgeBase), "hub": "ws://127.0.0.1:1/v1/sync", "port": 0, "identity": ".", "peer": []}"#,
                #"has the key "peer""#
            ),
        ])
    func edgeRefuses(json: String, expected: String) async throws {
        let world = try ServeWorld()
        try await Self.expectRefused(["edge", "serve"], json: json, in: world.till, saying: expected, world)
    }

    @Test("--config naming a directory says it is a directory, not that it does not exist")
    func configIsADirectory() async throws {
        let world = try ServeWorld()
        let (output, status) = try await world.output(
            of: ["hub", "serve", "--config", world.hub], awaiting: "is a directory")
        #expect(
            output.contains(
                "\(world.hub) is a directory: give the configuration file in it, such as \(world.hub)/hub.json"),
            "\(output)")
        #expect(status != 0)
    }

    @Test(
        "a second hub on a database a hub serves is refused at once, naming the first's pid; the first serves on"
    )
    func secondServerOnOneDatabase() async throws {
        let world = try ServeWorld()
        let config = try world.write(
            #"{\#(Self.hubBase), "port": 0, "identity": "."}"#, as: "serving.json", in: world.hub)
        let first = try ServerProcess(AisleCommandTests.executable, ["hub", "serve", "--config", config])
        defer { first.stop(SIGKILL) }
        let port = try #require(try await first.listeningPort(), "\(first.text)")
        let (output, status) = try await world.output(
            of: ["hub", "serve", "--config", config], awaiting: "is in use by another process")
        #expect(
            output.contains("\(world.hub)/hub.db is in use by another process (pid \(first.pid))"), "\(output)")
        #expect(status != 0 && !output.contains("listening"), "\(output)")
        let (health, _) = try await jsonRequest("GET", "http://127.0.0.1:\(port)/health")
        #expect(health == 200)
    }

    @Test("hub init and edge init write a configuration the README's serve commands start with as it is")
    func initWritesAWorkingConfiguration() async throws {
        let world = try ServeWorld()
        #expect(world.initOutput.contains("wrote \(world.hub)/hub.json"), "\(world.initOutput)")
        #expect(world.initOutput.contains("wrote \(world.till)/edge.json"), "\(world.initOutput)")
        let hub = try ServerProcess(
            AisleCommandTests.executable, ["hub", "serve", "--config", world.hub + "/hub.json", "--port", "0"])
        let port = try #require(try await hub.listeningPort(), "\(hub.text)")
        #expect(hub.text.contains("hub hub-1 listening"), "\(hub.text)")
        let edge = try ServerProcess(
            AisleCommandTests.executable,
            [
                "edge", "serve", "--config", world.till + "/edge.json", "--port", "0", "--hub",
                "ws://127.0.0.1:\(port)/v1/sync",
            ])
        #expect(try await edge.waitFor("sync connected"), "\(edge.text)")
    }
}
