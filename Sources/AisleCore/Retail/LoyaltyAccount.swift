/// A customer's points: a bounded counter, so points are never spent twice.
///
/// Earning creates redeemable rights at the device that books it; redeeming spends rights the
/// redeeming device holds. Two devices offline can together redeem at most the balance.
public struct LoyaltyAccount: Lattice, CanonicalEncodable {
    /// The points counter.
    public private(set) var points: BoundedCounter

    public init() {
        points = .bottom
    }

    init(points: BoundedCounter) {
        self.points = points
    }

    public static var bottom: LoyaltyAccount { LoyaltyAccount() }

    public func joined(with other: LoyaltyAccount) -> LoyaltyAccount {
        LoyaltyAccount(points: points.joined(with: other.points))
    }

    public mutating func join(_ other: LoyaltyAccount) {
        points.join(other.points)
    }

    /// The balance across the chain, as far as this replica knows.
    public var balance: Int64 { points.value }

    /// Points `replica` may redeem without asking anyone.
    public func redeemable(at replica: ReplicaID) -> Int64 {
        points.rights(of: replica)
    }

    /// Books `amount` points earned at `replica`; returns the delta.
    @discardableResult
    public mutating func earn(_ amount: UInt64, at replica: ReplicaID) -> LoyaltyAccount {
        LoyaltyAccount(points: points.increment(by: amount, at: replica))
    }

    /// Redeems `amount` points at `replica`; returns the delta.
    ///
    /// - Throws: ``LoyaltyError`` when `replica` holds fewer than `amount` points' rights.
    @discardableResult
    public mutating func redeem(_ amount: UInt64, at replica: ReplicaID) throws(LoyaltyError) -> LoyaltyAccount {
        do {
            return LoyaltyAccount(points: try points.decrement(by: amount, at: replica))
        } catch {
            throw LoyaltyError(shortfall: error)
        }
    }

    /// Hands `amount` points' rights from `replica` to `recipient` (the hub's rights bank); returns the delta.
    ///
    /// - Throws: ``LoyaltyError`` when `replica` holds fewer rights than `amount`.
    @discardableResult
    public mutating func transferRights(_ amount: UInt64, from replica: ReplicaID, to recipient: ReplicaID)
        throws(LoyaltyError) -> LoyaltyAccount
    {
        do {
            return LoyaltyAccount(points: try points.transfer(amount, from: replica, to: recipient))
        } catch {
            throw LoyaltyError(shortfall: error)
        }
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(points)
    }
}

/// A redemption or transfer refused because this device may not spend that many points.
public struct LoyaltyError: Error, Equatable, CustomStringConvertible {
    /// The rights shortfall behind the refusal.
    public let shortfall: InsufficientRights

    public var description: String {
        "balance \(shortfall.total) points, \(max(0, shortfall.available)) redeemable on \(shortfall.replica) "
            + "(asked for \(shortfall.requested)): reconnect to obtain rights from the hub"
    }
}
