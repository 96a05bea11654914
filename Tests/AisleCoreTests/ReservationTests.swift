import AisleCore
import Testing

@Suite("Click-and-collect reservations")
struct ReservationTests {
    let hub: ReplicaID = "hub"
    let till: ReplicaID = "till-1"
    let store: StoreID = "berlin"
    let id: ReservationID = "res-1"

    /// A store where the till received 10 oat milk and handed 4 rights to the hub.
    func stocked() throws -> RetailState {
        var state = RetailState()
        state.updateStock(store) { $0.receive(10, of: "oat-milk", at: till) }
        try state.updateStock(store) { ledger throws(StockError) in
            try ledger.transferRights(4, of: "oat-milk", from: till, to: hub)
        }
        return state
    }

    func terms(_ units: Int64, expiresAt: UInt64 = 2_000) -> Reservation.Terms {
        Reservation.Terms(
            customer: "anna", lines: ["oat-milk": units], expiresAt: expiresAt,
            placedAt: HLCTimestamp(physical: 1_000, counter: 0, replica: hub))
    }

    @Test("placing a reservation spends the hub's rights: the units leave what tills may sell")
    func placingSpendsTheHubsRights() throws {
        var state = try stocked()
        try state.reserve(id, at: store, terms(3), by: hub)
        #expect(state.stock(at: store).level(of: "oat-milk") == 7)
        #expect(state.stock(at: store).sellable("oat-milk", at: hub) == 1)
        #expect(state.stock(at: store).sellable("oat-milk", at: till) == 6)
        #expect(state.reservation(id, at: store).custodian == hub)
        #expect(state.reservation(id, at: store).phase.value == .reserved)
    }

    @Test("the hub cannot reserve more than it holds, and nothing changes")
    func placingBeyondTheHubsRightsIsRefused() throws {
        var state = try stocked()
        let before = state
        #expect(throws: StockError.self) { try state.reserve(id, at: store, terms(5), by: hub) }
        #expect(state == before)
        try state.reserve(id, at: store, terms(1), by: hub)
        #expect(throws: ReservationError.closed(.reserved)) { try state.reserve(id, at: store, terms(1), by: hub) }
    }

    @Test("only the custodian decides: after handing custody to a till, the hub can neither release nor hand over")
    func custodyDecides() throws {
        var state = try stocked()
        try state.reserve(id, at: store, terms(2), by: hub)
        #expect(throws: ReservationError.notCustodian(holder: hub)) {
            try state.advanceReservation(id, at: store, to: .picked, by: till, wallMillis: 1_500)
        }
        try state.handOverReservation(id, at: store, from: hub, to: till)
        #expect(throws: ReservationError.notCustodian(holder: till)) {
            try state.releaseReservation(id, at: store, by: hub)
        }
        #expect(throws: ReservationError.notCustodian(holder: till)) {
            try state.handOverReservation(id, at: store, from: hub, to: "till-2")
        }
        try state.advanceReservation(id, at: store, to: .picked, by: till, wallMillis: 1_500)
        try state.advanceReservation(id, at: store, to: .collected, by: till, wallMillis: 1_600)
        #expect(state.reservation(id, at: store).phase.value == .collected)
        #expect(throws: ReservationError.closed(.collected)) { try state.releaseReservation(id, at: store, by: till) }
        #expect(state.stock(at: store).level(of: "oat-milk") == 8, "collected units stay sold")
    }

    @Test("a release puts the units back on sale as the custodian's rights; a late pickup is refused")
    func releaseAndExpiry() throws {
        var state = try stocked()
        try state.reserve(id, at: store, terms(2, expiresAt: 2_000), by: hub)
        try state.handOverReservation(id, at: store, from: hub, to: till)
        #expect(throws: ReservationError.expired(id)) {
            try state.advanceReservation(id, at: store, to: .collected, by: till, wallMillis: 2_001)
        }
        let sellable = state.stock(at: store).sellable("oat-milk", at: till)
        try state.releaseReservation(id, at: store, by: till)
        #expect(state.stock(at: store).level(of: "oat-milk") == 10)
        #expect(state.stock(at: store).sellable("oat-milk", at: till) == sellable + 2)
        #expect(throws: ReservationError.closed(.released)) {
            try state.advanceReservation(id, at: store, to: .collected, by: till, wallMillis: 1_500)
        }
    }

    @Test("an unknown reservation is refused with its id")
    func unknownRefused() throws {
        var state = try stocked()
        #expect(throws: ReservationError.unknown(id)) { try state.releaseReservation(id, at: store, by: hub) }
    }
}
