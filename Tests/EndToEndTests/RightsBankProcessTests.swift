import AisleTesting
import Foundation
import Testing

@Suite("Stock rights through the hub's bank, with real processes")
struct RightsBankProcessTests {
    @Test(
        "goods received at one till become selling rights at the other through the hub; offline, a till sells within its rights and says what to do"
    )
    func rightsTravelAndOfflineSalesStayWithinThem() async throws {
        let store = try StoreWorld()
        defer { withExtendedLifetime(store) {} }
        let (hub, hubPort) = try await store.world.startHub()
        let (edge1, port1) = try await store.startEdge(store.till1, hubPort: hubPort)
        let (edge2, port2) = try await store.startEdge(store.till2, hubPort: hubPort)
        let till1 = "http://127.0.0.1:\(port1)"
        let till2 = "http://127.0.0.1:\(port2)"
        for till in [till1, till2] {
            #expect(
                try await hubLink(of: till))
        }

        // Goods in at till 1: it keeps its share, hands the rest to the hub, which tops up till 2.
        let (received, stock) = try await jsonRequest("POST", till1 + "/v1/stock/milk/receipts", ["units": 20])
        #expect(received == 200, "\(stock)")
        #expect(
            try await eventually {
                let view = try await jsonRequest("GET", till2 + "/v1/stock/milk").1
                return view["level"] as? Int == 20 && (view["sellableHere"] as? Int ?? 0) > 0
            })
        // Till 1 sees till 2 join and hands in beyond its new share: neither holds it all.
        #expect(
            try await eventually {
                (try await jsonRequest("GET", till1 + "/v1/stock/milk").1["sellableHere"] as? Int ?? 20) <= 8
            })

        // Online, till 2 sells more than it holds: it asks the hub, which grants from its reserve.
        let held = try await jsonRequest("GET", till2 + "/v1/stock/milk").1["sellableHere"] as? Int ?? 0
        let (status, afterSale) = try await jsonRequest("POST", till2 + "/v1/stock/milk/sales", ["units": held + 1])
        #expect(status == 200, "\(refusalMessage(afterSale))")

        // The hub dies. Each till sells what it holds and no more; the refusal says what to do.
        hub.stop(SIGKILL)
        var sold = held + 1
        for till in [till1, till2] {
            #expect(
                try await hubLink(of: till, is: false))
            let sellable = try #require(try await jsonRequest("GET", till + "/v1/stock/milk").1["sellableHere"] as? Int)
            if sellable > 0 {
                #expect(try await jsonRequest("POST", till + "/v1/stock/milk/sales", ["units": sellable]).0 == 200)
                sold += sellable
            }
        }
        let (refused, refusal) = try await jsonRequest("POST", till2 + "/v1/stock/milk/sales", ["units": 1])
        #expect(refused == 409)
        #expect(refusalMessage(refusal).contains("0 sellable on this till while offline"), "\(refusalMessage(refusal))")
        #expect(refusalMessage(refusal).contains("reconnect"), "\(refusalMessage(refusal))")

        // The hub returns: every till agrees on what is left, which is what was received less what
        // was sold, never below zero (what the hub held in reserve is still there).
        let back = try ServerProcess(
            AisleCommandTests.executable,
            ["hub", "serve", "--config", store.world.hub + "/hub.json", "--port", "\(hubPort)"])
        _ = try #require(try await back.listeningPort())
        #expect(sold <= 20)
        for till in [till1, till2] {
            #expect(
                try await eventually {
                    try await jsonRequest("GET", till + "/v1/stock/milk").1["level"] as? Int == 20 - sold
                }, "\(till) never reached \(20 - sold)")
        }
        for server in [edge1, edge2, back] {
            let status = server.stop(SIGTERM)
            #expect(status == 0, "\(server.text)")
        }
    }
}
