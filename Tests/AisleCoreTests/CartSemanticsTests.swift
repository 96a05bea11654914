import AisleCore
import Testing

/// The concurrent cases of docs/semantics.md, one test each: two devices edit one cart without
/// seeing each other, then merge.
@Suite("Cart semantics under concurrency")
struct CartSemanticsTests {
    static let phone: ReplicaID = "phone"
    static let till: ReplicaID = "till"
    static let milk: SKU = "milk"

    /// A clock reading `millis` on `replica`.
    static func at(_ millis: UInt64, _ replica: ReplicaID) -> HLCTimestamp {
        HLCTimestamp(physical: millis, counter: 0, replica: replica)
    }

    /// A cart both devices have seen, holding `quantity` of milk added by the phone.
    static func sharedCart(quantity: Int64) throws -> Cart {
        var cart = Cart()
        try cart.add(milk, quantity: quantity, at: phone)
        return cart
    }

    @Test("two devices adding the same SKU both count")
    func concurrentAddsBothCount() throws {
        var onPhone = Cart()
        var onTill = Cart()
        try onPhone.add(Self.milk, quantity: 2, at: Self.phone)
        try onTill.add(Self.milk, quantity: 3, at: Self.till)
        #expect(onPhone.joined(with: onTill).visibleLines == [CartLineView(sku: Self.milk, quantity: 5)])
    }

    @Test("a line holds at most a million units: an add or a set beyond it is refused and the cart stays as it was")
    func lineQuantityIsBounded() throws {
        var cart = try Self.sharedCart(quantity: 4)
        let before = cart
        let limit = RetailLimits.maxLineQuantity
        for quantity in [limit - 3, limit, .max] {
            #expect(throws: CartError.invalidQuantity(quantity, sku: Self.milk)) {
                try cart.add(Self.milk, quantity: quantity, at: Self.till)
            }
        }
        for quantity in [limit + 1, .max] {
            #expect(throws: CartError.invalidQuantity(quantity, sku: Self.milk)) {
                try cart.setQuantity(Self.milk, to: quantity, at: Self.at(5, Self.till))
            }
        }
        #expect(cart == before)
        try cart.add(Self.milk, quantity: limit - 4, at: Self.till)
        #expect(cart.visibleLines == [CartLineView(sku: Self.milk, quantity: limit)])
        try cart.setQuantity(Self.milk, to: limit, at: Self.at(6, Self.till))
        #expect(cart.visibleLines == [CartLineView(sku: Self.milk, quantity: limit)])
    }

    @Test("removing a line does not undo a concurrent addition")
    func removeVersusConcurrentAdd() throws {
        var onPhone = try Self.sharedCart(quantity: 2)
        var onTill = onPhone
        try onPhone.remove(Self.milk)
        try onTill.add(Self.milk, quantity: 1, at: Self.till)
        let merged = onPhone.joined(with: onTill)
        #expect(merged.visibleLines == [CartLineView(sku: Self.milk, quantity: 1)])
    }

    @Test("setting a quantity keeps a concurrent increment on top")
    func setQuantityVersusConcurrentIncrement() throws {
        var onPhone = try Self.sharedCart(quantity: 2)
        var onTill = onPhone
        try onPhone.setQuantity(Self.milk, to: 5, at: Self.at(10, Self.phone))
        try onTill.add(Self.milk, quantity: 1, at: Self.till)
        #expect(onPhone.joined(with: onTill).visibleLines == [CartLineView(sku: Self.milk, quantity: 6)])
    }

    @Test("of two concurrent quantity settings the later one wins")
    func concurrentSetsLatestWins() throws {
        var onPhone = try Self.sharedCart(quantity: 2)
        var onTill = onPhone
        try onPhone.setQuantity(Self.milk, to: 3, at: Self.at(10, Self.phone))
        try onTill.setQuantity(Self.milk, to: 7, at: Self.at(20, Self.till))
        #expect(onPhone.joined(with: onTill).visibleLines.first?.quantity == 7)
        #expect(onTill.joined(with: onPhone).visibleLines.first?.quantity == 7)
    }

    @Test("of two concurrent notes the later one is shown")
    func concurrentNotesLatestWins() throws {
        var onPhone = try Self.sharedCart(quantity: 1)
        var onTill = onPhone
        try onPhone.setNote(Self.milk, to: "lactose free", at: Self.at(20, Self.phone))
        try onTill.setNote(Self.milk, to: "semi-skimmed", at: Self.at(10, Self.till))
        #expect(onPhone.joined(with: onTill).visibleLines.first?.note == "lactose free")
    }

    @Test("an edit after checkout is refused on the device that checked out")
    func editAfterCheckoutRefusedLocally() throws {
        var cart = try Self.sharedCart(quantity: 1)
        try cart.checkOut()
        #expect(throws: CartError.closed(.checkedOut)) { try cart.add(Self.milk, quantity: 1, at: Self.phone) }
    }

    @Test("an edit that arrives after checkout is kept apart, not applied, and reported")
    func lateEditNotApplied() throws {
        var onTill = try Self.sharedCart(quantity: 2)
        var onPhone = onTill
        try onTill.checkOut()
        try onPhone.add("bread", quantity: 1, at: Self.phone)
        let merged = onTill.joined(with: onPhone)
        #expect(merged.visibleLines == [CartLineView(sku: Self.milk, quantity: 2)])
        #expect(merged.lateEdits == ["bread"])
        #expect(merged.phase.value == .checkedOut)
    }

    @Test("a checkout beats a concurrent abandonment")
    func checkoutBeatsAbandon() throws {
        var onTill = try Self.sharedCart(quantity: 1)
        var onPhone = onTill
        try onTill.checkOut()
        try onPhone.abandon()
        #expect(onPhone.joined(with: onTill).phase.value == .checkedOut)
        #expect(onPhone.joined(with: onTill).visibleLines.count == 1)
    }

    @Test("a quantity set to zero removes the line; invalid quantities are refused with the SKU named")
    func quantityBounds() throws {
        var cart = try Self.sharedCart(quantity: 2)
        try cart.setQuantity(Self.milk, to: 0, at: Self.at(5, Self.phone))
        #expect(cart.visibleLines.isEmpty)
        #expect(throws: CartError.invalidQuantity(0, sku: Self.milk)) {
            try cart.add(Self.milk, quantity: 0, at: Self.phone)
        }
        #expect(throws: CartError.invalidQuantity(-1, sku: Self.milk)) {
            try cart.setQuantity(Self.milk, to: -1, at: Self.at(6, Self.phone))
        }
        #expect(CartError.invalidQuantity(-1, sku: Self.milk).description.contains("milk"))
    }

    @Test("checking out an empty cart is refused")
    func emptyCheckoutRefused() {
        var cart = Cart()
        #expect(throws: CartError.empty) { try cart.checkOut() }
    }
}

@Suite("Checkout under concurrency")
struct CheckoutSemanticsTests {
    @Test("two devices checking out one cart at once both record their order, and the seals join")
    func concurrentCheckoutsBothRecorded() throws {
        var state = RetailState()
        let hq = HLCTimestamp(physical: 1, counter: 0, replica: "hq")
        try state.updateCatalog { catalog throws(CatalogError) in try catalog.setPrice("milk", 100, at: hq) }
        try state.updateCart("c", in: .customer("anna")) { cart throws(CartError) in
            try cart.add("milk", quantity: 1, at: "phone")
        }
        var onTill = state
        var onKiosk = state
        try onTill.checkOut(
            "c", in: .customer("anna"), as: "order-till", store: "s",
            at: HLCTimestamp(physical: 2, counter: 0, replica: "till"))
        try onKiosk.checkOut(
            "c", in: .customer("anna"), as: "order-kiosk", store: "s",
            at: HLCTimestamp(physical: 2, counter: 0, replica: "kiosk"))
        let merged = onTill.joined(with: onKiosk)
        #expect(Set(merged.shopping(in: .customer("anna")).orders.orders.keys) == ["order-till", "order-kiosk"])
        #expect(merged.cart("c", in: .customer("anna")).visibleLines == [CartLineView(sku: "milk", quantity: 1)])
        #expect(merged.cart("c", in: .customer("anna")).lateEdits.isEmpty)
    }
}
