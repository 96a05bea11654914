import AisleCore
import AisleCrypto
@_spi(Testing) import AisleNode
import AisleStore
import AisleSync
import AisleTesting
import Synchronization
import Testing

@Suite("Renewed certificates reach their devices with the catalog")
struct RenewalSyncTests {
    static let day: UInt64 = 86_400_000
    static let berlin = Scope.store("berlin")

    /// Head office, a hub and a till whose certificate ends in a day; the hub's clock reads two
    /// days on.
    static func chain() throws -> (TestTenant, hq: ReplicaNode, hub: ReplicaNode, till: ReplicaNode) {
        let chain = try TestTenant()
        let hq = try chain.node("hq", .hq, [.exactly(.catalog)], keys: [.catalog], notAfter: TestTenant.now + 30 * day)
        let hub = try chain.node(
            "hub", .hub, [.allStores], keys: [.catalog, berlin], wallClock: { TestTenant.now + 2 * day },
            notAfter: TestTenant.now + 30 * day)
        let till = try chain.node("till-1", .pos, [.exactly(.catalog), .exactly(berlin)], keys: [.catalog, berlin])
        return (chain, hq, hub, till)
    }

    /// Carries head office's catalog to the till by way of the hub's store.
    static func deliverCatalog(from hq: ReplicaNode, to till: ReplicaNode) async throws {
        try await till.receive(try await hq.envelopes(in: .catalog, missingFrom: VersionVector()))
    }

    @Test(
        "head office publishes a till's renewed certificate in the catalog; the till takes it from the catalog, tells its observer, and a hub whose clock is past the old expiry takes its connection"
    )
    func tillTakesItsRenewal() async throws {
        let (chain, hq, hub, till) = try Self.chain()
        try await chain.introduce([hq, hub, till])
        let old = till.identity.certificate
        let renewed = Certificate(
            signing: old.body.renewed(until: TestTenant.now + 365 * Self.day), with: chain.admin.signing)
        let told = Mutex<[Certificate]>([])
        till.onRenewal { certificate in told.withLock { $0.append(certificate) } }

        // Before: the hub refuses the till's certificate, expired on its clock.
        await #expect(throws: (any Error).self) {
            try await MemoryLink(till, hub) { _ in [Self.berlin] }.connect()
        }

        #expect(try await hq.publishRenewals([renewed]) == 1)
        #expect(try await hq.publishRenewals([renewed]) == 0)
        try await Self.deliverCatalog(from: hq, to: till)
        #expect(till.identity.certificate == renewed)
        #expect(told.withLock { $0 } == [renewed])
        #expect(till.identity.signing.publicKey.bytes == old.body.signingKey)

        try await MemoryLink(till, hub) { _ in [Self.berlin] }.connect()
        #expect(try till.learnRenewal() == nil)
    }

    @Test(
        "a renewal that changes the keys, role or scopes, or that head office revoked, is not taken; one not signed by the admin is refused, and only head office publishes"
    )
    func onlyARenewalOfTheSameCertificate() async throws {
        let (chain, hq, hub, till) = try Self.chain()
        try await chain.introduce([hq, hub, till])
        let body = till.identity.certificate.body
        let later = TestTenant.now + 365 * Self.day
        let otherKeys = chain.certificate(
            "till-1", .pos, [.exactly(.catalog), .exactly(Self.berlin)], SigningKeyPair(), notAfter: later)
        let otherScopes = chain.certificate(
            "till-1", .kiosk, [.exactly(.catalog)], till.identity.signing, notAfter: later)
        for certificate in [otherKeys, otherScopes] {
            #expect(try await hq.publishRenewals([certificate]) == 1)
            try await Self.deliverCatalog(from: hq, to: till)
            #expect(till.identity.certificate.body == body)
        }

        // A renewal head office revoked is not taken either.
        let revoked = Certificate(signing: body.renewed(until: later + 1), with: chain.admin.signing)
        try till.apply(RevocationList(tenant: "acme", revoked: [revoked.id], admin: chain.admin.signing))
        #expect(try await hq.publishRenewals([revoked]) == 1)
        try await Self.deliverCatalog(from: hq, to: till)
        #expect(till.identity.certificate.body == body)

        let forged = Certificate(signing: body.renewed(until: later), with: SigningKeyPair())
        await #expect(throws: EnvelopeRefusal.forgedRenewal("till-1")) { try await hq.publishRenewals([forged]) }
        await #expect(throws: CatalogPublishError.self) { try await hub.publishRenewals([till.identity.certificate]) }
    }
}

extension RenewalSyncTests {
    @Test(
        "a till's changes sealed under its old certificate and not sent before it ended are taken under its renewal: by a hub past the old expiry, judged as of when they were written, and through the hub by another till"
    )
    func unsentChangesTravelUnderTheRenewal() async throws {
        let (chain, hq, hub, till) = try Self.chain()
        let till2 = try chain.node(
            "till-2", .pos, [.exactly(.catalog), .exactly(Self.berlin)], keys: [.catalog, Self.berlin],
            wallClock: { TestTenant.now + 2 * Self.day }, notAfter: TestTenant.now + 30 * Self.day)
        try await chain.introduce([hq, hub, till, till2])
        let old = till.identity.certificate
        // Sealed as written (a connection was open), then the link went down before they were sent.
        till.sealEachChangeAsWritten()
        try await till.store.receiveStock(10, of: "milk", in: "berlin")
        try await till.store.sell(3, of: "milk", in: "berlin")

        let renewed = Certificate(
            signing: old.body.renewed(until: TestTenant.now + 365 * Self.day), with: chain.admin.signing)
        #expect(try await hq.publishRenewals([renewed]) == 1)
        try await Self.deliverCatalog(from: hq, to: till)
        #expect(till.identity.certificate == renewed)

        try await MemoryLink(till, hub) { _ in [Self.berlin] }.connect()
        #expect(try hub.store.stockLevel(of: "milk", in: "berlin").level == 7)
        try await MemoryLink(till2, hub) { _ in [Self.berlin] }.connect()
        #expect(try till2.store.stockLevel(of: "milk", in: "berlin").level == 7)

        // Still its own: sent by a device that connected with another certificate of the till, or
        // with none, they are judged as of now and refused.
        let sealed = try await till.envelopes(in: Self.berlin, missingFrom: VersionVector())
        #expect(sealed.allSatisfy { $0.header.certificate == old.id })
        let (other, revoking) = try (Self.laterHub(chain, "hub-2"), Self.laterHub(chain, "hub-3"))
        for node in [other, revoking] { try await node.learn(old) }
        let otherKeys = chain.certificate(
            "till-1", .pos, [.exactly(.catalog), .exactly(Self.berlin)], SigningKeyPair(),
            notAfter: TestTenant.now + 365 * Self.day)
        for peer in [otherKeys, nil] {
            await #expect(throws: NodeError.self) { try await other.receive(sealed, from: peer) }
        }
        // A revoked certificate's changes are refused, renewal or not.
        try revoking.apply(RevocationList(tenant: "acme", revoked: [old.id], admin: chain.admin.signing))
        await #expect(throws: NodeError.self) { try await revoking.receive(sealed, from: renewed) }
        try await other.receive(sealed, from: renewed)
        #expect(try other.store.stockLevel(of: "milk", in: "berlin").level == 7)
    }

    /// A hub of the chain whose clock reads two days on.
    static func laterHub(_ chain: TestTenant, _ device: ReplicaID) throws -> ReplicaNode {
        try chain.node(
            device, .hub, [.allStores], keys: [berlin], wallClock: { TestTenant.now + 2 * day },
            notAfter: TestTenant.now + 30 * day)
    }

    @Test(
        "the hub's own grant of stock rights, sealed under its old certificate, reaches a till whose clock is past that certificate's end, the hub having connected with its renewal"
    )
    func hubsOwnChangesTravelUnderItsRenewal() async throws {
        let chain = try TestTenant()
        let hq = try chain.node(
            "hq", .hq, [.exactly(.catalog)], keys: [.catalog], notAfter: TestTenant.now + 30 * Self.day)
        let hub = try chain.node("hub", .hub, [.allStores], keys: [.catalog, Self.berlin])
        let grants: [ScopeGrant] = [.exactly(.catalog), .exactly(Self.berlin)]
        let till1 = try chain.node("till-1", .pos, grants, keys: [.catalog, Self.berlin])
        let till2 = try chain.node(
            "till-2", .pos, grants, keys: [.catalog, Self.berlin], wallClock: { TestTenant.now + 2 * Self.day },
            notAfter: TestTenant.now + 30 * Self.day)
        try await chain.introduce([hq, hub, till1, till2])
        try await till1.store.receiveStock(10, of: "milk", in: "berlin")
        try await till1.store.transferStockRights(4, of: "milk", in: "berlin", to: "hub")
        try await MemoryLink(till1, hub) { _ in [Self.berlin] }.connect()
        // The hub grants two to till 2, sealed as written; the link goes down before it is sent.
        hub.sealEachChangeAsWritten()
        try await hub.store.transferStockRights(2, of: "milk", in: "berlin", to: "till-2")

        let renewed = Certificate(
            signing: hub.identity.certificate.body.renewed(until: TestTenant.now + 365 * Self.day),
            with: chain.admin.signing)
        #expect(try await hq.publishRenewals([renewed]) == 1)
        try await hub.receive(try await hq.envelopes(in: .catalog, missingFrom: VersionVector()))
        #expect(hub.identity.certificate == renewed)

        try await MemoryLink(till2, hub) { _ in [Self.berlin] }.connect()
        let milk = try ObjectKey(scope: Self.berlin, kind: .stock, id: "milk")
        #expect(try till2.store.counter(at: milk).rights(of: "till-2") == 2)
    }

    @Test(
        "a till whose certificate ends while its connection is open seals nothing more: the send fails with the reason, and the changes since go, once it is renewed, under the renewal"
    )
    func nothingIsSealedUnderAnEndedCertificate() async throws {
        let chain = try TestTenant()
        let time = SharedWallClock()
        let hq = try chain.node(
            "hq", .hq, [.exactly(.catalog)], keys: [.catalog], wallClock: time.read,
            notAfter: TestTenant.now + 30 * Self.day)
        let hub = try chain.node(
            "hub", .hub, [.allStores], keys: [.catalog, Self.berlin], wallClock: time.read,
            notAfter: TestTenant.now + 30 * Self.day)
        let till = try chain.node(
            "till-1", .pos, [.exactly(.catalog), .exactly(Self.berlin)], keys: [.catalog, Self.berlin],
            wallClock: time.read)
        try await chain.introduce([hq, hub, till])
        let link = MemoryLink(till, hub) { _ in [Self.berlin] }
        try await link.connect()
        try await till.store.receiveStock(10, of: "milk", in: "berlin")
        try await link.connections[0].changed(Self.berlin)
        try await link.pump()
        #expect(try hub.store.stockLevel(of: "milk", in: "berlin").level == 10)

        // The certificate ends with the connection still open (a hub's minute sweep would end it;
        // nothing ends this link in memory).
        time.advance(by: 2 * Self.day)
        try await till.store.sell(3, of: "milk", in: "berlin")
        let notAfter = till.identity.certificate.body.notAfter
        let error = await #expect(throws: NodeError.self) { try await link.connections[0].changed(Self.berlin) }
        let expired = if case .certificateExpired(notAfter) = error { true } else { false }
        #expect(expired, "\(String(describing: error))")

        let renewed = Certificate(
            signing: till.identity.certificate.body.renewed(until: TestTenant.now + 365 * Self.day),
            with: chain.admin.signing)
        #expect(try await hq.publishRenewals([renewed]) == 1)
        try await Self.deliverCatalog(from: hq, to: till)
        try await MemoryLink(till, hub) { _ in [Self.berlin] }.connect()
        #expect(try hub.store.stockLevel(of: "milk", in: "berlin").level == 7)
    }
}
