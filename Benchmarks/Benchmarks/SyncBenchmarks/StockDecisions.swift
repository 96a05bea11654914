import AisleCore
import AisleEdge
import AisleNode
import AisleStore
import AisleSync
import AisleTesting
import Benchmark
import BenchmarkSupport
import Foundation

/// Counts of the stock figures (scripts/bench reads them at p50; each is measured once).
let stockLocal = BenchmarkMetric.custom("stock local decisions", polarity: .prefersLarger, useScalingFactor: false)
let stockEligible = BenchmarkMetric.custom(
    "stock eligible decisions", polarity: .prefersLarger, useScalingFactor: false)
let stockAsked = BenchmarkMetric.custom("stock asked decisions", polarity: .prefersSmaller, useScalingFactor: false)
let stockRefused = BenchmarkMetric.custom("stock refused decisions", polarity: .prefersSmaller, useScalingFactor: false)

/// Where a till's link finds its rights keeper, made after the link.
actor KeeperSlot {
    var keeper: RightsKeeper?

    func set(_ keeper: RightsKeeper) { self.keeper = keeper }

    func countersChanged() async { await keeper?.countersChanged() }
}

/// One till of the store: its node, its link to the hub (pushing and receiving as an edge's
/// does), its rights desk and keeper, exactly as `aisle edge serve` wires them.
struct BenchTill: Sendable {
    let node: ReplicaNode
    let link: RunningLink
    let desk: RightsDesk

    init(_ node: ReplicaNode, hub: LoopbackHub) async throws {
        self.node = node
        let slot = KeeperSlot()
        let link = try await RunningLink(
            HubLink(node: node, url: hub.url, logger: quietLogger("bench.till")) { event in
                if case .applied(.store, _, _) = event { Task { await slot.countersChanged() } }
            })
        self.link = link
        desk = RightsDesk(node: node) { link.link }
        await slot.set(
            RightsKeeper(desk: desk, store: store, logger: quietLogger("bench.rights")) { scope in
                await link.link.changed(scope)
            })
    }

    /// Pushes this till's new changes, and hands in beyond its share, as the edge API does after a write.
    func wrote(_ key: ObjectKey) async throws {
        await link.link.changed(berlin)
        let desk = self.desk
        let link = self.link
        Task {
            if let wrote = try? await desk.rebalance([key]), !wrote.isEmpty { await link.link.changed(berlin) }
        }
    }
}

/// stock_local_decisions / stock_decrement_p99: a store of 100 SKUs and three tills on a hub over
/// loopback, its goods received at till 1 (the back office), sold at all three with the
/// popularity of a Zipf law (1 or 2 units a sale), goods received again when a SKU runs low.
/// Every sale is decided on its till: locally when the till holds the rights (the decrement is
/// timed, alternating with a raw one-row update in one transaction through the same library), or
/// by asking the hub first. The share counts the sales made while the till's share lasts (the
/// store held enough for every till's even share to cover the sale).
func stockDecisions(_ benchmark: Benchmark, sales: Int) async throws {
    let tenant = try TestTenant(prefix: "stock-bench")
    // synchronous = NORMAL, like the raw baseline (and local_write_single): the figure is the
    // decision and its commit, not the disk's fsync (docs/durability.md has what each setting survives).
    let hubNode = try tenant.liveNode("hub", .hub, [.allStores], keys: [berlin], durability: .normal)
    let nodes = try (1...3).map {
        try tenant.liveNode(ReplicaID("till-\($0)"), .pos, [.exactly(berlin)], keys: [berlin], durability: .normal)
    }
    try await tenant.introduce([hubNode] + nodes)
    let hub = try await LoopbackHub(node: hubNode)
    defer { hub.stop() }
    var tills: [BenchTill] = []
    for node in nodes { tills.append(try await BenchTill(node, hub: hub)) }
    defer { for till in tills { till.link.stop() } }
    let raw = try Fixture { try RawBaseline(path: $0.file("raw.db")) }

    let skus = try (0..<100).map { try SKU("sku-\($0)") }
    let keys = try skus.map { try ObjectKey(scope: berlin, kind: .stock, id: $0.rawValue) }
    // Goods in at the back office; the rights spread through the hub before the store opens.
    for (index, sku) in skus.enumerated() {
        try await tills[0].node.store.receiveStock(UInt64(30 + (index * 37) % 170), of: sku, in: store)
    }
    _ = try await tills[0].desk.rebalance(keys)
    await tills[0].link.link.changed(berlin)
    let clock = ContinuousClock()
    let opening = clock.now + .seconds(20)
    while clock.now < opening {
        let spread = try tills.allSatisfy { till in
            try keys.allSatisfy { try till.node.store.counter(at: $0).rights(of: till.node.store.replica) > 0 }
        }
        if spread { break }
        try await Task.sleep(for: .milliseconds(20))
    }

    // Zipf popularity: SKU i sells in proportion to 1 / (i + 1).
    let weights = (0..<skus.count).map { 1.0 / Double($0 + 1) }
    let cumulative = weights.reduce(into: [Double]()) { $0.append(($0.last ?? 0) + $1) }
    var random = SeededRandom(seed: 20_261_202)
    var local = 0
    var eligible = 0
    var asked = 0
    var refused = 0
    for _ in 0..<sales {
        let till = tills[Int(random.next() % 3)]
        let pick = Double(random.next() % 1_000_000) / 1_000_000 * cumulative.last!
        let index = cumulative.firstIndex { $0 >= pick } ?? skus.count - 1
        let (sku, key) = (skus[index], keys[index])
        let units: UInt64 = random.next() % 5 == 0 ? 2 : 1
        let counter = try till.node.store.counter(at: key)
        let withinShare = RightsPolicy.stock.share(of: counter.value, spenders: tills.count) >= Int64(units)
        if withinShare { eligible += 1 }
        if counter.rights(of: till.node.store.replica) >= Int64(units) {
            if withinShare { local += 1 }
            let aisle = try await clock.measure { try await till.node.store.sell(units, of: sku, in: store) }
            let rawTime = try await clock.measure { try await raw.subject.upsertStock([sku.rawValue], amount: -1) }
            benchmark.measurement(aisleNanoseconds, Int(aisle / .nanoseconds(1)))
            benchmark.measurement(rawNanoseconds, Int(rawTime / .nanoseconds(1)))
        } else {
            asked += 1
            guard try await till.desk.obtain(units, of: key) else {
                refused += 1
                continue
            }
            try await till.node.store.sell(units, of: sku, in: store)
        }
        try await till.wrote(key)
        // The back office receives again when a SKU runs low.
        if try tills[0].node.store.counter(at: key).value < 10 {
            try await tills[0].node.store.receiveStock(40, of: sku, in: store)
            try await tills[0].wrote(key)
        }
        // A compressed trading day: a sale every 15 ms across the store (a busy store sells
        // perhaps once a second per till), so pushes and top-ups travel between sales as they
        // would between customers, and the tills, the hub and their sockets share two cores.
        try await Task.sleep(for: .milliseconds(15))
    }
    benchmark.measurement(stockLocal, local)
    benchmark.measurement(stockEligible, eligible)
    benchmark.measurement(stockAsked, asked)
    benchmark.measurement(stockRefused, refused)
}
