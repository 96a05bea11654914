import AisleTesting
import Foundation
import Testing

@Suite("Renewing certificates, with real processes")
struct CertificateRenewalTests {
    @Test(
        "a till whose certificate expires within 30 days warns and shows it; aisle admin renew renews only it, with the same keys, and publishes it in the catalog; sent to the hub, it reaches the running till, which takes it and keeps it in its device.cert"
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

        var (edge, till) = try await store.startLinkedEdge(till3, hubPort: hubPort)
        #expect(edge.text.contains("certificate expires soon"), "\(edge.text)")
        let days =
            try await Exposition.scrape(till + "/metrics").sum(
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
        #expect(renewed.contains("published 1 renewed certificates in the catalog"), "\(renewed)")
        #expect(renewed.contains("not sent"), "\(renewed)")
        let (unknownStatus, unknown) = try AisleCommandTests.run([
            "admin", "renew", "--dir", world.hq, "--device", "till-9",
        ])
        #expect(unknownStatus != 0 && unknown.contains("not enrolled here: till-9"), "\(unknown)")

        let first = try Data(contentsOf: URL(fileURLWithPath: till3 + "/device.cert"))
        // Sent to the hub, the renewal reaches the till with the catalog: it takes it while it
        // runs, and keeps it in its device.cert; nothing is installed by hand.
        let sent = try world.run(["admin", "renew", "--dir", world.hq, "--device", "till-3", "--hub", hubURL])
        #expect(sent.contains("the hub holds the renewals"), "\(sent)")
        #expect(
            try await eventually {
                try await Exposition.scrape(till + "/metrics").sum("aisle_certificate_expiry_seconds")
                    / 86_400 > 364
            }, "\(edge.text)")
        #expect(edge.text.contains("certificate renewed by head office"), "\(edge.text)")
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: till3 + "/device.cert"))
                == Data(contentsOf: URL(fileURLWithPath: world.hq + "/devices/till-3.cert")))
        #expect(
            try await eventually {
                let status = try world.run(["admin", "status", "--hub", hubURL])
                return status.contains("expires in 364 d") && !status.contains("RENEW")
            })

        // Restarted, it starts with the renewed certificate.
        #expect(edge.stop(SIGTERM) == 0, "\(edge.text)")
        (edge, till) = try await store.startLinkedEdge(till3, hubPort: hubPort)
        #expect(!edge.text.contains("certificate expires soon"), "\(edge.text)")

        // Revoked by its first certificate, the till loses its renewed one too.
        let old = world.directory.file("till-3-first.cert")
        try first.write(to: URL(fileURLWithPath: old))
        let revoked = try world.run(["admin", "revoke", "--dir", world.hq, "--certificate", old, "--hub", hubURL])
        #expect(revoked.components(separatedBy: "revoked pos till-3").count == 3, "\(revoked)")
        #expect(try await hubLink(of: till, is: false))

        for server in [edge, hub] { #expect(server.stop(SIGTERM) == 0, "\(server.text)") }
    }
}
