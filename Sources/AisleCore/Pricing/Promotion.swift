/// A promotion published in the catalog. Each applies to one SKU, except a points multiplier
/// without a SKU, which applies to the whole cart.
public enum Promotion: Hashable, Sendable, CanonicalEncodable {
    /// `basisPoints` / 100 percent off the line (2500 = 25 %).
    case percentOff(SKU, basisPoints: Int64)
    /// `minorUnits` off each paid unit, never below a zero unit price.
    case amountOff(SKU, minorUnits: Int64)
    /// For every `buy` units paid, `free` more units are free (buy 2 get 1: every third unit free).
    case buyXGetY(SKU, buy: Int64, free: Int64)
    /// Points earned on the SKU's line (or on every line when `sku` is nil) are multiplied.
    case pointsMultiplier(SKU?, multiplier: Int64)

    /// The SKU the promotion applies to; nil for a cart-wide points multiplier.
    public var sku: SKU? {
        switch self {
        case .percentOff(let sku, _), .amountOff(let sku, _), .buyXGetY(let sku, _, _): sku
        case .pointsMultiplier(let sku, _): sku
        }
    }

    /// Checks the promotion's numbers are in range, as ``Catalog/setPromotion(_:_:at:)`` does.
    ///
    /// - Throws: ``CatalogError/invalidPromotion(_:_:)`` naming `id` and the number at fault.
    public func validate(_ id: PromotionID) throws(CatalogError) {
        switch self {
        case .percentOff(_, let basisPoints) where !(1...10_000).contains(basisPoints):
            throw .invalidPromotion(id, "percent off must be 1 to 10000 basis points, got \(basisPoints)")
        case .amountOff(_, let minorUnits) where minorUnits <= 0:
            throw .invalidPromotion(id, "amount off must be positive, got \(minorUnits)")
        case .buyXGetY(_, let buy, let free) where buy <= 0 || free <= 0:
            throw .invalidPromotion(id, "buy and free must both be positive, got buy \(buy) free \(free)")
        case .pointsMultiplier(_, let multiplier) where !(1...100).contains(multiplier):
            throw .invalidPromotion(id, "points multiplier must be 1 to 100, got \(multiplier)")
        default:
            return
        }
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        switch self {
        case .percentOff(let sku, let basisPoints):
            encoder.append(UInt64(0))
            encoder.append(sku)
            encoder.append(basisPoints)
        case .amountOff(let sku, let minorUnits):
            encoder.append(UInt64(1))
            encoder.append(sku)
            encoder.append(minorUnits)
        case .buyXGetY(let sku, let buy, let free):
            encoder.append(UInt64(2))
            encoder.append(sku)
            encoder.append(buy)
            encoder.append(free)
        case .pointsMultiplier(let sku, let multiplier):
            encoder.append(UInt64(3))
            encoder.append(sku)
            encoder.append(multiplier)
        }
    }
}
