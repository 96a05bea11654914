/// The writer rules a received change must keep that only the receiver's state can show
/// (docs/security.md, "Checked on receipt"): the certificate and role checks see one change alone,
/// this sees it against what the receiver holds before joining it.
///
/// With causal delivery the receiver holds everything the author had seen, and only the author
/// writes its own counter entries, so the receiver's state is the author's as of the write:
///
/// - a reservation is placed once, by its author, held by it (custody epoch 1) and reserved;
/// - custody passes only from its holder, while the reservation is open, one epoch up;
/// - the phase moves only at the custodian, while the reservation is open;
/// - a change that carries a reservation changes stock counts by exactly that step's lines: the
///   units set aside when it is placed (subtracted at its author), the units put back when it is
///   released (added at its author), nothing for a hand-over, pick or collection. Rights may move.
///
/// Pure: the store runs it in the transaction that would apply the change, before joining.
public enum ReceiptCheck {
    /// Checks `delta`, written by `origin`, against `prior`: the receiver's objects at the delta's
    /// reservation and stock keys (missing: never written here).
    ///
    /// - Throws: ``ReceiptRefusal`` naming the rule broken; nothing is to be applied then.
    public static func check(_ delta: ObjectDelta, origin: ReplicaID, prior: [ObjectKey: ObjectValue])
        throws(ReceiptRefusal)
    {
        var placed: [SKU: Int64] = [:]
        var released: [SKU: Int64] = [:]
        var reservations = 0
        for (key, value) in delta.objects.sorted(by: { $0.key < $1.key }) {
            guard case .reservation(let incoming) = value else { continue }
            reservations += 1
            var before = Reservation()
            if case .reservation(let known)? = prior[key] { before = known }
            let step = try check(incoming, key: key, before: before, origin: origin)
            for (sku, units) in step.placed { placed[sku, default: 0] += units }
            for (sku, units) in step.released { released[sku, default: 0] += units }
        }
        guard reservations > 0, case .store(let store) = delta.scope else { return }
        var skus = Set(placed.keys).union(released.keys)
        for key in delta.objects.keys where key.kind == .stock {
            if let sku = try? SKU(key.id) { skus.insert(sku) }
        }
        for sku in skus.sorted() {
            let key = ObjectKey.stock(sku, at: store)
            var incoming = BoundedCounter()
            var before = BoundedCounter()
            if case .stock(let counter)? = delta.objects[key] { incoming = counter }
            if case .stock(let counter)? = prior[key] { before = counter }
            let added = grown(incoming.counts.increments[origin], from: before.counts.increments[origin])
            let subtracted = grown(incoming.counts.decrements[origin], from: before.counts.decrements[origin])
            let expected = (added: released[sku] ?? 0, subtracted: placed[sku] ?? 0)
            guard added == expected.added, subtracted == expected.subtracted else {
                throw .stockOffLines(key, added: added, subtracted: subtracted, expected: expected)
            }
        }
    }

    /// What one reservation step of the change does to stock.
    private struct Step {
        var placed: [SKU: Int64] = [:]
        var released: [SKU: Int64] = [:]
    }

    private static func check(_ incoming: Reservation, key: ObjectKey, before: Reservation, origin: ReplicaID)
        throws(ReceiptRefusal) -> Step
    {
        var step = Step()
        if let terms = incoming.terms {
            guard before.terms == nil else { throw .placedTwice(key) }
            guard incoming.custody.value == Reservation.Custody(epoch: 1, holder: origin),
                incoming.phase.value == .reserved
            else { throw .placementNotHeld(key, by: origin) }
            step.placed = terms.lines
            return step
        }
        if incoming.custody.value > before.custody.value {
            try requireOpen(key, before, heldBy: origin)
            guard incoming.custody.value.epoch == before.custody.value.epoch + 1 else {
                throw .custodySkipped(key, from: before.custody.value.epoch, to: incoming.custody.value.epoch)
            }
        }
        if incoming.phase.value > before.phase.value {
            // A hand-over and a phase change never travel together: the phase moves at the
            // custodian as it was before this change.
            guard incoming.custody.value <= before.custody.value else { throw .handOverAndStep(key) }
            try requireOpen(key, before, heldBy: origin)
            if incoming.phase.value == .released, let terms = before.terms { step.released = terms.lines }
        }
        return step
    }

    private static func requireOpen(_ key: ObjectKey, _ before: Reservation, heldBy origin: ReplicaID)
        throws(ReceiptRefusal)
    {
        guard before.terms != nil else { throw .unknownReservation(key) }
        guard before.phase.value.isOpen else { throw .closed(key, before.phase.value) }
        guard before.custodian == origin else { throw .notCustodian(key, origin: origin, holder: before.custodian) }
    }

    /// What a replica's running total grew by in the change (0 when it did not).
    private static func grown(_ total: UInt64?, from before: UInt64?) -> Int64 {
        let total = total ?? 0
        let before = before ?? 0
        return total > before ? Int64(clamping: total - before) : 0
    }
}

/// A received change that breaks a writer rule the receiver's state shows (``ReceiptCheck``):
/// refused with its batch; nothing of it is applied.
public struct ReceiptRefusal: Error, Equatable, CustomStringConvertible {
    /// Which rule was broken.
    public enum Rule: Equatable, Sendable {
        case placedTwice
        case placementNotHeld
        case unknownReservation
        case closed
        case notCustodian
        case custodySkipped
        case handOverAndStep
        case stockOffLines
    }

    public let rule: Rule
    /// The object concerned.
    public let key: ObjectKey
    private let detail: String

    private init(_ rule: Rule, _ key: ObjectKey, _ detail: String) {
        self.rule = rule
        self.key = key
        self.detail = detail
    }

    static func placedTwice(_ key: ObjectKey) -> Self {
        .init(.placedTwice, key, "places reservation \(key) again: it was placed before")
    }

    static func placementNotHeld(_ key: ObjectKey, by origin: ReplicaID) -> Self {
        .init(.placementNotHeld, key, "places reservation \(key) without holding it reserved as \(origin)")
    }

    static func unknownReservation(_ key: ObjectKey) -> Self {
        .init(.unknownReservation, key, "changes reservation \(key), which was never placed here")
    }

    static func closed(_ key: ObjectKey, _ phase: ReservationPhase) -> Self {
        .init(.closed, key, "changes reservation \(key), which is already \(phase)")
    }

    static func notCustodian(_ key: ObjectKey, origin: ReplicaID, holder: ReplicaID?) -> Self {
        .init(
            .notCustodian, key,
            "\(origin) hands on or moves reservation \(key), held by \(holder.map(\.rawValue) ?? "nobody")")
    }

    static func custodySkipped(_ key: ObjectKey, from: UInt64, to: UInt64) -> Self {
        .init(.custodySkipped, key, "moves the custody of reservation \(key) from epoch \(from) to \(to)")
    }

    static func handOverAndStep(_ key: ObjectKey) -> Self {
        .init(.handOverAndStep, key, "hands on reservation \(key) and moves its phase in one change")
    }

    static func stockOffLines(
        _ key: ObjectKey, added: Int64, subtracted: Int64, expected: (added: Int64, subtracted: Int64)
    ) -> Self {
        .init(
            .stockOffLines, key,
            "changes \(key) by +\(added)/-\(subtracted) next to a reservation step that moves "
                + "+\(expected.added)/-\(expected.subtracted)")
    }

    public var description: String {
        "a change that \(detail): refused on receipt (its author may be faulty or compromised)"
    }
}
