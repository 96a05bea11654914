import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleSync
import AisleTesting
import Testing

/// Changes a sync peer passes on from other devices are judged as the node that accepted them
/// did: a device revoked or expired since stops where it connects, not in every later sync.
@Suite("Judging changes a peer passes on")
struct RelayedJudgementTests {
    static let day: UInt64 = 86_400_000
    let chain: TestTenant
    let hub: ReplicaNode
    let till1: ReplicaNode
    let scopes: @Sendable (Certificate) -> [Scope] = { _ in [.store("berlin")] }

    init() throws {
        chain = try TestTenant()
        hub = try chain.node(
            "hub", .hub, [.allStores], keys: [.store("berlin")], notAfter: TestTenant.now + 30 * Self.day)
        till1 = try chain.node(
            "till-1", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")], peers: [hub.identity.certificate])
    }

    /// Till 1's goods, received by the hub over a sync session.
    func till1Uploads() async throws {
        try await till1.store.receiveStock(10, of: "milk", in: "berlin")
        try await MemoryLink(till1, hub, scopes: scopes).connect()
        #expect(try hub.store.stockLevel(of: "milk", in: "berlin").level == 10)
    }

    /// `till` syncs the store with the hub; returns what its side reported.
    func sync(_ till: ReplicaNode) async throws -> [SyncProgress] {
        let link = MemoryLink(till, hub, scopes: scopes)
        try await link.connect()
        return link.progress(0)
    }

    @Test(
        "a till that knows a device is revoked still takes what the device wrote before from the hub, and its session goes on; the device itself is refused where it connects"
    )
    func revokedDevicesEarlierChangesStillSync() async throws {
        try await till1Uploads()
        let revocation = RevocationList(
            tenant: "acme", revoked: [till1.identity.certificate.id], admin: chain.admin.signing)
        let till2 = try chain.node(
            "till-2", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")], peers: [hub.identity.certificate])
        try till2.apply(revocation)
        try await till2.store.receiveStock(5, of: "bread", in: "berlin")
        let progress = try await sync(till2)
        #expect(!progress.contains { if case .ended = $0 { true } else { false } }, "\(progress)")
        #expect(try till2.store.stockLevel(of: "milk", in: "berlin").level == 10)
        #expect(try till2.store.digest() == hub.store.digest())

        // Once the hub knows it too, till 1 cannot connect, so nothing new of it gets in.
        try hub.apply(revocation)
        try await till1.store.receiveStock(1, of: "milk", in: "berlin")
        await #expect(throws: (any Error).self) { try await MemoryLink(till1, hub, scopes: scopes).connect() }
        #expect(try hub.store.stockLevel(of: "milk", in: "berlin").level == 10)
    }

    @Test("a till enrolled after a device's certificate expired takes what the device wrote while it was valid")
    func expiredDevicesEarlierChangesStillSync() async throws {
        try await till1Uploads()
        // Two days on, till 1's certificate (valid for one) has expired; till 3 is new.
        let till3 = try chain.node(
            "till-3", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")], peers: [hub.identity.certificate],
            wallClock: { TestTenant.now + 2 * Self.day }, notAfter: TestTenant.now + 30 * Self.day)
        let progress = try await sync(till3)
        #expect(!progress.contains { if case .ended = $0 { true } else { false } }, "\(progress)")
        #expect(try till3.store.stockLevel(of: "milk", in: "berlin").level == 10)
    }

    @Test("what a peer sends as its own is judged live: a revoked peer's own envelope is refused")
    func peersOwnChangesAreJudgedLive() async throws {
        try await till1.store.receiveStock(3, of: "milk", in: "berlin")
        let envelopes = try await till1.envelopes(in: .store("berlin"), missingFrom: VersionVector())
        try hub.apply(
            RevocationList(tenant: "acme", revoked: [till1.identity.certificate.id], admin: chain.admin.signing))
        try await hub.learn(till1.identity.certificate)
        await #expect(throws: NodeError.self) { try await hub.receive(envelopes, from: till1.identity.certificate) }
        // Passed on by another peer, it is judged as that peer accepted it.
        let edge = chain.certificate("edge-berlin", .pos, [.exactly(.store("berlin"))], SigningKeyPair())
        try await hub.receive(envelopes, from: edge)
        #expect(try hub.store.stockLevel(of: "milk", in: "berlin").level == 3)
    }
}
