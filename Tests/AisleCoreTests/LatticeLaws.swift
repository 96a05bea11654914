import AisleCore
import PropertyBased
import Testing

/// Runs scripts of random operations on three replicas of a lattice type, checking at every
/// operation that the delta joined into the old state equals the new state, and that the state only
/// grows; then checks the join laws on the three resulting states.
///
/// A script is a list of 64-bit words (so the library can shrink it). Each word picks a replica and
/// either merges another replica into it (as sync would) or performs one operation.
struct LatticeScript<L: Lattice> {
    typealias Operation = (_ word: UInt64, _ state: inout L, _ replica: ReplicaID, _ stamp: HLCTimestamp) -> L?

    static var replicaIDs: [ReplicaID] { ["replica-a", "replica-b", "replica-c"] }

    /// Runs `words`; returns the three replica states, or records an issue and returns nil.
    static func run(_ words: [UInt64], start: L = .bottom, _ operation: Operation) -> [L] {
        var states = Array(repeating: start, count: 3)
        var clocks = replicaIDs.map { HybridLogicalClock(replica: $0) }
        for (step, word) in words.enumerated() {
            let index = Int(word % 3)
            if (word >> 2) % 5 == 0 {
                states[index].join(states[Int((word >> 5) % 3)])
                continue
            }
            let stamp = try! clocks[index].now(wallMillis: 1_000_000 + UInt64(step) * 7)
            let before = states[index]
            guard let delta = operation(word >> 8, &states[index], replicaIDs[index], stamp) else {
                #expect(states[index] == before, "a refused operation changed the state (step \(step))")
                continue
            }
            #expect(before.joined(with: delta) == states[index], "state ⊔ delta ≠ mutated state at step \(step)")
            #expect(before.isBelowOrEqual(to: states[index]), "a mutation moved the state down at step \(step)")
        }
        return states
    }

    /// Checks commutativity, associativity, idempotence, the bottom identity and monotonicity.
    static func checkLaws(_ states: [L], sourceLocation: SourceLocation = #_sourceLocation) {
        let (a, b, c) = (states[0], states[1], states[2])
        #expect(a.joined(with: b) == b.joined(with: a), "join is not commutative", sourceLocation: sourceLocation)
        #expect(
            a.joined(with: b).joined(with: c) == a.joined(with: b.joined(with: c)), "join is not associative",
            sourceLocation: sourceLocation)
        #expect(a.joined(with: a) == a, "join is not idempotent", sourceLocation: sourceLocation)
        #expect(a.joined(with: .bottom) == a, "bottom is not the identity", sourceLocation: sourceLocation)
        #expect(a.isBelowOrEqual(to: a.joined(with: b)), "join is not monotone", sourceLocation: sourceLocation)
        #expect(b.isBelowOrEqual(to: a.joined(with: b)), "join is not monotone", sourceLocation: sourceLocation)
    }

    /// Generates scripts and checks every law on each.
    static func verify(
        count: Int = 500, start: L = .bottom, sourceLocation: SourceLocation = #_sourceLocation,
        _ operation: @escaping Operation
    ) async {
        await propertyCheck(
            count: count, input: Gen.uint64().array(of: 0...40),
            perform: { words in checkLaws(run(words, start: start, operation), sourceLocation: sourceLocation) },
            sourceLocation: sourceLocation)
    }
}

/// Small pickers that turn bits of a script word into domain values.
enum Pick {
    static let skus: [SKU] = ["sku-1", "sku-2", "sku-3"]
    static let customers: [CustomerID] = ["cust-1", "cust-2"]
    static let carts: [CartID] = ["cart-1", "cart-2"]
    static let stores: [StoreID] = ["store-1", "store-2"]

    static func sku(_ word: UInt64) -> SKU { skus[Int(word % 3)] }
    static func home(_ word: UInt64) -> CartHome { word % 2 == 0 ? .customer(customers[0]) : .store(stores[0]) }
    static func other(_ word: UInt64) -> ReplicaID { LatticeScript<VersionVector>.replicaIDs[Int(word % 3)] }
    static func amount(_ word: UInt64, upTo limit: UInt64 = 5) -> UInt64 { 1 + word % limit }
    /// Opening hours: weekdays from 07:00 to 19:00 or later, Saturday short or closed, Sunday closed.
    static func hours(_ word: UInt64) -> OpeningHours {
        let weekday = try! OpeningInterval(opens: 420, closes: 1_140 + Int(word % 4) * 30)
        var schedule: [Weekday: [OpeningInterval]] = [:]
        for day in [Weekday.monday, .tuesday, .wednesday, .thursday, .friday] { schedule[day] = [weekday] }
        if word >> 2 % 2 == 0 { schedule[.saturday] = [try! OpeningInterval(opens: 540, closes: 840)] }
        return try! OpeningHours(schedule)
    }
}
