public import AisleCore

/// One replica in memory: retail state, a hybrid clock, causal delivery, and the log of every
/// change it has applied (so it can forward what a peer lacks). The durable replica of AisleStore
/// does the same on SQLite; this one is for simulations, tests and the in-memory demo.
public struct SimulatedReplica: Sendable {
    public let id: ReplicaID
    public private(set) var state = RetailState()
    public private(set) var clock: HybridLogicalClock
    public private(set) var delivery = CausalDelivery<RetailState>()
    private var log: [ReplicaID: [Change<RetailState>]] = [:]
    /// Changes refused by ``ReceiptCheck`` as they became deliverable (an honest schedule has none).
    public private(set) var receiptRefusals: [ReceiptRefusal] = []

    public init(id: ReplicaID, maxDrift: UInt64 = HybridLogicalClock.defaultMaxDrift) {
        self.id = id
        clock = HybridLogicalClock(replica: id, maxDrift: maxDrift)
    }

    /// What this replica has applied, per origin.
    public var delivered: VersionVector { delivery.delivered }

    /// Performs a local mutation at wall time `wallMillis` and returns the change to replicate.
    ///
    /// - Parameter mutation: mutates the state given a fresh timestamp and returns the delta; if it
    ///   throws, the state is unchanged and no change is made.
    @discardableResult
    public mutating func perform(
        wallMillis: UInt64, _ mutation: (inout RetailState, HLCTimestamp) throws -> RetailState
    ) throws -> Change<RetailState> {
        let stamp = try clock.now(wallMillis: wallMillis)
        var next = state
        let delta = try mutation(&next, stamp)
        state = next
        let change = Change(
            origin: id, seq: delivery.delivered[id] + 1, stamp: stamp, dependencies: delivery.delivered, delta: delta)
        delivery.recordLocal(change)
        log[id, default: []].append(change)
        return change
    }

    /// Receives a change from a peer; applies it and whatever it unblocks, in causal order.
    @discardableResult
    public mutating func receive(_ change: Change<RetailState>, wallMillis: UInt64) -> [DeliveryOutcome] {
        var state = self.state
        var clock = self.clock
        var log = self.log
        var refusals = receiptRefusals
        let outcomes = delivery.receive(change) { ready in
            try clock.receive(ready.stamp, wallMillis: wallMillis)
            if let refusal = Self.refusal(of: ready, against: state) {
                refusals.append(refusal)
                throw refusal
            }
            state.join(ready.delta)
            log[ready.origin, default: []].append(ready)
        }
        self.state = state
        self.clock = clock
        self.log = log
        receiptRefusals = refusals
        return outcomes
    }

    /// Checks a change that moves a reservation as the durable replica does before joining it.
    private static func refusal(of change: Change<RetailState>, against state: RetailState) -> ReceiptRefusal? {
        for delta in change.delta.deltasByScope where delta.objects.keys.contains(where: { $0.kind == .reservation }) {
            let prior = state.objects(in: delta.scope).filter { delta.objects[$0.key] != nil }
            do { try ReceiptCheck.check(delta, origin: change.origin, prior: prior) } catch { return error }
        }
        return nil
    }

    /// The changes a peer that has delivered `peer` lacks, each origin in sequence order.
    public func changes(missingFrom peer: VersionVector) -> [Change<RetailState>] {
        log.keys.sorted().flatMap { origin in
            log[origin]!.dropFirst(Int(min(peer[origin], UInt64(log[origin]!.count))))
        }
    }

    /// Pulls every change `peer` has that this replica lacks, as one sync exchange would.
    ///
    /// - Returns: the outcome for each change received.
    @discardableResult
    public mutating func pull(from peer: SimulatedReplica, wallMillis: UInt64) -> [DeliveryOutcome] {
        peer.changes(missingFrom: delivered).flatMap { receive($0, wallMillis: wallMillis) }
    }
}
