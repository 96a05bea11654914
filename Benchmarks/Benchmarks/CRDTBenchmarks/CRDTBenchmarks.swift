import AisleCore
import AisleTesting
import Benchmark

// Figures for issue [1/6]: how fast a replica joins cart deltas and merges causal contexts, and
// how many convergence-simulation schedules run per second. None has a raw baseline: they are
// tracked so later work sees regressions. `scripts/bench` turns the throughput metric into
// `bench NAME aisle=… baseline=- ratio=- unit=…` lines.

/// A stream of cart deltas from two devices editing 40 SKUs: additions, settings, removals, notes.
func cartDeltas(count: Int, seed: UInt64) -> [Cart] {
    var random = SeededRandom(seed: seed)
    var devices: [(ReplicaID, Cart)] = [("phone", Cart()), ("till", Cart())]
    var deltas: [Cart] = []
    var millis: UInt64 = 1_000
    while deltas.count < count {
        let index = Int(random.next() % 2)
        let (replica, _) = devices[index]
        let sku = SKU(stringLiteral: "sku-\(random.next() % 40)")
        millis += 1
        let stamp = HLCTimestamp(physical: millis, counter: 0, replica: replica)
        let delta: Cart?
        switch random.next() % 10 {
        case 0..<5: delta = try? devices[index].1.add(sku, quantity: Int64(1 + random.next() % 3), at: replica)
        case 5..<7: delta = try? devices[index].1.setQuantity(sku, to: Int64(random.next() % 5), at: stamp)
        case 7..<9: delta = try? devices[index].1.remove(sku)
        default: delta = try? devices[index].1.setNote(sku, to: "note", at: stamp)
        }
        if let delta { deltas.append(delta) }
        if random.next() % 8 == 0 { devices[1 - index].1.join(devices[index].1) }
    }
    return deltas
}

/// A causal context of `replicas` replicas with a few out-of-order dots each.
func causalContext(replicas: Int, seed: UInt64) -> CausalContext {
    var random = SeededRandom(seed: seed)
    var context = CausalContext()
    for index in 0..<replicas {
        let replica = ReplicaID(stringLiteral: "replica-\(index)")
        for counter in 1...(100 + random.next() % 100) { context.insert(Dot(replica, counter)) }
        for _ in 0..<4 { context.insert(Dot(replica, 250 + random.next() % 50)) }
    }
    return context
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )

    let deltas = cartDeltas(count: 1_000, seed: 1)
    Benchmark("cart_delta_join") { benchmark in
        // One iteration joins 1,000 deltas into a replica that starts empty: scripts/bench reports
        // throughput × 1,000 as joins per second.
        for _ in benchmark.scaledIterations {
            var replica = Cart()
            for delta in deltas { replica.join(delta) }
            blackHole(replica)
        }
    }

    let left = causalContext(replicas: 8, seed: 2)
    let right = causalContext(replicas: 8, seed: 3)
    Benchmark("causal_context_merge") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(left.joined(with: right))
        }
    }

    // How fast a replica decodes and validates a remote change of 100 stock deltas (per iteration).
    let stockDelta: [UInt8] = {
        var objects: [ObjectKey: ObjectValue] = [:]
        for index in 0..<100 {
            var counter = BoundedCounter()
            counter.increment(by: UInt64(index + 1), at: "till-9")
            objects[try! ObjectKey(scope: .store("store-1"), kind: .stock, id: "sku-\(index)")] = .stock(counter)
        }
        return ObjectDelta(scope: .store("store-1"), objects: objects).encoded
    }()
    Benchmark("delta_decode_100") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try! ObjectDelta(encoded: stockDelta)) }
    }

    Benchmark("convergence_schedules", configuration: .init(maxDuration: .seconds(5))) { benchmark in
        var index: UInt64 = 0
        for _ in benchmark.scaledIterations {
            index += 1
            blackHole(ConvergenceSimulation.run(seed: SeededRandom.derive(base: 20_261_123, index: index)).passed)
        }
    }
}
