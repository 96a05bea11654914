/// Loyalty points spent as payment at checkout, with the amount they paid locked in the order.
///
/// One point pays ``minorUnitsPerPoint`` minor units (1: 100 points pay 1.00), a fixed rate of
/// the chain, so every till values a redemption the same way; the order keeps both the points and
/// the amount, so a later change of rate never rewrites an order.
public struct PointsPayment: Hashable, Sendable, CanonicalEncodable {
    /// Minor units one point pays for. Earning gives one point per whole currency unit paid
    /// (docs/pricing.md), so redeeming them gives back 1 % of what was spent.
    public static let minorUnitsPerPoint: Int64 = 1

    /// Points redeemed, at least 1.
    public let points: UInt64
    /// What they paid, in minor units.
    public let value: Int64

    /// Redeems `points` at the chain's rate.
    public init(redeeming points: UInt64) {
        let (value, overflow) = Int64(clamping: points).multipliedReportingOverflow(by: Self.minorUnitsPerPoint)
        self.init(points: points, value: overflow ? .max : value)
    }

    init(points: UInt64, value: Int64) {
        self.points = points
        self.value = value
    }

    /// How many points pay at most `amount` minor units.
    public static func points(paying amount: Int64) -> UInt64 {
        UInt64(max(0, amount) / minorUnitsPerPoint)
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(points)
        encoder.append(value)
    }
}

/// A payment in points refused before anything is written.
public enum PointsPaymentError: Error, Equatable, CustomStringConvertible {
    /// The cart has no customer whose points could pay.
    case noCustomer(CartID)
    /// The points would pay more than the order costs.
    case exceedsTotal(points: UInt64, value: Int64, total: Int64)

    public var description: String {
        switch self {
        case .noCustomer(let cart):
            "cart \(cart) has no customer: set the cart's customer (or scan their handoff code) to pay with points"
        case .exceedsTotal(let points, let value, let total):
            "\(points) points pay \(value) minor units, more than the order's total of \(total): "
                + "redeem at most \(PointsPayment.points(paying: total)) points"
        }
    }
}
