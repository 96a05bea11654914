import AisleCore
import AisleCrypto
import AisleEdge
import AisleNode
import AisleStore
import AisleSync
import AisleTesting
import Benchmark
import BenchmarkSupport
import Foundation

// Figures for issues [4/6] and [5/6]. scripts/bench prints one line per figure.

let berlin = Scope.store(store)
let anna = Scope.customer("anna")
let environment = ProcessInfo.processInfo.environment

/// Custom single-value metrics of the wire figures (bytes; scripts/bench reads them at p50).
let wireAisle = BenchmarkMetric.custom("wire aisle bytes", polarity: .prefersSmaller, useScalingFactor: false)
let wireRaw = BenchmarkMetric.custom("wire raw bytes", polarity: .prefersSmaller, useScalingFactor: false)
let wireSingle = BenchmarkMetric.custom("wire single bytes", polarity: .prefersSmaller, useScalingFactor: false)
let envelopeOverhead = BenchmarkMetric.custom(
    "envelope overhead millibytes", polarity: .prefersSmaller, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    let once = Benchmark.Configuration(
        metrics: [aisleNanoseconds, rawNanoseconds], warmupIterations: 0, maxDuration: .seconds(1), maxIterations: 1)

    // sealed_apply: remote_apply's 1M deltas over 100k keys (10 envelopes of 100 deltas per
    // transaction), each envelope verified (certificate, rights, Ed25519) and decrypted on the way
    // in, through the node's one receive path; the raw side runs the same upserts as remote_apply.
    Benchmark("sealed_apply", configuration: once) { (benchmark: Benchmark, workload: SealedWorkload) in
        let clock = ContinuousClock()
        var aisleTime = Duration.zero
        var rawTime = Duration.zero
        for (round, batch) in stride(from: 0, to: workload.envelopes.count, by: 10).enumerated() {
            aisleTime += try! await clock.measure {
                try await workload.node.receive(
                    Array(workload.envelopes[batch..<min(batch + 10, workload.envelopes.count)]))
            }
            let start = round * 1_000
            rawTime += try! await clock.measure {
                try await workload.pair.raw.subject.upsertStock(
                    Array(workload.keys[start..<min(start + 1_000, workload.keys.count)]))
            }
        }
        benchmark.measurement(aisleNanoseconds, Int(aisleTime / .nanoseconds(1)))
        benchmark.measurement(rawNanoseconds, Int(rawTime / .nanoseconds(1)))
    } setup: {
        try SealedWorkload(
            deltas: environment["AISLE_BENCH_REMOTE_DELTAS"].flatMap(Int.init) ?? 1_000_000,
            keys: environment["AISLE_BENCH_REMOTE_KEYS"].flatMap(Int.init) ?? 100_000)
    }

    // handoff_latency: a phone's cart line, written on the phone, until the till that took the
    // cart over by handoff code reads it, through a hub on loopback WebSockets; alternating with a
    // raw TCP round trip over loopback. Every sample is recorded (percentiles from HdrHistogram,
    // which the benchmark package keeps its statistics in).
    Benchmark("handoff_latency", configuration: once) { benchmark in
        try! await handoffLatency(
            benchmark, samples: environment["AISLE_BENCH_HANDOFF_SAMPLES"].flatMap(Int.init) ?? 1_000)
    }

    // wire_bytes_per_line_update: bytes on the wire (sealed frames) per cart line update when 256
    // updates travel in one batch, and for one alone; the raw side is the update's own fields.
    Benchmark(
        "wire_bytes",
        configuration: .init(
            metrics: [wireAisle, wireRaw, wireSingle, envelopeOverhead], warmupIterations: 0, maxIterations: 1)
    ) { benchmark in
        let figures = try! await wireBytes()
        benchmark.measurement(wireAisle, figures.perUpdate)
        benchmark.measurement(wireRaw, figures.raw)
        benchmark.measurement(wireSingle, figures.single)
        benchmark.measurement(envelopeOverhead, figures.overheadPerDeltaMillibytes)
    }

    // stock_local_decisions / stock_decrement_p99 ([5/6]): sales at three tills of a store on a
    // hub over loopback, each decided on its till within its rights or by asking the hub.
    Benchmark(
        "stock_decisions",
        configuration: .init(
            metrics: [aisleNanoseconds, rawNanoseconds, stockLocal, stockEligible, stockAsked, stockRefused],
            warmupIterations: 0, maxDuration: .seconds(1), maxIterations: 1)
    ) { benchmark in
        try! await stockDecisions(benchmark, sales: environment["AISLE_BENCH_STOCK_SALES"].flatMap(Int.init) ?? 2_000)
    }

    // bootstrap_1m_rows: a new till syncs a store of 1M stock rows from a hub over loopback; the
    // hub's log is compacted, so it arrives as the hub's snapshot. The raw side inserts the same
    // rows into plain SQLite in transactions of 10,000.
    Benchmark("bootstrap_1m_rows", configuration: once) { (benchmark: Benchmark, workload: BootstrapWorkload) in
        let clock = ContinuousClock()
        let aisle = try! await clock.measure { try await workload.bootstrap() }
        let raw = try! await clock.measure { try await workload.rawInsert() }
        benchmark.measurement(aisleNanoseconds, Int(aisle / .nanoseconds(1)))
        benchmark.measurement(rawNanoseconds, Int(raw / .nanoseconds(1)))
    } setup: {
        try await BootstrapWorkload(rows: environment["AISLE_BENCH_BOOTSTRAP_ROWS"].flatMap(Int.init) ?? 1_000_000)
    }

    // hub_start_known_phones: a hub process starts on a store that keeps 100,000 phones'
    // certificates (it holds the terminals' and reads a phone's back when a change needs it); the
    // baseline reads, decodes and indexes every one, as a start that held them all did.
    Benchmark(
        "hub_start_known_phones",
        configuration: .init(
            metrics: [aisleNanoseconds, rawNanoseconds, heldCertificates, aisleStartKB, rawStartKB],
            warmupIterations: 0, maxDuration: .seconds(1), maxIterations: 1)
    ) { (benchmark: Benchmark, workload: KnownPhonesWorkload) in
        let growth = try! workload.residentGrowth()
        benchmark.measurement(aisleStartKB, growth.aisle)
        benchmark.measurement(rawStartKB, growth.raw)
        var held = 0
        try! await interleave(benchmark, rounds: 5) {
            held = try workload.start()
        } raw: {
            _ = try workload.holdEvery()
        }
        benchmark.measurement(heldCertificates, held)
    } setup: {
        try await KnownPhonesWorkload(phones: environment["AISLE_BENCH_KNOWN_PHONES"].flatMap(Int.init) ?? 100_000)
    }

    // status_view_known_phones: the status view (`GET /v1/status`) of a hub that has heard from
    // 100,000 phones, three reports each; the baseline only reads every report once. With what
    // one view adds to the peak resident memory, and what answering with every device adds to it
    // (written a part at a time, against encoded whole).
    Benchmark(
        "status_view_known_phones",
        configuration: .init(
            metrics: [
                aisleNanoseconds, rawNanoseconds, statusViewPeakKB, statusViewDevices, statusAnswerPeakKB,
                statusAnswerWholePeakKB, statusAnswerBytes,
            ],
            warmupIterations: 0, maxDuration: .seconds(1), maxIterations: 1)
    ) { (benchmark: Benchmark, workload: StatusViewWorkload) in
        benchmark.measurement(statusViewPeakKB, try! await workload.viewPeakGrowth())
        let view = try! await workload.hub.syncStatus(connected: [])
        let (answerKB, bytes) = try! await workload.answerPeakGrowth(view, whole: false)
        benchmark.measurement(statusAnswerPeakKB, answerKB)
        benchmark.measurement(statusAnswerBytes, bytes)
        benchmark.measurement(statusAnswerWholePeakKB, try! await workload.answerPeakGrowth(view, whole: true).kb)
        var devices = 0
        try! await interleave(benchmark, rounds: 3) {
            devices = try await workload.view()
        } raw: {
            _ = try workload.readEveryReport()
        }
        benchmark.measurement(statusViewDevices, devices)
    } setup: {
        try await StatusViewWorkload(phones: environment["AISLE_BENCH_STATUS_PHONES"].flatMap(Int.init) ?? 100_000)
    }
}

/// The remote-apply workload sealed by its author, and a node to receive it beside the raw baseline.
struct SealedWorkload: Sendable {
    let tenant: TestTenant
    let pair: Pair
    let node: ReplicaNode
    let envelopes: [Envelope]
    let keys: [String]

    init(deltas: Int, keys keyCount: Int) throws {
        tenant = try TestTenant(prefix: "sync-bench")
        pair = try Pair()
        let author = NodeIdentity(tenant, "till-9", .pos, [.exactly(berlin)])
        let own = NodeIdentity(tenant, "till-1", .pos, [.exactly(berlin)])
        node = try ReplicaNode(
            store: pair.aisle.subject, identity: own,
            trust: tenant.trust(keys: [berlin], certificates: [own.certificate, author.certificate]))
        let key = try tenant.admin.root.scopeKey(for: berlin, epoch: 1)
        envelopes = remoteChanges(changes: deltas / 100, perChange: 100, keys: keyCount).map { change in
            Envelope(
                header: EnvelopeHeader(
                    tenant: "acme", scope: berlin, origin: change.origin, seq: change.seq, epoch: 1, hlc: change.stamp,
                    certificate: author.certificate.id, dependencies: change.dependencies),
                encodedDeltas: [change.delta], key: key, author: author.signing)
        }
        keys = (0..<deltas).map { "sku-\($0 % keyCount)" }
    }
}

extension NodeIdentity {
    /// A fresh identity of `tenant`'s, valid for as long as a benchmark runs.
    init(_ tenant: TestTenant, _ device: ReplicaID, _ role: Role, _ grants: [ScopeGrant]) {
        let signing = SigningKeyPair()
        self.init(certificate: tenant.certificate(device, role, grants, signing, notAfter: .max), signing: signing)
    }
}
