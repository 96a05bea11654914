import AisleTesting
import Foundation
import Testing

@Suite("A hub process at its most connections, with real processes")
struct ConnectionCapacityTests {
    @Test(
        "a full hub closes the next device with Try Again Later before any handshake: a till moves on to the next hub, a phone is told the hub is full, and the hub logs and counts the refusals"
    )
    func fullHubRefusesAndTheTillMovesOn() async throws {
        let store = try StoreWorld()
        defer { withExtendedLifetime(store) {} }
        let world = store.world
        // Two hub processes of one identity, each on a database of its own; the first holds one
        // device at most.
        let full = #"{"host": "127.0.0.1", "port": 0, "database": "full.db", "identity": ".", "maxConnections": 1}"#
        try Data(full.utf8).write(to: URL(fileURLWithPath: world.hub + "/full.json"))
        let fullHub = try ServerProcess(
            AisleCommandTests.executable, ["hub", "serve", "--config", world.hub + "/full.json"])
        let fullPort = try #require(try await fullHub.listeningPort(), "\(fullHub.text)")
        #expect(fullHub.text.contains("max=1"), "\(fullHub.text)")
        let (spareHub, sparePort) = try await world.startHub()

        let (edge1, port1) = try await store.startEdge(store.till1, hubPort: fullPort)
        #expect(try await hubLink(of: "http://127.0.0.1:\(port1)"))
        let (edge2, port2) = try await store.startEdge(store.till2, hubPorts: [fullPort, sparePort])
        #expect(try await hubLink(of: "http://127.0.0.1:\(port2)"))
        #expect(
            try await eventually {
                let spare = try await Exposition.scrape("http://127.0.0.1:\(sparePort)/metrics")
                let refusing = try await Exposition.scrape("http://127.0.0.1:\(fullPort)/metrics")
                return spare.sum("aisle_connected_devices", ["role": "pos"]) == 1
                    && refusing.sum("aisle_connected_devices", ["role": "pos"]) == 1
                    && refusing.sum("aisle_connections_refused_total") >= 1
            }, "\(fullHub.text)\n\(edge2.text)")
        #expect(fullHub.text.contains("refusing device connections"), "\(fullHub.text)")

        // The refusal reaches the phone on a busy machine too: a close sent while the phone's
        // WebSocket client was still finishing its upgrade was lost there, and the phone waited out
        // its handshake timeout (9 of 16 refusals with this load).
        try await withCPULoad {
            for _ in 0..<8 {
                let (status, output) = try AisleCommandTests.run([
                    "mobile", "sync", "--dir", world.phone, "--hub", "ws://127.0.0.1:\(fullPort)/v1/sync",
                ])
                #expect(status != 0, "\(output)")
                #expect(output.contains("the hub is full"), "\(output)")
            }
        }

        // Once the first till goes, the full hub takes devices again.
        #expect(edge1.stop(SIGTERM) == 0, "\(edge1.text)")
        let (status2, output2) = try AisleCommandTests.run([
            "mobile", "sync", "--dir", world.phone, "--hub", "ws://127.0.0.1:\(fullPort)/v1/sync",
        ])
        #expect(status2 == 0, "\(output2)")
        #expect(fullHub.text.contains("taking device connections again"), "\(fullHub.text)")

        for server in [edge2, fullHub, spareHub] { #expect(server.stop(SIGTERM) == 0, "\(server.text)") }
    }
}
