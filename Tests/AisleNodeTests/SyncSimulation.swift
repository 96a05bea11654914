import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleSync
import AisleTesting
import Synchronization

/// A seeded simulation of a hub and a store's tills running the real protocol engine, nodes and
/// stores (SQLite files, sealed envelopes) over links that lose, duplicate and reorder frames,
/// drop mid-batch, partition the hub away; nodes restart, compact their logs, and a till joins late.
/// After healing, every replica must hold the same state and vectors, and the stock every node shows
/// must equal what the tills acknowledged receiving minus what they acknowledged selling.
///
/// A frame lost, duplicated or reordered inside a session fails to open (secretstream) and ends
/// it, as a broken connection would; the link then reconnects and resumes from version vectors.
final class SyncSimulation {
    struct Report: CustomStringConvertible {
        let seed: UInt64
        var writes = 0
        var refusedLocally = 0
        var framesDelivered = 0
        var sessionsEnded = 0
        var restarts = 0
        var compacted = 0
        var snapshotParts = 0
        var violation: String?

        var description: String {
            "seed=\(seed) writes=\(writes) refusedLocally=\(refusedLocally) frames=\(framesDelivered) "
                + "sessionsEnded=\(sessionsEnded) restarts=\(restarts) compacted=\(compacted) "
                + "snapshotParts=\(snapshotParts)" + (violation.map { " VIOLATION: \($0)" } ?? "")
        }
    }

    /// One connection between two nodes: a session each side, frames waiting each way.
    final class Link: Sendable {
        let ends: (Int, Int)
        let connections: Mutex<[SyncConnection]> = Mutex([])
        /// Frames waiting to be read by end 0 and by end 1, each tagged with its connection's generation.
        let inboxes = Mutex<[[(UInt64, [UInt8])]]>([[], []])
        let generation = Mutex<UInt64>(0)

        init(_ a: Int, _ b: Int) { ends = (a, b) }

        var isUp: Bool { !connections.withLock { $0.isEmpty } }

        func cut() {
            connections.withLock { $0 = [] }
            inboxes.withLock { $0 = [[], []] }
            generation.withLock { $0 += 1 }
        }
    }

    static let scope = Scope.store("berlin")
    static let skus: [SKU] = ["milk", "bread", "eggs"]

    let seed: UInt64
    private var random: SeededRandom
    private let chain: TestTenant
    private var nodes: [ReplicaNode?]
    private var links: [Link] = []
    private var partitioned = false
    /// What sessions report as they go, from their progress callbacks.
    final class Events: Sendable {
        /// Nodes whose state changed through a link, and that link: they push to their other links.
        let relays = Mutex<[(node: Int, link: ObjectIdentifier)]>([])
        let snapshotParts = Mutex(0)
    }

    private let events = Events()
    private var received: [SKU: Int64] = [:]
    private var sold: [SKU: Int64] = [:]
    private(set) var report: Report

    /// Node 0 is the hub; 1...tills are tills; the last till joins at half time.
    private init(seed: UInt64) async throws {
        self.seed = seed
        random = SeededRandom(seed: seed)
        report = Report(seed: seed)
        chain = try TestTenant()
        let tills = 2 + Int(seed % 2)
        let hub = try chain.node("hub", .hub, [.allStores], keys: [Self.scope])
        var nodes: [ReplicaNode?] = [hub]
        for number in 1...tills + 1 {
            nodes.append(
                try chain.node(
                    ReplicaID(stringLiteral: "till-\(number)"), .pos, [.exactly(Self.scope)], keys: [Self.scope]))
        }
        try await chain.introduce(nodes.compactMap { $0 })
        self.nodes = nodes
        // Every till links to the hub; the first two tills also to each other (a store peer link).
        links = (1..<nodes.count).map { Link($0, 0) } + [Link(1, 2)]
    }

    /// Runs the schedule `seed` names.
    static func run(seed: UInt64, steps: Int = 100) async -> Report {
        do {
            let simulation = try await SyncSimulation(seed: seed)
            // Every schedule opens several databases: close them, or a sweep runs out of files.
            defer { simulation.close() }
            try await simulation.run(steps: steps)
            return simulation.report
        } catch {
            var report = Report(seed: seed)
            report.violation = "simulation error: \(error)"
            return report
        }
    }

    private func close() {
        for link in links { link.cut() }
        for node in nodes.compactMap({ $0 }) { try? node.store.close() }
    }

    private var lateJoiner: Int { nodes.count - 1 }
    private var joined: Set<Int> = []

    private func run(steps: Int) async throws {
        joined = Set(0..<lateJoiner)
        for step in 0..<steps {
            if step == steps / 2 {
                // Mostly, a calm spell first: everything syncs and every node compacts, so the late
                // till lacks what no log holds any more and needs the hub's snapshot.
                if random.chance(0.7) {
                    try await heal(joining: false)
                    for node in nodes.compactMap({ $0 }) {
                        report.compacted += try await node.compact().values.reduce(0) { $0 + $1.dropped }
                    }
                }
                joined.insert(lateJoiner)
            }
            try await act()
        }
        try await heal(joining: true)
        report.snapshotParts = events.snapshotParts.withLock { $0 }
        try check()
    }

    private func act() async throws {
        let roll = random.next() % 100
        switch roll {
        case 0..<25: try await write()
        case 25..<65: try await deliver(faults: true)
        case 65..<70:
            if let link = links.filter(\.isUp).randomElement(using: &random) { link.cut() }
        case 70..<84: try await connect(links.filter { !$0.isUp }.randomElement(using: &random))
        case 84..<88:
            partitioned.toggle()
            if partitioned { for link in links where link.ends.1 == 0 { link.cut() } }
        case 88..<91: try restart(Int(random.next() % UInt64(nodes.count)))
        default:
            if let node = nodes[Int(random.next() % UInt64(nodes.count))] {
                report.compacted += try await node.compact().values.reduce(0) { $0 + $1.dropped }
            }
        }
    }

    /// A till sells, or receives goods, or edits a walk-in cart; then pushes to its links.
    private func write() async throws {
        let index = 1 + Int(random.next() % UInt64(nodes.count - 1))
        guard joined.contains(index), let till = nodes[index] else { return }
        let sku = Self.skus[Int(random.next() % 3)]
        do {
            switch random.next() % 4 {
            case 0:
                let units = 1 + random.next() % 3
                try await till.store.receiveStock(units, of: sku, in: "berlin")
                received[sku, default: 0] += Int64(units)
            case 1:
                try await till.store.updateCart(CartID(stringLiteral: "cart-\(index)"), in: .store("berlin")) {
                    cart, me, _ in
                    try cart.add(sku, quantity: 1, at: me)
                }
            default:
                try await till.store.sell(1, of: sku, in: "berlin")
                sold[sku, default: 0] += 1
            }
            report.writes += 1
        } catch is StoreError {
            throw SimulationFailure("a local write failed in the store")
        } catch {
            // Not enough rights here to sell: refused locally, as a till would tell its cashier.
            report.refusedLocally += 1
            return
        }
        for link in links where link.isUp && (link.ends.0 == index || link.ends.1 == index) {
            try await push(link, from: index)
        }
    }

    private func push(_ link: Link, from index: Int) async throws {
        let side = link.ends.0 == index ? 0 : 1
        guard let connection = link.connections.withLock({ $0.isEmpty ? nil : $0[side] }) else { return }
        do { try await connection.changed(Self.scope) } catch is SyncError { end(link) }
    }

    private func connect(_ link: Link?) async throws {
        guard let link, !link.isUp, joined.contains(link.ends.0), joined.contains(link.ends.1),
            let a = nodes[link.ends.0], let b = nodes[link.ends.1], !(partitioned && link.ends.1 == 0)
        else { return }
        let generation = link.generation.withLock { $0 }
        let identifier = ObjectIdentifier(link)
        let connections = [a, b].enumerated().map { side, node in
            let index = side == 0 ? link.ends.0 : link.ends.1
            return SyncConnection(
                node: node, side: side == 0 ? .initiator : .responder, scopes: { _ in [Self.scope] },
                send: { frame in
                    link.inboxes.withLock { $0[1 - side].append((generation, frame)) }
                },
                progress: { [events] event in
                    switch event {
                    case .applied: events.relays.withLock { $0.append((index, identifier)) }
                    case .installed:
                        events.snapshotParts.withLock { $0 += 1 }
                        events.relays.withLock { $0.append((index, identifier)) }
                    default: break
                    }
                })
        }
        link.connections.withLock { $0 = connections }
        do {
            for connection in connections { try await connection.start() }
        } catch is SyncError { end(link) }
    }

    private func end(_ link: Link) {
        if link.isUp { report.sessionsEnded += 1 }
        link.cut()
    }

    /// Carries frames on one random link (with faults), or on every link until nothing moves.
    private func deliver(faults: Bool) async throws {
        guard let link = links.filter(\.isUp).randomElement(using: &random) else { return }
        let side = Int(random.next() % 2)
        let count = 1 + Int(random.next() % 16)
        for _ in 0..<count { guard try await carry(link, to: side, faults: faults) else { break } }
        try await relay()
    }

    /// Hands the next frame waiting for `side` to its session; false when none waits.
    private func carry(_ link: Link, to side: Int, faults: Bool) async throws -> Bool {
        let generation = link.generation.withLock { $0 }
        var frames: [[UInt8]] = link.inboxes.withLock { inboxes in
            guard let first = inboxes[side].first else { return [] }
            inboxes[side].removeFirst()
            return first.0 == generation ? [first.1] : []
        }
        guard !frames.isEmpty, let connection = link.connections.withLock({ $0.isEmpty ? nil : $0[side] }) else {
            return link.inboxes.withLock { !$0[side].isEmpty }
        }
        if faults {
            let fault = random.next() % 100
            if fault < 3 {
                frames = []  // lost
            } else if fault < 6 {
                frames.append(frames[0])  // duplicated
            } else if fault < 9 {
                // Reordered: the next frame overtakes this one.
                link.inboxes.withLock { inboxes in
                    if !inboxes[side].isEmpty { frames.insert(inboxes[side].removeFirst().1, at: 0) }
                }
            }
        }
        for frame in frames {
            report.framesDelivered += 1
            do { try await connection.receive(frame) } catch is SyncError {
                end(link)
                return false
            }
        }
        return true
    }

    /// Lets nodes that received changes push them on their other links (as the hub and edges do).
    private func relay() async throws {
        let pending = events.relays.withLock { pending in
            defer { pending = [] }
            return pending
        }
        for (index, source) in pending {
            for link in links
            where link.isUp && ObjectIdentifier(link) != source
                && (link.ends.0 == index || link.ends.1 == index)
            {
                try await push(link, from: index)
            }
        }
    }

    /// Stops a node (its links drop) and opens it again on its database file.
    private func restart(_ index: Int) throws {
        guard let node = nodes[index] else { return }
        for link in links where link.ends.0 == index || link.ends.1 == index { link.cut() }
        try node.store.close()
        let store = try ReplicaStore(
            StoreConfiguration(path: chain.directory.file("\(node.store.replica).db")), replica: node.store.replica,
            wallClock: { TestTenant.now })
        nodes[index] = try ReplicaNode(store: store, identity: node.identity, trust: node.trustSnapshot)
        report.restarts += 1
    }

    /// Heals the partition and every link (the hub's first, then the store's peer link), and
    /// carries every frame without faults until nothing moves, twice. `joining`: the late till too.
    private func heal(joining: Bool) async throws {
        partitioned = false
        if joining { joined = Set(nodes.indices) }
        for _ in 0..<2 {
            for link in links.sorted(by: { $0.ends.1 < $1.ends.1 }) {
                link.cut()
                try await connect(link)
                try await quiesce()
            }
        }
    }

    private func quiesce() async throws {
        for _ in 0..<10_000 {
            var moved = false
            for link in links where link.isUp {
                for side in 0..<2 { while try await carry(link, to: side, faults: false) { moved = true } }
            }
            try await relay()
            if !moved { return }
        }
        throw SimulationFailure("frames still moving after 10,000 rounds")
    }

    private func check() throws {
        let live = nodes.compactMap { $0 }
        let digests = try live.map { try $0.store.digest() }
        let vectors = try live.map { try $0.store.versionVector(of: Self.scope) }
        if Set(digests).count != 1 || Set(vectors).count != 1 {
            report.violation =
                "replicas differ after healing: "
                + zip(live, vectors).map { "\($0.0.store.replica)=\($0.1)" }.joined(separator: " ")
            return
        }
        for node in live {
            for sku in Self.skus {
                let level = try node.store.stockLevel(of: sku, in: "berlin").level
                let expected = received[sku, default: 0] - sold[sku, default: 0]
                if level != expected || level < 0 {
                    report.violation =
                        "\(node.store.replica) shows \(level) \(sku), acknowledged receipts − sales = \(expected)"
                    return
                }
            }
        }
    }
}

struct SimulationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
