import AisleCore
import AisleStore
import AisleTesting
import Benchmark
import BenchmarkSupport
import Foundation

// Figures for issue [2/6]. Each figure has an Aisle benchmark and a raw-SQLite benchmark
// ("….aisle" and "….raw") running equivalent statements through GRDB with the same WAL mode and
// synchronous = NORMAL, in the same process and run; scripts/bench prints the ratio.

let hotSKUs = (0..<100).map { "sku-\($0)" }

/// 1,000 stock receipts over the hot set, as one mutation: one transaction, one change.
func receiveBatch(_ replica: ReplicaStore, keys: [ObjectKey]) async throws {
    try await replica.mutate(objects: keys) { state, _ in
        state.updateStock(store) { ledger in
            var delta = StockLedger()
            for index in 0..<1_000 {
                delta.join(ledger.receive(1, of: SKU(unchecked: hotSKUs[index % 100]), at: "till-1"))
            }
            return delta
        }
    }
}

extension Identifier {
    init(unchecked text: String) { self = try! Identifier(text) }
}

let aisleBytesPerRow = BenchmarkMetric.custom("aisle bytes per row", polarity: .prefersSmaller, useScalingFactor: false)
let rawBytesPerRow = BenchmarkMetric.custom("raw bytes per row", polarity: .prefersSmaller, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    let paired = Benchmark.Configuration(
        metrics: [aisleNanoseconds, rawNanoseconds], warmupIterations: 1, maxDuration: .seconds(6), maxIterations: 20)
    let environment = ProcessInfo.processInfo.environment
    let remoteDeltas = environment["AISLE_BENCH_REMOTE_DELTAS"].flatMap(Int.init) ?? 1_000_000
    let remoteKeys = environment["AISLE_BENCH_REMOTE_KEYS"].flatMap(Int.init) ?? 100_000
    let stockKeys = hotSKUs.map { try! ObjectKey(scope: .store(store), kind: .stock, id: $0) }
    let batchSKUs = (0..<1_000).map { hotSKUs[$0 % 100] }

    // local_write_batch: 1,000 CRDT operations per transaction over a hot set of 100 SKUs;
    // the raw side upserts the same 1,000 rows in one transaction. Each round is one transaction.
    Benchmark("local_write_batch", configuration: paired) { (benchmark: Benchmark, pair: Pair) in
        try! await interleave(benchmark, rounds: 20) {
            try await receiveBatch(pair.aisle.subject, keys: stockKeys)
        } raw: {
            try await pair.raw.subject.upsertStock(batchSKUs)
        }
    } setup: {
        try Pair()
    }

    // local_write_single: one cart-line addition per transaction; 100 carts × 10 SKUs.
    Benchmark("local_write_single", configuration: paired) { (benchmark: Benchmark, pair: Pair) in
        var index = 0
        try! await interleave(benchmark, rounds: 500) {
            index += 1
            let cart = CartID(unchecked: "cart-\(index % 100)")
            let sku = SKU(unchecked: hotSKUs[index % 10])
            try await pair.aisle.subject.updateCart(cart, in: .store(store)) { cart, me, _ in
                try cart.add(sku, quantity: 1, at: me)
            }
        } raw: {
            try await pair.raw.subject.addCartLine(cart: "cart-\(index % 100)", sku: hotSKUs[index % 10])
        }
    } setup: {
        try Pair()
    }

    // pk_read: stock reads by primary key over 10,000 SKUs; each round is 100 reads.
    let readSKUs = (0..<1_000).map { "sku-\(($0 * 7_919) % 10_000)" }
    let readTypedSKUs = readSKUs.map { SKU(unchecked: $0) }
    Benchmark("pk_read", configuration: paired) { (benchmark: Benchmark, pair: Pair) in
        var offset = 0
        try! await interleave(benchmark, rounds: 100) {
            for sku in readTypedSKUs[offset..<offset + 100] {
                blackHole(try pair.aisle.subject.stockLevel(of: sku, in: store))
            }
        } raw: {
            for sku in readSKUs[offset..<offset + 100] { blackHole(try pair.raw.subject.level(of: sku)) }
            offset = (offset + 100) % 1_000
        }
    } setup: {
        let pair = try Pair()
        _ = try await pair.aisle.subject.apply(remoteChanges(changes: 100, perChange: 100, keys: 10_000))
        for batch in stride(from: 0, to: 10_000, by: 1_000) {
            try await pair.raw.subject.upsertStock((batch..<batch + 1_000).map { "sku-\($0)" })
        }
        return pair
    }

    // remote_apply: 1M remote deltas over 100k keys, 1,000 deltas per transaction (10 changes of
    // 100), the two sides alternating transaction by transaction; one iteration applies them all.
    // disk_bytes_per_row is measured on the result, after the change log is truncated as if every
    // peer had acknowledged it, and VACUUM.
    let once = Benchmark.Configuration(
        metrics: [aisleNanoseconds, rawNanoseconds, aisleBytesPerRow, rawBytesPerRow], warmupIterations: 0,
        maxDuration: .seconds(1),
        maxIterations: 1)
    Benchmark("remote_apply", configuration: once) {
        (benchmark: Benchmark, fixture: Fixture<(Pair, [RemoteChange], [String])>) in
        let (pair, changes, keys) = fixture.subject
        let clock = ContinuousClock()
        var aisleTime = Duration.zero
        var rawTime = Duration.zero
        for (round, batch) in stride(from: 0, to: changes.count, by: 10).enumerated() {
            aisleTime += try! await clock.measure {
                _ = try await pair.aisle.subject.apply(Array(changes[batch..<min(batch + 10, changes.count)]))
            }
            let start = round * 1_000
            rawTime += try! await clock.measure {
                try await pair.raw.subject.upsertStock(Array(keys[start..<min(start + 1_000, keys.count)]))
            }
        }
        benchmark.measurement(aisleNanoseconds, Int(aisleTime / .nanoseconds(1)))
        benchmark.measurement(rawNanoseconds, Int(rawTime / .nanoseconds(1)))
        let replica = pair.aisle.subject
        try! await replica.truncateLog(in: .store(store), acknowledgedBy: replica.versionVector(of: .store(store)))
        benchmark.measurement(aisleBytesPerRow, try! replica.vacuum() / remoteKeys)
        benchmark.measurement(rawBytesPerRow, try! pair.raw.subject.compactedFileBytes() / remoteKeys)
    } setup: {
        try Fixture { _ in
            (
                try Pair(), remoteChanges(changes: remoteDeltas / 100, perChange: 100, keys: remoteKeys),
                (0..<remoteDeltas).map { "sku-\($0 % remoteKeys)" }
            )
        }
    }
}
