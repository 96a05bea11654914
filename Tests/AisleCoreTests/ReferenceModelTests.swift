import AisleCore
import AisleTesting
import Testing

/// Laws prove a lattice, not the right lattice (STYLE.md §10): each CRDT's value is checked here
/// against a plain model of what it should mean, on several replicas, over many seeds.
@Suite("CRDTs against reference models")
struct ReferenceModelTests {
    static let seeds: [UInt64] = Array(1...300)

    /// Replicas that each apply random local operations and merge random peers, then all merge.
    struct Run<L: Lattice> {
        var random: SeededRandom
        var replicas: [L]
        let ids: [ReplicaID]

        init(seed: UInt64, count: Int) {
            random = SeededRandom(seed: seed)
            replicas = Array(repeating: .bottom, count: count)
            ids = (0..<count).map { ReplicaID(stringLiteral: "r\($0)") }
        }

        mutating func pick(_ count: Int) -> Int { Int(random.next() % UInt64(count)) }

        mutating func mergeRandomPair() {
            let (from, to) = (pick(replicas.count), pick(replicas.count))
            replicas[to].join(replicas[from])
        }

        var merged: L { replicas.reduce(L.bottom) { $0.joined(with: $1) } }
    }

    @Test("a causal counter's value is the sum of every increment on every replica")
    func causalCounterSumsIncrements() {
        for seed in Self.seeds {
            var run = Run<CausalCounter>(seed: seed, count: 2 + Int(seed % 5))
            var expected: Int64 = 0
            for _ in 0..<40 {
                if run.random.chance(0.3) { run.mergeRandomPair(); continue }
                let index = run.pick(run.replicas.count)
                let amount = Int64(run.random.next() % 7) - 2
                run.replicas[index].increment(by: amount, at: run.ids[index])
                expected += amount
            }
            #expect(run.merged.value == expected, "seed \(seed)")
        }
    }

    @Test("a PN-counter's value is increments minus decrements")
    func pnCounterSums() {
        for seed in Self.seeds {
            var run = Run<PNCounter>(seed: seed, count: 2 + Int(seed % 5))
            var expected: Int64 = 0
            for _ in 0..<40 {
                if run.random.chance(0.3) { run.mergeRandomPair(); continue }
                let index = run.pick(run.replicas.count)
                let amount = run.random.next() % 5
                if run.random.chance(0.5) {
                    run.replicas[index].increment(by: amount, at: run.ids[index])
                    expected += Int64(amount)
                } else {
                    run.replicas[index].decrement(by: amount, at: run.ids[index])
                    expected -= Int64(amount)
                }
            }
            #expect(run.merged.value == expected, "seed \(seed)")
        }
    }

    @Test("an OR-map key is present iff some write to it was not seen by a remove")
    func orMapAddWins() {
        for seed in Self.seeds {
            var run = Run<ORMap<SKU, MaxRegister<Int64>>>(seed: seed, count: 2 + Int(seed % 4))
            // The model: each replica knows a set of write events and a set of removed events per key.
            var writes = Array(repeating: [SKU: Set<Int>](), count: run.replicas.count)
            var removed = Array(repeating: [SKU: Set<Int>](), count: run.replicas.count)
            var event = 0
            let skus: [SKU] = ["a", "b", "c"]
            for _ in 0..<50 {
                let index = run.pick(run.replicas.count)
                let sku = skus[run.pick(3)]
                if run.random.chance(0.25) {
                    let from = run.pick(run.replicas.count)
                    run.replicas[index].join(run.replicas[from])
                    writes[index].merge(writes[from]) { $0.union($1) }
                    removed[index].merge(removed[from]) { $0.union($1) }
                } else if run.random.chance(0.4) {
                    run.replicas[index].remove(sku)
                    removed[index][sku, default: []].formUnion(writes[index][sku, default: []])
                } else {
                    event += 1
                    run.replicas[index].apply(MaxRegister(Int64(event)), to: sku, at: run.ids[index])
                    writes[index][sku, default: []].insert(event)
                }
            }
            let allWrites = writes.reduce(into: [SKU: Set<Int>]()) { $0.merge($1) { $0.union($1) } }
            let allRemoved = removed.reduce(into: [SKU: Set<Int>]()) { $0.merge($1) { $0.union($1) } }
            let expected = skus.filter { !allWrites[$0, default: []].subtracting(allRemoved[$0, default: []]).isEmpty }
            #expect(run.merged.keys == expected, "seed \(seed)")
        }
    }

    @Test("an LWW register holds the write with the latest timestamp")
    func lwwHoldsLatest() {
        for seed in Self.seeds {
            var run = Run<LWWRegister<String>>(seed: seed, count: 3)
            var clocks = run.ids.map { HybridLogicalClock(replica: $0) }
            var latest: (HLCTimestamp, String)?
            for step in 0..<30 {
                if run.random.chance(0.3) { run.mergeRandomPair(); continue }
                let index = run.pick(3)
                let wall = 1_000 + UInt64(step) * (run.random.next() % 3)
                let stamp = try! clocks[index].now(wallMillis: wall)
                let value = "v\(step)"
                run.replicas[index].assign(value, at: stamp)
                if latest == nil || stamp > latest!.0 { latest = (stamp, value) }
            }
            #expect(run.merged.value == latest?.1, "seed \(seed)")
        }
    }

    @Test("a bounded counter ends at receipts minus successful decrements, refusing exactly what rights forbid")
    func boundedCounterMatchesLedger() {
        for seed in Self.seeds {
            var run = Run<BoundedCounter>(seed: seed, count: 2 + Int(seed % 4))
            var expected: Int64 = 0
            for _ in 0..<50 {
                if run.random.chance(0.25) { run.mergeRandomPair(); continue }
                let index = run.pick(run.replicas.count)
                let amount = 1 + run.random.next() % 4
                let rights = run.replicas[index].rights(of: run.ids[index])
                switch run.pick(3) {
                case 0:
                    run.replicas[index].increment(by: amount, at: run.ids[index])
                    expected += Int64(amount)
                case 1:
                    let sold = (try? run.replicas[index].decrement(by: amount, at: run.ids[index])) != nil
                    #expect(sold == (rights >= Int64(amount)), "seed \(seed): refusal disagrees with rights \(rights)")
                    if sold { expected -= Int64(amount) }
                default:
                    let target = run.ids[run.pick(run.replicas.count)]
                    let moved = (try? run.replicas[index].transfer(amount, from: run.ids[index], to: target)) != nil
                    #expect(moved == (rights >= Int64(amount)), "seed \(seed): refusal disagrees with rights \(rights)")
                }
            }
            let merged = run.merged
            #expect(merged.value == expected, "seed \(seed)")
            #expect(merged.escrowViolation == nil, "seed \(seed): \(merged.escrowViolation ?? "")")
        }
    }
}
