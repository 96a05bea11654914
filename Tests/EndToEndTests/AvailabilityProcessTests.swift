import AisleTesting
import Foundation
import Testing

/// `GET /v1/availability` on a real hub and `aisle mobile find`, with the sample catalog published
/// and stock received at a real Berlin till.
@Suite("Nearest store with stock, with real processes")
struct AvailabilityProcessTests {
    /// Near the Louvre, Paris.
    static let nearParis = "48.8566,2.3522"

    @Test(
        "near Paris, Paris comes first marked out of stock and Berlin lists what its till received; an unknown SKU is refused"
    )
    func nearestStoreWithStock() async throws {
        let store = try StoreWorld()
        defer { withExtendedLifetime(store) {} }
        let world = store.world
        let (hub, hubPort) = try await world.startHub()
        let url = "ws://127.0.0.1:\(hubPort)/v1/sync"
        _ = try world.run([
            "admin", "catalog", "import", "--dir", world.hq, "--from", CatalogCommandTests.sample, "--hub", url,
        ])
        let (edge, till) = try await store.startLinkedEdge(store.till1, hubPort: hubPort)
        #expect(try await jsonRequest("POST", till + "/v1/stock/oat-milk/receipts", ["units": 12]).0 == 200)

        // The hub knows the receipt once the till has synced it.
        let api = "http://127.0.0.1:\(hubPort)/v1/availability"
        #expect(
            try await eventually {
                let (_, body) = try await jsonRequest("GET", api + "?sku=oat-milk&near=\(Self.nearParis)")
                return (body["stores"] as? [[String: Any]])?.last?["quantity"] as? Int == 12
            })

        // Sunday 11:00: Paris is open (09:00-13:00), Berlin is closed on Sundays.
        let (status, body) = try await jsonRequest(
            "GET", api + "?sku=oat-milk&near=\(Self.nearParis)&localTime=2025-06-08T11:00")
        #expect(status == 200, "\(body)")
        #expect(body["product"] as? String == "Oat drink barista 1 l")
        #expect(body["localTime"] as? String == "2025-06-08T11:00")
        let stores = try #require(body["stores"] as? [[String: Any]])
        #expect(stores.map { $0["id"] as? String } == ["paris", "lyon", "amsterdam", "munich", "hamburg", "berlin"])
        #expect(stores[0]["quantity"] as? Int == 0 && stores[0]["inStock"] as? Bool == false)
        #expect(stores[0]["distanceMetres"] as? Int == 115)
        #expect(stores[0]["hours"] as? String == "Mo-Sa 08:30-21:30; Su 09:00-13:00")
        #expect(stores[0]["openNow"] as? Bool == true)
        #expect(stores[5]["quantity"] as? Int == 12 && stores[5]["inStock"] as? Bool == true)
        #expect(stores[5]["openNow"] as? Bool == false)

        let found = try world.run([
            "mobile", "find", "oat-milk", "--near", Self.nearParis, "--hub", url, "--at", "2025-06-08T11:00",
        ])
        let lines = found.split(separator: "\n").map(String.init)
        let paris = try #require(lines.firstIndex { $0.contains("Aisle Paris Rivoli (paris)") }, "\(found)")
        let berlin = try #require(lines.firstIndex { $0.contains("Aisle Berlin Alexanderplatz (berlin)") }, "\(found)")
        #expect(paris < berlin, "nearest first: \(found)")
        #expect(lines[paris].contains("0.1 km  out of stock") && lines[paris].hasSuffix("open"), "\(found)")
        #expect(lines[berlin].contains("878.1 km  12") && lines[berlin].hasSuffix("closed"), "\(found)")
        #expect(found.contains("nearest with stock: Aisle Berlin Alexanderplatz, 878.1 km, 12 in stock"), "\(found)")

        // Only stores with stock, asking the HTTP API by its own address.
        let inStock = try world.run([
            "mobile", "find", "oat-milk", "--near", Self.nearParis, "--hub-http", "http://127.0.0.1:\(hubPort)",
            "--in-stock-only",
        ])
        #expect(inStock.contains("Aisle Berlin Alexanderplatz (berlin)"), "\(inStock)")
        #expect(!inStock.contains("(paris)"), "\(inStock)")

        // Refusals: plain sentences in the CLI, typed errors on the API.
        let unknown = try AisleCommandTests.run(["mobile", "find", "oat-mlk", "--near", Self.nearParis, "--hub", url])
        #expect(unknown.status != 0)
        #expect(
            unknown.output.contains("SKU 'oat-mlk' is not in the catalog, so no store sells it: check the spelling"),
            "\(unknown.output)")
        let badPlace = try AisleCommandTests.run(["mobile", "find", "oat-milk", "--near", "Paris", "--hub", url])
        #expect(badPlace.status != 0)
        #expect(badPlace.output.contains("'Paris' is not a location"), "\(badPlace.output)")
        let noHub = try AisleCommandTests.run([
            "mobile", "find", "oat-milk", "--near", Self.nearParis, "--hub", "ws://127.0.0.1:1/v1/sync",
        ])
        #expect(noHub.status != 0)
        #expect(noHub.output.contains("could not reach the hub at http://127.0.0.1:1"), "\(noHub.output)")

        for (query, expectedStatus, code) in [
            ("?near=\(Self.nearParis)", 400, "missingParameter"),
            ("?sku=oat-milk", 400, "missingParameter"),
            ("?sku=oat%20milk&near=\(Self.nearParis)", 400, "invalidSKU"),
            ("?sku=oat-milk&near=91,0", 400, "invalidLocation"),
            ("?sku=oat-milk&near=\(Self.nearParis)&localTime=2025-06-08T11:00Z", 400, "invalidLocalTime"),
            ("?sku=oat-milk&near=\(Self.nearParis)&inStockOnly=yes", 400, "invalidParameter"),
            ("?sku=oat-mlk&near=\(Self.nearParis)", 404, "unknownSKU"),
        ] {
            let (status, body) = try await jsonRequest("GET", api + query)
            let error = body["error"] as? [String: Any]
            #expect(status == expectedStatus, "\(query): \(body)")
            #expect(error?["code"] as? String == code, "\(query): \(body)")
            #expect((error?["message"] as? String)?.isEmpty == false, "\(query): \(body)")
        }

        for server in [edge, hub] {
            let stopped = server.stop(SIGTERM)
            #expect(stopped == 0, "\(server.text)")
        }
    }
}
