import AisleTesting
import Foundation
import Testing

/// Hubs that stop answering without closing the connection (a hung process, a WAN that drops
/// packets), put between an edge and a real hub with ``SilentProxy``; every node a real process.
@Suite("An edge whose hub falls silent, with real processes")
struct SilentHubTests {
    @Test(
        "an edge whose first hub accepts the connection and never answers moves to the next hub after the handshake timeout"
    )
    func unansweringHubIsGivenUp() async throws {
        let store = try StoreWorld()
        defer { withExtendedLifetime(store) {} }
        let (hub, hubPort) = try await store.world.startHub()
        let proxy = try SilentProxy(upstreamPort: hubPort, silent: true)
        defer { proxy.stop() }
        let started = ContinuousClock.now
        let (edge1, port1) = try await store.startEdge(store.till1, hubPorts: [proxy.port, hubPort])
        let (edge2, port2) = try await store.startEdge(store.till2, hubPorts: [hubPort])
        let till1 = "http://127.0.0.1:\(port1)"
        let till2 = "http://127.0.0.1:\(port2)"

        #expect(try await hubLink(of: till1, timeout: .seconds(40)), "\(edge1.text)")
        let waited = ContinuousClock.now - started
        #expect(proxy.accepted >= 1)
        // The silent hub had its 10 s to answer (the limit), and no more than a few seconds after.
        #expect(waited >= .seconds(9) && waited < .seconds(30), "connected after \(waited)")
        #expect(try await jsonRequest("POST", till1 + "/v1/stock/milk/receipts", ["units": 10]).0 == 200)
        #expect(
            try await eventually { try await jsonRequest("GET", till2 + "/v1/stock/milk").1["level"] as? Int == 10 })
        for server in [edge1, edge2, hub] {
            let status = server.stop(SIGTERM)
            #expect(status == 0, "\(server.text)")
        }
    }

    @Test(
        "an edge whose hub falls silent after connecting finds out from its unanswered pings and moves to the next hub, losing nothing"
    )
    func silentHubIsLeft() async throws {
        let store = try StoreWorld()
        defer { withExtendedLifetime(store) {} }
        let (hub, hubPort) = try await store.world.startHub()
        let proxy = try SilentProxy(upstreamPort: hubPort)
        defer { proxy.stop() }
        let (edge1, port1) = try await store.startEdge(store.till1, hubPorts: [proxy.port, hubPort], keepalive: 1)
        let (edge2, port2) = try await store.startEdge(store.till2, hubPorts: [hubPort])
        let till1 = "http://127.0.0.1:\(port1)"
        let till2 = "http://127.0.0.1:\(port2)"
        #expect(try await hubLink(of: till1), "\(edge1.text)")
        #expect(try await hubLink(of: till2), "\(edge2.text)")
        // Through the proxy while it forwards.
        #expect(try await jsonRequest("POST", till1 + "/v1/stock/milk/receipts", ["units": 10]).0 == 200)
        #expect(
            try await eventually { try await jsonRequest("GET", till2 + "/v1/stock/milk").1["level"] as? Int == 10 })
        #expect(proxy.accepted == 1)

        // The path to the hub goes silent: nothing passes, nothing closes. The goods received now
        // wait in till 1's log until its link, its pings unanswered, has moved to the next hub.
        proxy.silence()
        let silenced = ContinuousClock.now
        #expect(try await jsonRequest("POST", till1 + "/v1/stock/milk/receipts", ["units": 5]).0 == 200)
        #expect(
            try await eventually(timeout: .seconds(20)) {
                try await jsonRequest("GET", till2 + "/v1/stock/milk").1["level"] as? Int == 15
            }, "\(edge1.text)")
        let moved = ContinuousClock.now - silenced
        // A ping each second, unanswered by the next: about 2 s, with the reconnection.
        #expect(moved < .seconds(10), "arrived after \(moved)")
        for server in [edge1, edge2, hub] {
            let status = server.stop(SIGTERM)
            #expect(status == 0, "\(server.text)")
        }
    }
}
