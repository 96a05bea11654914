import AisleTesting
import Foundation
import Glibc
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

    @Test(
        "a connection that upgrades to the sync socket and never says hello is closed after the handshake timeout, as is one that never sends a request (counted in the metrics), while a device syncs"
    )
    func stalledHandshakeClosed() async throws {
        let world = try SyncWorld()
        defer { withExtendedLifetime(world) {} }
        let (hub, port) = try await world.startHub()
        defer { hub.stop(SIGKILL) }
        let started = ContinuousClock.now
        // On a thread of its own: the client blocks reading, which no cooperative thread should.
        let stalled = Task {
            try await withCheckedThrowingContinuation { reply in
                DispatchQueue.global().async {
                    reply.resume(
                        with: Result { try StalledSocket.upgradeAndWaitForClose(port: port, within: .seconds(60)) })
                }
            }
        }
        let silent = Task { try await StalledSocket.closed(port: port, within: .seconds(60)) }
        // Meanwhile a device completes its handshake and syncs.
        let url = "ws://127.0.0.1:\(port)/v1/sync"
        _ = try world.run(["mobile", "cart", "add", "--dir", world.phone, "milk", "1"])
        _ = try world.run(["mobile", "sync", "--dir", world.phone, "--hub", url, "--timeout", "20"])
        let response = try await stalled.value
        let waited = ContinuousClock.now - started
        #expect(response.hasPrefix("HTTP/1.1 101"), "\(response)")
        // The limit is 10 s, checked each second; the WebSocket then waits up to 15 s for a
        // close reply the stalled client never sends.
        #expect(waited >= .seconds(9) && waited < .seconds(45), "closed after \(waited)")
        // The one that never sent a request is closed when the handshake timeout is up, and
        // counted; the one that upgraded is not counted there.
        let (head, silentFor) = try await silent.value
        #expect(head.isEmpty, "\(head)")
        #expect(silentFor >= .seconds(9) && silentFor < .seconds(30), "closed after \(silentFor)")
        let metrics = try await Exposition.scrape("http://127.0.0.1:\(port)/metrics")
        #expect(metrics.sum("aisle_connections_timed_out_total") == 1)
    }
}
