import AisleCore
import AisleCrypto
import Testing

@Suite("Who may write reservations and wishlists")
struct ReservationAuthorizationTests {
    let store: StoreID = "berlin"
    let stamp = HLCTimestamp(physical: 1_000, counter: 0, replica: "hub")

    /// The hub's delta placing a reservation of 2 oat milk it held the rights for.
    func placed(by hub: ReplicaID) throws -> ObjectDelta {
        var state = RetailState()
        state.updateStock(store) { $0.receive(5, of: "oat-milk", at: hub) }
        let terms = Reservation.Terms(
            customer: "anna", lines: ["oat-milk": 2], expiresAt: 2_000,
            placedAt: HLCTimestamp(physical: 1_000, counter: 0, replica: hub))
        let delta = try state.reserve("res-1", at: store, terms, by: hub)
        return try #require(delta.deltasByScope.first)
    }

    @Test("the hub places a reservation with the stock it sets aside; a till or phone may not place one")
    func onlyTheHubPlaces() throws {
        try Authorization.check(try placed(by: "hub"), by: .hub, origin: "hub")
        #expect(throws: EnvelopeRefusal.self) {
            try Authorization.check(try placed(by: "till-1"), by: .pos, origin: "till-1")
        }
        #expect(throws: EnvelopeRefusal.self) {
            try Authorization.check(try placed(by: "phone-anna"), by: .mobile, origin: "phone-anna")
        }
    }

    @Test("the hub may not sell or receive stock without a reservation in the same change")
    func hubStockOnlyWithAReservation() throws {
        var state = RetailState()
        let delta = try #require(
            state.updateStock(store) { $0.receive(5, of: "oat-milk", at: "hub") }.deltasByScope.first)
        #expect(throws: EnvelopeRefusal.self) { try Authorization.check(delta, by: .hub, origin: "hub") }
    }

    @Test("a till may hand over, pick and collect a reservation, but not in another device's name on a wishlist")
    func tillStepsAndWishlistNames() throws {
        var state = RetailState()
        state.updateStock(store) { $0.receive(5, of: "oat-milk", at: "hub") }
        try state.reserve(
            "res-1", at: store,
            Reservation.Terms(customer: "anna", lines: ["oat-milk": 1], expiresAt: 2_000, placedAt: stamp), by: "hub")
        try state.handOverReservation("res-1", at: store, from: "hub", to: "till-1")
        let picked = try state.advanceReservation("res-1", at: store, to: .picked, by: "till-1", wallMillis: 1_500)
        try Authorization.check(try #require(picked.deltasByScope.first), by: .pos, origin: "till-1")

        var wishlist = RetailState()
        let added = wishlist.updateWishlist("anna") {
            $0.add("butter", from: "app", at: HLCTimestamp(physical: 1, counter: 0, replica: "phone-anna"))
        }
        let delta = try #require(added.deltasByScope.first)
        try Authorization.check(delta, by: .mobile, origin: "phone-anna")
        #expect(throws: EnvelopeRefusal.self) { try Authorization.check(delta, by: .pos, origin: "till-1") }
        #expect(throws: EnvelopeRefusal.self) { try Authorization.check(delta, by: .hub, origin: "phone-anna") }
    }
}
