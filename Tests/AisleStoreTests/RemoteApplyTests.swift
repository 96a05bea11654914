import AisleCore
import AisleStore
import AisleTesting
import Foundation
import GRDB
import Testing

@Suite("Applying remote changes")
struct RemoteApplyTests {
    /// Two tills of one store: till-1 makes changes, till-2 applies them.
    static func pair() async throws -> (source: TestStore, target: TestStore) {
        let source = try TestStore("till-1")
        defer { withExtendedLifetime(source) {} }
        try await source.store.receiveStock(5, of: "milk", in: "berlin")
        try await source.store.sell(1, of: "milk", in: "berlin")
        try await source.store.earnPoints(40, for: "anna")
        try await source.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
            try cart.add("milk", quantity: 2, at: me)
        }
        return (source, try TestStore("till-2"))
    }

    @Test("a replica that applies another's changes holds the same state, digest for digest")
    func applyConverges() async throws {
        let (source, target) = try await Self.pair()
        defer { withExtendedLifetime((source, target)) {} }
        let outcomes = try await target.store.apply(try source.store.allChanges())
        #expect(outcomes.allSatisfy { if case .applied = $0 { true } else { false } })
        #expect(try target.store.digest() == source.store.digest())
        #expect(try target.store.stockLevel(of: "milk", in: "berlin") == StockLevel(level: 4, sellableHere: 0))
    }

    @Test("applying the same batch twice changes nothing the second time")
    func duplicatesAreNoOps() async throws {
        let (source, target) = try await Self.pair()
        defer { withExtendedLifetime((source, target)) {} }
        let batch = try source.store.allChanges()
        try await target.store.apply(batch)
        let digest = try target.store.digest()
        let again = try await target.store.apply(batch)
        #expect(again.allSatisfy { if case .duplicate = $0 { true } else { false } })
        #expect(try target.store.digest() == digest)
    }

    @Test("a change after a gap is held on disk, survives a restart, and applies when the gap fills")
    func gapsAreHeldUntilFilled() async throws {
        let (source, target) = try await Self.pair()
        defer { withExtendedLifetime((source, target)) {} }
        let stock = try source.store.changes(in: .store("berlin"), missingFrom: VersionVector())
        #expect(stock.count == 2)
        #expect(try await target.store.apply([stock[1]]) == [.held(origin: "till-1", seq: 2)])
        let path = target.store.configuration.path
        try target.store.close()
        let reopened = try ReplicaStore(
            StoreConfiguration(path: path), replica: "till-2", wallClock: { TestStore.wall })
        let outcomes = try await reopened.apply([stock[0]])
        #expect(outcomes == [.applied(origin: "till-1", seq: 1), .applied(origin: "till-1", seq: 2)])
        #expect(try reopened.stockLevel(of: "milk", in: "berlin").level == 4)
    }

    @Test("changes from different origins apply in any order once their dependencies are met")
    func reorderingAcrossOrigins() async throws {
        let (source, middle) = try await Self.pair()
        defer { withExtendedLifetime((source, middle)) {} }
        try await middle.store.apply(try source.store.allChanges())
        // till-2 sells what till-1 handed it: its change depends on till-1's.
        try await source.store.transferStockRights(2, of: "milk", in: "berlin", to: "till-2")
        try await middle.store.apply(try source.store.allChanges())
        try await middle.store.sell(2, of: "milk", in: "berlin")
        let fromSource = try source.store.changes(in: .store("berlin"), missingFrom: VersionVector())
        let fromMiddle = try middle.store.changes(in: .store("berlin"), missingFrom: VersionVector()).filter {
            $0.origin == "till-2"
        }
        let target = try TestStore("till-3")
        defer { withExtendedLifetime(target) {} }
        #expect(try await target.store.apply(fromMiddle) == [.held(origin: "till-2", seq: 1)])
        #expect(try target.store.stockLevel(of: "milk", in: "berlin").level == 0)
        try await target.store.apply(fromSource.reversed())
        #expect(try target.store.stockLevel(of: "milk", in: "berlin") == StockLevel(level: 2, sellableHere: 0))
    }

    @Test("a second, different change under a known (origin, seq) is refused as equivocation, store unchanged")
    func equivocationRefused() async throws {
        let (source, target) = try await Self.pair()
        defer { withExtendedLifetime((source, target)) {} }
        let batch = try source.store.allChanges()
        try await target.store.apply(batch)
        let digest = try target.store.digest()
        let original = try #require(batch.first { $0.scope == .store("berlin") && $0.seq == 1 })
        let other = try TestStore("till-1")
        defer { withExtendedLifetime(other) {} }
        try await other.store.receiveStock(99, of: "milk", in: "berlin")
        let forged = try #require(try other.store.allChanges().first)
        #expect(forged.scope == original.scope && forged.seq == original.seq && forged != original)
        await #expect(throws: StoreError.equivocation(scope: original.scope, origin: "till-1", seq: 1)) {
            try await target.store.apply([forged])
        }
        #expect(try target.store.digest() == digest)
    }

    @Test("batches applied concurrently commit together; a refused one changes nothing, the others all apply")
    func concurrentBatchesCommitTogether() async throws {
        // Twelve tills' changes, each till's its own batch; one more batch forges till-1's first
        // change next to a valid change of its own author.
        var sources: [TestStore] = []
        for index in 1...12 {
            let source = try TestStore(ReplicaID("till-\(index)"))
            try await source.store.receiveStock(UInt64(index), of: "milk", in: "berlin")
            try await source.store.earnPoints(UInt64(index), for: "anna")
            sources.append(source)
        }
        let forger = try TestStore("till-1")
        try await forger.store.receiveStock(99, of: "milk", in: "berlin")
        try await forger.store.receiveStock(1, of: "bread", in: "berlin")
        let forged = try forger.store.allChanges()
        let batches = try sources.map { try $0.store.allChanges() }
        let expected = try TestStore("hub")
        for batch in batches { try await expected.store.apply(batch) }
        let target = try TestStore("hub")
        defer { withExtendedLifetime((sources, forger, expected, target)) {} }

        // till-1's genuine batch first; then the forgery races the eleven others.
        try await target.store.apply(batches[0])
        let refused = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                do { try await target.store.apply(forged) } catch StoreError.equivocation { return true }
                return false
            }
            for batch in batches.dropFirst() {
                group.addTask {
                    try await target.store.apply(batch)
                    return false
                }
            }
            return try await group.reduce(false) { $0 || $1 }
        }
        #expect(refused)
        // Nothing of the refused batch (its valid bread receipt neither), everything of the others.
        #expect(try target.store.stockLevel(of: "bread", in: "berlin").level == 0)
        #expect(try target.store.digest() == expected.store.digest())
    }

    @Test("a corrupt delta is refused with a typed error and nothing from its batch is applied")
    func corruptDeltaRefused() async throws {
        let (source, target) = try await Self.pair()
        defer { withExtendedLifetime((source, target)) {} }
        let batch = try source.store.allChanges()
        var bytes = batch[1].delta
        bytes[bytes.count / 2] ^= 0xFF
        let corrupt = RemoteChange(
            scope: batch[1].scope, origin: batch[1].origin, seq: batch[1].seq, stamp: batch[1].stamp,
            dependencies: batch[1].dependencies, delta: Array(bytes.prefix(bytes.count - 3)))
        let before = try target.store.digest()
        await #expect(throws: StoreError.self) { try await target.store.apply([batch[0], corrupt]) }
        #expect(try target.store.digest() == before)
        #expect(try target.store.versionVector(of: batch[0].scope).entries.isEmpty)
    }

    @Test("store and replica numbers a refused batch handed out are undone with it, and rows read back right")
    func refusedBatchNumbersUndone() async throws {
        let (source, target) = try await Self.pair()
        defer { withExtendedLifetime((source, target)) {} }
        let batch = try source.store.allChanges()
        let receipt = try #require(batch.first { $0.scope == .store("berlin") && $0.seq == 1 })
        let points = try #require(batch.first { $0.scope == .loyalty("anna") })
        _ = try await target.store.apply([points])
        let twin = RemoteChange(
            scope: points.scope, origin: points.origin, seq: points.seq, stamp: points.stamp + 1,
            dependencies: points.dependencies, delta: points.delta)
        // The receipt joins first (numbering "berlin" and "till-1"), then the twin refuses the batch.
        await #expect(throws: StoreError.equivocation(scope: points.scope, origin: points.origin, seq: points.seq)) {
            try await target.store.apply([receipt, twin])
        }
        #expect(try target.store.stockLevel(of: "milk", in: "berlin") == StockLevel(level: 0, sellableHere: 0))

        // Names numbered next may get the undone numbers; every row still reads back as what it
        // is, from this store's cache and from a fresh one.
        try await target.store.receiveStock(2, of: "oat", in: "hamburg")
        _ = try await target.store.apply([receipt])
        #expect(try target.store.stockLevel(of: "oat", in: "hamburg") == StockLevel(level: 2, sellableHere: 2))
        #expect(try target.store.stockLevel(of: "milk", in: "berlin") == StockLevel(level: 5, sellableHere: 0))
        let fresh = try ReplicaStore(target.store.configuration, replica: "till-2")
        #expect(try fresh.digest() == target.store.digest())
        #expect(try fresh.stockLevel(of: "milk", in: "berlin").level == 5)
        #expect(try fresh.counter(at: .stock("milk", at: "berlin")).rights(of: "till-1") == 5)
        try fresh.close()
    }

    @Test("a change stamped more than the drift limit ahead is refused, not held, and applies when re-sent later")
    func clockDriftRefused() async throws {
        let source = try TestStore("till-1")
        defer { withExtendedLifetime(source) {} }
        try await source.store.receiveStock(1, of: "milk", in: "berlin")
        let change = try source.store.allChanges()[0]
        let directory = try TemporaryDirectory()
        defer { withExtendedLifetime(directory) {} }
        let behind = try ReplicaStore(
            StoreConfiguration(path: directory.file("t.db")), replica: "till-2",
            wallClock: { TestStore.wall - 120_000 })
        let outcomes = try await behind.apply([change])
        guard case .refused = outcomes.first else {
            Issue.record("expected a refusal, got \(outcomes)")
            return
        }
        #expect(try behind.stockLevel(of: "milk", in: "berlin").level == 0)
    }
}
