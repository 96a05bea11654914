public import AisleCore

/// A seeded simulation of K replicas editing carts, selling and receiving stock, moving rights,
/// earning and redeeming points, over a network that drops, duplicates, delays and partitions,
/// with clocks that jump. After healing and a full exchange every replica must hold the same
/// state, and at every step no stock level or points balance may be below zero anywhere.
///
/// Everything is decided by the seed: ``run(seed:replicaCount:steps:)`` with the same arguments
/// replays the same schedule exactly.
public struct ConvergenceSimulation {
    /// What one schedule did and whether it held up.
    public struct Report: Sendable, CustomStringConvertible {
        public let seed: UInt64
        public let replicaCount: Int
        /// Local operations that succeeded, and those the replica refused (no rights, closed cart …).
        public var performed = 0
        public var refusedLocally = 0
        /// Remote changes a receiver refused (clock too far ahead) and later received again.
        public var refusedRemotely = 0
        public var messages = 0
        /// The first broken invariant, nil when the schedule passed.
        public var violation: String?
        /// The converged state's digest (replica 0's when they differ).
        public var digest: StateDigest?

        public var passed: Bool { violation == nil }

        public var description: String {
            "seed=\(seed) replicas=\(replicaCount) performed=\(performed) refusedLocally=\(refusedLocally) "
                + "refusedRemotely=\(refusedRemotely) messages=\(messages) "
                + (violation.map { "VIOLATION: \($0)" } ?? "digest=\(digest?.short ?? "-")")
        }
    }

    /// What a replica sends a peer: changes it believes the peer lacks, and what it has itself.
    struct SyncMessage: Sendable {
        let changes: [Change<RetailState>]
        let senderDelivered: VersionVector
    }

    static let store: StoreID = "store-1"
    static let skus: [SKU] = ["sku-a", "sku-b", "sku-c"]
    static let carts: [CartID] = ["cart-1", "cart-2"]
    static let customers: [CustomerID] = ["cust-1", "cust-2"]

    /// cart-1 is a customer's cart (it follows them between devices); cart-2 a walk-in cart.
    static func home(of cart: CartID) -> CartHome {
        cart == carts[0] ? .customer(customers[0]) : .store(store)
    }

    private var random: SeededRandom
    private var clock = ManualClock()
    private var network = InMemoryNetwork<SyncMessage>(
        faults: .init(dropRate: 0.2, duplicateRate: 0.1, maxDelay: 1_500))
    private var replicas: [SimulatedReplica]
    private var believed: [[VersionVector]]
    private var report: Report
    // The plain model: what the successful operations add up to.
    private var received: [SKU: Int64] = [:]
    private var sold: [SKU: Int64] = [:]
    private var earned: [CustomerID: Int64] = [:]
    private var redeemed: [CustomerID: Int64] = [:]

    private init(seed: UInt64, replicaCount: Int) {
        random = SeededRandom(seed: seed)
        replicas = (0..<replicaCount).map { SimulatedReplica(id: ReplicaID(stringLiteral: "r\($0)")) }
        believed = Array(repeating: Array(repeating: VersionVector(), count: replicaCount), count: replicaCount)
        report = Report(seed: seed, replicaCount: replicaCount)
    }

    /// The replica counts schedules cycle through.
    public static let replicaCounts = [3, 5, 8]

    /// Runs the schedule `seed` names: its replica count (3, 5 or 8) is derived from the seed, so a
    /// printed seed alone replays a failure.
    public static func run(seed: UInt64, steps: Int = 80) -> Report {
        run(seed: seed, replicaCount: replicaCounts[Int(seed % UInt64(replicaCounts.count))], steps: steps)
    }

    /// Runs one schedule of `steps` steps on `replicaCount` replicas.
    public static func run(seed: UInt64, replicaCount: Int, steps: Int = 80) -> Report {
        var simulation = ConvergenceSimulation(seed: seed, replicaCount: replicaCount)
        simulation.publishCatalog()
        for _ in 0..<steps where simulation.report.passed {
            simulation.step()
        }
        if simulation.report.passed { simulation.healAndExchange() }
        return simulation.report
    }

    // MARK: The schedule

    private mutating func step() {
        clock.advance(by: 1 + random.next() % 300)
        if random.chance(0.04) { repartition() }
        if random.chance(0.03) {
            // Jumps back up to five minutes, or forward up to 90 s (past the 60 s drift limit).
            let skew = Int64(random.next() % 390_000) - 300_000
            clock.setSkew(skew, for: pick(replicas.indices).description)
        }
        let actor = pick(replicas.indices)
        operate(actor)
        if random.chance(0.35) {
            let from = pick(replicas.indices)
            let to = pick(replicas.indices)
            if from != to { sendMissing(from: from, to: to, limit: 16) }
        }
        deliverDue()
    }

    private mutating func repartition() {
        if random.chance(0.4) {
            network.heal()
            return
        }
        var sides: [ReplicaID: Int] = [:]
        for replica in replicas { sides[replica.id] = Int(random.next() % 2) }
        network.partition(sides)
    }

    private mutating func publishCatalog() {
        perform(0) { state, stamp in
            var delta = RetailState()
            for (index, sku) in Self.skus.enumerated() {
                delta.join(try state.updateCatalog { try $0.setPrice(sku, Int64(100 * (index + 1)), at: stamp) })
                delta.join(state.updateCatalog { $0.setProduct(sku, Product(name: "Item \(index)"), at: stamp) })
            }
            delta.join(
                try state.updateCatalog {
                    try $0.setPromotion("promo-1", .buyXGetY("sku-a", buy: 2, free: 1), at: stamp)
                })
            return delta
        }
    }

    private mutating func operate(_ actor: Int) {
        let me = replicas[actor].id
        let peer = replicas[pick(replicas.indices)].id
        let cart = pick(Self.carts)
        let home = Self.home(of: cart)
        let sku = pick(Self.skus)
        let customer = pick(Self.customers)
        let amount = 1 + random.next() % 4
        let kind = random.next() % 100
        let store = Self.store
        switch kind {
        case 0..<14:
            perform(actor) { state, _ in
                try state.updateCart(cart, in: home) { try $0.add(sku, quantity: Int64(amount), at: me) }
            }
        case 14..<20:
            let quantity = Int64(random.next() % 4)
            perform(actor) { state, stamp in
                try state.updateCart(cart, in: home) { try $0.setQuantity(sku, to: quantity, at: stamp) }
            }
        case 20..<25:
            perform(actor) { state, _ in try state.updateCart(cart, in: home) { try $0.remove(sku) } }
        case 25..<28:
            perform(actor) { state, stamp in
                try state.updateCart(cart, in: home) { try $0.setNote(sku, to: "note \(amount)", at: stamp) }
            }
        case 28..<30:
            perform(actor) { state, stamp in
                try state.updateCart(cart, in: home) { try $0.setOwner(customer, at: stamp) }
            }
        case 30..<32:
            let order = OrderID(stringLiteral: "order-\(me)-\(replicas[actor].delivered[me] + 1)")
            perform(actor) { state, stamp in try state.checkOut(cart, in: home, as: order, store: store, at: stamp) }
        case 32..<44:
            if perform(actor, { state, _ in state.updateStock(store) { $0.receive(amount, of: sku, at: me) } }) {
                received[sku, default: 0] += Int64(amount)
            }
        case 44..<60:
            if perform(actor, { state, _ in try state.updateStock(store) { try $0.sell(amount, of: sku, at: me) } }) {
                sold[sku, default: 0] += Int64(amount)
            }
        case 60..<68:
            perform(actor) { state, _ in
                try state.updateStock(store) { try $0.transferRights(amount, of: sku, from: me, to: peer) }
            }
        case 68..<78:
            let points = amount * 10
            if perform(actor, { state, _ in state.updateLoyalty(customer) { $0.earn(points, at: me) } }) {
                earned[customer, default: 0] += Int64(points)
            }
        case 78..<90:
            let points = amount * 7
            if perform(actor, { state, _ in try state.updateLoyalty(customer) { try $0.redeem(points, at: me) } }) {
                redeemed[customer, default: 0] += Int64(points)
            }
        case 90..<95:
            perform(actor) { state, _ in
                try state.updateLoyalty(customer) { try $0.transferRights(amount * 5, from: me, to: peer) }
            }
        default:
            let price = Int64(50 + random.next() % 500)
            perform(actor) { state, stamp in try state.updateCatalog { try $0.setPrice(sku, price, at: stamp) } }
        }
    }

    /// Performs a local mutation at `actor`, pushes the change to one peer, checks invariants.
    @discardableResult
    private mutating func perform(_ actor: Int, _ mutation: (inout RetailState, HLCTimestamp) throws -> RetailState)
        -> Bool
    {
        do {
            let change = try replicas[actor].perform(wallMillis: wall(actor), mutation)
            report.performed += 1
            let peer = pick(replicas.indices)
            if peer != actor {
                send(SyncMessage(changes: [change], senderDelivered: replicas[actor].delivered), actor, peer)
            }
            checkInvariants(actor, after: "local change \(change.seq) at \(replicas[actor].id)")
            return true
        } catch {
            report.refusedLocally += 1
            return false
        }
    }

    private mutating func sendMissing(from: Int, to: Int, limit: Int) {
        let missing = replicas[from].changes(missingFrom: believed[from][to])
        send(SyncMessage(changes: Array(missing.prefix(limit)), senderDelivered: replicas[from].delivered), from, to)
    }

    private mutating func send(_ message: SyncMessage, _ from: Int, _ to: Int) {
        report.messages += 1
        network.send(message, from: replicas[from].id, to: replicas[to].id, now: clock.now, random: &random)
    }

    private mutating func deliverDue() {
        for envelope in network.deliver(upTo: clock.now) where report.passed {
            let to = index(of: envelope.to)
            receive(envelope.message, from: index(of: envelope.from), at: to)
        }
    }

    private mutating func receive(_ message: SyncMessage, from: Int, at to: Int) {
        believed[to][from].join(message.senderDelivered)
        for change in message.changes {
            for outcome in replicas[to].receive(change, wallMillis: wall(to)) {
                if case .refused = outcome { report.refusedRemotely += 1 }
            }
            checkInvariants(to, after: "receiving \(change.origin)#\(change.seq) at \(replicas[to].id)")
        }
    }

    // MARK: Healing

    private mutating func healAndExchange() {
        network.heal()
        network.faults = .none
        clock.resetSkews()
        // Past every stamp a skewed clock or a drifted HLC could have issued.
        clock.advance(by: 400_000)
        for (to, envelope) in network.deliver(upTo: .max).map({ (index(of: $0.to), $0) }) where report.passed {
            receive(envelope.message, from: index(of: envelope.from), at: to)
        }
        var progressed = true
        var rounds = 0
        while progressed, report.passed {
            progressed = false
            rounds += 1
            // Everyone sends to r0, then r0 to everyone: a full exchange in 2(K − 1) transfers.
            let pairs = replicas.indices.dropFirst().map { ($0, 0) } + replicas.indices.dropFirst().map { (0, $0) }
            for (from, to) in pairs {
                let missing = replicas[from].changes(missingFrom: replicas[to].delivered)
                guard !missing.isEmpty else { continue }
                progressed = true
                receive(SyncMessage(changes: missing, senderDelivered: replicas[from].delivered), from: from, at: to)
            }
            if rounds > replicas.count + 2 { fail("full exchange did not settle after \(rounds) rounds") }
        }
        guard report.passed else { return }
        checkConvergence()
    }

    private mutating func checkConvergence() {
        let digests = replicas.map(\.state.digest)
        report.digest = digests[0]
        for (index, replica) in replicas.enumerated() {
            if replica.delivery.heldCount > 0 {
                return fail("\(replica.id) still holds \(replica.delivery.heldCount) undeliverable changes")
            }
            if digests[index] != digests[0] {
                return fail("\(replica.id) digest \(digests[index].short) differs from r0 \(digests[0].short)")
            }
        }
        let state = replicas[0].state
        for sku in Self.skus {
            let expected = received[sku, default: 0] - sold[sku, default: 0]
            let level = state.stock(at: Self.store).level(of: sku)
            if level != expected { return fail("stock of \(sku) is \(level), receipts − sales = \(expected)") }
        }
        for customer in Self.customers {
            let expected = earned[customer, default: 0] - redeemed[customer, default: 0]
            let balance = state.loyalty[customer].balance
            if balance != expected {
                return fail("points of \(customer) are \(balance), earned − redeemed = \(expected)")
            }
        }
    }

    // MARK: Invariants

    private mutating func checkInvariants(_ index: Int, after event: String) {
        let replica = replicas[index]
        for sku in replica.state.stock(at: Self.store).counters.keys {
            if let problem = replica.state.stock(at: Self.store).counters[sku].escrowViolation {
                return fail("stock of \(sku) at \(replica.id) after \(event): \(problem)")
            }
        }
        for customer in replica.state.loyalty.keys {
            if let problem = replica.state.loyalty[customer].points.escrowViolation {
                return fail("points of \(customer) at \(replica.id) after \(event): \(problem)")
            }
        }
    }

    private mutating func fail(_ message: String) {
        if report.violation == nil { report.violation = message }
    }

    // MARK: Helpers

    private func wall(_ index: Int) -> UInt64 {
        clock.reading(for: index.description)
    }

    private func index(of id: ReplicaID) -> Int {
        replicas.firstIndex { $0.id == id }!
    }

    private mutating func pick<C: Collection>(_ collection: C) -> C.Element where C.Index == Int {
        collection[collection.startIndex + Int(random.next() % UInt64(collection.count))]
    }
}
