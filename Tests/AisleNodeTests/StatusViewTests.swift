import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleTesting
import Testing

@Suite("The hub's sync-status view")
struct StatusViewTests {
    @Test(
        "a connected device that never sent a change is listed with the role and store its session's certificate shows")
    func connectedDeviceWithoutChangesHasItsRole() async throws {
        let chain = try TestTenant()
        let hub = try chain.node("hub", .hub, [.allStores], keys: [.store("berlin")])
        let till = try chain.node("till-1", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")])
        #expect(hub.trustSnapshot.certificates[till.identity.certificate.id] == nil)

        let status = try await hub.syncStatus(connected: [till.identity.certificate])
        #expect(status.map(\.device) == ["till-1"])
        #expect(status.first?.role == "pos")
        #expect(status.first?.stores == ["berlin"])
        #expect(status.first?.connected == true)
        #expect(status.first?.lastContactMillis == TestTenant.now)
    }

    @Test("a device enrolled again is shown with its latest certificate, and not as revoked while that one is live")
    func latestCertificateGivesTheRole() async throws {
        let chain = try TestTenant()
        let hub = try chain.node("hub", .hub, [.allStores], keys: [.store("berlin")])
        let old = chain.certificate("till-1", .pos, [.exactly(.store("berlin"))], SigningKeyPair())
        let new = chain.certificate(
            "till-1", .kiosk, [.exactly(.store("hamburg"))], SigningKeyPair(), notAfter: TestTenant.now + 172_800_000)
        try await hub.learn(new)
        try await hub.learn(old)
        try hub.apply(RevocationList(tenant: "acme", revoked: [old.id], admin: chain.admin.signing))

        let status = try await hub.syncStatus(connected: [old])
        #expect(status.first?.role == "kiosk")
        #expect(status.first?.stores == ["hamburg"])
        #expect(status.first?.revoked == nil)
    }
}
