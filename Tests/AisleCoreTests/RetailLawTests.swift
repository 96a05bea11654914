import AisleCore
import Testing

/// Join laws and the delta law for the retail types, over random scripts.
@Suite("Retail type laws")
struct RetailLawTests {
    /// One random cart edit, as any device might make it.
    static func editCart(_ word: UInt64, _ cart: inout Cart, _ replica: ReplicaID, _ stamp: HLCTimestamp) -> Cart? {
        let sku = Pick.sku(word >> 4)
        switch word % 16 {
        case 0..<6: return try? cart.add(sku, quantity: Int64(Pick.amount(word >> 6)), at: replica)
        case 6..<9: return try? cart.setQuantity(sku, to: Int64(word >> 6 % 5), at: stamp)
        case 9..<11: return try? cart.remove(sku)
        case 11: return try? cart.setNote(sku, to: "note-\(word >> 6 % 3)", at: stamp)
        case 12: return try? cart.setOwner(Pick.customers[Int(word >> 6 % 2)], at: stamp)
        case 13: return try? cart.beginCheckout()
        case 14: return try? cart.checkOut()
        default: return try? cart.abandon()
        }
    }

    @Test("carts: join is a lattice under every edit, checkout and abandonment")
    func cart() async {
        await LatticeScript<Cart>.verify(count: 1_000) { word, cart, replica, stamp in
            Self.editCart(word, &cart, replica, stamp)
        }
    }

    @Test("stock ledgers: join is a lattice under receipts, sales and transfers")
    func stockLedger() async {
        await LatticeScript<StockLedger>.verify { word, ledger, replica, _ in
            let sku = Pick.sku(word >> 2)
            let units = Pick.amount(word >> 4)
            switch word % 3 {
            case 0: return ledger.receive(units, of: sku, at: replica)
            case 1: return try? ledger.sell(units, of: sku, at: replica)
            default: return try? ledger.transferRights(units, of: sku, from: replica, to: Pick.other(word >> 8))
            }
        }
    }

    @Test("loyalty accounts: join is a lattice under earning, redeeming and transfers")
    func loyaltyAccount() async {
        await LatticeScript<LoyaltyAccount>.verify { word, account, replica, _ in
            let points = Pick.amount(word >> 2, upTo: 40)
            switch word % 3 {
            case 0: return account.earn(points, at: replica)
            case 1: return try? account.redeem(points, at: replica)
            default: return try? account.transferRights(points, from: replica, to: Pick.other(word >> 8))
            }
        }
    }

    @Test(
        "catalogs: join is a lattice under product, price, promotion, store, opening-hours, revocation and renewal writes"
    )
    func catalog() async {
        await LatticeScript<Catalog>.verify { word, catalog, _, stamp in
            let sku = Pick.sku(word >> 2)
            switch word % 7 {
            case 0: return catalog.setProduct(sku, Product(name: "p\(word >> 4 % 3)"), at: stamp)
            case 1: return try? catalog.setPrice(sku, Int64(word >> 4 % 900), at: stamp)
            case 2:
                return try? catalog.setPromotion(
                    PromotionID(stringLiteral: "promo-\(word >> 4 % 2)"),
                    .percentOff(sku, basisPoints: Int64(1 + word >> 6 % 5000)), at: stamp)
            case 3:
                return catalog.setStore(
                    Pick.stores[Int(word >> 4 % 2)],
                    StoreInfo(name: "s", latitudeMicrodegrees: Int64(word >> 6 % 1000), longitudeMicrodegrees: 0),
                    at: stamp)
            case 4:
                let hours = word >> 6 % 3 == 0 ? nil : Pick.hours(word >> 6)
                return catalog.setHours(Pick.stores[Int(word >> 4 % 2)], hours, at: stamp)
            case 5:
                // Two certificates, each revoked with one of three signatures: copies that differ join.
                let certificate = Array(repeating: UInt8(word >> 4 % 2), count: 16)
                return catalog.revoke(certificate, Revocation(signature: [UInt8(word >> 6 % 3)]))
            default:
                // Two devices, each renewed until one of three ends with one of two certificates:
                // renewals with the same end and different bytes join.
                let renewal = Renewal(notAfter: word >> 6 % 3, certificate: [UInt8(word >> 8 % 2)])
                return catalog.renew(ReplicaID(stringLiteral: "till-\(word >> 4 % 2)"), renewal)
            }
        }
    }

    @Test("whole replica states: join is a lattice under carts, checkout, stock, points and catalog")
    func retailState() async {
        await LatticeScript<RetailState>.verify(count: 400, start: Self.pricedState()) { word, state, replica, stamp in
            let cart = Pick.carts[Int(word >> 2 % 2)]
            switch word % 5 {
            case 0, 1:
                return try? state.updateCart(cart, in: Pick.home(word >> 4)) { cart in
                    guard let delta = Self.editCart(word >> 3, &cart, replica, stamp) else { throw CartError.empty }
                    return delta
                }
            case 2:
                return try? state.checkOut(
                    cart, in: Pick.home(word >> 4), as: OrderID(stringLiteral: "order-\(stamp.packed)"),
                    store: "store-1",
                    at: stamp)
            case 3:
                return state.updateStock("store-1") {
                    $0.receive(Pick.amount(word >> 3), of: Pick.sku(word >> 6), at: replica)
                }
            default:
                return try? state.updateLoyalty(Pick.customers[Int(word >> 3 % 2)]) { account throws(LoyaltyError) in
                    try account.redeem(Pick.amount(word >> 5), at: replica)
                }
            }
        }
    }

    @Test("reservations: join is a lattice under placing, custody hand-overs, picking, collecting and releasing")
    func reservations() async {
        await LatticeScript<RetailState>.verify(count: 400) { word, state, replica, stamp in
            let id = ReservationID(stringLiteral: "res-\(word >> 3 % 2)")
            let sku = Pick.sku(word >> 5)
            switch word % 6 {
            case 0:
                return state.updateStock("store-1") {
                    $0.receive(Pick.amount(word >> 7, upTo: 8), of: sku, at: replica)
                }
            case 1:
                let terms = Reservation.Terms(
                    customer: Pick.customers[0], lines: [sku: Int64(Pick.amount(word >> 7, upTo: 3))],
                    expiresAt: 2_000_000, placedAt: stamp)
                return try? state.reserve(id, at: "store-1", terms, by: replica)
            case 2:
                return try? state.handOverReservation(id, at: "store-1", from: replica, to: Pick.other(word >> 7))
            case 3:
                return try? state.advanceReservation(
                    id, at: "store-1", to: word >> 7 % 2 == 0 ? .picked : .collected, by: replica,
                    wallMillis: 1_000_000)
            default:
                return try? state.releaseReservation(id, at: "store-1", by: replica)
            }
        }
    }

    @Test("wishlists: join is a lattice under adds and removes")
    func wishlist() async {
        await LatticeScript<Wishlist>.verify { word, wishlist, _, stamp in
            let sku = Pick.sku(word >> 1)
            return word % 2 == 0 ? wishlist.add(sku, from: "app", at: stamp) : wishlist.remove(sku)
        }
    }

    @Test("a wishlist item removed on the phone while a till adds it again stays: the add wins")
    func wishlistAddWins() throws {
        var phone = Wishlist()
        let first = phone.add("oat-milk", from: "app", at: HLCTimestamp(physical: 1, counter: 0, replica: "phone"))
        var till = first
        let removal = phone.remove("oat-milk")
        let readd = till.add(
            "oat-milk", from: "store:berlin", at: HLCTimestamp(physical: 2, counter: 0, replica: "till"))
        phone.join(readd)
        till.join(removal)
        #expect(phone == till)
        #expect(phone.entries.map(\.sku) == ["oat-milk"])
        #expect(phone.entries.first?.addedAt == "store:berlin")
    }

    /// A state whose catalog prices every SKU the scripts use, so checkouts can succeed.
    static func pricedState() -> RetailState {
        var state = RetailState()
        let stamp = HLCTimestamp(physical: 1, counter: 0, replica: "hq")
        for (index, sku) in Pick.skus.enumerated() {
            try! state.updateCatalog { catalog throws(CatalogError) in
                try catalog.setPrice(sku, Int64(100 + index), at: stamp)
            }
        }
        return state
    }
}
