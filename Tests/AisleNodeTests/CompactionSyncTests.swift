import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleSync
import AisleTesting
import Testing

@Suite("Compaction and snapshots over sync")
struct CompactionSyncTests {
    static let berlin = Scope.store("berlin")
    static let scopes: @Sendable (Certificate) -> [Scope] = { _ in [berlin] }

    /// A hub and two tills that synced 12 changes of till-1's, then a third till that never synced.
    static func synced() async throws -> (chain: TestTenant, hub: ReplicaNode, tills: [ReplicaNode]) {
        let chain = try TestTenant()
        let hub = try chain.node("hub", .hub, [.allStores], keys: [berlin])
        let tills = try (1...3).map { number in
            try chain.node(
                ReplicaID(stringLiteral: "till-\(number)"), .pos, [.exactly(berlin)], keys: [berlin],
                peers: [hub.identity.certificate])
        }
        for node in tills { try await hub.learn(node.identity.certificate) }
        try await tills[0].store.receiveStock(20, of: "milk", in: "berlin")
        for _ in 0..<11 { try await tills[0].store.sell(1, of: "milk", in: "berlin") }
        try await MemoryLink(tills[0], hub, scopes: scopes).connect()
        try await MemoryLink(tills[1], hub, scopes: scopes).connect()
        return (chain, hub, tills)
    }

    /// What a compaction of `node` drops of the store's scope (none when it need not look there).
    static func dropped(_ node: ReplicaNode) async throws -> Int {
        try await node.compact()[berlin]?.dropped ?? 0
    }

    @Test("each node drops what every peer it synced with acknowledged, and nothing before that")
    func nodesCompactWhatTheirPeersAcknowledged() async throws {
        let (chain, hub, tills) = try await Self.synced()
        defer { withExtendedLifetime(chain) {} }
        let digest = try hub.store.digest()
        // The hub knows both tills hold all 12; till-1 knows the hub does; till-2 too.
        #expect(try await Self.dropped(hub) == 12)
        #expect(try await Self.dropped(tills[0]) == 12)
        #expect(try await Self.dropped(tills[1]) == 12)
        #expect(try hub.store.digest() == digest && tills[1].store.digest() == digest)

        // New changes stay until the peers acknowledge them, then go too.
        try await tills[0].store.sell(1, of: "milk", in: "berlin")
        #expect(try await Self.dropped(tills[0]) == 0)
        try await MemoryLink(tills[0], hub, scopes: Self.scopes).connect()
        #expect(try await Self.dropped(tills[0]) == 1)
        // The hub keeps it: till-2 has not acknowledged it yet.
        #expect(try await Self.dropped(hub) == 0)
    }

    @Test("a revoked till no longer holds the hub's compaction back: what the others acknowledged goes")
    func revokedTillDoesNotHoldCompactionBack() async throws {
        let (chain, hub, tills) = try await Self.synced()
        defer { withExtendedLifetime(chain) {} }
        #expect(try await Self.dropped(hub) == 12)
        // till-2 (lost) never acknowledges the next change: the hub keeps it, until till-2 is revoked.
        try await tills[0].store.sell(1, of: "milk", in: "berlin")
        try await MemoryLink(tills[0], hub, scopes: Self.scopes).connect()
        #expect(try await Self.dropped(hub) == 0)
        try hub.apply(
            RevocationList(tenant: "acme", revoked: [tills[1].identity.certificate.id], admin: chain.admin.signing))
        #expect(try hub.revokedDevices() == ["till-2"])
        #expect(try await Self.dropped(hub) == 1)
    }

    @Test("a till that joins after the hub compacted gets a snapshot from the hub and converges")
    func lateJoinerBootstrapsFromTheHubsSnapshot() async throws {
        let (chain, hub, tills) = try await Self.synced()
        defer { withExtendedLifetime(chain) {} }
        try await hub.compact()
        // A change after compaction travels as an envelope after the snapshot.
        try await tills[1].store.receiveStock(5, of: "milk", in: "berlin")
        try await MemoryLink(tills[1], hub, scopes: Self.scopes).connect()

        let late = MemoryLink(tills[2], hub, scopes: Self.scopes)
        try await late.connect()
        #expect(late.progress(0).contains(.installed(Self.berlin, objects: 1, last: true)))
        #expect(try tills[2].store.digest() == hub.store.digest())
        #expect(try tills[2].store.versionVector(of: Self.berlin) == hub.store.versionVector(of: Self.berlin))
        #expect(try tills[2].store.stockLevel(of: "milk", in: "berlin").level == 14)

        // It writes on from there, and its changes reach the hub as envelopes.
        try await tills[2].store.receiveStock(3, of: "milk", in: "berlin")
        try await tills[2].store.sell(2, of: "milk", in: "berlin")
        try await MemoryLink(tills[2], hub, scopes: Self.scopes).connect()
        #expect(try hub.store.stockLevel(of: "milk", in: "berlin").level == 15)
        #expect(try tills[2].store.digest() == hub.store.digest())
    }

    @Test("a till that lacks what another till compacted is refused with the reason: only the hub sends snapshots")
    func tillsDoNotServeSnapshots() async throws {
        let (chain, _, tills) = try await Self.synced()
        defer { withExtendedLifetime(chain) {} }
        try await tills[0].compact()
        try await tills[2].learn(tills[0].identity.certificate)
        try await tills[0].learn(tills[2].identity.certificate)
        let link = MemoryLink(tills[2], tills[0], scopes: Self.scopes)
        await #expect(throws: SyncError.self) { try await link.connect() }
        // The till that compacted ends the session, telling the other why.
        let ended = link.progress(1).compactMap { event -> String? in
            if case .ended(let error) = event { return "\(error)" }
            return nil
        }
        #expect(ended.count == 1 && ended[0].contains("needs a snapshot of the scope from the hub"))
        #expect(try tills[2].store.versionVector(of: Self.berlin).entries.isEmpty)
    }
}
