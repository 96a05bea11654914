import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleTesting
import Testing

/// Every cart handoff makes a grant. A node holds in memory only those in force or ended within
/// ``ReplicaNode/grantMemory``, and reads older ones from its store when a change needs them.
@Suite("Handoff grants held in memory only while they matter")
struct GrantMemoryTests {
    /// Anna's phone hands her cart to till-1 of Berlin, which adds a line under the grant and syncs
    /// with the hub while the grant is in force; the clock is `time`.
    static func tillEditedAnnasCart(_ time: SharedWallClock) async throws -> (
        TestTenant, ReplicaNode, ReplicaNode, ReplicaNode, HandoffGrant
    ) {
        let chain = try TestTenant()
        let anna = Scope.customer("anna")
        let clock = time.read
        let (hub, phone) = try chain.hubAndAnnasPhone(wallClock: clock)
        let till = try chain.node(
            "till-1", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")], peers: [hub.identity.certificate],
            wallClock: clock)
        try await phone.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
            try cart.add("milk", quantity: 2, at: me)
        }
        let handoff = try phone.handoff(of: "c1", in: "anna", to: "berlin")
        try await till.accept(handoff)
        try await MemoryLink(phone, hub, scopes: { _ in [anna] }).connect()
        try await MemoryLink(till, hub, scopes: { _ in [.store("berlin"), anna] }).connect()
        try await till.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
            try cart.add("bread", quantity: 1, at: me)
        }
        try await MemoryLink(till, hub, scopes: { _ in [.store("berlin"), anna] }).connect()
        #expect(try hub.store.scopes().contains(anna))
        return (chain, hub, phone, till, handoff.grant)
    }

    /// Bob hands a cart to till-1: a grant the hub learns, which sets off its sweep.
    static func bobHandsACart(_ chain: TestTenant, _ hub: ReplicaNode, _ time: SharedWallClock) async throws {
        let bob = Scope.customer("bob")
        let phone = try chain.node(
            "phone-bob", .mobile, [.exactly(bob)], keys: [bob], peers: [hub.identity.certificate],
            wallClock: time.read)
        let grant = try phone.handoff(of: "c2", in: "bob", to: "berlin").grant
        try await hub.learn([.certificate(phone.identity.certificate), .grant(grant)])
    }

    @Test(
        "three hours on, the hub has forgotten Anna's grant, and still sends the till's line to her new phone with the grant it stands on, before and after a restart"
    )
    func forgottenGrantSentWithTheChangeItCovers() async throws {
        let time = SharedWallClock()
        let (chain, hub, _, _, grant) = try await Self.tillEditedAnnasCart(time)
        let anna = Scope.customer("anna")
        #expect(hub.grants(for: anna).map(\.id) == [grant.id])

        time.advance(by: 3 * 3_600_000)
        try await Self.bobHandsACart(chain, hub, time)
        #expect(hub.grants(for: anna).isEmpty)
        #expect(hub.grants(for: .customer("bob")).count == 1)

        for node in [
            hub,
            try ReplicaNode(store: hub.store, identity: hub.identity, trust: chain.trust(keys: [], certificates: [])),
        ] {
            #expect(node.grants(for: anna).isEmpty)
            let newPhone = try chain.node(
                ReplicaID(stringLiteral: "phone-anna-\(node === hub ? 2 : 3)"), .mobile, [.exactly(anna)], keys: [anna],
                peers: [hub.identity.certificate], wallClock: time.read)
            let link = MemoryLink(newPhone, node, scopes: { _ in [anna] })
            try await link.connect()
            #expect(await link.connections[0].ended == nil)
            let lines = try newPhone.store.cart("c1", in: .customer("anna"))?.cart.visibleLines.map(\.sku)
            #expect(Set(lines ?? []) == ["milk", "bread"])
            // Kept, and, ended long ago, not held in memory.
            #expect(try newPhone.store.trusted(kind: ReplicaNode.grantKind) == [grant.canonicalBytes])
            #expect(newPhone.grants(for: anna).isEmpty)
        }
    }

    @Test("a node that forgot a grant reads it back from its store to check a till's change that stands on it")
    func forgottenGrantReadBackToCheck() async throws {
        let time = SharedWallClock()
        let (chain, hub, _, till, _) = try await Self.tillEditedAnnasCart(time)
        let anna = Scope.customer("anna")
        let tillChanges = try await till.envelopes(in: anna, missingFrom: VersionVector())
            .filter { $0.header.origin == "till-1" }
        #expect(!tillChanges.isEmpty)

        time.advance(by: 3 * 3_600_000)
        try await Self.bobHandsACart(chain, hub, time)
        let restarted = try ReplicaNode(
            store: hub.store, identity: hub.identity, trust: chain.trust(keys: [], certificates: []))
        #expect(restarted.grants(for: anna).isEmpty)
        // Passed on again (a second hub process reading the shared journal does this): checked
        // against the grant in the store, and a duplicate.
        let outcomes = try await restarted.receive(
            tillChanges, from: chain.certificate("hub-2", .hub, [.allStores], SigningKeyPair()))
        #expect(outcomes.count == tillChanges.count)
        #expect(restarted.grants(for: anna).isEmpty)
    }

    @Test(
        "a grant kept without its scope and end (as before they were noted) is read at the next start, its end noted, and left on disk once ended"
    )
    func grantKeptBeforeItsEndWasNoted() async throws {
        let time = SharedWallClock()
        let (chain, anna, phone, _, hub, grant) = try KeptTrustTests.annaTillAndHub()
        try await hub.learn(phone.identity.certificate)
        let admin = hub.trustSnapshot.admin.bytes
        try await hub.store.keepTrusted(
            [TrustedRow(kind: ReplicaNode.grantKind, id: grant.id, bytes: grant.canonicalBytes)], checkedBy: admin)
        #expect(try hub.store.trustedRecords(kind: ReplicaNode.grantKind).map(\.noted) == [false])

        let started = try ReplicaNode(
            store: hub.store, identity: hub.identity, trust: chain.trust(keys: [], certificates: []))
        #expect(started.grants(for: anna).map(\.id) == [grant.id])
        #expect(try hub.store.trustedRecords(kind: ReplicaNode.grantKind).map(\.noted) == [true])
        #expect(try hub.store.trustedRecords(kind: ReplicaNode.grantKind, scopes: [anna.description]).count == 1)

        // Three hours on (the grant ran for one), a start leaves it on disk.
        time.advance(by: 3 * 3_600_000)
        let later = try ReplicaStore(
            StoreConfiguration(path: chain.directory.file("hub.db")), replica: "hub", wallClock: time.read)
        let restarted = try ReplicaNode(
            store: later, identity: hub.identity, trust: chain.trust(keys: [], certificates: []))
        #expect(restarted.grants(for: anna).isEmpty)
        // The phone's certificate too: read back when a change needs it.
        #expect(restarted.trustSnapshot.certificates[phone.identity.certificate.id] == nil)
        #expect(
            try later.trustedRecords(kind: ReplicaNode.certificateKind, ids: [phone.identity.certificate.id]).count == 1
        )
    }
}
