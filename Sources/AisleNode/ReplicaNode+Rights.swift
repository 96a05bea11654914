public import AisleCore
public import AisleCrypto
import AisleStore
public import AisleSync

/// The hub's side of the rights bank (docs/sync.md, "Rights bank"): a device asks for rights to a
/// store's stock of one SKU or to a customer's points, and the hub hands over what it holds, up to
/// what was asked, as a change of its own that the reply carries.
extension ReplicaNode {
    /// Answers a peer's question. Only the hub answers: it banks rights (stock rights for tills
    /// and kiosks, points rights for them and the customer's phones), places reservations for
    /// phones, and hands a reservation's custody to a till of its store.
    ///
    /// - Returns: the reply, and the scope of the change it wrote, if any.
    ///
    /// - Parameter recall: on the hub, how to ask the store's connected tills for the stock rights
    ///   a reservation lacks (``RightsRecall``); nil: reserve only from the hub's own rights.
    public func serve(_ request: SyncRequest, from peer: Certificate, recall: (any RightsRecall)? = nil) async -> (
        SyncReply, Scope?
    ) {
        if case .recall(let store, let lines) = request { return await handIn(lines, at: store, to: peer) }
        guard identity.certificate.body.role == .hub else {
            return (.refused("a \(identity.certificate.body.role) answers no such question: ask the hub"), nil)
        }
        do {
            switch request {
            case .rights(let key, let units):
                return try await grant(units, of: key, to: peer)
            case .reserve(let store, let customer, let lines, let holdSeconds):
                return try await reserve(
                    lines, at: store, for: customer, holdSeconds: holdSeconds, by: peer, recall: recall)
            case .custody(let store, let reservation):
                return try await handOver(reservation, at: store, to: peer)
            case .recall:
                return (.refused("the hub recalls rights; it hands in none"), nil)
            case .reservations(let customer):
                return (.reservations(try reports(of: customer)), nil)
            }
        } catch {
            return (.refused("\(error)"), nil)
        }
    }

    private func grant(_ units: UInt64, of key: ObjectKey, to peer: Certificate) async throws -> (SyncReply, Scope?) {
        let role = peer.body.role
        switch key.kind {
        case .stock where role.isStoreTerminal: break
        case .account where role.isStoreTerminal || role == .mobile: break
        case .stock, .account:
            return (.refused("a \(role) may not spend \(key.kind == .stock ? "stock" : "points")"), nil)
        default:
            return (.refused("a \(key.kind) holds no rights"), nil)
        }
        let policy = RightsPolicy.policy(for: key.kind)
        let hub = store.replica
        let device = peer.body.device
        let (granted, acknowledgement) = try await writeOwn {
            let (granted, acknowledgements) = try await self.store.transferRights(of: key, to: device) {
                policy.grant($0, asked: units, hub: hub)
            }
            return ((granted, acknowledgements.first), acknowledgements)
        }
        guard let acknowledgement else { return (.granted(units: 0, envelopes: []), nil) }
        NodeMetrics.granted(granted, of: key.kind, trigger: .asked)
        return (.granted(units: granted, envelopes: try await sealOwn(since: acknowledgement)), key.scope)
    }

    private func reserve(
        _ lines: [SKU: UInt64], at store: StoreID, for customer: CustomerID, holdSeconds: UInt64, by peer: Certificate,
        recall: (any RightsRecall)?
    ) async throws -> (SyncReply, Scope?) {
        guard peer.body.role == .mobile || peer.body.role == .hq else {
            return (.refused("a \(peer.body.role) may not reserve for a customer: the customer's phone asks"), nil)
        }
        let catalog = try self.store.catalog()
        guard catalog.stores[store] != nil else { return (.refused("no store \(store) in the catalog"), nil) }
        if let unknown = lines.keys.sorted().first(where: { catalog.products[$0] == nil }) {
            return (.refused("unknown SKU \(unknown): it is not in the catalog"), nil)
        }
        // Before any arithmetic: a phone's numbers are as it sent them.
        for (sku, units) in lines.sorted(by: { $0.key < $1.key }) {
            do { try RetailLimits.check(units, .units) } catch {
                return (.refused("SKU \(sku): \(error)"), nil)
            }
        }
        let hold = min(holdSeconds == 0 ? Self.defaultHoldSeconds : holdSeconds, Self.longestHoldSeconds)
        let expiresAt = self.store.wallClock() + hold * 1_000
        let id = try ReservationID("res-" + String(UInt64.random(in: 0..<(1 << 48)), radix: 36))
        let deadline = ContinuousClock.now + Self.recallWait
        while true {
            do {
                try await writeOwn {
                    (
                        (),
                        try await self.store.reserve(
                            id, at: store, for: customer, lines: lines.mapValues { Int64($0) }, expiresAt: expiresAt)
                    )
                }
                break
            } catch let error as StockError {
                // The hub's own rights fall short: the tills of the store may hold the units.
                let missing = try lacking(lines, at: store)
                if let recall, !missing.isEmpty, ContinuousClock.now < deadline,
                    await recall.recall(missing, at: store, until: deadline) > 0
                {
                    continue
                }
                return refusal(error, at: store)
            }
        }
        return (.reserved(id, expiresAt: expiresAt), .store(store))
    }

    /// How long a reservation the hub cannot cover from its own rights waits for the store's
    /// tills to hand in theirs (``RightsRecall``) before it is refused.
    public static let recallWait: Duration = .seconds(2)

    /// The units of `lines` the hub's own stock rights at `store` do not cover, per SKU; none when
    /// the store as a whole has too few of some SKU (no till could help).
    private func lacking(_ lines: [SKU: UInt64], at store: StoreID) throws -> [SKU: UInt64] {
        let hub = self.store.replica
        var missing: [SKU: UInt64] = [:]
        for (sku, units) in lines {
            let counter = try self.store.counter(at: .stock(sku, at: store))
            guard counter.value >= Int64(clamping: units) else { return [:] }
            let held = UInt64(max(0, counter.rights(of: hub)))
            if held < units { missing[sku] = units - held }
        }
        return missing
    }

    private func refusal(_ error: StockError, at store: StoreID) -> (SyncReply, Scope?) {
        let held = max(0, error.shortfall.available)
        return (
            .refused(
                "\(store) can set aside \(held) of \(error.sku) now (asked for \(error.shortfall.requested)): "
                    + "reserve fewer, or try another store"), nil
        )
    }

    /// Where `customer`'s reservations stand, in every store (the session has checked that the
    /// asker may hold the customer's scope).
    private func reports(of customer: CustomerID) throws -> [ReservationReport] {
        try store.reservations(of: customer).compactMap { store, id, reservation in
            guard let terms = reservation.terms else { return nil }
            return ReservationReport(
                store: store, id: id, lines: terms.lines.mapValues { UInt64(max(0, $0)) }, expiresAt: terms.expiresAt,
                phase: reservation.phase.value)
        }
    }

    /// Releases every open reservation this node holds whose deadline has passed, back into stock.
    /// - Returns: the stores and ids released (one released meanwhile elsewhere is skipped).
    public func releaseExpiredReservations() async throws -> [(StoreID, ReservationID)] {
        var released: [(StoreID, ReservationID)] = []
        for (store, id) in try self.store.expiredReservations() {
            do {
                try await writeOwn { ((), try await self.store.releaseReservation(id, at: store)) }
                released.append((store, id))
            } catch is ReservationError {
                continue
            }
        }
        return released
    }

    /// How long a reservation holds its units when the phone does not say: two hours.
    public static let defaultHoldSeconds: UInt64 = 7_200
    /// The longest a reservation holds its units: a week (a longer hold asked for is shortened).
    public static let longestHoldSeconds: UInt64 = 7 * 24 * 3_600

    private func handOver(_ id: ReservationID, at store: StoreID, to peer: Certificate) async throws -> (
        SyncReply, Scope?
    ) {
        guard peer.body.role.isStoreTerminal else {
            return (.refused("a \(peer.body.role) may not pick reservations"), nil)
        }
        let device = peer.body.device
        let acknowledgement = try await writeOwn {
            let acknowledgements = try await self.store.handOverReservation(id, at: store, to: device)
            return (acknowledgements.first, acknowledgements)
        }
        guard let acknowledgement else { return (.granted(units: 0, envelopes: []), nil) }
        return (.granted(units: 0, envelopes: try await sealOwn(since: acknowledgement)), .store(store))
    }
}

/// Where a device asks for rights: its live link to the hub.
public protocol RightsBank: Sendable {
    /// The hub's replica while it can be asked now; nil while it is unreachable.
    func bankReplica() async -> ReplicaID?
    /// Asks the hub; a grant's envelopes are applied before this returns.
    /// - Throws: when the link is down or drops, or the hub does not answer within `timeout`.
    func ask(_ request: SyncRequest, timeout: Duration) async throws -> SyncReply
}

extension SyncConnection: RightsBank {
    public func bankReplica() async -> ReplicaID? {
        guard let peer, peer.body.role == .hub, ended == nil else { return nil }
        return peer.body.device
    }

    public func ask(_ request: SyncRequest, timeout: Duration) async throws -> SyncReply {
        try await withThrowingTaskGroup(of: SyncReply.self) { group in
            group.addTask { try await self.ask(request) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw RightsUnavailable.noAnswer(timeout)
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}

/// Why a device could not reach the rights bank.
public enum RightsUnavailable: Error, CustomStringConvertible {
    case noAnswer(Duration)
    case offline

    public var description: String {
        switch self {
        case .noAnswer(let timeout): "the hub did not answer within \(timeout)"
        case .offline: "the hub is not reachable"
        }
    }
}
