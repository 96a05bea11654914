import AisleCore

/// Click and collect in the stock simulation: the phone asks the hub to reserve, the hub places
/// the reservation within its rights (recalling spare rights from the store's tills it reaches
/// when its own fall short), a till of the store takes custody through the hub (a
/// request that can be lost or cut off by a partition), picks and hands the goods over before the
/// deadline, and whoever holds custody when the deadline passes releases the units back on sale.
extension EscrowSimulation.World {
    mutating func requestReservation(at store: StoreID) {
        let sku = pick(EscrowSimulation.skus)
        guard network.connected(phone, hub) else { return }
        network.send(.reserve(store, sku, 1 + random.next() % 2), from: phone, to: hub, now: now, random: &random)
    }

    /// The hub places a reservation, if it holds the rights to set the units aside; when it does
    /// not and `recalling`, it asks the store's tills it reaches to hand in what they can spare,
    /// and tries again when their answers arrive (``handIn(_:at:for:from:)``).
    /// - Returns: whether it placed the reservation.
    @discardableResult
    mutating func placeReservation(at store: StoreID, of sku: SKU, units: UInt64, recalling: Bool = true) -> Bool {
        placed += 1
        let id = ReservationID(stringLiteral: "res-\(placed)")
        let (hub, expiresAt) = (self.hub, now + 300 + random.next() % 1_200)
        let made = perform(at: hub) { state, stamp in
            let terms = Reservation.Terms(
                customer: "anna", lines: [sku: Int64(units)], expiresAt: expiresAt, placedAt: stamp)
            return try state.reserve(id, at: store, terms, by: hub)
        }
        guard made else {
            let reachable = tills[store]!.filter { network.connected($0, hub) }
            guard recalling, !reachable.isEmpty else {
                report.refusals += 1
                return false
            }
            report.recalls += 1
            let held = (try? replicas[hub]!.state.counter(at: .stock(sku, at: store)).rights(of: hub)) ?? 0
            let missing = units - UInt64(min(Int64(units), max(0, held)))
            for till in reachable {
                network.send(.recall(store, sku, missing), from: hub, to: till, now: now, random: &random)
            }
            return false
        }
        expected[.stock(sku, at: store), default: 0] -= Int64(units)
        report.reservations += 1
        return true
    }

    /// A till answers the hub's recall: hands in what it can spare of `sku` (``RightsPolicy/spare(_:at:hub:asked:)``,
    /// its own sales keep the refill floor of its share), and sends the hub its changes with the
    /// reservation to try again.
    mutating func handIn(_ sku: SKU, at store: StoreID, for units: UInt64, from till: ReplicaID) {
        let key = ObjectKey.stock(sku, at: store)
        let counter = (try? replicas[till]!.state.counter(at: key)) ?? BoundedCounter()
        let spare = RightsPolicy.stock.spare(counter, at: till, hub: hub, asked: units)
        if spare > 0 { transfer(spare, of: key, from: till, to: hub) }
        let changes = replicas[till]!.changes(missingFrom: replicas[hub]!.delivered)
        network.send(.handedIn(changes, store, sku, units), from: till, to: hub, now: now, random: &random)
    }

    /// A till works on an open reservation of its store it knows of: asks the hub for custody,
    /// or, holding it, picks and then hands the goods over.
    mutating func workOnReservation(at till: ReplicaID, in store: StoreID) {
        let open = replicas[till]!.state.stores[store].reservations.entries
            .filter { $0.value.terms != nil && $0.value.phase.value.isOpen }.keys.sorted()
        guard !open.isEmpty else { return }
        let id = pick(open)
        let reservation = replicas[till]!.state.reservation(id, at: store)
        guard reservation.custodian == till else {
            if network.connected(till, hub) {
                network.send(.custody(store, id), from: till, to: hub, now: now, random: &random)
            }
            return
        }
        // Picked, and often the customer is already waiting.
        let now = self.now
        var steps: [ReservationPhase] = reservation.phase.value == .reserved ? [.picked] : []
        if steps.isEmpty || random.chance(0.5) { steps.append(.collected) }
        for next in steps {
            let made = perform(at: till) { state, _ in
                try state.advanceReservation(id, at: store, to: next, by: till, wallMillis: now)
            }
            guard made else { return }
            if next == .collected {
                collected.insert(id)
                report.collected += 1
            }
        }
    }

    /// The hub hands custody to `till` while it still holds an open reservation before its deadline.
    mutating func handOver(_ id: ReservationID, at store: StoreID, to till: ReplicaID) {
        let (hub, now) = (self.hub, self.now)
        guard let terms = replicas[hub]!.state.reservation(id, at: store).terms, terms.expiresAt > now else { return }
        let made = perform(at: hub) { state, _ in try state.handOverReservation(id, at: store, from: hub, to: till) }
        guard made else { return }
        let changes = replicas[hub]!.changes(missingFrom: replicas[till]!.delivered)
        network.send(.changes(changes), from: hub, to: till, now: now, random: &random)
    }

    /// Every replica releases the open reservations it holds whose deadline has passed.
    mutating func releaseExpired() {
        let now = self.now
        for id in replicas.keys.sorted() {
            for store in EscrowSimulation.stores {
                let held = replicas[id]!.state.stores[store].reservations.entries.filter { entry in
                    entry.value.custodian == id && entry.value.phase.value.isOpen
                        && (entry.value.terms?.expiresAt ?? .max) < now
                }
                for (reservation, value) in held.sorted(by: { $0.key < $1.key }) {
                    let made = perform(at: id) { state, _ in
                        try state.releaseReservation(reservation, at: store, by: id)
                    }
                    guard made else { continue }
                    for (sku, units) in value.terms!.lines { expected[.stock(sku, at: store), default: 0] += units }
                    report.released += 1
                }
            }
        }
    }

    /// A reservation handed over must never also be released: its units would be counted twice.
    func checkReservations() -> String? {
        for id in collected.sorted() {
            for store in EscrowSimulation.stores {
                let phase = replicas[hub]!.state.reservation(id, at: store).phase.value
                if replicas[hub]!.state.reservation(id, at: store).terms != nil, phase != .collected {
                    return "reservation \(id) was collected and then \(phase)"
                }
            }
        }
        return nil
    }
}
