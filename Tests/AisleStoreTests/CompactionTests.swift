import AisleCore
import AisleStore
import AisleTesting
import Testing

@Suite("Compaction by causal stability and snapshots")
struct CompactionTests {
    static let berlin = Scope.store("berlin")

    /// A till that received milk and sold it one by one: changes till-1#1...#(1 + sales).
    static func till(sales: Int) async throws -> TestStore {
        let till = try TestStore("till-1")
        try await till.store.receiveStock(20, of: "milk", in: "berlin")
        for _ in 0..<sales { try await till.store.sell(1, of: "milk", in: "berlin") }
        return till
    }

    static func ack(_ peer: ReplicaID, _ seq: UInt64, at: UInt64 = TestStore.wall) -> PeerAcknowledgement {
        PeerAcknowledgement(
            scope: berlin, peer: peer, vector: VersionVector(["till-1": seq]), at: at, archive: peer == "hub")
    }

    @Test("the log keeps everything while no peer is known, then drops only what every peer acknowledged")
    func compactionDropsOnlyWhatEveryPeerHas() async throws {
        let till = try await Self.till(sales: 4)
        let store = till.store
        let digest = try store.digest()
        #expect(try await store.compactLog(in: Self.berlin).dropped == 0)
        #expect(try store.changes(in: Self.berlin, missingFrom: VersionVector()).count == 5)

        try await store.recordAcknowledgements([Self.ack("hub", 3), Self.ack("till-2", 5)])
        let compaction = try await store.compactLog(in: Self.berlin)
        #expect(compaction == Compaction(stable: VersionVector(["till-1": 3]), dropped: 3))
        #expect(try store.logFloor(of: Self.berlin) == VersionVector(["till-1": 3]))
        #expect(try store.digest() == digest, "compaction changed the state")
        #expect(try store.versionVector(of: Self.berlin)["till-1"] == 5)
        // What the slowest peer lacks is still there, in order.
        #expect(try store.changes(in: Self.berlin, missingFrom: VersionVector(["till-1": 3])).map(\.seq) == [4, 5])
        // A peer lacking a dropped change is told so, with a reason naming the way out.
        #expect(throws: StoreError.compacted(scope: Self.berlin, origin: "till-1", through: 3)) {
            try store.changes(in: Self.berlin, missingFrom: VersionVector(["till-1": 2]))
        }
        // The replica's own sequence continues after the dropped changes.
        try await store.sell(1, of: "milk", in: "berlin")
        #expect(try store.changes(in: Self.berlin, missingFrom: VersionVector(["till-1": 5])).map(\.seq) == [6])
    }

    @Test("the version vector outlives the changes it counts: a log dropped whole, a reopened file, the next seq")
    func versionVectorOutlivesTheLog() async throws {
        let till = try await Self.till(sales: 2)
        let path = till.directory.file("till-1.db")
        #expect(try await till.store.truncateLog(in: Self.berlin, acknowledgedBy: VersionVector(["till-1": 3])) == 3)
        #expect(try till.store.changes(in: Self.berlin, missingFrom: VersionVector(["till-1": 3])).isEmpty)
        #expect(try till.store.versionVector(of: Self.berlin) == VersionVector(["till-1": 3]))
        try till.store.close()

        let reopened = try ReplicaStore(StoreConfiguration(path: path), replica: "till-1")
        #expect(try reopened.versionVector(of: Self.berlin) == VersionVector(["till-1": 3]))
        #expect(try reopened.scopes() == [Self.berlin])
        let acknowledged = try await reopened.sell(1, of: "milk", in: "berlin")
        #expect(acknowledged.map(\.seq) == [4])
        #expect(try reopened.versionVector(of: Self.berlin) == VersionVector(["till-1": 4]))
        try reopened.close()
    }

    @Test("a till drops nothing the hub lacks, however long the hub has been silent")
    func nothingIsDroppedBeforeTheHubHasIt() async throws {
        let till = try await Self.till(sales: 4)
        let monthAgo = TestStore.wall - 40 * 86_400_000
        try await till.store.recordAcknowledgements([Self.ack("till-2", 5)])
        #expect(try await till.store.compactLog(in: Self.berlin, requireArchive: true).dropped == 0)
        try await till.store.recordAcknowledgements([Self.ack("hub", 2, at: monthAgo)])
        let compaction = try await till.store.compactLog(
            in: Self.berlin, peersHeardSince: TestStore.wall - 86_400_000, requireArchive: true)
        #expect(compaction.dropped == 2)
    }

    @Test("a peer silent for longer than the retention no longer holds compaction back")
    func silentPeersStopHoldingCompactionBack() async throws {
        let till = try await Self.till(sales: 4)
        try await till.store.recordAcknowledgements([
            Self.ack("hub", 5), Self.ack("lost-till", 1, at: TestStore.wall - 40 * 86_400_000),
        ])
        #expect(try await till.store.compactLog(in: Self.berlin).dropped == 1)
        let recent = try await till.store.compactLog(in: Self.berlin, peersHeardSince: TestStore.wall - 86_400_000)
        #expect(recent.dropped == 4)
        // A newer report wins, an older one arriving late does not move the peer back.
        try await till.store.recordAcknowledgements([Self.ack("hub", 2, at: TestStore.wall - 1)])
        #expect(try till.store.acknowledgements(in: Self.berlin).first { $0.peer == "hub" }?.vector["till-1"] == 5)
    }

    @Test("the store scopes' reports are read as one range, without the catalog's, customers' or loyalty reports")
    func storeReportsReadAlone() async throws {
        let hub = try TestStore("hub")
        let scopes = ["catalog", "customer:store", "loyalty:c1", "store:a", "store:berlin", "store:zz-9"]
        try await hub.store.recordAcknowledgements(
            try scopes.map {
                PeerAcknowledgement(
                    scope: try Scope($0), peer: "till-1", vector: VersionVector(), at: 1, archive: false)
            })

        #expect(
            try hub.store.acknowledgements(storesOnly: true).map(\.scope.description).sorted() == Array(scopes[3...]))
        #expect(try hub.store.acknowledgements().map(\.scope.description).sorted() == scopes)
    }

    @Test("every written report is read once, a few at a time, in the order of scope and peer")
    func reportsReadInBatches() async throws {
        let hub = try TestStore("hub")
        let scopes = ["catalog", "customer:c1", "loyalty:c1", "store:berlin"]
        let peers: [ReplicaID] = ["phone-1", "till-1", "till-2"]
        try await hub.store.recordAcknowledgements(
            try scopes.flatMap { scope in
                try peers.map { PeerAcknowledgement(scope: try Scope(scope), peer: $0, vector: VersionVector(), at: 1) }
            })
        for size in [1, 2, 5, 12, 100] {
            var read: [[String]] = []
            try await hub.store.forEachAcknowledgementBatch(size: size) { batch in
                #expect(batch.count <= size)
                read += batch.map { [$0.scope.description, $0.peer.rawValue] }
            }
            #expect(read == scopes.flatMap { scope in peers.map { [scope, $0.rawValue] } }, "batches of \(size)")
        }
    }

    @Test("a snapshot brings a fresh replica to the same state and vector, and releases what it held")
    func snapshotInstallsAndReleasesHeldChanges() async throws {
        let source = try await Self.till(sales: 5)
        try await source.store.receiveStock(3, of: "bread", in: "berlin")
        // Parts small enough that each object is one.
        let parts = try await source.store.snapshotParts(of: Self.berlin, partBytes: 16)
        #expect(parts.count == 2)
        #expect(parts.last?.covers == VersionVector(["till-1": 7]))
        try await source.store.sell(2, of: "milk", in: "berlin")
        let later = try source.store.changes(in: Self.berlin, missingFrom: VersionVector(["till-1": 7]))
        #expect(later.map(\.seq) == [8])

        let fresh = try TestStore("till-2")
        // Change #8 arrives first: it waits for #1...#7, which no log will send again.
        let held = try await fresh.store.apply(later)
        #expect(held.allSatisfy { if case .held = $0 { true } else { false } })
        var released: [DeliveryOutcome] = []
        for part in parts { released += try await fresh.store.install(part) }
        #expect(released.count == 1)
        #expect(try fresh.store.digest() == source.store.digest())
        #expect(try fresh.store.versionVector(of: Self.berlin) == source.store.versionVector(of: Self.berlin))
        #expect(try fresh.store.stockLevel(of: "milk", in: "berlin").level == 13)
        // The fresh replica's log starts after the snapshot: it cannot serve what came before.
        #expect(try fresh.store.logFloor(of: Self.berlin) == VersionVector(["till-1": 7]))
        #expect(throws: StoreError.self) {
            try fresh.store.changes(in: Self.berlin, missingFrom: VersionVector())
        }
        // Installing it again changes nothing.
        for part in parts { try await fresh.store.install(part) }
        #expect(try fresh.store.digest() == source.store.digest())
    }

    @Test("a snapshot's read ends when its consumer drops it midway, and writes go on meanwhile")
    func droppedSnapshotEndsItsRead() async throws {
        let source = try TestStore("till-1")
        for index in 0..<50 { try await source.store.receiveStock(1, of: SKU("sku-\(index)"), in: "berlin") }
        do {
            let stream = try await source.store.snapshot(of: Self.berlin, partBytes: 16)
            var parts = stream.makeAsyncIterator()
            #expect(try await parts.next() != nil)
            #expect(source.store.snapshotsReading == 1)
            // The read holds its own view: a write commits meanwhile.
            try await source.store.receiveStock(1, of: "late", in: "berlin")
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while source.store.snapshotsReading > 0, clock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(source.store.snapshotsReading == 0)
        // A snapshot read to the end holds every object, the late one too.
        let parts = try await source.store.snapshotParts(of: Self.berlin, partBytes: 1 << 20)
        #expect(parts.count == 1)
        #expect(parts[0].objects.objects.count == 51)
        #expect(source.store.snapshotsReading == 0)
    }

    @Test("a snapshot covering more of a replica's own changes than it holds is refused, nothing installed")
    func snapshotAheadOfOwnChangesRefused() async throws {
        let source = try await Self.till(sales: 2)
        let snapshot = try await source.store.snapshotParts(of: Self.berlin).last!
        // The same replica, restored from a backup taken before any of its changes.
        let restored = try TestStore("till-1")
        let digest = try restored.store.digest()
        await #expect(throws: StoreError.snapshotAhead(scope: Self.berlin, seq: 3, has: 0)) {
            try await restored.store.install(snapshot)
        }
        #expect(try restored.store.digest() == digest)
    }
}

extension ReplicaStore {
    /// The snapshot of `scope` read in parts of about `partBytes`, each as it is installed: the
    /// last carries what they cover together, the others nothing.
    func snapshotParts(of scope: Scope, partBytes: Int = 1 << 20) async throws -> [ScopeSnapshot] {
        let stream = try await snapshot(of: scope, partBytes: partBytes)
        var parts: [ObjectDelta] = []
        for try await part in stream { parts.append(try ObjectDelta(encoded: part)) }
        return parts.enumerated().map { index, objects in
            ScopeSnapshot(
                objects: objects, covers: index == parts.count - 1 ? stream.covers : VersionVector(),
                stamp: stream.stamp, source: replica)
        }
    }
}
