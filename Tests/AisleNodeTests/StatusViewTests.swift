import AisleCore
import AisleCrypto
@_spi(Testing) import AisleNode
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

    @Test(
        "a phone that connected, never wrote and has gone is listed with its role and certificate expiry: the hub kept its certificate with its first report"
    )
    func goneDeviceWithoutChangesHasItsRole() async throws {
        let chain = try TestTenant()
        let anna: CustomerID = "anna"
        let phone = try chain.node(
            "phone-anna", .mobile, [.exactly(.customer(anna))], keys: [.customer(anna)], notAfter: TestTenant.now + 9)
        let hub = try chain.node("hub", .hub, [.allStores], keys: [])
        try await MemoryLink(phone, hub) { _ in [.customer(anna)] }.connect()
        #expect(hub.trustSnapshot.certificates[phone.identity.certificate.id] != nil)

        let status = try await hub.syncStatus(connected: [])
        #expect(status.map(\.device) == ["phone-anna"])
        #expect(status.first?.role == "mobile")
        #expect(status.first?.connected == false)
        #expect(status.first?.certificateExpiresMillis == TestTenant.now + 9)
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

    @Test(
        "a device's lag is what it has not acknowledged of others' changes, from its newest report written or pending, worst first"
    )
    func lagFromTheNewestReport() async throws {
        let chain = try TestTenant()
        let minute: UInt64 = 60_000
        let scope = Scope.store("berlin")
        let till1 = try chain.node("till-1", .pos, [.exactly(scope)], keys: [scope])
        let till2 = try chain.node("till-2", .pos, [.exactly(scope)], keys: [scope])
        let hub = try chain.node("hub", .hub, [.allStores], keys: [scope], wallClock: { TestTenant.now + minute })
        try await chain.introduce([till1, till2, hub])
        till1.sealEachChangeAsWritten()
        for _ in 0..<3 { try await till1.store.receiveStock(1, of: "milk", in: "berlin") }
        try await hub.receive(try await till1.envelopes(in: scope, missingFrom: VersionVector()))

        // Till 1 holds all it wrote (its own changes never count); till 2 first reported nothing,
        // written at once, then the first change, pending in memory.
        try await hub.acknowledged(scope, by: till1.identity.certificate, VersionVector(["till-1": 3]))
        try await hub.acknowledged(scope, by: till2.identity.certificate, VersionVector())
        try await hub.acknowledged(scope, by: till2.identity.certificate, VersionVector(["till-1": 1]))

        let status = try await hub.syncStatus(connected: [])
        #expect(status.map(\.device) == ["till-2", "till-1"])
        #expect(status.map(\.lagChanges) == [2, 0])
        #expect(status.map(\.lagSeconds) == [60, 0])
        #expect(status.allSatisfy { !$0.connected && $0.lastContactMillis == TestTenant.now + minute })
    }
}
