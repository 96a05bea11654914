import AisleCore
import PropertyBased
import Testing

/// Join laws and the delta law for every lattice, over scripts of random operations on three
/// replicas (see `LatticeScript`).
@Suite("Lattice laws")
struct LatticeLawTests {
    @Test("version vectors: join is a lattice and advancing is an inflation")
    func versionVector() async {
        await LatticeScript<VersionVector>.verify { word, state, replica, _ in
            let target = state[replica] + Pick.amount(word)
            state.advance(replica, to: target)
            return VersionVector([replica: target])
        }
    }

    @Test("version vectors: meet is the greatest lower bound, and absorbs join")
    func versionVectorMeet() async {
        await propertyCheck(
            count: 500, input: Gen.uint64().array(of: 0...40),
            perform: { words in
                let states = LatticeScript<VersionVector>.run(words) { word, state, replica, _ in
                    let target = state[replica] + Pick.amount(word)
                    state.advance(replica, to: target)
                    return VersionVector([replica: target])
                }
                let (a, b, c) = (states[0], states[1], states[2])
                #expect(a.meet(b) == b.meet(a), "meet is not commutative")
                #expect(a.meet(b).meet(c) == a.meet(b.meet(c)), "meet is not associative")
                #expect(a.meet(a) == a, "meet is not idempotent")
                #expect(a.includes(a.meet(b)) && b.includes(a.meet(b)), "meet is above an operand")
                #expect(a.meet(a.joined(with: b)) == a, "meet does not absorb join")
                #expect(a.joined(with: a.meet(b)) == a, "join does not absorb meet")
                #expect(a.meet(.bottom) == .bottom, "bottom does not annihilate meet")
                let total = a.entries.values.reduce(0) { $0 + Int($1) }
                #expect(a.count(beyond: .bottom) == total, "beyond bottom is not every change")
                #expect(a.count(beyond: a.joined(with: b)) == 0, "a vector counts changes beyond one above it")
                #expect(
                    a.count(beyond: a.meet(b)) + a.meet(b).count(beyond: .bottom) == total,
                    "what a holds beyond a lower vector and that vector's changes do not add up")
            })
    }

    @Test("causal contexts: join is a lattice, including out-of-order dots")
    func causalContext() async {
        await LatticeScript<CausalContext>.verify { word, state, replica, _ in
            // Skip ahead sometimes so the cloud of non-contiguous dots is exercised.
            let dot = Dot(replica, state.nextDot(for: replica).counter + word % 3)
            state.insert(dot)
            return CausalContext(dots: [dot])
        }
    }

    @Test("max registers (phases): join is a lattice")
    func maxRegister() async {
        await LatticeScript<MaxRegister<Int64>>.verify { word, state, _, _ in
            state.raise(to: Int64(word % 20) - 5)
        }
    }

    @Test("LWW registers: join is a lattice, equal stamps included")
    func lwwRegister() async {
        await LatticeScript<LWWRegister<String>>.verify { word, state, _, stamp in
            state.assign("value-\(word % 4)", at: stamp)
        }
    }

    @Test("PN-counters: join is a lattice")
    func pnCounter() async {
        await LatticeScript<PNCounter>.verify { word, state, replica, _ in
            word % 2 == 0
                ? state.increment(by: Pick.amount(word >> 1), at: replica)
                : state.decrement(by: Pick.amount(word >> 1), at: replica)
        }
    }

    @Test("causal counters: join is a lattice under additions and assignments")
    func causalCounter() async {
        await LatticeScript<CausalCounter>.verify { word, state, replica, stamp in
            word % 3 == 0
                ? state.assign(Int64(word >> 2 % 7), at: stamp)
                : state.increment(by: Int64(word >> 2 % 9) - 3, at: replica)
        }
    }

    @Test("add-wins OR-maps: join is a lattice under writes and removes")
    func orMap() async {
        await LatticeScript<ORMap<SKU, MaxRegister<Int64>>>.verify { word, state, replica, _ in
            word % 3 == 0
                ? state.remove(Pick.sku(word >> 2))
                : state.apply(MaxRegister(Int64(word >> 4 % 50)), to: Pick.sku(word >> 2), at: replica)
        }
    }

    @Test("bounded counters: join is a lattice under increments, decrements and transfers")
    func boundedCounter() async {
        await LatticeScript<BoundedCounter>.verify { word, state, replica, _ in
            let amount = Pick.amount(word >> 2, upTo: 6)
            switch word % 3 {
            case 0: return state.increment(by: amount, at: replica)
            case 1: return try? state.decrement(by: amount, at: replica)
            default: return try? state.transfer(amount, from: replica, to: Pick.other(word >> 5))
            }
        }
    }

    @Test("LWW maps: join is a lattice under writes and removals")
    func lwwMap() async {
        await LatticeScript<LWWMap<SKU, String>>.verify { word, state, _, stamp in
            state.set(Pick.sku(word), to: word % 4 == 0 ? nil : "name-\(word % 5)", at: stamp)
        }
    }
}
