import AisleTesting
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("aisle admin status against a real hub")
struct StatusProcessTests {
    @Test("--limit lists only the worst devices and still counts them all; a limit that is not positive is refused")
    func limitListsTheWorst() async throws {
        let store = try StoreWorld()
        defer { withExtendedLifetime(store) {} }
        let world = store.world
        let (hub, hubPort) = try await world.startHub()
        let hubURL = "ws://127.0.0.1:\(hubPort)/v1/sync"
        let (edge1, _) = try await store.startLinkedEdge(store.till1, hubPort: hubPort)
        let (edge2, _) = try await store.startLinkedEdge(store.till2, hubPort: hubPort)

        let table = try world.run(["admin", "status", "--hub", hubURL, "--limit", "1"])
        #expect(table.contains("2 devices, worst first (the worst 1 shown)"), "\(table)")
        #expect(table.contains("till-1") != table.contains("till-2"), "\(table)")
        let json = try world.run(["admin", "status", "--hub", hubURL, "--limit", "1", "--json"])
        let view = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(view["total"] as? Int == 2, "\(json)")
        #expect((view["devices"] as? [Any])?.count == 1, "\(json)")

        let (status, body) = try await jsonRequest("GET", "http://127.0.0.1:\(hubPort)/v1/status?limit=0")
        #expect(status == 400, "\(body)")
        let (cliStatus, cli) = try AisleCommandTests.run(["admin", "status", "--hub", hubURL, "--limit", "0"])
        #expect(cliStatus != 0 && cli.contains("--limit must be at least 1"), "\(cli)")

        for server in [edge1, edge2, hub] { #expect(server.stop(SIGTERM) == 0, "\(server.text)") }
    }
}
