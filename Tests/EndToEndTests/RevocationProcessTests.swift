import AisleTesting
import Foundation
import Glibc
import Testing

@Suite("Revoking a device with real processes")
struct RevocationProcessTests {
    @Test(
        "a device revoked with `aisle admin revoke --hub` is refused by the running hub, after the hub's restart too; the customer's other device gets the revocation with the catalog"
    )
    func revokedDeviceRefusedByTheHub() async throws {
        let world = try SyncWorld()
        defer { withExtendedLifetime(world) {} }
        var (hub, port) = try await world.startHub()
        let url = "ws://127.0.0.1:\(port)/v1/sync"
        _ = try world.run(["mobile", "cart", "add", "--dir", world.phone, "milk", "2"])
        _ = try world.run(["mobile", "sync", "--dir", world.phone, "--hub", url])

        let revoked = try world.run([
            "admin", "revoke", "--dir", world.hq, "--certificate", world.phone + "/device.cert", "--hub", url,
        ])
        #expect(revoked.contains("published in the catalog scope"), "\(revoked)")
        #expect(revoked.contains("the hub holds the revocation"), "\(revoked)")
        let shown = try world.run(["admin", "catalog", "show", "--dir", world.hq])
        #expect(shown.contains("revoked certificates: 1"), "\(shown)")
        // The status view lists the phone (which sent its cart) as revoked, last.
        let status = try world.run(["admin", "status", "--hub", url])
        #expect(status.contains("phone-anna  mobile  revoked"), "\(status)")
        let refused = try AisleCommandTests.run([
            "mobile", "sync", "--dir", world.phone, "--hub", url, "--timeout", "20",
        ])
        #expect(refused.status != 0)
        #expect(refused.output.contains("phone-anna is revoked"), "\(refused.output)")

        // The hub was given no revocation file: it knows from its catalog, also after a restart.
        #expect(hub.stop(SIGTERM) == 0, "\(hub.text)")
        (hub, port) = try await world.startHub()
        defer { hub.stop(SIGKILL) }
        let again = try AisleCommandTests.run([
            "mobile", "sync", "--dir", world.phone, "--hub", "ws://127.0.0.1:\(port)/v1/sync", "--timeout", "20",
        ])
        #expect(again.status != 0)
        #expect(again.output.contains("phone-anna is revoked"), "\(again.output)")
        let tablet = try world.run(["mobile", "sync", "--dir", world.tablet, "--hub", "ws://127.0.0.1:\(port)/v1/sync"])
        #expect(tablet.contains("catalog: received 1 changes"), "\(tablet)")
        #expect(tablet.contains("milk  × 2"), "\(tablet)")
    }

    @Test(
        "a till connected to the hub when head office revokes it is disconnected at once, told why, and not let back in; its health says it is refused"
    )
    func connectedTillDisconnectedWhenRevoked() async throws {
        let store = try StoreWorld()
        defer { withExtendedLifetime(store) {} }
        let world = store.world
        let (hub, hubPort) = try await world.startHub()
        defer { hub.stop(SIGKILL) }
        let (edge, till) = try await store.startLinkedEdge(store.till1, hubPort: hubPort)
        defer { edge.stop(SIGKILL) }

        _ = try world.run([
            "admin", "revoke", "--dir", world.hq, "--certificate", store.till1 + "/device.cert", "--hub",
            "ws://127.0.0.1:\(hubPort)/v1/sync",
        ])
        #expect(try await hubLink(of: till, is: false))
        #expect(try await eventually { edge.text.contains("till-1 is revoked") }, "\(edge.text)")
        #expect(hub.text.contains("till-1 is revoked"), "\(hub.text)")
        // Its link tries again (backoff from 200 ms) and is refused at each handshake; its health
        // says so, where an unreachable hub would only show it offline.
        try await Task.sleep(for: .seconds(2))
        #expect(try await !hubLink(of: till, timeout: .seconds(1)))
        #expect(
            try await eventually {
                let health = try await jsonRequest("GET", till + "/health").1
                return health["status"] as? String == "refused"
                    && (health["hubRefusal"] as? String ?? "").contains("till-1 is revoked")
            })
    }
}
