/// Prices carts against a catalog: a pure function, so every node computes the same total.
///
/// Per line, in this order (docs/pricing.md has worked examples):
/// 1. gross = unit price × quantity;
/// 2. buy X get Y: of every X + Y units, Y are free (the best such promotion for the customer);
/// 3. amount off: the amount is taken off each *paid* unit, at most the unit price;
/// 4. percent off: taken from what is left, rounded half up to the minor unit;
/// 5. points = ⌊net × multiplier / 100⌋: one point per whole currency unit paid, times the
///    largest multiplier for the SKU or the whole cart (1 when none).
/// Of several promotions of one kind on one SKU, the one that saves the customer most applies
/// (ties: the smallest promotion id). Arithmetic saturates instead of overflowing.
public enum Pricing {
    /// Prices `lines` against `catalog`.
    public static func price(_ lines: [CartLineView], catalog: Catalog) -> CartTotals {
        let promotions = catalog.promotions.keys.map { ($0, catalog.promotions[$0]!) }
        var priced: [PricedLine] = []
        var unpriced: [SKU] = []
        for line in lines.sorted(by: { $0.sku < $1.sku }) where line.quantity > 0 {
            guard let unitPrice = catalog.prices[line.sku] else {
                unpriced.append(line.sku)
                continue
            }
            let applicable = promotions.filter { $0.1.sku == line.sku || $0.1.sku == nil }
            priced.append(priceLine(line, unitPrice: unitPrice, promotions: applicable))
        }
        return CartTotals(lines: priced, unpriced: unpriced)
    }

    private static func priceLine(_ line: CartLineView, unitPrice: Int64, promotions: [(PromotionID, Promotion)])
        -> PricedLine
    {
        let quantity = line.quantity
        let gross = saturatingProduct(unitPrice, quantity)
        var applied: [PromotionID] = []

        let freeUnits =
            best(promotions, applied: &applied) { promotion -> Int64? in
                guard case .buyXGetY(_, let buy, let free) = promotion else { return nil }
                return quantity / (buy + free) * free
            } ?? 0
        let paidUnits = quantity - freeUnits
        var discount = saturatingProduct(freeUnits, unitPrice)

        discount = saturatingSum(
            discount,
            best(promotions, applied: &applied) { promotion -> Int64? in
                guard case .amountOff(_, let minorUnits) = promotion else { return nil }
                return saturatingProduct(min(minorUnits, unitPrice), paidUnits)
            } ?? 0)

        let remaining = max(0, gross - discount)
        discount = saturatingSum(
            discount,
            best(promotions, applied: &applied) { promotion -> Int64? in
                guard case .percentOff(_, let basisPoints) = promotion else { return nil }
                return percentage(of: remaining, basisPoints: basisPoints)
            } ?? 0)
        discount = min(discount, gross)
        let net = gross - discount

        let multiplier = promotions.compactMap { id, promotion -> (PromotionID, Int64)? in
            guard case .pointsMultiplier(_, let multiplier) = promotion else { return nil }
            return (id, multiplier)
        }.max { ($0.1, $1.0) < ($1.1, $0.0) }
        if let multiplier, multiplier.1 > 1 { applied.append(multiplier.0) }
        let points = saturatingProduct(net, multiplier?.1 ?? 1) / 100

        return PricedLine(
            sku: line.sku, quantity: quantity, unitPrice: unitPrice, gross: gross, discount: discount, net: net,
            points: points, promotions: applied.sorted())
    }

    /// The largest positive effect among promotions `effect` understands; records which one applied.
    private static func best(
        _ promotions: [(PromotionID, Promotion)], applied: inout [PromotionID], _ effect: (Promotion) -> Int64?
    ) -> Int64? {
        var winner: (PromotionID, Int64)?
        for (id, promotion) in promotions {
            guard let value = effect(promotion), value > 0 else { continue }
            if let current = winner, current.1 > value || (current.1 == value && current.0 < id) { continue }
            winner = (id, value)
        }
        guard let winner else { return nil }
        applied.append(winner.0)
        return winner.1
    }

    /// `amount × basisPoints / 10000`, rounded half up, for non-negative `amount`.
    static func percentage(of amount: Int64, basisPoints: Int64) -> Int64 {
        let (whole, fraction) = amount.quotientAndRemainder(dividingBy: 10_000)
        // Split so the product never overflows: amount = whole·10⁴ + fraction.
        return saturatingSum(saturatingProduct(whole, basisPoints), (fraction * basisPoints + 5_000) / 10_000)
    }

    static func saturatingProduct(_ lhs: Int64, _ rhs: Int64) -> Int64 {
        let (result, overflow) = lhs.multipliedReportingOverflow(by: rhs)
        return overflow ? ((lhs < 0) != (rhs < 0) ? .min : .max) : result
    }

    static func saturatingSum(_ lhs: Int64, _ rhs: Int64) -> Int64 {
        let (result, overflow) = lhs.addingReportingOverflow(rhs)
        return overflow ? (rhs < 0 ? .min : .max) : result
    }
}
