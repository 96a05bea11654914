import AisleCore
import Testing

/// Worked examples of the pricing rules in docs/pricing.md.
@Suite("Pricing")
struct PricingTests {
    static let stamp = HLCTimestamp(physical: 1, counter: 0, replica: "hq")

    static func catalog(prices: [SKU: Int64], promotions: [PromotionID: Promotion] = [:]) throws -> Catalog {
        var catalog = Catalog()
        for (sku, price) in prices { try catalog.setPrice(sku, price, at: stamp) }
        for (id, promotion) in promotions { try catalog.setPromotion(id, promotion, at: stamp) }
        return catalog
    }

    static func price(_ lines: [SKU: Int64], _ catalog: Catalog) -> CartTotals {
        Pricing.price(lines.map { CartLineView(sku: $0.key, quantity: $0.value) }, catalog: catalog)
    }

    @Test("a line costs unit price times quantity; one point per whole currency unit")
    func plainLine() throws {
        let totals = Self.price(["milk": 3], try Self.catalog(prices: ["milk": 129]))
        #expect(totals.subtotal == 387)
        #expect(totals.total == 387)
        #expect(totals.points == 3)
    }

    @Test("sums saturate like each line: two lines each worth most of Int64 total Int64.max, never a negative amount")
    func sumsSaturate() throws {
        let price = Int64.max / 2 + 1
        let totals = Self.price(["milk": 1, "bread": 1], try Self.catalog(prices: ["milk": price, "bread": price]))
        #expect(totals.lines.map(\.net) == [price, price])
        #expect(totals.subtotal == .max)
        #expect(totals.total == .max)
        #expect(totals.points == totals.lines.map(\.points).reduce(0, +))
    }

    @Test("percent off is rounded half up to the minor unit")
    func percentRoundsHalfUp() throws {
        // 333 × 15 % = 49.95 → 50; 330 × 15 % = 49.5 → 50; 329 × 15 % = 49.35 → 49.
        for (price, discount) in [(333 as Int64, 50 as Int64), (330, 50), (329, 49)] {
            let catalog = try Self.catalog(
                prices: ["a": price], promotions: ["p": .percentOff("a", basisPoints: 1_500)])
            #expect(Self.price(["a": 1], catalog).discount == discount, "price \(price)")
        }
    }

    @Test("amount off applies per paid unit and never makes a unit negative")
    func amountOffCapped() throws {
        let catalog = try Self.catalog(prices: ["a": 100], promotions: ["p": .amountOff("a", minorUnits: 150)])
        let totals = Self.price(["a": 2], catalog)
        #expect(totals.discount == 200)
        #expect(totals.total == 0)
    }

    @Test("buy two get one: every third unit is free")
    func buyXGetY() throws {
        let catalog = try Self.catalog(prices: ["a": 100], promotions: ["p": .buyXGetY("a", buy: 2, free: 1)])
        #expect(Self.price(["a": 2], catalog).total == 200)
        #expect(Self.price(["a": 3], catalog).total == 200)
        #expect(Self.price(["a": 7], catalog).total == 500)
    }

    @Test("free units first, then amount off on paid units, then percent off on what is left")
    func promotionOrder() throws {
        let catalog = try Self.catalog(
            prices: ["a": 1_000],
            promotions: [
                "bxgy": .buyXGetY("a", buy: 2, free: 1), "off": .amountOff("a", minorUnits: 100),
                "pct": .percentOff("a", basisPoints: 1_000),
            ])
        // 3 units: gross 3000; 1 free (−1000); 2 paid × 100 off (−200); 10 % of 1800 (−180).
        let line = Self.price(["a": 3], catalog).lines[0]
        #expect(line.discount == 1_380)
        #expect(line.net == 1_620)
        #expect(line.promotions == ["bxgy", "off", "pct"])
    }

    @Test("of two promotions of one kind the better one for the customer applies")
    func bestOfKind() throws {
        let catalog = try Self.catalog(
            prices: ["a": 1_000],
            promotions: ["small": .percentOff("a", basisPoints: 500), "big": .percentOff("a", basisPoints: 2_000)])
        let line = Self.price(["a": 1], catalog).lines[0]
        #expect(line.discount == 200)
        #expect(line.promotions == ["big"])
    }

    @Test("points multiply by the largest multiplier for the SKU or the cart, rounded down")
    func pointsMultiplier() throws {
        let catalog = try Self.catalog(
            prices: ["a": 250, "b": 199],
            promotions: [
                "double-a": .pointsMultiplier("a", multiplier: 2), "triple": .pointsMultiplier(nil, multiplier: 3),
            ])
        let totals = Self.price(["a": 1, "b": 1], catalog)
        // a: ⌊250 × 3 / 100⌋ = 7; b: ⌊199 × 3 / 100⌋ = 5.
        #expect(totals.lines.map(\.points) == [7, 5])
        #expect(totals.points == 12)
    }

    @Test("a SKU without a price is reported and left out of the sums")
    func unpricedReported() throws {
        let totals = Self.price(["a": 1, "ghost": 2], try Self.catalog(prices: ["a": 100]))
        #expect(totals.unpriced == ["ghost"])
        #expect(totals.total == 100)
    }

    @Test("invalid promotions and negative prices are refused with the reason")
    func invalidCatalogWrites() {
        var catalog = Catalog()
        #expect(throws: CatalogError.negativePrice("a", -1)) { try catalog.setPrice("a", -1, at: Self.stamp) }
        #expect(throws: CatalogError.self) {
            try catalog.setPromotion("p", .percentOff("a", basisPoints: 0), at: Self.stamp)
        }
        #expect(throws: CatalogError.self) {
            try catalog.setPromotion("p", .buyXGetY("a", buy: 0, free: 1), at: Self.stamp)
        }
    }

    @Test("a price change during a cart reprices the cart but not an order already placed")
    func priceChangeDuringCart() throws {
        var state = RetailState()
        let hq = HLCTimestamp(physical: 1, counter: 0, replica: "hq")
        try state.updateCatalog { catalog throws(CatalogError) in try catalog.setPrice("milk", 100, at: hq) }
        try state.updateCart("c1", in: .customer("anna")) { cart throws(CartError) in
            try cart.add("milk", quantity: 2, at: "phone")
        }
        try state.updateCart("c2", in: .customer("anna")) { cart throws(CartError) in
            try cart.add("milk", quantity: 2, at: "phone")
        }
        try state.checkOut(
            "c1", in: .customer("anna"), as: "order-1", store: "store-1",
            at: HLCTimestamp(physical: 2, counter: 0, replica: "till"))
        let later = HLCTimestamp(physical: 3, counter: 0, replica: "hq")
        try state.updateCatalog { catalog throws(CatalogError) in try catalog.setPrice("milk", 150, at: later) }
        #expect(state.cart("c2", in: .customer("anna")).priced(with: state.catalog).total == 300)
        #expect(state.shopping(in: .customer("anna")).orders.orders["order-1"]?.totals.total == 200)
    }

    @Test("checkout is refused while a line has no price")
    func checkoutNeedsPrices() throws {
        var state = RetailState()
        try state.updateCart("c1", in: .customer("anna")) { cart throws(CartError) in
            try cart.add("ghost", quantity: 1, at: "phone")
        }
        #expect(throws: CartError.unpriced(["ghost"])) {
            try state.checkOut(
                "c1", in: .customer("anna"), as: "order-1", store: nil,
                at: HLCTimestamp(physical: 2, counter: 0, replica: "till"))
        }
        #expect(state.cart("c1", in: .customer("anna")).phase.value == .open)
    }
}
