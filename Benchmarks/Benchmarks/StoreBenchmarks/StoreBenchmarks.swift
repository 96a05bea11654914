import AisleCore
import AisleStore
import AisleTesting
import Benchmark
import Foundation

// Figures for issue [2/6]. Each figure has an Aisle benchmark and a raw-SQLite benchmark
// ("….aisle" and "….raw") running equivalent statements through GRDB with the same WAL mode and
// synchronous = NORMAL, in the same process and run; scripts/bench prints the ratio.

let store: StoreID = "store-1"
let hotSKUs = (0..<100).map { "sku-\($0)" }
let wall: UInt64 = 1_767_225_600_000

/// A fresh Aisle replica in a temporary directory, synchronous = NORMAL like the baseline.
func freshStore(_ directory: TemporaryDirectory, _ name: String = "aisle.db") throws -> ReplicaStore {
    try ReplicaStore(
        StoreConfiguration(path: directory.file(name), durability: .normal), replica: "till-1",
        wallClock: { wall })
}

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

/// What a benchmark keeps between iterations: its files stay until the benchmark ends.
final class Fixture<Subject: Sendable>: @unchecked Sendable {
    // Set once in setup, read-only afterwards except `counter`, which only the benchmark's own
    // iterations touch, one at a time.
    let directory: TemporaryDirectory
    let subject: Subject
    var counter = 0
    private var checkpointer: Task<Void, Never>?

    init(_ make: (TemporaryDirectory) throws -> Subject) throws {
        directory = try TemporaryDirectory()
        subject = try make(directory)
    }

    /// Checkpoints every 200 ms on a connection of its own, as a deployed node does (docs/durability.md);
    /// without it the WAL grows for the whole run and every commit pays for new file blocks.
    fileprivate func checkpointing(_ checkpoint: @escaping @Sendable () throws -> Void) -> Self {
        checkpointer = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                try? checkpoint()
            }
        }
        return self
    }

    deinit {
        checkpointer?.cancel()
    }
}

extension Fixture where Subject == ReplicaStore {
    func checkpointed() -> Self { checkpointing { [replica = subject] in try replica.checkpoint() } }
}

extension Fixture where Subject == RawBaseline {
    func checkpointed() -> Self { checkpointing { [raw = subject] in try raw.checkpoint() } }
}

/// `changes` remote changes from one origin, each carrying `perChange` stock deltas, cycling over `keys` SKUs.
func remoteChanges(changes: Int, perChange: Int, keys: Int) -> [RemoteChange] {
    let origin: ReplicaID = "till-9"
    var counters = [Int: BoundedCounter]()
    var result: [RemoteChange] = []
    result.reserveCapacity(changes)
    for change in 0..<changes {
        var objects: [ObjectKey: ObjectValue] = [:]
        for slot in 0..<perChange {
            let key = (change * perChange + slot) % keys
            var counter = counters[key] ?? BoundedCounter()
            counter.increment(by: 1, at: origin)
            counters[key] = counter
            objects[try! ObjectKey(scope: .store(store), kind: .stock, id: "sku-\(key)")] = .stock(counter)
        }
        let delta = ObjectDelta(scope: .store(store), objects: objects)
        result.append(
            RemoteChange(
                scope: .store(store), origin: origin, seq: UInt64(change + 1),
                stamp: (wall - 1_000) << 16 | UInt64(change % 65_536),
                dependencies: VersionVector([origin: UInt64(change)]),
                delta: delta.encoded))
    }
    return result
}

extension Identifier {
    init(unchecked text: String) { self = try! Identifier(text) }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock], warmupIterations: 5, maxDuration: .seconds(4), maxIterations: 100_000)
    let environment = ProcessInfo.processInfo.environment
    let remoteDeltas = environment["AISLE_BENCH_REMOTE_DELTAS"].flatMap(Int.init) ?? 1_000_000
    let remoteKeys = environment["AISLE_BENCH_REMOTE_KEYS"].flatMap(Int.init) ?? 100_000
    let stockKeys = hotSKUs.map { try! ObjectKey(scope: .store(store), kind: .stock, id: $0) }

    // local_write_batch: 1,000 CRDT operations per transaction over a hot set of 100 SKUs.
    Benchmark("local_write_batch.aisle") { (benchmark: Benchmark, fixture: Fixture<ReplicaStore>) in
        for _ in benchmark.scaledIterations { try! await receiveBatch(fixture.subject, keys: stockKeys) }
    } setup: {
        try Fixture { try freshStore($0) }.checkpointed()
    }
    Benchmark("local_write_batch.raw") { (benchmark: Benchmark, fixture: Fixture<RawBaseline>) in
        for _ in benchmark.scaledIterations {
            try! await fixture.subject.upsertStock((0..<1_000).map { hotSKUs[$0 % 100] })
        }
    } setup: {
        try Fixture { try RawBaseline(path: $0.file("raw.db")) }.checkpointed()
    }

    // local_write_single: one cart-line addition per transaction; 100 carts × 10 SKUs.
    Benchmark("local_write_single.aisle") { (benchmark: Benchmark, fixture: Fixture<ReplicaStore>) in
        for _ in benchmark.scaledIterations {
            fixture.counter += 1
            let cart = CartID(unchecked: "cart-\(fixture.counter % 100)")
            let sku = SKU(unchecked: hotSKUs[fixture.counter % 10])
            try! await fixture.subject.updateCart(cart, in: .store(store)) { cart, me, _ in
                try cart.add(sku, quantity: 1, at: me)
            }
        }
    } setup: {
        try Fixture { try freshStore($0) }.checkpointed()
    }
    Benchmark("local_write_single.raw") { (benchmark: Benchmark, fixture: Fixture<RawBaseline>) in
        for _ in benchmark.scaledIterations {
            fixture.counter += 1
            try! await fixture.subject.addCartLine(
                cart: "cart-\(fixture.counter % 100)", sku: hotSKUs[fixture.counter % 10])
        }
    } setup: {
        try Fixture { try RawBaseline(path: $0.file("raw.db")) }.checkpointed()
    }

    // pk_read: 1,000 stock reads by primary key per iteration, over 10,000 SKUs.
    let readSKUs = (0..<1_000).map { "sku-\(($0 * 7_919) % 10_000)" }
    let readTypedSKUs = readSKUs.map { SKU(unchecked: $0) }
    Benchmark("pk_read.aisle") { (benchmark: Benchmark, fixture: Fixture<ReplicaStore>) in
        for _ in benchmark.scaledIterations {
            for sku in readTypedSKUs { blackHole(try! fixture.subject.stockLevel(of: sku, in: store)) }
        }
    } setup: {
        let fixture = try Fixture { try freshStore($0) }
        _ = try await fixture.subject.apply(remoteChanges(changes: 100, perChange: 100, keys: 10_000))
        return fixture
    }
    Benchmark("pk_read.raw") { (benchmark: Benchmark, fixture: Fixture<RawBaseline>) in
        for _ in benchmark.scaledIterations {
            for sku in readSKUs { blackHole(try! fixture.subject.level(of: sku)) }
        }
    } setup: {
        let fixture = try Fixture { try RawBaseline(path: $0.file("raw.db")) }
        for batch in stride(from: 0, to: 10_000, by: 1_000) {
            try await fixture.subject.upsertStock((batch..<batch + 1_000).map { "sku-\($0)" })
        }
        return fixture
    }

    // remote_apply: 1M remote deltas over 100k keys, 1,000 deltas per transaction (10 changes
    // of 100). One iteration applies them all; disk_bytes_per_row is measured on the result,
    // after the change log is truncated as if every peer had acknowledged it.
    let bytesPerRow = BenchmarkMetric.custom("bytes per row", polarity: .prefersSmaller, useScalingFactor: false)
    let once = Benchmark.Configuration(
        metrics: [.wallClock, bytesPerRow], warmupIterations: 0, maxDuration: .seconds(1), maxIterations: 1)
    Benchmark("remote_apply.aisle", configuration: once) {
        (benchmark: Benchmark, fixture: Fixture<(ReplicaStore, [RemoteChange])>) in
        let (replica, changes) = fixture.subject
        benchmark.startMeasurement()
        for batch in stride(from: 0, to: changes.count, by: 10) {
            _ = try! await replica.apply(Array(changes[batch..<min(batch + 10, changes.count)]))
        }
        benchmark.stopMeasurement()
        try! await replica.truncateLog(in: .store(store), acknowledgedBy: replica.versionVector(of: .store(store)))
        benchmark.measurement(bytesPerRow, try! replica.vacuum() / remoteKeys)
    } setup: {
        try Fixture {
            (try freshStore($0), remoteChanges(changes: remoteDeltas / 100, perChange: 100, keys: remoteKeys))
        }
    }
    Benchmark("remote_apply.raw", configuration: once) {
        (benchmark: Benchmark, fixture: Fixture<(RawBaseline, [String])>) in
        let (raw, keys) = fixture.subject
        benchmark.startMeasurement()
        for batch in stride(from: 0, to: keys.count, by: 1_000) {
            try! await raw.upsertStock(Array(keys[batch..<min(batch + 1_000, keys.count)]))
        }
        benchmark.stopMeasurement()
        benchmark.measurement(bytesPerRow, try! raw.compactedFileBytes() / remoteKeys)
    } setup: {
        try Fixture { (try RawBaseline(path: $0.file("raw.db")), (0..<remoteDeltas).map { "sku-\($0 % remoteKeys)" }) }
    }
}
