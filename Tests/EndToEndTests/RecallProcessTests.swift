import AisleTesting
import Foundation
import Testing

@Suite("Rights recall for click and collect, with real processes")
struct RecallProcessTests {
    @Test(
        "a reservation the hub cannot cover from its own rights is placed with the rights the store's till hands in; with the till offline it is refused"
    )
    func reservationServedThroughARecall() async throws {
        let retail = try RetailWorld()
        defer { withExtendedLifetime(retail) {} }
        let world = retail.world
        let running = try await retail.startHubAndTill()
        let (hub, edge, till, url) = (running.hub, running.edge, running.till, running.url)

        // Goods in at the till: it keeps its share (8 of 10) and hands the hub only 2.
        #expect(try await jsonRequest("POST", till + "/v1/stock/oat-milk/receipts", ["units": 10]).0 == 200)
        #expect(
            try await eventually {
                try await jsonRequest("GET", till + "/v1/stock/oat-milk").1["sellableHere"] as? Int == 8
            })

        // The phone reserves 5: the hub holds 2, recalls 3 from the till, and places it.
        let reserved = try world.run([
            "mobile", "reserve", "--dir", world.phone, "oat-milk", "5", "--store", "berlin", "--hub", url,
        ])
        #expect(reserved.contains("reserved 5 × oat-milk at berlin for anna"), "\(reserved)")
        #expect(
            try await eventually {
                let view = try await jsonRequest("GET", till + "/v1/stock/oat-milk").1
                return view["level"] as? Int == 5 && (view["sellableHere"] as? Int ?? 0) > 0
            }, "the till keeps rights to sell the rest")

        // The till goes offline: it cannot answer, and a reservation beyond the hub's rights is refused.
        #expect(edge.stop(SIGTERM) == 0, "\(edge.text)")
        let refused = try AisleCommandTests.run([
            "mobile", "reserve", "--dir", world.phone, "oat-milk", "4", "--store", "berlin", "--hub", url,
        ])
        #expect(refused.status != 0 && refused.output.contains("berlin can set aside"), "\(refused.output)")
        #expect(hub.stop(SIGTERM) == 0, "\(hub.text)")
    }
}
