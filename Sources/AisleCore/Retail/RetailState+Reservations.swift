/// Click and collect: the hub reserves a store's units for a customer, a till of the store takes
/// custody to pick them, and the custodian hands them over (collected) or puts them back on sale
/// (released, at expiry). Each step returns its delta.
extension RetailState {
    /// Reservation `id` at `store` (bottom when unknown here).
    public func reservation(_ id: ReservationID, at store: StoreID) -> Reservation {
        stores[store].reservations[id]
    }

    /// Places reservation `id` at `store` for `terms`, spending `hub`'s stock rights for every
    /// line, so the units leave what the tills may sell.
    ///
    /// - Throws: ``StockError`` for the first line the hub cannot set aside (nothing changes), or
    ///   ``ReservationError/closed(_:)`` when the id is taken.
    @discardableResult
    public mutating func reserve(_ id: ReservationID, at store: StoreID, _ terms: Reservation.Terms, by hub: ReplicaID)
        throws -> RetailState
    {
        guard reservation(id, at: store).terms == nil else { throw ReservationError.closed(.reserved) }
        var working = self
        var delta = RetailState()
        for (sku, units) in terms.lines.sorted(by: { $0.key < $1.key }) {
            delta.join(
                try working.updateStock(store) { ledger throws(StockError) in
                    try ledger.sell(UInt64(units), of: sku, at: hub)
                })
        }
        delta.join(
            working.updateReservation(id, at: store) { reservation in
                reservation.join(.placed(terms, by: hub))
                return .placed(terms, by: hub)
            })
        self = working
        return delta
    }

    /// Hands custody of reservation `id` from `replica` to `recipient` (the hub to the till that picks).
    @discardableResult
    public mutating func handOverReservation(
        _ id: ReservationID, at store: StoreID, from replica: ReplicaID, to recipient: ReplicaID
    ) throws(ReservationError) -> RetailState {
        try requireKnown(id, at: store)
        return try updateReservation(id, at: store) { reservation throws(ReservationError) in
            try reservation.handOver(from: replica, to: recipient)
        }
    }

    /// Marks reservation `id` picked, or collected, at its custodian `replica`; collecting after
    /// `expiresAt` (by `wallMillis`) is refused.
    @discardableResult
    public mutating func advanceReservation(
        _ id: ReservationID, at store: StoreID, to phase: ReservationPhase, by replica: ReplicaID, wallMillis: UInt64
    ) throws(ReservationError) -> RetailState {
        precondition(phase == .picked || phase == .collected, "release with releaseReservation")
        let terms = try requireKnown(id, at: store)
        if phase == .collected, wallMillis > terms.expiresAt { throw .expired(id) }
        return try updateReservation(id, at: store) { reservation throws(ReservationError) in
            try reservation.advance(to: phase, at: replica)
        }
    }

    /// Releases reservation `id` at its custodian `replica`: its units go back into `store`'s
    /// stock as rights of `replica`.
    @discardableResult
    public mutating func releaseReservation(_ id: ReservationID, at store: StoreID, by replica: ReplicaID)
        throws(ReservationError) -> RetailState
    {
        let terms = try requireKnown(id, at: store)
        var delta = try updateReservation(id, at: store) { reservation throws(ReservationError) in
            try reservation.advance(to: .released, at: replica)
        }
        for (sku, units) in terms.lines.sorted(by: { $0.key < $1.key }) {
            delta.join(updateStock(store) { $0.receive(UInt64(units), of: sku, at: replica) })
        }
        return delta
    }

    @discardableResult
    private func requireKnown(_ id: ReservationID, at store: StoreID) throws(ReservationError) -> Reservation.Terms {
        guard let terms = reservation(id, at: store).terms else { throw .unknown(id) }
        return terms
    }

    private mutating func updateReservation<Failure: Error>(
        _ id: ReservationID, at store: StoreID, _ mutator: (inout Reservation) throws(Failure) -> Reservation
    ) throws(Failure) -> RetailState {
        var delta = RetailState()
        delta.stores = try stores.update(store) { state throws(Failure) in
            var storeDelta = StoreState()
            storeDelta.reservations = try state.reservations.update(id, mutator)
            return storeDelta
        }
        return delta
    }
}
