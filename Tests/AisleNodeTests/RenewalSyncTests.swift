import AisleCore
import AisleCrypto
import AisleNode
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
