/// A counter that never goes below zero under any partition, by escrow (Balegas et al., 2015).
///
/// The value is split into rights held by replicas. A replica may only subtract what it holds,
/// so no two replicas can spend the same unit even while they cannot talk to each other.
/// Adding creates rights at the replica that adds; rights can be handed to another replica.
/// At every replica, in every state: the rights sum to the value, and no replica's rights are
/// negative (given causal delivery: a change is applied only after the changes it had seen).
public struct BoundedCounter: Lattice, Hashable, CanonicalEncodable {
    /// A directed pair of replicas: rights moved `from` → `to`.
    public struct Transfer: Hashable, Comparable, Sendable, CanonicalEncodable {
        public let from: ReplicaID
        public let to: ReplicaID

        public init(from: ReplicaID, to: ReplicaID) {
            self.from = from
            self.to = to
        }

        public static func < (lhs: Transfer, rhs: Transfer) -> Bool {
            (lhs.from, lhs.to) < (rhs.from, rhs.to)
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.append(from)
            encoder.append(to)
        }
    }

    /// What each replica added and subtracted (each entry written only by its replica).
    public private(set) var counts = PNCounter()
    /// Total rights moved along each directed pair (written only by the giver).
    public private(set) var transfers: [Transfer: UInt64] = [:]

    public init() {}

    init(counts: PNCounter, transfers: [Transfer: UInt64]) {
        self.counts = counts
        // Decoded maps rarely hold a zero: skip the copy then.
        self.transfers = transfers.values.contains(0) ? transfers.filter { $0.value > 0 } : transfers
    }

    /// Everything added minus everything subtracted.
    public var value: Int64 { counts.value }

    /// What `replica` may subtract or hand on: its additions, plus rights received, minus rights
    /// given, minus its subtractions.
    public func rights(of replica: ReplicaID) -> Int64 {
        var total = counts.increments[replica] ?? 0
        for (transfer, amount) in transfers {
            if transfer.to == replica { total &+= amount }
            if transfer.from == replica { total &-= amount }
        }
        total &-= counts.decrements[replica] ?? 0
        return Int64(bitPattern: total)
    }

    /// The rights of every replica that holds or held any, in one pass.
    public var allRights: [ReplicaID: Int64] {
        var rights: [ReplicaID: UInt64] = counts.increments
        for (replica, amount) in counts.decrements { rights[replica, default: 0] &-= amount }
        for (transfer, amount) in transfers {
            rights[transfer.to, default: 0] &+= amount
            rights[transfer.from, default: 0] &-= amount
        }
        return rights.mapValues { Int64(bitPattern: $0) }
    }

    /// Every replica that holds or held rights, ascending.
    public var replicas: [ReplicaID] { allRights.keys.sorted() }

    public static var bottom: BoundedCounter { BoundedCounter() }

    public func joined(with other: BoundedCounter) -> BoundedCounter {
        var result = self
        result.join(other)
        return result
    }

    public mutating func join(_ other: BoundedCounter) {
        counts.join(other.counts)
        if !other.transfers.isEmpty { transfers.merge(other.transfers, uniquingKeysWith: max) }
    }

    /// Adds `amount` at `replica`, which gains the rights; returns the delta.
    @discardableResult
    public mutating func increment(by amount: UInt64, at replica: ReplicaID) -> BoundedCounter {
        var delta = BoundedCounter()
        delta.counts = counts.increment(by: amount, at: replica)
        checkInvariants()
        return delta
    }

    /// Subtracts `amount` at `replica`, spending its rights; returns the delta.
    ///
    /// - Throws: ``InsufficientRights`` when `replica` holds fewer than `amount` rights; nothing changes.
    @discardableResult
    public mutating func decrement(by amount: UInt64, at replica: ReplicaID) throws(InsufficientRights)
        -> BoundedCounter
    {
        try requireRights(amount, at: replica)
        var delta = BoundedCounter()
        delta.counts = counts.decrement(by: amount, at: replica)
        checkInvariants()
        return delta
    }

    /// Hands `amount` rights from `replica` to `recipient`; returns the delta.
    ///
    /// - Throws: ``InsufficientRights`` when `replica` holds fewer than `amount` rights; nothing changes.
    @discardableResult
    public mutating func transfer(_ amount: UInt64, from replica: ReplicaID, to recipient: ReplicaID)
        throws(InsufficientRights) -> BoundedCounter
    {
        try requireRights(amount, at: replica)
        var delta = BoundedCounter()
        guard amount > 0, replica != recipient else { return delta }
        let key = Transfer(from: replica, to: recipient)
        transfers[key, default: 0] &+= amount
        delta.transfers[key] = transfers[key]
        checkInvariants()
        return delta
    }

    private func requireRights(_ amount: UInt64, at replica: ReplicaID) throws(InsufficientRights) {
        let available = rights(of: replica)
        guard amount <= UInt64(Swift.max(0, available)) else {
            throw InsufficientRights(requested: amount, available: available, total: value, replica: replica)
        }
    }

    /// The first broken escrow invariant (value below zero, a replica with negative rights, rights
    /// not summing to the value), nil when all hold.
    public var escrowViolation: String? {
        if value < 0 { return "value \(value) is below zero" }
        let rights = allRights
        if let (replica, held) = rights.filter({ $0.value < 0 }).min(by: { $0.key < $1.key }) {
            return "\(replica) holds \(held) rights"
        }
        let sum = rights.values.reduce(0, &+)
        return sum == value ? nil : "rights sum to \(sum), value is \(value)"
    }

    // Checked after every local mutation when built with AISLE_INTERNAL_CHECKS (debug builds and
    // `make test`); compiled out of release builds.
    private func checkInvariants() {
        #if AISLE_INTERNAL_CHECKS
            if let violation = escrowViolation { preconditionFailure("bounded counter: \(violation)") }
        #endif
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(counts)
        encoder.append(map: transfers)
    }
}

/// A subtraction or hand-over refused because the replica does not hold enough rights.
public struct InsufficientRights: Error, Equatable, CustomStringConvertible {
    /// What was asked for.
    public let requested: UInt64
    /// The rights the replica holds.
    public let available: Int64
    /// The counter's value across all replicas (what the chain as a whole still has).
    public let total: Int64
    /// The replica that asked.
    public let replica: ReplicaID

    public init(requested: UInt64, available: Int64, total: Int64, replica: ReplicaID) {
        self.requested = requested
        self.available = available
        self.total = total
        self.replica = replica
    }

    public var description: String {
        "\(replica) holds rights to \(Swift.max(0, available)) of \(total) (asked for \(requested)): "
            + "obtain rights from a replica that holds them"
    }
}
