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

extension TestTenant {
    /// A node on the system clock (the hub's sockets and timeouts run on real time).
    func liveNode(
        _ device: ReplicaID, _ role: Role, _ grants: [ScopeGrant], keys: [Scope],
        durability: StoreConfiguration.Durability = .full
    ) throws -> ReplicaNode {
        try node(
            device, role, grants, keys: keys, wallClock: ReplicaStore.systemWallClock, notAfter: .max,
            durability: durability)
    }
}

/// A hub, Anna's phone and a Berlin till, each trusting the others' certificates.
struct Handoff3: Sendable {
    let tenant: TestTenant
    let hub: ReplicaNode
    let phone: ReplicaNode
    let till: ReplicaNode

    init() async throws {
        tenant = try TestTenant(prefix: "sync-bench")
        // Each at the durability its program runs it with: `aisle hub serve` relays at once and
        // acknowledges once flushed, `aisle mobile` commits at NORMAL, an edge (the till) at FULL.
        hub = try tenant.liveNode("hub", .hub, [.allStores], keys: [berlin], durability: .flushed)
        phone = try tenant.liveNode("phone-anna", .mobile, [.exactly(anna)], keys: [anna], durability: .normal)
        till = try tenant.liveNode("till-1", .pos, [.exactly(berlin)], keys: [berlin], durability: .full)
        try await tenant.introduce([hub, phone, till])
    }
}

/// Units in Anna's cart c1 as `node` reads it.
func cartUnits(_ node: ReplicaNode) throws -> Int {
    try node.store.cart("c1", in: .customer("anna"))?.cart.visibleLines.reduce(0) { $0 + Int($1.quantity) } ?? 0
}

func addToCart(_ phone: ReplicaNode, _ sku: String) async throws {
    let sku = try SKU(sku)
    try await phone.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
        try cart.add(sku, quantity: 1, at: me)
    }
}

/// phone → hub → till visibility of one cart line, `samples` times, alternating with a raw TCP
/// round trip over loopback.
func handoffLatency(_ benchmark: Benchmark, samples: Int) async throws {
    let nodes = try await Handoff3()
    try await addToCart(nodes.phone, "sku-0")
    let hub = try await LoopbackHub(node: nodes.hub)
    defer { hub.stop() }
    let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
    let phone = try await RunningLink(HubLink(node: nodes.phone, url: hub.url, logger: quietLogger("bench.phone")))
    let till = try await RunningLink(
        HubLink(node: nodes.till, url: hub.url, logger: quietLogger("bench.till")) { event in
            if case .applied(anna, _, _) = event { arrived.yield() }
        })
    defer {
        phone.stop()
        till.stop()
    }
    let code = try nodes.phone.handoff(of: "c1", in: "anna", to: store)
    try await nodes.till.accept(code)
    await till.link.use(code.grant, grantor: code.grantor)
    var events = arrivals.makeAsyncIterator()
    var expected = 1
    // Visible means readable through the till's store API, after the till's commit. A sample's
    // line can only be there once the till has applied a batch of Anna's scope since the sample
    // began, so each check follows such an event (a read before it would only compete for the
    // two cores with the sync it waits for).
    func waitUntilVisible(checkFirst: Bool = false) async throws {
        if checkFirst, try cartUnits(nodes.till) >= expected { return }
        repeat {
            guard await events.next() != nil else { throw CancellationError() }
        } while try cartUnits(nodes.till) < expected
    }
    try await waitUntilVisible(checkFirst: true)
    let echo = try RawTCPEcho()
    let clock = ContinuousClock()
    for sample in 0..<samples {
        expected += 1
        let aisle = try await clock.measure {
            try await addToCart(nodes.phone, "sku-\(sample % 40)")
            await phone.link.changed(anna)
            try await waitUntilVisible()
        }

        let raw = clock.measure { echo.roundTrip() }
        benchmark.measurement(aisleNanoseconds, Int(aisle / .nanoseconds(1)))
        benchmark.measurement(rawNanoseconds, Int(raw / .nanoseconds(1)))
    }
}

/// What the wire figures measure.
struct WireFigures {
    /// Sealed frame bytes per line update, 256 updates in one batch.
    let perUpdate: Int
    /// The update's own fields: cart id, SKU and quantity, each length-prefixed.
    let raw: Int
    /// Sealed frame bytes of one update sent alone.
    let single: Int
    /// A batch change's envelope bytes beyond its delta, per object of 256 (thousandths of a byte).
    let overheadPerDeltaMillibytes: Int
}

/// Runs the real protocol engine between the phone and the hub in memory and weighs the frames.
func wireBytes() async throws -> WireFigures {
    let nodes = try await Handoff3()
    let updates = 256
    for index in 0..<updates { try await addToCart(nodes.phone, "sku-\(String(format: "%04d", index))") }
    let sessions = [nodes.phone, nodes.hub].enumerated().map { side, node in
        SyncSession(
            side: side == 0 ? .initiator : .responder, certificate: node.identity.certificate,
            signing: node.identity.signing, trust: SharedTrust(node.trustSnapshot))
    }
    var sent: [[Int]] = [[], []]
    func run(_ actions: [SyncAction], from side: Int) async throws {
        try await run(actions.map { (side, $0) })
    }
    func run(_ actions: [(Int, SyncAction)]) async throws {
        var queue = actions
        while !queue.isEmpty {
            let (side, action) = queue.removeFirst()
            switch action {
            case .send(let frame):
                sent[side].append(frame.count)
                queue += sessions[1 - side].receive(frame, now: wall).map { (1 - side, $0) }
            case .fetch(let scope, let after, let maxBytes):
                let (envelopes, complete) = try await nodes.phone.envelopes(
                    in: scope, missingFrom: after, maxBytes: maxBytes)
                queue += sessions[side].provide(scope, envelopes: envelopes, caughtUp: complete).map { (side, $0) }
            default: break
            }
        }
    }
    // Both Hellos cross before either side answers, as on a real connection.
    try await run(sessions[0].start(now: wall).map { (0, $0) } + sessions[1].start(now: wall).map { (1, $0) })
    let before = sent[0].count
    try await run(sessions[1].subscribe([anna: VersionVector()]), from: 1)
    let batch = sent[0][before...].reduce(0, +)
    try await addToCart(nodes.phone, "sku-9999")
    let beforeSingle = sent[0].count
    try await run(sessions[0].changed(anna), from: 0)
    let single = sent[0][beforeSingle...].reduce(0, +)

    // A batch write of 256 stock receipts is one change, its delta the 256 objects joined; its
    // envelope's bytes beyond that delta, per object.
    let key = try nodes.tenant.admin.root.scopeKey(for: berlin, epoch: 1)
    var objects: [ObjectKey: ObjectValue] = [:]
    for index in 0..<256 {
        var counter = BoundedCounter()
        counter.increment(by: 1, at: "till-1")
        objects[try ObjectKey(scope: berlin, kind: .stock, id: "sku-\(index)")] = .stock(counter)
    }
    let group = ObjectDelta(scope: berlin, objects: objects).encoded
    let envelope = Envelope(
        header: EnvelopeHeader(
            tenant: "acme", scope: berlin, origin: "till-1", seq: 1, epoch: 1, hlc: wall << 16,
            certificate: nodes.till.identity.certificate.id),
        encodedDeltas: [group], key: key, author: nodes.till.identity.signing)
    let overhead = envelope.canonicalBytes.count - group.count
    return WireFigures(
        perUpdate: batch / updates, raw: 1 + "c1".utf8.count + 1 + "sku-0000".utf8.count + 1, single: single,
        overheadPerDeltaMillibytes: overhead * 1_000 / objects.count)
}

/// A hub holding a store of `rows` stock rows with its log compacted, serving on loopback, and a
/// new till to bootstrap from it; the raw baseline beside them.
final class BootstrapWorkload: Sendable {
    let tenant: TestTenant
    let hub: ReplicaNode
    let server: LoopbackHub
    let rows: Int
    let raw: Fixture<RawBaseline>

    init(rows: Int) async throws {
        self.rows = rows
        tenant = try TestTenant(prefix: "sync-bench")
        hub = try tenant.liveNode("hub", .hub, [.allStores], keys: [berlin])
        let changes = remoteChanges(changes: max(1, rows / 1_000), perChange: min(rows, 1_000), keys: rows)
        for start in stride(from: 0, to: changes.count, by: 10) {
            try await hub.store.apply(Array(changes[start..<min(start + 10, changes.count)]))
        }
        // As if every replica the hub knows had acknowledged it all.
        try await hub.store.truncateLog(in: berlin, acknowledgedBy: hub.store.versionVector(of: berlin))
        server = try await LoopbackHub(node: hub)
        raw = try Fixture { try RawBaseline(path: $0.file("raw.db")) }.checkpointed()
    }

    deinit { server.stop() }

    /// A new till syncs until it holds everything the hub has.
    func bootstrap() async throws {
        let till = try tenant.liveNode("till-new", .pos, [.exactly(berlin)], keys: [berlin])
        defer { try? till.store.close() }
        try await till.learn(hub.identity.certificate)
        try await hub.learn(till.identity.certificate)
        try await HubLink(node: till, url: server.url, logger: quietLogger("bench.till")).syncOnce(
            timeout: .seconds(600))
        guard try till.store.versionVector(of: berlin) == hub.store.versionVector(of: berlin),
            try till.store.stockLevel(of: SKU("sku-\(rows - 1)"), in: store).level > 0
        else { throw CancellationError() }
    }

    /// The same rows into plain SQLite, 10,000 per transaction.
    func rawInsert() async throws {
        for start in stride(from: 0, to: rows, by: 10_000) {
            try await raw.subject.upsertStock((start..<min(start + 10_000, rows)).map { "sku-\($0)" })
        }
    }
}
