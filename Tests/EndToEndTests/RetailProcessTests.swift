import AisleTesting
import Foundation
import Testing

/// A Berlin store with the sample catalog published, a hub, and Anna's phone, as real processes.
struct RetailWorld {
    let store: StoreWorld
    var world: SyncWorld { store.world }

    init() throws {
        store = try StoreWorld()
    }

    /// A hub holding the sample catalog, and the store's till 1 linked to it.
    struct Running {
        let hub: ServerProcess
        let edge: ServerProcess
        /// The till's local API.
        let till: String
        /// The hub's sync URL, for `aisle mobile`.
        let url: String
    }

    /// Starts a hub, publishes the sample catalog to it, and starts till 1 on it, waiting until
    /// the till's hub link is up.
    func startHubAndTill() async throws -> Running {
        let (hub, hubPort) = try await world.startHub()
        try publishCatalog(hubPort: hubPort)
        let (edge, till) = try await store.startLinkedEdge(store.till1, hubPort: hubPort)
        return Running(hub: hub, edge: edge, till: till, url: "ws://127.0.0.1:\(hubPort)/v1/sync")
    }

    /// Publishes the sample catalog to the hub listening on `hubPort`.
    func publishCatalog(hubPort: Int) throws {
        _ = try world.run([
            "admin", "catalog", "import", "--dir", world.hq, "--from", CatalogCommandTests.sample, "--hub",
            "ws://127.0.0.1:\(hubPort)/v1/sync",
        ])
    }
}

@Suite("Retail semantics with real processes")
struct RetailProcessTests {
    /// Where reservation `id` stands on Anna's phone after a sync (`aisle mobile reservations --json`).
    func phoneStatus(of id: String, in world: SyncWorld, hub: String) throws -> String? {
        _ = try world.run(["mobile", "sync", "--dir", world.phone, "--hub", hub])
        let output = try world.run(["mobile", "reservations", "--dir", world.phone, "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        let reservations = list?["reservations"] as? [[String: Any]]
        return reservations?.first { $0["id"] as? String == id }?["status"] as? String
    }

    /// The reservation id `aisle mobile reserve` printed.
    func reservationID(in output: String) -> String? {
        output.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("res-") }.map(String.init)
    }

    @Test(
        "click and collect: the phone reserves, the till picks and hands over; an expired reservation goes back on sale"
    )
    func clickAndCollect() async throws {
        let retail = try RetailWorld()
        defer { withExtendedLifetime(retail) {} }
        let world = retail.world
        let running = try await retail.startHubAndTill()
        let (hub, edge, till, url) = (running.hub, running.edge, running.till, running.url)

        // Goods in: the till keeps its share and hands the rest to the hub, which reserves from it.
        #expect(try await jsonRequest("POST", till + "/v1/stock/oat-milk/receipts", ["units": 20]).0 == 200)
        #expect(
            try await eventually {
                (try await jsonRequest("GET", till + "/v1/stock/oat-milk").1["sellableHere"] as? Int ?? 20) <= 16
            })
        let reserved = try world.run([
            "mobile", "reserve", "--dir", world.phone, "oat-milk", "2", "--store", "berlin", "--hub", url,
        ])
        #expect(reserved.contains("reserved 2 × oat-milk at berlin for anna"), "\(reserved)")
        let id = try #require(reservationID(in: reserved))
        // The phone keeps it: listed offline, as placed.
        let kept = try world.run(["mobile", "reservations", "--dir", world.phone])
        #expect(kept.contains("\(id): 2 × oat-milk at berlin, set aside: collect it before"), "\(kept)")

        // Too many, an unknown SKU: plain sentences from the hub.
        let tooMany = try AisleCommandTests.run([
            "mobile", "reserve", "--dir", world.phone, "oat-milk", "50", "--store", "berlin", "--hub", url,
        ])
        #expect(tooMany.status != 0 && tooMany.output.contains("berlin can set aside"), "\(tooMany.output)")
        let unknown = try AisleCommandTests.run([
            "mobile", "reserve", "--dir", world.phone, "caviar", "1", "--store", "berlin", "--hub", url,
        ])
        #expect(unknown.output.contains("unknown SKU caviar"), "\(unknown.output)")

        // The till sees the reservation, picks it (taking custody from the hub) and hands it over.
        #expect(
            try await eventually {
                let list = try await jsonRequest("GET", till + "/v1/reservations").1["reservations"] as? [[String: Any]]
                return list?.contains { $0["id"] as? String == id } == true
            })
        #expect(try await jsonRequest("GET", till + "/v1/stock/oat-milk").1["level"] as? Int == 18)
        let (picked, pickedBody) = try await jsonRequest("POST", till + "/v1/reservations/\(id)/pick", [:])
        #expect(picked == 200, "\(refusalMessage(pickedBody))")
        #expect(pickedBody["custodian"] as? String == "till-1" && pickedBody["phase"] as? String == "picked")
        #expect(
            try await eventually { try phoneStatus(of: id, in: world, hub: url) == "picked" },
            "after a sync the phone reads the reservation as picked")
        let (collected, collectedBody) = try await jsonRequest("POST", till + "/v1/reservations/\(id)/collect", [:])
        #expect(collected == 200 && collectedBody["phase"] as? String == "collected", "\(collectedBody)")
        #expect(try await jsonRequest("GET", till + "/v1/stock/oat-milk").1["level"] as? Int == 18)

        // A reservation held two seconds expires at the hub: its unit goes back on sale.
        let short = try world.run([
            "mobile", "reserve", "--dir", world.phone, "oat-milk", "1", "--store", "berlin", "--hold", "2s", "--hub",
            url,
        ])
        let shortID = try #require(reservationID(in: short))
        #expect(
            try await eventually {
                let all = try await jsonRequest("GET", till + "/v1/reservations?all=true").1["reservations"]
                let entry = (all as? [[String: Any]])?.first { $0["id"] as? String == shortID }
                return entry?["phase"] as? String == "released"
            })
        #expect(
            try await eventually { try await jsonRequest("GET", till + "/v1/stock/oat-milk").1["level"] as? Int == 18 })
        let (late, lateBody) = try await jsonRequest("POST", till + "/v1/reservations/\(shortID)/collect", [:])
        #expect(late == 409 && refusalMessage(lateBody).contains("already released"), "\(lateBody)")
        // After a sync the phone reads the first as collected and the short one as expired.
        #expect(try await eventually { try phoneStatus(of: id, in: world, hub: url) == "collected" })
        #expect(try phoneStatus(of: shortID, in: world, hub: url) == "expired")
        let listed = try world.run(["mobile", "reservations", "--dir", world.phone])
        #expect(listed.contains("\(shortID): 1 × oat-milk at berlin, expired at"), "\(listed)")
        let (none, _) = try await jsonRequest("POST", till + "/v1/reservations/res-none/pick", [:])
        #expect(none == 404)

        for server in [edge, hub] {
            let status = server.stop(SIGTERM)
            #expect(status == 0, "\(server.text)")
        }
    }

    @Test("a handed-off app cart is checked out at the till with the catalog's prices: stock sold, points earned")
    func appCartCheckedOutAtTheTill() async throws {
        let retail = try RetailWorld()
        defer { withExtendedLifetime(retail) {} }
        let world = retail.world
        let running = try await retail.startHubAndTill()
        let (hub, edge, till, url) = (running.hub, running.edge, running.till, running.url)
        #expect(try await jsonRequest("POST", till + "/v1/stock/oat-milk/receipts", ["units": 10]).0 == 200)
        #expect(try await jsonRequest("POST", till + "/v1/stock/sourdough/receipts", ["units": 5]).0 == 200)

        _ = try world.run(["mobile", "cart", "add", "--dir", world.phone, "oat-milk", "2"])
        _ = try world.run(["mobile", "cart", "add", "--dir", world.phone, "sourdough", "1"])
        let synced = try world.run(["mobile", "sync", "--dir", world.phone, "--hub", url])
        let phoneTotal = try #require(synced.split(separator: "\n").first { $0.contains("total") })
        let printed = try world.run(["mobile", "handoff", "--dir", world.phone, "--store", "berlin"])
        let code = try #require(printed.split(separator: "\n").last.map(String.init))
        let (taken, handed) = try await jsonRequest("POST", till + "/v1/handoffs", ["code": code])
        #expect(taken == 200, "\(handed)")
        let total = try #require((handed["cart"] as? [String: Any])?["totalMinor"] as? Int)
        #expect(
            phoneTotal.contains(String(format: "%d.%02d", total / 100, total % 100)),
            "phone \(phoneTotal), till \(total)")

        let (status, order) = try await jsonRequest(
            "POST", till + "/v1/carts/app-cart/checkout?customer=anna", ["order": "order-anna-1"])
        #expect(status == 200, "\(refusalMessage(order))")
        #expect(order["totalMinor"] as? Int == total)
        let points = try #require(order["points"] as? Int)
        #expect(points > 0)
        #expect(try await jsonRequest("GET", till + "/v1/stock/oat-milk").1["level"] as? Int == 8)
        #expect(try await jsonRequest("GET", till + "/v1/loyalty/anna").1["balance"] as? Int == points)
        // The order is in Anna's history on her phone, prices locked.
        #expect(
            try await eventually {
                _ = try world.run(["mobile", "sync", "--dir", world.phone, "--hub", url])
                return try world.run(["mobile", "history", "--dir", world.phone]).contains("order-anna-1")
            })
        // One wishlist: the phone's item and the one the till scans after the handoff.
        _ = try world.run(["mobile", "wishlist", "add", "--dir", world.phone, "butter"])
        let (scanned, wishlist) = try await jsonRequest(
            "POST", till + "/v1/wishlist/anna", ["sku": "coffee-beans-500g"])
        #expect(scanned == 200, "\(wishlist)")
        let (refusedScan, notHanded) = try await jsonRequest("POST", till + "/v1/wishlist/ben", ["sku": "butter"])
        #expect(refusedScan == 403 && refusalMessage(notHanded).contains("scan their handoff code first"))
        #expect(
            try await eventually {
                _ = try world.run(["mobile", "sync", "--dir", world.phone, "--hub", url])
                let shown = try world.run(["mobile", "wishlist", "show", "--dir", world.phone])
                return shown.contains("butter") && shown.contains("coffee-beans-500g")
                    && shown.contains("added at store:berlin")
            })

        // An SKU with no stock here is refused with the reason.
        _ = try await jsonRequest("POST", till + "/v1/carts/c9/lines", ["sku": "butter", "quantity": 1])
        let (refused, refusal) = try await jsonRequest("POST", till + "/v1/carts/c9/checkout", [:])
        #expect(refused == 409 && refusalMessage(refusal).contains("SKU butter"), "\(refusal)")

        for server in [edge, hub] {
            let status = server.stop(SIGTERM)
            #expect(status == 0, "\(server.text)")
        }
    }

    @Test("a till refuses amounts out of range with 400 Bad Request and changes nothing: stock never wraps negative")
    func amountsOutOfRangeAreRefused() async throws {
        let retail = try RetailWorld()
        defer { withExtendedLifetime(retail) {} }
        let running = try await retail.startHubAndTill()
        let till = running.till
        #expect(try await jsonRequest("POST", till + "/v1/stock/milk/receipts", ["units": 10]).0 == 200)
        for units in [Int64.max, 1_000_000_001, 0, -1] {
            let (status, refusal) = try await jsonRequest("POST", till + "/v1/stock/milk/receipts", ["units": units])
            #expect(status == 400 && refusalMessage(refusal).contains("out of range"), "\(units): \(refusal)")
            #expect(try await jsonRequest("POST", till + "/v1/stock/milk/sales", ["units": units]).0 == 400)
            #expect(try await jsonRequest("POST", till + "/v1/loyalty/anna/redemptions", ["points": units]).0 == 400)
        }
        #expect(try await jsonRequest("GET", till + "/v1/stock/milk").1["level"] as? Int == 10)

        #expect(try await jsonRequest("POST", till + "/v1/carts/c1/lines", ["sku": "milk", "quantity": 4]).0 == 200)
        for quantity in [Int64.max, 1_000_000] {
            let (status, refusal) = try await jsonRequest(
                "POST", till + "/v1/carts/c1/lines", ["sku": "milk", "quantity": quantity])
            #expect(status == 400 && refusalMessage(refusal).contains("at most 1000000"), "\(refusal)")
        }
        #expect(try await jsonRequest("PUT", till + "/v1/carts/c1/lines/milk", ["quantity": Int64.max]).0 == 400)
        let lines = try await jsonRequest("GET", till + "/v1/carts/c1").1["lines"] as? [[String: Any]]
        #expect(lines?.map { $0["quantity"] as? Int } == [4])

        for server in [running.edge, running.hub] {
            let status = server.stop(SIGTERM)
            #expect(status == 0, "\(server.text)")
        }
    }

    @Test(
        "points earned at a Berlin till are redeemed at a Paris till through the hub, never beyond the balance; a price change reaches the tills while the order keeps its prices"
    )
    func pointsAcrossStoresAndPriceChanges() async throws {
        let retail = try RetailWorld()
        defer { withExtendedLifetime(retail) {} }
        let world = retail.world
        let parisDir = world.directory.file("till-paris")
        _ = try world.run([
            "edge", "init", "--dir", parisDir, "--tenant", "acme", "--device", "till-paris", "--store", "paris",
        ])
        _ = try world.run(["admin", "enroll", "--dir", world.hq, "--request", parisDir + "/request.json"])
        let (hub, hubPort) = try await world.startHub()
        try retail.publishCatalog(hubPort: hubPort)
        let (berlinEdge, berlin) = try await retail.store.startLinkedEdge(retail.store.till1, hubPort: hubPort)
        let (parisEdge, paris) = try await retail.store.startLinkedEdge(parisDir, hubPort: hubPort)

        // Anna buys in Berlin (a walk-in cart she owns): the till earns her points, then hands them to the hub.
        #expect(try await jsonRequest("POST", berlin + "/v1/stock/coffee-beans-500g/receipts", ["units": 10]).0 == 200)
        #expect(try await jsonRequest("POST", berlin + "/v1/carts", ["id": "c1", "customer": "anna"]).0 == 200)
        #expect(
            try await jsonRequest("POST", berlin + "/v1/carts/c1/lines", ["sku": "coffee-beans-500g", "quantity": 3]).0
                == 200)
        let (sold, order) = try await jsonRequest("POST", berlin + "/v1/carts/c1/checkout", ["order": "order-berlin-1"])
        #expect(sold == 200, "\(refusalMessage(order))")
        let points = try #require(order["points"] as? Int)
        let total = try #require(order["totalMinor"] as? Int)
        #expect(points > 10)
        #expect(
            try await eventually {
                try await jsonRequest("GET", berlin + "/v1/loyalty/anna").1["redeemableHere"] as? Int == 0
            }, "the Berlin till hands the points it earned to the hub")

        // In Paris she redeems them: the Paris till asks the hub for the rights.
        #expect(
            try await eventually {
                try await jsonRequest("GET", paris + "/v1/loyalty/anna").1["balance"] as? Int == points
            })
        // (The hub may still be applying Berlin's hand-in: the cashier tries again.)
        var balance: [String: Any] = [:]
        #expect(
            try await eventually {
                let (status, body) = try await jsonRequest(
                    "POST", paris + "/v1/loyalty/anna/redemptions", ["points": points - 5])
                balance = body
                return status == 200
            }, "\(refusalMessage(balance))")
        #expect(balance["balance"] as? Int == 5)
        let (refused, refusal) = try await jsonRequest("POST", paris + "/v1/loyalty/anna/redemptions", ["points": 6])
        #expect(refused == 409 && refusalMessage(refusal).contains("5 points"), "\(refusal)")
        #expect(
            try await eventually { try await jsonRequest("GET", berlin + "/v1/loyalty/anna").1["balance"] as? Int == 5 }
        )

        // At a Paris checkout she pays with points: 6 are refused and no order is made; her last 5 pay part of it.
        #expect(try await jsonRequest("POST", paris + "/v1/stock/coffee-beans-500g/receipts", ["units": 5]).0 == 200)
        #expect(try await jsonRequest("POST", paris + "/v1/carts", ["id": "c3", "customer": "anna"]).0 == 200)
        #expect(
            try await jsonRequest("POST", paris + "/v1/carts/c3/lines", ["sku": "coffee-beans-500g", "quantity": 1]).0
                == 200)
        let checkout = paris + "/v1/carts/c3/checkout"
        let (beyond, beyondBody) = try await jsonRequest(
            "POST", checkout, ["order": "order-paris-1", "redeemPoints": 1_000_000])
        #expect(beyond == 400 && refusalMessage(beyondBody).contains("more than the order's total"), "\(beyondBody)")
        let (short, shortfall) = try await jsonRequest(
            "POST", checkout, ["order": "order-paris-1", "redeemPoints": 6])
        #expect(short == 409 && refusalMessage(shortfall).contains("5 points"), "\(shortfall)")
        #expect(try await jsonRequest("GET", paris + "/v1/orders/order-paris-1").0 == 404, "no order is half made")
        #expect(try await jsonRequest("GET", paris + "/v1/stock/coffee-beans-500g").1["level"] as? Int == 5)
        var paid: [String: Any] = [:]
        #expect(
            try await eventually {
                let (status, body) = try await jsonRequest(
                    "POST", checkout, ["order": "order-paris-1", "redeemPoints": 5])
                paid = body
                return status == 200
            }, "\(refusalMessage(paid))")
        let paidTotal = try #require(paid["totalMinor"] as? Int)
        #expect(paid["pointsRedeemed"] as? Int == 5)
        #expect(paid["pointsValueMinor"] as? Int == 5)
        #expect(paid["amountDueMinor"] as? Int == paidTotal - 5)
        let earned = try #require(paid["points"] as? Int)
        #expect(
            try await eventually {
                try await jsonRequest("GET", berlin + "/v1/loyalty/anna").1["balance"] as? Int == earned
            }, "the hub and Berlin see the points paid and earned in Paris")
        let (_, kept3) = try await jsonRequest("GET", paris + "/v1/orders/order-paris-1")
        #expect(kept3["pointsRedeemed"] as? Int == 5)

        // Head office changes the coffee's price: both tills price a new cart with it; the order keeps its total.
        let edited = try CatalogCommandTests.sample(in: world.directory.path, pricing: "coffee-beans-500g", at: 1_234)
        _ = try world.run([
            "admin", "catalog", "import", "--dir", world.hq, "--from", edited, "--hub",
            "ws://127.0.0.1:\(hubPort)/v1/sync",
        ])
        for till in [berlin, paris] {
            #expect(
                try await eventually {
                    _ = try await jsonRequest(
                        "POST", till + "/v1/carts/c2/lines", ["sku": "coffee-beans-500g", "quantity": 1])
                    let lines = try await jsonRequest("GET", till + "/v1/carts/c2").1["lines"] as? [[String: Any]]
                    return lines?.first?["unitPriceMinor"] as? Int == 1_234
                }, "\(till) never priced the coffee at 12.34")
        }
        let (_, kept) = try await jsonRequest("GET", berlin + "/v1/orders/order-berlin-1")
        #expect(kept["totalMinor"] as? Int == total, "the order keeps the prices it was sold at")

        for server in [berlinEdge, parisEdge, hub] {
            let status = server.stop(SIGTERM)
            #expect(status == 0, "\(server.text)")
        }
    }
}
