import AisleCore
import AisleStore
import AisleTesting
import Testing

@Suite("Recent changes answered from memory")
struct RecentChangesTests {
    /// A till that wrote and applied more changes than the memory keeps, interleaved across two
    /// scopes and two origins; and a copy of its file, opened afresh, which can only read its log.
    static func tillAndCopy() async throws -> (till: TestStore, copy: ReplicaStore, directory: TemporaryDirectory) {
        let till = try TestStore("till-1")
        let other = try TestStore("till-2")
        for round in 0..<90 {
            try await till.store.receiveStock(1, of: try SKU("sku-\(round % 7)"), in: "berlin")
            if round % 3 == 0 {
                try await till.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
                    try cart.add(try SKU("sku-\(round % 5)"), quantity: 1, at: me)
                }
            }
            if round % 4 == 0 {
                try await other.store.receiveStock(2, of: "sku-1", in: "berlin")
                let theirs = try other.store.changes(
                    in: .store("berlin"), missingFrom: try till.store.versionVector(of: .store("berlin"))
                )
                .filter { $0.origin == "till-2" }
                try await till.store.apply(theirs)
            }
        }
        let directory = try TemporaryDirectory()
        try till.store.backup(to: directory.file("copy.db"))
        let copy = try ReplicaStore(StoreConfiguration(path: directory.file("copy.db")), replica: "till-1")
        return (till, copy, directory)
    }

    @Test("a peer's missing changes are the same from memory as from the log, for any vector and batch size")
    func memoryAgreesWithTheLog() async throws {
        let (till, copy, directory) = try await Self.tillAndCopy()
        defer { withExtendedLifetime((till, directory)) {} }
        let seed: UInt64 = 20_261_203
        var random = SeededRandom(seed: seed)
        var fromMemory = 0
        for scope in [Scope.store("berlin"), .customer("anna")] {
            let current = try till.store.versionVector(of: scope)
            for _ in 0..<300 {
                var peer = VersionVector()
                for (origin, seq) in current.entries {
                    // Mostly just behind (what a live push asks), sometimes far behind.
                    let behind = random.chance(0.8) ? UInt64.random(in: 0...4, using: &random) : seq
                    peer.advance(origin, to: seq - min(seq, UInt64.random(in: 0...behind, using: &random)))
                }
                let maxBytes = random.chance(0.5) ? Int.max : Int.random(in: 1...2_000, using: &random)
                let answer = try till.store.changes(in: scope, missingFrom: peer, maxBytes: maxBytes)
                let logged = try copy.changes(in: scope, missingFrom: peer, maxBytes: maxBytes)
                #expect(answer.changes == logged.changes, "seed \(seed), \(scope), peer \(peer), maxBytes \(maxBytes)")
                #expect(
                    answer.complete == logged.complete, "seed \(seed), \(scope), peer \(peer), maxBytes \(maxBytes)")
                if current.entries.allSatisfy({ peer[$0.key] + 4 >= $0.value }) { fromMemory += 1 }
            }
        }
        #expect(fromMemory > 100, "most questions were ones the memory can answer")
    }
}
