import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleSync
import AisleTesting
import Testing

/// A sync session checks its peer against what its node trusts at that moment (``SharedTrust``),
/// not against a copy taken when the connection was made.
@Suite("Sync sessions judge by their node's trust now")
struct SharedTrustTests {
    @Test("a handoff grant the hub learns from the phone lets a till that was already connected follow the customer")
    func grantLearntLaterLetsAConnectedTillFollow() async throws {
        let chain = try TestTenant()
        let anna = Scope.customer("anna")
        let hub = try chain.node("hub", .hub, [.allStores], keys: [.store("berlin")])
        let peers = [hub.identity.certificate]
        let phone = try chain.node("phone-anna", .mobile, [.exactly(anna)], keys: [anna], peers: peers)
        let till = try chain.node("till-1", .pos, [.exactly(.store("berlin"))], keys: [anna], peers: peers)
        try await phone.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
            try cart.add("milk", quantity: 2, at: me)
        }

        let counter = MemoryLink(till, hub, scopes: { _ in [.store("berlin")] })
        try await counter.connect()

        // The phone shows the hub its grant on a connection of its own, with its cart.
        let grant = HandoffGrant(
            scope: anna, to: "berlin", until: TestTenant.now + 3_600_000, by: phone.identity.certificate,
            signing: phone.identity.signing)
        let app = MemoryLink(phone, hub, scopes: { _ in [anna] })
        try await app.connect()
        try await app.connections[0].use(grant, grantor: phone.identity.certificate)
        try await app.pump()
        #expect(hub.grants(for: anna).map(\.id) == [grant.id])

        // The till asks for the cart on the connection it opened before the hub had the grant.
        try await counter.connections[0].follow(anna)
        try await counter.pump()
        #expect(await counter.connections[0].ended == nil)
        #expect(await counter.connections[0].hasCaughtUp(anna))
        #expect(try till.store.cart("c1", in: .customer("anna"))?.cart.visibleLines.map(\.quantity) == [2])
    }

    @Test("a till revoked after its connection was made, before the handshake, is refused at the handshake")
    func revocationLearntBeforeTheHandshakeRefuses() async throws {
        let chain = try TestTenant()
        let hub = try chain.node("hub", .hub, [.allStores], keys: [.store("berlin")])
        let till = try chain.node(
            "till-1", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")], peers: [hub.identity.certificate])
        let link = MemoryLink(till, hub, scopes: { _ in [.store("berlin")] })

        try hub.apply(
            RevocationList(tenant: "acme", revoked: [till.identity.certificate.id], admin: chain.admin.signing))
        await #expect(throws: SyncError.self) { try await link.connect() }
        #expect(await link.connections[1].ended == .peerRefused(.certificateRevoked("till-1")))
        #expect(await link.connections[1].peer == nil)
    }
}
