import AisleTesting
import Foundation
import Testing

@Suite("A store through a hub outage, with real processes")
struct OutageTests {
    /// Anna's phone puts 2 milk in its cart, syncs with the hub at `url`, and hands the cart to
    /// the tills of Berlin for `minutes` (the command's default when nil): the code it shows.
    static func handOffPhoneCart(_ world: SyncWorld, hub url: String, minutes: Int? = nil) throws -> String {
        _ = try world.run(["mobile", "cart", "add", "--dir", world.phone, "milk", "2"])
        _ = try world.run(["mobile", "sync", "--dir", world.phone, "--hub", url])
        let printed = try world.run(
            ["mobile", "handoff", "--dir", world.phone, "--store", "berlin"]
                + (minutes.map { ["--minutes", "\($0)"] } ?? []))
        return try #require(printed.split(separator: "\n").last.map(String.init))
    }

    @Test("a cart filled on a phone continues at the till after a handoff, and the till's edits reach the phone")
    func cartHandoff() async throws {
        let store = try StoreWorld()
        defer { withExtendedLifetime(store) {} }
        let world = store.world
        let (hub, hubPort) = try await world.startHub()
        let url = "ws://127.0.0.1:\(hubPort)/v1/sync"
        let code = try Self.handOffPhoneCart(world, hub: url)

        let (edge, till) = try await store.startLinkedEdge(store.till1, hubPort: hubPort)
        let (status, taken) = try await jsonRequest("POST", till + "/v1/handoffs", ["code": code])
        #expect(status == 200, "\(taken)")
        let lines = (taken["cart"] as? [String: Any])?["lines"] as? [[String: Any]]
        #expect(lines?.first?["sku"] as? String == "milk")
        #expect(lines?.first?["quantity"] as? Int == 2)

        // The till adds to the customer's cart; the phone sees it after its next sync.
        let (added, cart) = try await jsonRequest(
            "POST", till + "/v1/carts/app-cart/lines?customer=anna", ["sku": "bread", "quantity": 1])
        #expect(added == 200, "\(cart)")
        #expect(
            try await eventually {
                let synced = try world.run(["mobile", "sync", "--dir", world.phone, "--hub", url])
                return synced.contains("bread  × 1") && synced.contains("milk  × 2")
            })

        // No order yet: checkout needs the catalog's prices ([5/6]).
        #expect(try world.run(["mobile", "history", "--dir", world.phone]).contains("no orders for anna yet"))

        // A code for another store's tills is refused at this one.
        let other = try world.run(["mobile", "handoff", "--dir", world.phone, "--store", "paris"])
        let otherCode = try #require(other.split(separator: "\n").last.map(String.init))
        let refused = try await jsonRequest("POST", till + "/v1/handoffs", ["code": otherCode])
        #expect(refused.0 == 403, "\(refused.1)")

        for server in [edge, hub] {
            let stopped = server.stop(SIGTERM)
            #expect(stopped == 0, "\(server.text)")
        }
    }

    @Test(
        "a line a till adds to a handed-off cart while the hub is down reaches the phone after the handoff ended; an edit after the end is refused"
    )
    func handedOffCartEditedThroughAnOutage() async throws {
        let store = try StoreWorld()
        defer { withExtendedLifetime(store) {} }
        let world = store.world
        var (hub, hubPort) = try await world.startHub()
        let url = "ws://127.0.0.1:\(hubPort)/v1/sync"
        let code = try Self.handOffPhoneCart(world, hub: url, minutes: 1)
        // The handoff ends at most a minute from now (the code was made before this).
        let handedAt = ContinuousClock.now
        let (edge, till) = try await store.startLinkedEdge(store.till1, hubPort: hubPort)
        let (status, taken) = try await jsonRequest("POST", till + "/v1/handoffs", ["code": code])
        #expect(status == 200, "\(taken)")

        // The WAN goes down; the till adds bread to Anna's cart meanwhile.
        hub.stop(SIGKILL)
        let (added, cart) = try await jsonRequest(
            "POST", till + "/v1/carts/app-cart/lines?customer=anna", ["sku": "bread", "quantity": 1])
        #expect(added == 200, "\(cart)")

        // The handoff has ended: the till may no longer change the cart.
        try await Task.sleep(until: handedAt + .seconds(62))
        let (late, refusal) = try await jsonRequest(
            "POST", till + "/v1/carts/app-cart/lines?customer=anna", ["sku": "jam", "quantity": 1])
        #expect(late == 403, "\(refusal)")
        #expect(((refusal["error"] as? [String: Any])?["message"] as? String)?.contains("has ended") == true)

        // The hub returns; the till hands the bread over, and the phone gets it.
        hub = try ServerProcess(
            AisleCommandTests.executable,
            ["hub", "serve", "--config", world.hub + "/hub.json", "--port", "\(hubPort)"])
        hubPort = try #require(try await hub.listeningPort())
        #expect(try await hubLink(of: till))
        #expect(
            try await eventually {
                let synced = try world.run(["mobile", "sync", "--dir", world.phone, "--hub", url])
                return synced.contains("bread  × 1") && synced.contains("milk  × 2") && !synced.contains("jam")
            })
        for server in [edge, hub] {
            let stopped = server.stop(SIGTERM)
            #expect(stopped == 0, "\(server.text)")
        }
    }

    @Test("a till killed in the middle of its first catch-up resumes after a restart, without a duplicate")
    func restartMidCatchUp() async throws {
        let store = try StoreWorld()
        defer { withExtendedLifetime(store) {} }
        let (hub, hubPort) = try await store.world.startHub()
        let (edge1, till1) = try await store.startLinkedEdge(store.till1, hubPort: hubPort)
        // 600 changes for the second till to catch up on.
        for index in 0..<600 {
            #expect(
                try await jsonRequest("POST", till1 + "/v1/stock/sku-\(index % 50)/receipts", ["units": 1]).0 == 200)
        }
        #expect(
            try await eventually {
                try await jsonRequest("GET", till1 + "/v1/stock/sku-49").1["level"] as? Int == 12
            })
        // Let the hub take everything, then start the second till and kill it as soon as it has some.
        try await Task.sleep(for: .seconds(1))
        var (edge2, port2) = try await store.startEdge(store.till2, hubPort: hubPort)
        #expect(
            try await eventually(timeout: .seconds(20)) {
                (try await jsonRequest("GET", "http://127.0.0.1:\(port2)/v1/stock/sku-0").1["level"] as? Int ?? 0) > 0
            })
        edge2.stop(SIGKILL)
        (edge2, port2) = try await store.startEdge(store.till2, hubPort: hubPort)
        let till2 = "http://127.0.0.1:\(port2)"
        for index in 0..<50 {
            #expect(
                try await eventually {
                    try await jsonRequest("GET", till2 + "/v1/stock/sku-\(index)").1["level"] as? Int == 12
                }, "sku-\(index)")
        }
        for server in [edge1, edge2, hub] {
            let stopped = server.stop(SIGTERM)
            #expect(stopped == 0, "\(server.text)")
        }
    }

    @Test(
        "tills keep selling while the hub is killed with SIGKILL, the second syncing through the first; when it returns, all converge"
    )
    func storeKeepsSellingThroughAnOutage() async throws {
        let store = try StoreWorld()
        defer { withExtendedLifetime(store) {} }
        var (hub, hubPort) = try await store.world.startHub()
        let (edge1, port1) = try await store.startEdge(store.till1, hubPort: hubPort)
        let (edge2, port2) = try await store.startEdge(store.till2, hubPort: hubPort, peers: [port1])
        let till1 = "http://127.0.0.1:\(port1)"
        let till2 = "http://127.0.0.1:\(port2)"
        for till in [till1, till2] {
            #expect(
                try await hubLink(of: till))
        }

        // Goods in at till 1, a sale: till 2 sees the stock through the hub.
        #expect(try await jsonRequest("POST", till1 + "/v1/stock/milk/receipts", ["units": 10]).0 == 200)
        let (status, cart) = try await jsonRequest(
            "POST", till1 + "/v1/carts/c1/lines", ["sku": "milk", "quantity": 2])
        #expect(status == 200, "\(cart)")
        #expect(
            try await eventually { try await jsonRequest("GET", till2 + "/v1/stock/milk").1["level"] as? Int == 10 })

        // The hub dies; both tills keep taking writes, and sync with each other meanwhile.
        hub.stop(SIGKILL)
        #expect(try await jsonRequest("POST", till1 + "/v1/stock/milk/receipts", ["units": 5]).0 == 200)
        #expect(try await jsonRequest("POST", till2 + "/v1/stock/bread/receipts", ["units": 7]).0 == 200)
        #expect(try await jsonRequest("POST", till2 + "/v1/carts/c2/lines", ["sku": "bread", "quantity": 1]).0 == 200)
        #expect(try await jsonRequest("GET", till1 + "/health").1["hubConnected"] as? Bool == false)
        #expect(
            try await eventually { try await jsonRequest("GET", till2 + "/v1/stock/milk").1["level"] as? Int == 15 })
        #expect(
            try await eventually { try await jsonRequest("GET", till1 + "/v1/stock/bread").1["level"] as? Int == 7 })

        // The hub returns on its port and database; the tills reconnect and hand it what it missed.
        hub = try ServerProcess(
            AisleCommandTests.executable,
            ["hub", "serve", "--config", store.world.hub + "/hub.json", "--port", "\(hubPort)"])
        hubPort = try #require(try await hub.listeningPort())
        for till in [till1, till2] {
            #expect(
                try await hubLink(of: till))
        }
        // A third till, connected to the hub only, gets everything both wrote during the outage.
        let till3Dir = store.world.directory.file("till-3")
        _ = try store.world.run([
            "edge", "init", "--dir", till3Dir, "--tenant", "acme", "--device", "till-3", "--store", "berlin",
        ])
        _ = try store.world.run(["admin", "enroll", "--dir", store.world.hq, "--request", till3Dir + "/request.json"])
        let (edge3, port3) = try await store.startEdge(till3Dir, hubPort: hubPort)
        let till3 = "http://127.0.0.1:\(port3)"
        #expect(
            try await eventually { try await jsonRequest("GET", till3 + "/v1/stock/milk").1["level"] as? Int == 15 })
        #expect(
            try await eventually { try await jsonRequest("GET", till3 + "/v1/stock/bread").1["level"] as? Int == 7 })
        #expect(try await jsonRequest("GET", till1 + "/v1/carts/c1").1["lines"] as? [[String: Any]] != nil)

        // The API refuses with a reason: a checkout without catalog prices (the catalog comes from
        // head office, [5/6]), a malformed SKU, an unknown cart.
        let (checkout, refusal) = try await jsonRequest("POST", till1 + "/v1/carts/c1/checkout", [:])
        #expect(checkout == 409, "\(refusal)")
        #expect(((refusal["error"] as? [String: Any])?["message"] as? String)?.contains("no price") == true)
        #expect(
            try await jsonRequest("POST", till1 + "/v1/carts/c1/lines", ["sku": "no spaces", "quantity": 1]).0 == 400)
        #expect(try await jsonRequest("GET", till1 + "/v1/carts/none").0 == 404)

        for server in [edge1, edge2, edge3, hub] {
            let status = server.stop(SIGTERM)
            #expect(status == 0, "\(server.text)")
        }
    }
}
