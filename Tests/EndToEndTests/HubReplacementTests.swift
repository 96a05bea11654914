import AisleTesting
import Foundation
import Glibc
import Testing

@Suite("Replacing a hub's keys, with real processes")
struct HubReplacementTests {
    @Test(
        "a hub given new keys under its device id, on its restored database, takes its tills back; its old certificate revoked through it is refused, and the tills keep the new one after a restart"
    )
    func hubReenrolledWithNewKeys() async throws {
        let store = try StoreWorld()
        defer { withExtendedLifetime(store) {} }
        let world = store.world
        let (oldHub, hubPort) = try await world.startHub()
        let (edge, till) = try await store.startLinkedEdge(store.till1, hubPort: hubPort)
        let (status, _) = try await jsonRequest(
            "POST", till + "/v1/carts/walk-in-1/lines", ["sku": "milk", "quantity": 2])
        #expect(status == 200)

        // The host is suspected: the hub stops, and a new identity for the same device id is made
        // on a clean host, enrolled, and given the database from the old one's backup.
        #expect(oldHub.stop(SIGTERM) == 0, "\(oldHub.text)")
        let newDirectory = world.directory.file("hub-new")
        _ = try world.run(["hub", "init", "--dir", newDirectory, "--tenant", "acme", "--device", "hub-1"])
        _ = try world.run(["admin", "enroll", "--dir", world.hq, "--request", newDirectory + "/request.json"])
        _ = try world.run(["admin", "backup", "--db", world.hub + "/hub.db", "--to", newDirectory + "/hub.db"])
        // `hub init` wrote hub.json beside the new identity (hub.db, identity "."); --port below.
        let newHub = try ServerProcess(
            AisleCommandTests.executable,
            ["hub", "serve", "--config", newDirectory + "/hub.json", "--port", "\(hubPort)"])
        #expect(try await newHub.listeningPort() == hubPort, "\(newHub.text)")
        #expect(try await hubLink(of: till))

        // The old certificate is revoked through the new hub; the till gets it with the catalog.
        let url = "ws://127.0.0.1:\(hubPort)/v1/sync"
        let revoked = try world.run([
            "admin", "revoke", "--dir", world.hq, "--certificate", world.hub + "/device.cert", "--hub", url,
        ])
        #expect(revoked.contains("the hub holds the revocation"), "\(revoked)")
        let show = try world.run(["admin", "catalog", "show", "--dir", world.hq])
        #expect(show.contains("revoked certificates: 1"), "\(show)")
        try await Task.sleep(for: .seconds(2))
        #expect(try await hubLink(of: till), "\(edge.text)")
        #expect(!edge.text.contains("is revoked"), "\(edge.text)")

        // The till's next session, after a restart, takes the new hub and still sells.
        #expect(edge.stop(SIGTERM) == 0, "\(edge.text)")
        let (again, restarted) = try await store.startLinkedEdge(store.till1, hubPort: hubPort)
        let (cartStatus, cart) = try await jsonRequest("GET", restarted + "/v1/carts/walk-in-1")
        #expect(cartStatus == 200, "\(cart)")

        // The old hub, started again on its old keys, is refused by the till, which holds the
        // revocation now.
        #expect(again.stop(SIGTERM) == 0, "\(again.text)")
        let (oldAgain, oldPort) = try await world.startHub()
        let (probe, probePort) = try await store.startEdge(store.till1, hubPort: oldPort)
        #expect(try await probe.waitFor("hub-1 is revoked", timeout: .seconds(30)), "\(probe.text)")
        let health = try await jsonRequest("GET", "http://127.0.0.1:\(probePort)/health").1
        #expect(health["hubConnected"] as? Bool == false, "\(health)")

        for server in [probe, oldAgain, newHub] { #expect(server.stop(SIGTERM) == 0, "\(server.text)") }
    }
}
