import AisleCore

/// A seeded simulation of stock and points under partitions, with the hub as rights bank: the
/// proof that no unit is oversold and no point spent twice.
///
/// Each schedule runs a hub, two stores of two or three tills each, and a customer's phone, as
/// ``SimulatedReplica``s (the real CRDTs and ``RightsPolicy``) on an ``InMemoryNetwork`` that
/// drops, duplicates and reorders messages and partitions stores, tills and the hub from each
/// other. Tills receive goods and returns, sell, ship goods to the other store (which receives
/// them when the truck arrives), earn and redeem points; they hand excess rights to the hub and
/// ask it for rights when a spend fails; the hub grants on request and tops up the tills it can
/// reach. The phone reserves for click and collect; tills take custody, pick and hand over; the
/// custodian releases what expires (EscrowSimulation+Reservations.swift). After every step every
/// changed replica's counters are checked (never below zero, no replica with negative rights);
/// after healing, every replica must hold the same state, every counter must equal what the
/// operations say (receipts + returns + arrivals − sales − shipments − open or collected
/// reservations for stock, earned − redeemed for points), and no reservation handed over may
/// also have been released.
public enum EscrowSimulation {
    public enum Mode: String, Sendable {
        /// Sales, receipts, returns and transfers between stores.
        case stock
        /// Points earned and redeemed at tills and on the phone.
        case points
    }

    public struct Report: Sendable, CustomStringConvertible {
        public let seed: UInt64
        public let mode: Mode
        /// Units sold (stock) or points redeemed (points) locally, without asking anyone.
        public var localSpends = 0
        /// Spends refused for want of rights here (the hub asked, where reachable).
        public var refusals = 0
        public var asks = 0
        public var grants = 0
        public var partitions = 0
        public var reservations = 0
        public var collected = 0
        public var released = 0
        /// Reservations the hub could not cover that it recalled tills' rights for, and those of
        /// them placed with what the tills handed in.
        public var recalls = 0
        public var placedAfterRecall = 0
        /// The first broken invariant, nil when the schedule passed.
        public var violation: String?

        public var passed: Bool { violation == nil }

        public var description: String {
            "seed=\(seed) mode=\(mode) spends=\(localSpends) refused=\(refusals) asks=\(asks) grants=\(grants) "
                + "partitions=\(partitions) reservations=\(reservations) collected=\(collected) released=\(released) "
                + "recalls=\(recalls) placedAfterRecall=\(placedAfterRecall)"
                + (violation.map { " VIOLATION: \($0)" } ?? "")
        }
    }

    enum Message: Sendable {
        case changes([Change<RetailState>])
        case ask(ObjectKey, UInt64)
        /// The phone asks the hub to reserve units of a SKU at a store.
        case reserve(StoreID, SKU, UInt64)
        /// A till asks the hub for custody of a reservation.
        case custody(StoreID, ReservationID)
        /// The hub asks a till to hand in spare rights of a SKU for a reservation of these units.
        case recall(StoreID, SKU, UInt64)
        /// A till's answer to a recall: its changes (the hand-in, if any), for that reservation.
        case handedIn([Change<RetailState>], StoreID, SKU, UInt64)
    }

    static let stores: [StoreID] = ["north", "south"]
    static let skus: [SKU] = ["apples", "bread", "coffee", "dates"]
    static let customers: [CustomerID] = ["anna", "ben"]

    /// Runs the schedule of `seed`.
    public static func run(seed: UInt64, mode: Mode, steps: Int = 160) -> Report {
        var world = World(seed: seed, mode: mode)
        for step in 0..<steps {
            world.step(step)
            if let violation = world.checkInvariants() {
                world.report.violation = "step \(step): \(violation)"
                return world.report
            }
        }
        world.healAndSettle()
        world.touched = Set(world.replicas.keys)
        world.report.violation = world.checkInvariants() ?? world.checkFinal() ?? world.checkReservations()
        return world.report
    }

    struct World {
        var random: SeededRandom
        var report: Report
        let mode: Mode
        var network = InMemoryNetwork<Message>(faults: .init(dropRate: 0.1, duplicateRate: 0.05, maxDelay: 30))
        var replicas: [ReplicaID: SimulatedReplica] = [:]
        let hub: ReplicaID = "hub"
        let phone: ReplicaID = "phone-anna"
        var tills: [StoreID: [ReplicaID]] = [:]
        var now: UInt64 = 1_000_000
        /// What the operations say each counter must hold.
        var expected: [ObjectKey: Int64] = [:]
        /// Goods on the road: (arrives at step, store, sku, units).
        var trucks: [(Int, StoreID, SKU, UInt64)] = []
        /// Reservations placed so far (their ids), and those handed over to the customer.
        var placed = 0
        var collected: Set<ReservationID> = []
        /// Replicas whose state changed since the last invariant check.
        var touched: Set<ReplicaID> = []

        init(seed: UInt64, mode: Mode) {
            random = SeededRandom(seed: seed)
            report = Report(seed: seed, mode: mode)
            self.mode = mode
            replicas[hub] = SimulatedReplica(id: hub)
            replicas[phone] = SimulatedReplica(id: phone)
            for store in EscrowSimulation.stores {
                let count = 2 + Int(random.next() % 2)
                tills[store] = (1...count).map { try! ReplicaID("till-\(store)-\($0)") }
                for till in tills[store]! { replicas[till] = SimulatedReplica(id: till) }
            }
        }

        var allTills: [ReplicaID] { tills.keys.sorted().flatMap { tills[$0]! } }

        mutating func step(_ step: Int) {
            now += 10
            deliver()
            for (index, truck) in trucks.enumerated().reversed() where truck.0 <= step {
                trucks.remove(at: index)
                let till = pick(tills[truck.1]!)
                receive(truck.3, of: truck.2, in: truck.1, at: till)
            }
            switch random.next() % 100 {
            case 0..<4: partition()
            case 4..<8: network.heal()
            case 8..<30: gossip()
            default: mode == .stock ? stockOperation(step) : pointsOperation()
            }
            // Tills hand in excess and ask for top-ups now and then; the hub tops up whom it reaches.
            if random.chance(0.2) { rebalance(pick(allTills)) }
            if random.chance(0.1) { hubTopUps() }
            if mode == .stock { releaseExpired() }
        }

        // MARK: Stock

        mutating func stockOperation(_ step: Int) {
            let store = pick(EscrowSimulation.stores)
            let till = pick(tills[store]!)
            let sku = pick(EscrowSimulation.skus)
            switch random.next() % 10 {
            case 0..<2: receive(1 + random.next() % 12, of: sku, in: store, at: till)
            case 2: receive(1, of: sku, in: store, at: till)  // a customer return
            case 3 where random.chance(0.6):
                requestReservation(at: store)
            case 4, 5:
                // A till of the store that knows of an open reservation works on it.
                let aware = tills[store]!.filter { till in
                    replicas[till]!.state.stores[store].reservations.entries.values.contains { $0.phase.value.isOpen }
                }
                if !aware.isEmpty { workOnReservation(at: pick(aware), in: store) }
            case 3:
                // Ship to the other store: spent here now, received there when the truck arrives.
                let units = 1 + random.next() % 3
                if spend(units, of: .stock(sku, at: store), at: till) {
                    let other = EscrowSimulation.stores.first { $0 != store }!
                    trucks.append((step + 5 + Int(random.next() % 20), other, sku, units))
                }
            default:
                _ = spend(1 + random.next() % 2, of: .stock(sku, at: store), at: till)
            }
        }

        mutating func receive(_ units: UInt64, of sku: SKU, in store: StoreID, at till: ReplicaID) {
            perform(at: till) { state, _ in state.updateStock(store) { $0.receive(units, of: sku, at: till) } }
            expected[.stock(sku, at: store), default: 0] += Int64(units)
        }

        // MARK: Points

        mutating func pointsOperation() {
            let customer = pick(EscrowSimulation.customers)
            let key = ObjectKey.account(of: customer)
            let spender = customer == "anna" && random.chance(0.2) ? phone : pick(allTills)
            if spender != phone, random.chance(0.45) {
                let points = 1 + random.next() % 50
                perform(at: spender) { state, _ in state.updateLoyalty(customer) { $0.earn(points, at: spender) } }
                expected[key, default: 0] += Int64(points)
            } else {
                _ = spend(1 + random.next() % 40, of: key, at: spender)
            }
        }

        // MARK: Spending and the bank

        /// Spends within `replica`'s rights; when it holds too few, asks the hub (if reachable)
        /// and is refused now, as a till tells its cashier.
        /// The CRDT decides: a spend beyond the replica's rights throws, as `ReplicaStore.sell` does.
        mutating func spend(_ units: UInt64, of key: ObjectKey, at replica: ReplicaID) -> Bool {
            let spent = perform(at: replica) { state, _ in
                switch key.scope {
                case .store(let store):
                    return try state.updateStock(store) { try $0.sell(units, of: try SKU(key.id), at: replica) }
                case .loyalty(let customer):
                    return try state.updateLoyalty(customer) { try $0.redeem(units, at: replica) }
                default: return RetailState()
                }
            }
            guard spent else {
                report.refusals += 1
                let counter = (try? replicas[replica]!.state.counter(at: key)) ?? BoundedCounter()
                ask(key, units: units - UInt64(min(Int64(units), max(0, counter.rights(of: replica)))), from: replica)
                return false
            }
            expected[key, default: 0] -= Int64(units)
            report.localSpends += 1
            return true
        }

        mutating func ask(_ key: ObjectKey, units: UInt64, from replica: ReplicaID) {
            guard network.connected(replica, hub) else { return }
            report.asks += 1
            network.send(.ask(key, units), from: replica, to: hub, now: now, random: &random)
        }

        /// The hub hands `units` (at most what it holds) of `key` to `recipient`.
        mutating func grant(_ key: ObjectKey, units: UInt64, to recipient: ReplicaID) {
            let counter = (try? replicas[hub]!.state.counter(at: key)) ?? BoundedCounter()
            let granted = RightsPolicy.policy(for: key.kind).grant(counter, asked: units, hub: hub)
            guard granted > 0 else { return }
            report.grants += 1
            transfer(granted, of: key, from: hub, to: recipient)
            // The grant goes straight back to the asker, as the reply carries it.
            let change = replicas[hub]!.changes(missingFrom: replicas[recipient]!.delivered)
            network.send(.changes(change), from: hub, to: recipient, now: now, random: &random)
        }

        /// A till hands in what it holds beyond its share, as `RightsDesk.rebalance` does (top-ups
        /// come from the hub's pushes and from asking when a spend fails).
        mutating func rebalance(_ till: ReplicaID) {
            guard network.connected(till, hub) else { return }
            for key in keys(spentBy: till) {
                let counter = (try? replicas[till]!.state.counter(at: key)) ?? BoundedCounter()
                let excess = RightsPolicy.policy(for: key.kind).excess(counter, at: till, hub: hub)
                if excess > 0 { transfer(excess, of: key, from: till, to: hub) }
            }
        }

        mutating func hubTopUps() {
            guard mode == .stock else { return }
            for store in EscrowSimulation.stores {
                let reachable = tills[store]!.filter { network.connected($0, hub) }
                for sku in EscrowSimulation.skus {
                    let key = ObjectKey.stock(sku, at: store)
                    let counter = (try? replicas[hub]!.state.counter(at: key)) ?? BoundedCounter()
                    for (till, units) in RightsPolicy.stock.topUps(counter, hub: hub, devices: reachable) {
                        grant(key, units: units, to: till)
                    }
                }
            }
        }

        mutating func transfer(_ units: UInt64, of key: ObjectKey, from giver: ReplicaID, to recipient: ReplicaID) {
            perform(at: giver) { state, _ in
                switch key.scope {
                case .store(let store):
                    return try state.updateStock(store) {
                        try $0.transferRights(units, of: try SKU(key.id), from: giver, to: recipient)
                    }
                case .loyalty(let customer):
                    return try state.updateLoyalty(customer) {
                        try $0.transferRights(units, from: giver, to: recipient)
                    }
                default: return RetailState()
                }
            }
        }

        func keys(spentBy replica: ReplicaID) -> [ObjectKey] {
            switch mode {
            case .stock:
                let store = tills.first { $0.value.contains(replica) }!.key
                return EscrowSimulation.skus.map { ObjectKey.stock($0, at: store) }
            case .points:
                return EscrowSimulation.customers.map(ObjectKey.account(of:))
            }
        }

        // MARK: Network

        mutating func partition() {
            report.partitions += 1
            var sides: [ReplicaID: Int] = [:]
            for replica in replicas.keys.sorted() { sides[replica] = Int(random.next() % 3) }
            network.partition(sides)
        }

        mutating func gossip() {
            let ids = replicas.keys.sorted()
            let from = pick(ids)
            let to = pick(ids.filter { $0 != from })
            let missing = replicas[from]!.changes(missingFrom: replicas[to]!.delivered)
            guard !missing.isEmpty else { return }
            network.send(.changes(missing), from: from, to: to, now: now, random: &random)
        }

        mutating func deliver() {
            for envelope in network.deliver(upTo: now) {
                switch envelope.message {
                case .changes(let changes):
                    for change in changes { replicas[envelope.to]!.receive(change, wallMillis: now) }
                    touched.insert(envelope.to)
                case .ask(let key, let units):
                    grant(key, units: units, to: envelope.from)
                case .reserve(let store, let sku, let units):
                    placeReservation(at: store, of: sku, units: units)
                case .custody(let store, let id):
                    handOver(id, at: store, to: envelope.from)
                case .recall(let store, let sku, let units):
                    handIn(sku, at: store, for: units, from: envelope.to)
                case .handedIn(let changes, let store, let sku, let units):
                    for change in changes { replicas[hub]!.receive(change, wallMillis: now) }
                    touched.insert(hub)
                    if placeReservation(at: store, of: sku, units: units, recalling: false) {
                        report.placedAfterRecall += 1
                    }
                }
            }
        }

        mutating func healAndSettle() {
            network.heal()
            network.faults = .none
            now += 1_000
            _ = network.deliver(upTo: now)
            let ids = replicas.keys.sorted()
            for _ in 0..<3 {
                for from in ids {
                    for to in ids where to != from { replicas[to]!.pull(from: replicas[from]!, wallMillis: now) }
                }
            }
        }

        // MARK: Checks

        /// Checks every counter of the replicas changed since the last check.
        mutating func checkInvariants() -> String? {
            defer { touched = [] }
            for id in touched.sorted() {
                let replica = replicas[id]!
                for key in expected.keys {
                    guard let counter = try? replica.state.counter(at: key) else { continue }
                    if let violation = counter.escrowViolation { return "\(id) \(key): \(violation)" }
                }
            }
            return nil
        }

        func checkFinal() -> String? {
            if let (id, refusal) = replicas.compactMap({ id, replica in replica.receiptRefusals.first.map { (id, $0) } }
            )
            .min(by: { $0.0 < $1.0 }) {
                return "\(id) refused an honest change on receipt: \(refusal)"
            }
            let reference = replicas[hub]!.state.digest
            if let diverged = replicas.first(where: { $0.value.state.digest != reference }) {
                return "\(diverged.key) did not converge with the hub"
            }
            let state = replicas[hub]!.state
            // Goods still on the road count nowhere: shipped (spent) at one store, not yet received.
            for (key, units) in expected.sorted(by: { $0.key < $1.key }) {
                let value = (try? state.counter(at: key).value) ?? 0
                if value != units { return "\(key) holds \(value), the operations say \(units)" }
                if value < 0 { return "\(key) is below zero: \(value)" }
            }
            return nil
        }

        // MARK: Helpers

        /// Performs `mutation` at `replica` now (given its fresh timestamp); returns whether it was
        /// made (a refused mutation changes nothing).
        @discardableResult
        mutating func perform(
            at replica: ReplicaID, _ mutation: (inout RetailState, HLCTimestamp) throws -> RetailState
        ) -> Bool {
            guard (try? replicas[replica]!.perform(wallMillis: now, mutation)) != nil else { return false }
            touched.insert(replica)
            return true
        }

        mutating func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
    }
}
