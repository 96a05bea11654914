import AisleTesting
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A tenant made with the real commands: an admin, a hub and two of Anna's devices, enrolled.
struct SyncWorld {
    let directory: TemporaryDirectory
    var hq: String { directory.file("hq") }
    var hub: String { directory.file("hub") }
    var phone: String { directory.file("phone") }
    var tablet: String { directory.file("tablet") }

    init() throws {
        directory = try TemporaryDirectory(prefix: "sync-e2e")
        for arguments in [
            ["admin", "init", "--dir", hq, "--tenant", "acme"],
            ["hub", "init", "--dir", hub, "--tenant", "acme", "--device", "hub-1"],
            ["mobile", "init", "--dir", phone, "--tenant", "acme", "--device", "phone-anna", "--customer", "anna"],
            ["mobile", "init", "--dir", tablet, "--tenant", "acme", "--device", "tablet-anna", "--customer", "anna"],
            ["admin", "enroll", "--dir", hq, "--request", hub + "/request.json"],
            ["admin", "enroll", "--dir", hq, "--request", phone + "/request.json"],
            ["admin", "enroll", "--dir", hq, "--request", tablet + "/request.json"],
        ] {
            let result = try AisleCommandTests.run(arguments)
            guard result.status == 0 else { throw CommandFailed(arguments: arguments, output: result.output) }
        }
        let config = #"{"host": "127.0.0.1", "port": 0, "database": "hub.db", "identity": "."}"#
        try Data(config.utf8).write(to: URL(fileURLWithPath: hub + "/hub.json"))
    }

    /// A hub process on any free port; with `storage`, on that PostgreSQL database.
    func startHub(storage: String? = nil) async throws -> (ServerProcess, Int) {
        let server = try ServerProcess(
            AisleCommandTests.executable,
            ["hub", "serve", "--config", hub + "/hub.json"] + (storage.map { ["--storage", $0] } ?? []))
        guard let port = try await server.listeningPort() else {
            throw CommandFailed(arguments: ["hub", "serve"], output: server.text)
        }
        return (server, port)
    }

    func run(_ arguments: [String]) throws -> String {
        let result = try AisleCommandTests.run(arguments)
        guard result.status == 0 else { throw CommandFailed(arguments: arguments, output: result.output) }
        return result.output
    }
}

struct CommandFailed: Error, CustomStringConvertible {
    let arguments: [String]
    let output: String
    var description: String { "aisle \(arguments.joined(separator: " ")) failed:\n\(output)" }
}

@Suite("Sync with real processes on 127.0.0.1")
struct SyncProcessTests {
    @Test("a phone's cart reaches the customer's tablet through a real hub; the hub stops cleanly on SIGTERM")
    func cartTravelsThroughTheHub() async throws {
        let world = try SyncWorld()
        defer { withExtendedLifetime(world) {} }
        let (hub, port) = try await world.startHub()
        let url = "ws://127.0.0.1:\(port)/v1/sync"

        let (body, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self).contains(#""status":"ok""#))

        _ = try world.run(["mobile", "cart", "add", "--dir", world.phone, "milk", "2"])
        _ = try world.run(["mobile", "cart", "add", "--dir", world.phone, "bread"])
        let sent = try world.run(["mobile", "sync", "--dir", world.phone, "--hub", url])
        #expect(sent.contains("connected to hub hub-1"), "\(sent)")
        let received = try world.run(["mobile", "sync", "--dir", world.tablet, "--hub", url])
        #expect(received.contains("customer:anna: received 2 changes"), "\(received)")
        #expect(received.contains("milk  × 2"), "\(received)")
        #expect(received.contains("bread  × 1"), "\(received)")

        // Offline edits on the tablet, then both sync: both hold the same cart.
        _ = try world.run(["mobile", "cart", "set", "--dir", world.tablet, "milk", "5"])
        _ = try world.run(["mobile", "sync", "--dir", world.tablet, "--hub", url])
        let phone = try world.run(["mobile", "sync", "--dir", world.phone, "--hub", url])
        #expect(phone.contains("milk  × 5"), "\(phone)")

        #expect(hub.stop(SIGTERM) == 0, "\(hub.text)")
        #expect(hub.text.contains("hub stopped"))
    }

    @Test("a device the hub does not trust is refused at the handshake, with the reason")
    func untrustedDeviceRefused() async throws {
        let world = try SyncWorld()
        defer { withExtendedLifetime(world) {} }
        // A phone enrolled by another tenant's admin, pretending to be acme's.
        let other = world.directory.file("other")
        let stranger = world.directory.file("stranger")
        for arguments in [
            ["admin", "init", "--dir", other, "--tenant", "acme"],
            ["mobile", "init", "--dir", stranger, "--tenant", "acme", "--device", "phone-eve", "--customer", "anna"],
            ["admin", "enroll", "--dir", other, "--request", stranger + "/request.json"],
        ] { _ = try world.run(arguments) }
        let (hub, port) = try await world.startHub()
        defer { hub.stop(SIGKILL) }
        let result = try AisleCommandTests.run([
            "mobile", "sync", "--dir", stranger, "--hub", "ws://127.0.0.1:\(port)/v1/sync", "--timeout", "20",
        ])
        #expect(result.status != 0)
        #expect(result.output.contains("certificate not signed by this tenant's admin key"), "\(result.output)")
    }
}
