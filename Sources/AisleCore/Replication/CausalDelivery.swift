/// Decides when a received change may be applied: each origin's changes in sequence order, each
/// only after every change it depends on. Changes that arrive early are held, duplicates dropped.
///
/// The caller applies a ready change; should applying refuse it (a clock too far ahead, say),
/// it is dropped and the origin's later changes wait until it is received again.
public struct CausalDelivery<Delta: Sendable & Equatable>: Sendable {
    /// What has been applied: per origin, the highest sequence number without gaps.
    public private(set) var delivered: VersionVector
    private var held: [ReplicaID: [UInt64: Change<Delta>]] = [:]

    public init(delivered: VersionVector = VersionVector()) {
        self.delivered = delivered
    }

    /// How many received changes wait for an earlier one.
    public var heldCount: Int { held.values.reduce(0) { $0 + $1.count } }

    /// Records a locally made change as delivered (its sequence number must be the next one).
    public mutating func recordLocal(_ change: Change<Delta>) {
        precondition(change.seq == delivered[change.origin] + 1, "local change out of sequence")
        delivered.advance(change.origin, to: change.seq)
    }

    /// Takes a received change and applies it, and any held changes it unblocks, with `apply`.
    ///
    /// - Returns: what happened to `change` and to each change it released.
    public mutating func receive(
        _ change: Change<Delta>, apply: (Change<Delta>) throws -> Void
    ) -> [DeliveryOutcome] {
        if change.seq <= delivered[change.origin] { return [.duplicate(origin: change.origin, seq: change.seq)] }
        if held[change.origin]?[change.seq] == nil { held[change.origin, default: [:]][change.seq] = change }
        var outcomes: [DeliveryOutcome] = []
        while let ready = nextReady() {
            held[ready.origin]?[ready.seq] = nil
            if held[ready.origin]?.isEmpty == true { held[ready.origin] = nil }
            do {
                try apply(ready)
                delivered.advance(ready.origin, to: ready.seq)
                outcomes.append(.applied(origin: ready.origin, seq: ready.seq))
            } catch {
                outcomes.append(.refused(origin: ready.origin, seq: ready.seq, reason: String(describing: error)))
            }
        }
        if held[change.origin]?[change.seq] != nil { outcomes.append(.held(origin: change.origin, seq: change.seq)) }
        return outcomes
    }

    private func nextReady() -> Change<Delta>? {
        for origin in held.keys.sorted() {
            guard let next = held[origin]?[delivered[origin] + 1] else { continue }
            if delivered.includes(next.dependencies) { return next }
        }
        return nil
    }
}

/// What became of one received change.
public enum DeliveryOutcome: Equatable, Sendable {
    /// Applied now.
    case applied(origin: ReplicaID, seq: UInt64)
    /// Already applied before; ignored.
    case duplicate(origin: ReplicaID, seq: UInt64)
    /// Waiting for an earlier change it depends on.
    case held(origin: ReplicaID, seq: UInt64)
    /// The applier refused it; it must be received again to be applied.
    case refused(origin: ReplicaID, seq: UInt64, reason: String)
}
