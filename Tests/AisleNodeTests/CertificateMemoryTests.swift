import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleTesting
import PropertyBased
import Testing

/// A hub hears from every phone of the chain's customers. It holds in memory the certificates of
/// the terminals and of the phones it used within ``ReplicaNode/certificateMemory`` (or two), and
/// reads a phone's back from its store when a change, a grant or a peer needs it.
@Suite("Phones' certificates held in memory only while they are used")
struct CertificateMemoryTests {
    /// A hub and Anna's phone, on one clock; the phone has put 2 milk in her cart and synced.
    static func annaSynced(_ time: SharedWallClock) async throws -> (TestTenant, ReplicaNode, ReplicaNode) {
        let chain = try TestTenant()
        let anna = Scope.customer("anna")
        let (hub, phone) = try chain.hubAndAnnasPhone(wallClock: time.read)
        try await phone.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
            try cart.add("milk", quantity: 2, at: me)
        }
        try await MemoryLink(phone, hub, scopes: { _ in [anna] }).connect()
        return (chain, hub, phone)
    }

    /// Lets two of ``ReplicaNode/certificateMemory`` pass, with a kiosk learnt after each (what
    /// sets a sweep off): the hub forgets the phones it did not use meanwhile.
    static func timePasses(_ chain: TestTenant, _ hub: ReplicaNode, _ time: SharedWallClock) async throws {
        for round in 0..<2 {
            time.advance(by: ReplicaNode.certificateMemory + 1)
            try await hub.learn(
                chain.certificate(
                    ReplicaID(stringLiteral: "kiosk-\(time.now)-\(round)"), .kiosk, [.exactly(.store("berlin"))],
                    SigningKeyPair()))
        }
    }

    static func holds(_ node: ReplicaNode, _ certificate: Certificate) -> Bool {
        node.trustSnapshot.certificates[certificate.id] != nil
    }

    @Test(
        "a hub forgets a phone's certificate it has not used lately, keeps it in its store, and reads it back to send the phone's changes to Anna's tablet"
    )
    func forgottenCertificateSentWithTheChangesItSigned() async throws {
        let time = SharedWallClock()
        let (chain, hub, phone) = try await Self.annaSynced(time)
        let anna = Scope.customer("anna")
        let certificate = phone.identity.certificate
        #expect(Self.holds(hub, certificate))

        try await Self.timePasses(chain, hub, time)
        #expect(!Self.holds(hub, certificate))
        #expect(try hub.store.trustedRecords(kind: ReplicaNode.certificateKind, ids: [certificate.id]).count == 1)

        let tablet = try chain.node(
            "tablet-anna", .mobile, [.exactly(anna)], keys: [anna], peers: [hub.identity.certificate],
            wallClock: time.read)
        let link = MemoryLink(tablet, hub, scopes: { _ in [anna] })
        try await link.connect()
        #expect(await link.connections[0].ended == nil)
        #expect(try tablet.store.cart("c1", in: .customer("anna"))?.cart.visibleLines.map(\.sku) == ["milk"])
        #expect(Self.holds(hub, certificate))
    }

    @Test(
        "a restarted hub holds the terminals' certificates and no phone's, and reads a phone's back to check the change it signed"
    )
    func restartHoldsNoPhones() async throws {
        let time = SharedWallClock()
        let (chain, hub, phone) = try await Self.annaSynced(time)
        let anna = Scope.customer("anna")
        let till = chain.certificate("till-1", .pos, [.exactly(.store("berlin"))], SigningKeyPair())
        try await hub.learn(till)
        try await phone.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
            try cart.add("bread", quantity: 1, at: me)
        }
        let envelopes = try await phone.envelopes(in: anna, missingFrom: VersionVector())

        let restarted = try ReplicaNode(
            store: hub.store, identity: hub.identity, trust: chain.trust(keys: [], certificates: []))
        #expect(Self.holds(restarted, till))
        #expect(Self.holds(restarted, hub.identity.certificate))
        #expect(!Self.holds(restarted, phone.identity.certificate))
        // Passed on by another hub process: checked with the certificate read back.
        let outcomes = try await restarted.receive(
            envelopes, from: chain.certificate("hub-2", .hub, [.allStores], SigningKeyPair()))
        #expect(outcomes.count == envelopes.count)
        #expect(Self.holds(restarted, phone.identity.certificate))
        // Relayed unread (the hub holds no customer key), and logged.
        #expect(try restarted.store.cart("c1", in: .customer("anna")) == nil)
        #expect(try restarted.store.versionVector(of: anna)["phone-anna"] == 2)
    }

    @Test(
        "a grant whose grantor the hub forgot is checked against the certificate read back; the status view shows the forgotten phone's role"
    )
    func forgottenGrantorReadBack() async throws {
        let time = SharedWallClock()
        let (chain, hub, phone) = try await Self.annaSynced(time)
        try await Self.timePasses(chain, hub, time)
        #expect(!Self.holds(hub, phone.identity.certificate))

        let grant = try phone.handoff(of: "c1", in: "anna", to: "berlin").grant
        try await hub.learn(grant)
        #expect(hub.grants(for: .customer("anna")).map(\.id) == [grant.id])

        try await Self.timePasses(chain, hub, time)
        #expect(Self.holds(hub, phone.identity.certificate), "a grant held keeps its grantor")

        let status = try await hub.syncStatus(connected: [])
        #expect(status.first { $0.device == "phone-anna" }?.role == "mobile")
    }

    @Test("a till restarted during a handoff holds the grantor's certificate, and shows the grant in use with it")
    func restartedTillShowsItsGrant() async throws {
        let chain = try TestTenant()
        let (hub, phone) = try chain.hubAndAnnasPhone(wallClock: { TestTenant.now })
        let till = try chain.node(
            "till-1", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")], peers: [hub.identity.certificate])
        try await phone.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
            try cart.add("milk", quantity: 2, at: me)
        }
        let handoff = try phone.handoff(of: "c1", in: "anna", to: "berlin")
        try await till.accept(handoff)

        let restarted = try ReplicaNode(
            store: till.store, identity: till.identity, trust: chain.trust(keys: [.store("berlin")], certificates: []))
        let inUse = restarted.grantsInUse()
        #expect(inUse.map(\.0.id) == [handoff.grant.id])
        #expect(inUse.map(\.1.id) == [phone.identity.certificate.id])
    }

    @Test("a hub that heard from many phones holds only those of the last minutes")
    func manyPhonesHeldOnlyLately() async throws {
        let time = SharedWallClock()
        let (chain, hub, _) = try await Self.annaSynced(time)
        let phones = (0..<200).map { index in
            chain.certificate(
                ReplicaID(stringLiteral: "phone-\(index)"), .mobile,
                [.exactly(.customer(CustomerID(stringLiteral: "c\(index)")))],
                SigningKeyPair())
        }
        try await hub.learn(phones.map(TrustedRecord.certificate))
        #expect(phones.allSatisfy { Self.holds(hub, $0) })
        try await Self.timePasses(chain, hub, time)
        let held = hub.trustSnapshot.certificates.values
        #expect(!held.contains { $0.body.role == .mobile }, "\(held.map(\.body.device))")
        #expect(try hub.store.trusted(kind: ReplicaNode.certificateKind).count == 1 + 1 + 200 + 2)
    }

    /// Three phones' certificates, two each (a phone enrolled again), signed by the tenant's admin.
    static func fleet(_ chain: TestTenant) -> [Certificate] {
        (0..<6).map { index in
            chain.certificate(
                ReplicaID(stringLiteral: "phone-\(index / 2)"), .mobile, [], SigningKeyPair(),
                notAfter: TestTenant.now + 86_400_000 + UInt64(index))
        }
    }

    @Test(
        "whatever the order certificates, revocations and the passing of time come in, the revoked devices are those whose every certificate the node learnt is revoked, forgotten ones too"
    )
    func revokedDevicesFollowEveryChange() async throws {
        await propertyCheck(count: 60, input: Gen.uint64().array(of: 0...16)) { words in
            let time = SharedWallClock()
            let chain = try TestTenant()
            let hub = try chain.node("hub", .hub, [.allStores], keys: [], wallClock: time.read)
            let fleet = Self.fleet(chain)
            var learnt: [Certificate] = []
            var revoked: Set<[UInt8]> = []
            for word in words {
                let certificate = fleet[Int(word % 6)]
                switch (word / 6) % 3 {
                case 0:
                    try await hub.learn(certificate)
                    learnt.append(certificate)
                case 1:
                    let ids: Set<[UInt8]> = [certificate.id, fleet[Int(word / 18 % 6)].id]
                    try hub.apply(RevocationList(tenant: "acme", revoked: ids, admin: chain.admin.signing))
                    revoked.formUnion(ids)
                default: try await Self.timePasses(chain, hub, time)
                }
                let devices = Set(learnt.map(\.body.device))
                let expected = devices.filter { device in
                    learnt.filter { $0.body.device == device }.allSatisfy { revoked.contains($0.id) }
                }
                #expect(try hub.revokedDevices() == expected, "after \(words)")
            }
        }
    }
}
