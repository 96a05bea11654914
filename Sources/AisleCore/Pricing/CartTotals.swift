/// One priced line: what was charged for a SKU and why.
public struct PricedLine: Hashable, Sendable, CanonicalEncodable {
    public let sku: SKU
    public let quantity: Int64
    /// Unit price in minor units at the time of pricing.
    public let unitPrice: Int64
    /// Unit price × quantity.
    public let gross: Int64
    /// Total discount on the line, never more than `gross`.
    public let discount: Int64
    /// `gross − discount`: what the customer pays for the line.
    public let net: Int64
    /// Loyalty points earned by the line.
    public let points: Int64
    /// The promotions that changed the line, ascending.
    public let promotions: [PromotionID]

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(sku)
        encoder.append(quantity)
        encoder.append(unitPrice)
        encoder.append(gross)
        encoder.append(discount)
        encoder.append(net)
        encoder.append(points)
        encoder.append(sequence: promotions)
    }
}

/// A cart's price: every line, the sums, and the points it earns. All amounts are integer minor units.
public struct CartTotals: Hashable, Sendable, CanonicalEncodable {
    /// Priced lines, by SKU.
    public let lines: [PricedLine]
    /// SKUs in the cart with no price in the catalog; they are left out of every sum.
    public let unpriced: [SKU]

    // Sums saturate, as each line's product does: a cart a peer made absurdly large shows an
    // absurd total, never one wrapped below zero.
    /// Σ gross.
    public var subtotal: Int64 { lines.reduce(0) { Pricing.saturatingSum($0, $1.gross) } }
    /// Σ discount.
    public var discount: Int64 { lines.reduce(0) { Pricing.saturatingSum($0, $1.discount) } }
    /// What the customer pays: Σ net.
    public var total: Int64 { lines.reduce(0) { Pricing.saturatingSum($0, $1.net) } }
    /// Points earned: Σ line points.
    public var points: Int64 { lines.reduce(0) { Pricing.saturatingSum($0, $1.points) } }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(sequence: lines)
        encoder.append(sequence: unpriced)
    }
}
