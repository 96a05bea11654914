import AisleTesting
import Foundation
import Testing

@Suite("Renewing certificates, with real processes")
struct CertificateRenewalTests {
    @Test(
        "a till whose certificate expires within 30 days warns and shows it; aisle admin renew renews only it, with the same keys, and the hub takes the till with the renewed certificate"
    )
    func expiringTillIsRenewed() async throws {
        let store = try StoreWorld()
        defer { withExtendedLifetime(store) {} }
        let world = store.world
        let till3 = world.directory.file("till-3")
        _ = try world.run([
            "edge", "init", "--dir", till3, "--tenant", "acme", "--device", "till-3", "--store", "berlin",
        ])
        _ = try world.run(["admin", "enroll", "--dir", world.hq, "--request", till3 + "/request.json", "--days", "10"])
        let (hub, hubPort) = try await world.startHub()
        let hubURL = "ws://127.0.0.1:\(hubPort)/v1/sync"

        var (edge, port) = try await store.startEdge(till3, hubPort: hubPort)
        #expect(try await hubLink(of: "http://127.0.0.1:\(port)"))
        #expect(edge.text.contains("certificate expires soon"), "\(edge.text)")
        let days =
            try await Exposition.scrape("http://127.0.0.1:\(port)/metrics").sum(
                "aisle_certificate_expiry_seconds") / 86_400
        #expect(days > 9.9 && days <= 10, "\(days)")
        #expect(
            try await eventually {
                try world.run(["admin", "status", "--hub", hubURL]).contains("RENEW: expires in 9 d")
            })

        let registered = try Data(contentsOf: URL(fileURLWithPath: world.hq + "/devices/till-3.cert"))
        let planned = try world.run(["admin", "renew", "--dir", world.hq, "--dry-run"])
        #expect(planned.contains("would renew 1 certificates"), "\(planned)")
        #expect(planned.contains("due      till-3: was to expire in 9 days"), "\(planned)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: world.hq + "/devices/till-3.cert")) == registered)
        let renewed = try world.run(["admin", "renew", "--dir", world.hq])
        #expect(renewed.contains("renewed 1 certificates"), "\(renewed)")
        #expect(renewed.contains("renewed  till-3: was to expire in 9 days, now valid 365 days"), "\(renewed)")
        #expect(renewed.contains("skipped  till-1: not due"), "\(renewed)")
        #expect(renewed.contains("skipped  hub-1: not due"), "\(renewed)")
        let (unknownStatus, unknown) = try AisleCommandTests.run([
            "admin", "renew", "--dir", world.hq, "--device", "till-9",
        ])
        #expect(unknownStatus != 0 && unknown.contains("not enrolled here: till-9"), "\(unknown)")

        // Installed on the till, which restarts with the same key.
        #expect(edge.stop(SIGTERM) == 0, "\(edge.text)")
        for (from, to) in [("till-3.cert", "device.cert"), ("till-3.bundle", "device.bundle")] {
            try FileManager.default.removeItem(atPath: till3 + "/" + to)
            try FileManager.default.copyItem(atPath: world.hq + "/devices/" + from, toPath: till3 + "/" + to)
        }
        (edge, port) = try await store.startEdge(till3, hubPort: hubPort)
        #expect(try await hubLink(of: "http://127.0.0.1:\(port)"))
        #expect(!edge.text.contains("certificate expires soon"), "\(edge.text)")
        let renewedDays =
            try await Exposition.scrape("http://127.0.0.1:\(port)/metrics").sum(
                "aisle_certificate_expiry_seconds") / 86_400
        #expect(renewedDays > 364, "\(renewedDays)")
        let json = try world.run(["admin", "status", "--hub", hubURL])
        #expect(json.contains("expires in 364 d") && !json.contains("RENEW"), "\(json)")

        for server in [edge, hub] { #expect(server.stop(SIGTERM) == 0, "\(server.text)") }
    }
}
