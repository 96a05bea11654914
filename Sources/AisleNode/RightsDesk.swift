public import AisleCore
import AisleStore
import AisleSync
import Synchronization

/// A till's (or kiosk's) side of the rights bank: it keeps the device's share of each counter it
/// spends, so sales and redemptions are decided locally, and asks the hub only when a sale would
/// otherwise be refused.
///
/// - ``spending(_:_:)`` around a sale or redemption: when this device holds too few rights and the
///   hub is reachable, asks for what is missing (and the rest of its share), and keeps what the
///   sale needs from being handed back until it is written.
/// - ``rebalance(_:)`` after a write: hands rights beyond its share to the hub (goods received
///   on this till, points earned on it). Top-ups come from the hub, which pushes them.
///
/// Offline, both do nothing: the device spends what it holds, and ``explain(_:of:)`` tells the
/// cashier what is left, where, and what to do.
public struct RightsDesk: Sendable {
    public let node: ReplicaNode
    /// The live link to the hub, nil where the device has none.
    let bank: @Sendable () async -> (any RightsBank)?
    /// How long a sale waits for the hub's answer before going on with what the till holds.
    public var timeout: Duration

    public init(
        node: ReplicaNode, timeout: Duration = .seconds(2), bank: @escaping @Sendable () async -> (any RightsBank)?
    ) {
        self.node = node
        self.timeout = timeout
        self.bank = bank
    }

    private var me: ReplicaID { node.store.replica }

    /// Makes sure this device holds `units` rights of the counter at `key`, asking the hub for the
    /// difference (and the rest of the device's share) when it is reachable.
    ///
    /// - Returns: whether the device holds them now. A refusal or no answer is not an error: the
    ///   sale that follows is refused with ``explain(_:of:)``.
    @discardableResult
    public func obtain(_ units: UInt64, of key: ObjectKey) async throws -> Bool {
        let counter = try node.store.counter(at: key)
        let held = UInt64(max(0, counter.rights(of: me)))
        guard held < units else { return true }
        guard let bank = await bank(), let hub = await bank.bankReplica() else { return false }
        let policy = RightsPolicy.policy(for: key.kind)
        let spenders = policy.spenders(of: counter, hub: hub, including: [me]).count
        let wanted = max(units - held, policy.topUp(counter, for: me, spenders: spenders))
        _ = try? await bank.ask(.rights(key, units: wanted), timeout: timeout)
        return try node.store.counter(at: key).rights(of: me) >= Int64(units)
    }

    /// Runs `sale` (a sale, checkout or redemption spending `units` of each counter) with those
    /// rights obtained first (``obtain(_:of:)``) and set aside until it ends: a grant arriving
    /// from the hub changes the counter, and a ``rebalance(_:)`` it sets off (or another sale's)
    /// hands in only what this device holds beyond its share and the sales under way. Points have
    /// no share on a till, so without this a grant could go straight back before it was spent.
    ///
    /// The rights are set aside before they are asked for, so a grant is covered from the moment
    /// it lands; a sale refused for want of rights ends like any other, and the late grant is then
    /// handed back.
    @discardableResult
    public func spending<T>(_ units: [ObjectKey: UInt64], _ sale: () async throws -> T) async throws -> T {
        let units = units.filter { $0.value > 0 }
        node.pendingSales.add(units)
        defer { node.pendingSales.remove(units) }
        for (key, count) in units.sorted(by: { $0.key < $1.key }) { try await obtain(count, of: key) }
        return try await sale()
    }

    /// After writes to `keys`, or news that their counters changed (another till joined): hands
    /// each counter's excess to the hub while it is reachable. Top-ups come from the hub, which
    /// pushes them to the tills it reaches, and from ``obtain(_:of:)`` when a sale needs them.
    ///
    /// - Returns: the scopes this device wrote (push them to its links).
    public func rebalance(_ keys: [ObjectKey]) async throws -> Set<Scope> {
        guard let bank = await bank(), let hub = await bank.bankReplica() else { return [] }
        var wrote: Set<Scope> = []
        let me = self.me
        let counters = try node.store.counters(at: keys)
        for key in keys {
            let policy = RightsPolicy.policy(for: key.kind)
            let pending = node.pendingSales
            // What sales under way need stays here; read again inside the transaction.
            let excess: @Sendable (BoundedCounter) -> UInt64 = {
                pending.beyond(of: key, policy.excess($0, at: me, hub: hub))
            }
            guard let counter = counters[key], excess(counter) > 0 else { continue }
            // Worked out again inside the transaction, from the counter as it is then.
            let (units, _) = try await node.store.transferRights(of: key, to: hub, amount: excess)
            if units > 0 { wrote.insert(key.scope) }
        }
        return wrote
    }

    /// The counters this device holds rights in: the SKUs of `store` it may sell, and the points
    /// accounts it may redeem from (those earned here and not handed in yet).
    public func held(in store: StoreID) throws -> [ObjectKey] {
        let stock = try node.store.skusHeld(in: store).map { ObjectKey.stock($0, at: store) }
        let points = try node.store.accountsHeld().map(ObjectKey.account(of:))
        return stock + points
    }

    /// Makes sure this till holds custody of reservation `id` at `store`, asking the hub for it
    /// when another holds it and the hub is reachable.
    ///
    /// - Throws: ``ReservationError`` saying who holds it and what to do, when this till does not.
    public func custody(of id: ReservationID, at store: StoreID) async throws {
        guard let reservation = try node.store.reservation(id, at: store), reservation.terms != nil else {
            throw ReservationError.unknown(id)
        }
        guard reservation.custodian != me else { return }
        guard reservation.phase.value.isOpen else { throw ReservationError.closed(reservation.phase.value) }
        guard let bank = await bank(), await bank.bankReplica() != nil else {
            throw ReservationUnavailable(id: id, holder: reservation.custodian)
        }
        let reply: SyncReply
        do { reply = try await bank.ask(.custody(store: store, reservation: id), timeout: timeout) } catch {
            throw ReservationUnavailable(id: id, holder: reservation.custodian, reason: "\(error)")
        }
        if case .refused(let reason) = reply {
            throw ReservationUnavailable(id: id, holder: reservation.custodian, reason: reason)
        }
        guard try node.store.reservation(id, at: store)?.custodian == me else {
            throw ReservationUnavailable(
                id: id, holder: reservation.custodian, reason: "the hub's hand-over has not arrived")
        }
    }

    /// What to tell the cashier when a sale (or redemption) of `key`'s units was refused for want
    /// of rights: what the store has, what this till may spend, who holds the rest, what to do.
    public func explain(_ shortfall: InsufficientRights, of key: ObjectKey) async -> String {
        let counter = (try? node.store.counter(at: key)) ?? BoundedCounter()
        let hub = await bank()?.bankReplica()
        // The hub as the link names it, or, offline, as the peer recorded as the scope's archive.
        var hubs = Set((try? node.store.acknowledgements(in: key.scope))?.filter(\.archive).map(\.peer) ?? [])
        if let hub { hubs.insert(hub) }
        let stock = key.kind == .stock
        let what = stock ? "SKU \(key.id): \(counter.value) left in store" : "\(counter.value) points"
        let here = "\(max(0, counter.rights(of: me))) \(stock ? "sellable" : "redeemable") on this till"
        if counter.value <= 0 || counter.value < Int64(shortfall.requested) {
            return "\(what), asked for \(shortfall.requested): not enough anywhere"
        }
        let others = counter.allRights.filter { $0.key != me && $0.value > 0 }
        let tills = others.filter { !hubs.contains($0.key) }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        let atHub = others.filter { hubs.contains($0.key) }.reduce(Int64(0)) { $0 + $1.value }
        let elsewhere =
            tills.isEmpty
            ? ""
            : "\(stock ? "sell from" : "redeem at") another till (\(tills.prefix(3).map { "\($0.key) holds \($0.value)" }.joined(separator: ", ")))"
        if hub == nil {
            let reconnect = atHub > 0 ? "reconnect (the hub holds \(atHub))" : "reconnect"
            return "\(what), \(here) while offline: \(elsewhere.isEmpty ? reconnect : "\(reconnect), or \(elsewhere)")"
        }
        return "\(what), \(here) and the hub has none to spare: "
            + (elsewhere.isEmpty ? "try again shortly" : "\(elsewhere), or try again shortly")
    }
}

/// The rights each counter's sales under way on a device need, which ``RightsDesk/rebalance(_:)``
/// and the hub's recall leave in place.
final class PendingSales: Sendable {
    private let units = Mutex<[ObjectKey: UInt64]>([:])

    func add(_ sale: [ObjectKey: UInt64]) {
        units.withLock { $0.merge(sale, uniquingKeysWith: +) }
    }

    func remove(_ sale: [ObjectKey: UInt64]) {
        units.withLock { units in
            for (key, count) in sale {
                let held = units[key, default: 0]
                units[key] = held > count ? held - count : nil
            }
        }
    }

    /// What is left of `units` of `key`'s rights once the sales under way have theirs.
    func beyond(of key: ObjectKey, _ units: UInt64) -> UInt64 {
        let needed = self.units.withLock { $0[key, default: 0] }
        return units > needed ? units - needed : 0
    }
}

/// A reservation this till cannot act on: another replica holds it, and the hub did not hand it over.
public struct ReservationUnavailable: Error, CustomStringConvertible {
    public let id: ReservationID
    public let holder: ReplicaID?
    /// The hub's refusal; nil when the hub was not reachable.
    public var reason: String?

    public var description: String {
        let holder = self.holder.map(\.rawValue) ?? "nobody"
        guard let reason else {
            return "reservation \(id) is held by \(holder) and the hub is not reachable: reconnect to take it over"
        }
        return "reservation \(id) is held by \(holder), and the hub would not hand it over: \(reason)"
    }
}
