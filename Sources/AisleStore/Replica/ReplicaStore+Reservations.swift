public import AisleCore
import GRDB

/// A reservation as the till software reads it (the `reservations` read table).
public struct ReservationView: Sendable, Equatable {
    public let id: ReservationID
    public let store: StoreID
    public let customer: CustomerID?
    public let phase: String
    /// The replica that decides its end now.
    public let custodian: ReplicaID?
    public let expiresAt: UInt64?
    /// "sku×units" per line, joined by ", ".
    public let lines: String
}

/// Click and collect, each step one transaction (docs/semantics.md, "Click and collect").
extension ReplicaStore {
    /// Places reservation `id` at `store` of `lines` for `customer` until `expiresAt` (the hub):
    /// the units leave the hub's stock rights, so no till can sell them.
    ///
    /// - Throws: ``StockError`` for a line the hub cannot set aside; nothing is written.
    @discardableResult
    public func reserve(
        _ id: ReservationID, at store: StoreID, for customer: CustomerID, lines: [SKU: Int64], expiresAt: UInt64
    ) async throws -> [Acknowledgement] {
        let me = replica
        return try await mutate(objects: Self.objects(of: id, at: store, lines: lines.keys)) { state, stamp in
            let terms = Reservation.Terms(customer: customer, lines: lines, expiresAt: expiresAt, placedAt: stamp)
            return try state.reserve(id, at: store, terms, by: me)
        }
    }

    /// Hands custody of reservation `id` from this replica to `recipient`.
    @discardableResult
    public func handOverReservation(_ id: ReservationID, at store: StoreID, to recipient: ReplicaID) async throws
        -> [Acknowledgement]
    {
        let me = replica
        return try await mutate(objects: [.reservation(id, at: store)]) { state, _ in
            try state.handOverReservation(id, at: store, from: me, to: recipient)
        }
    }

    /// Marks reservation `id` picked or collected here (this replica must hold custody; collecting
    /// after the deadline is refused).
    @discardableResult
    public func advanceReservation(_ id: ReservationID, at store: StoreID, to phase: ReservationPhase) async throws
        -> [Acknowledgement]
    {
        let me = replica
        let now = wallClock()
        return try await mutate(objects: [.reservation(id, at: store)]) { state, _ in
            try state.advanceReservation(id, at: store, to: phase, by: me, wallMillis: now)
        }
    }

    /// Releases reservation `id` here (this replica must hold custody): its units go back on sale
    /// as this replica's rights.
    @discardableResult
    public func releaseReservation(_ id: ReservationID, at store: StoreID) async throws -> [Acknowledgement] {
        let me = replica
        guard let terms = try reservation(id, at: store)?.terms else { throw ReservationError.unknown(id) }
        return try await mutate(objects: Self.objects(of: id, at: store, lines: terms.lines.keys)) { state, _ in
            try state.releaseReservation(id, at: store, by: me)
        }
    }

    /// The open reservations this replica holds whose deadline has passed, soonest first: to
    /// release (``releaseReservation(_:at:)``).
    public func expiredReservations() throws -> [(StoreID, ReservationID)] {
        let now = Int64(clamping: wallClock())
        return try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT store_id, reservation_id FROM reservations
                    WHERE custodian = ? AND phase IN ('reserved', 'picked') AND expires_at_ms < ?
                    ORDER BY expires_at_ms
                    """, arguments: [replica.rawValue, now])
        }.map { (try StoreID($0[0] as String), try ReservationID($0[1] as String)) }
    }

    /// Reservation `id` at `store`; nil when unknown here.
    public func reservation(_ id: ReservationID, at store: StoreID) throws -> Reservation? {
        let key = ObjectKey.reservation(id, at: store)
        guard case .reservation(let reservation)? = try pool.read({ db in try self.rows.load(key, db) }) else {
            return nil
        }
        return reservation
    }

    /// The reservations of `store`; only those still open unless `all`.
    public func reservations(at store: StoreID, all: Bool = false) throws -> [ReservationView] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT reservation_id, customer_id, phase, custodian, expires_at_ms, lines FROM reservations
                    WHERE store_id = ? AND (? OR phase IN ('reserved', 'picked')) ORDER BY expires_at_ms, reservation_id
                    """, arguments: [store.rawValue, all])
        }.map { row in
            ReservationView(
                id: try ReservationID(row[0] as String), store: store,
                customer: try (row[1] as String?).map { try CustomerID($0) }, phase: row[2],
                custodian: try (row[3] as String?).map { try ReplicaID($0) },
                expiresAt: (row[4] as Int64?).map { UInt64(max(0, $0)) }, lines: row[5])
        }
    }

    /// Every reservation placed for `customer`, in every store this replica holds, by store and id
    /// (what the hub reports to the customer's phone).
    public func reservations(of customer: CustomerID) throws -> [(store: StoreID, id: ReservationID, Reservation)] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT store_id, reservation_id, state FROM reservations WHERE customer_id = ?
                    ORDER BY store_id, reservation_id
                    """, arguments: [customer.rawValue]
            ).compactMap { row in
                let store = try StoreID(row[0] as String)
                let id = try ReservationID(row[1] as String)
                guard case .reservation(let reservation) = try ObjectRows.decode(.reservation(id, at: store), row[2])
                else { return nil }
                return (store, id, reservation)
            }
        }
    }

    /// Keeps a note of reservation `id`, just placed by the hub, in `customer`'s own scope (the phone).
    @discardableResult
    public func noteReservation(_ id: ReservationID, of customer: CustomerID, _ terms: ReservationNote.Terms)
        async throws -> [Acknowledgement]
    {
        try await mutate(objects: [.reservationNote(id, of: customer)]) { state, _ in
            state.updateReservationNote(id, of: customer) { note in
                let delta = ReservationNote.placed(terms)
                note.join(delta)
                return delta
            }
        }
    }

    /// Records the stages the hub reported for `customer`'s reservations in the customer's scope,
    /// noting a reservation this phone did not know (placed from another phone) with its terms.
    /// Nothing is written when every note already says as much.
    @discardableResult
    public func noteReservationStages(
        of customer: CustomerID, _ reports: [(id: ReservationID, terms: ReservationNote.Terms, phase: ReservationPhase)]
    ) async throws -> [Acknowledgement] {
        guard !reports.isEmpty else { return [] }
        return try await mutate(objects: reports.map { .reservationNote($0.id, of: customer) }) { state, _ in
            var delta = RetailState()
            for report in reports {
                delta.join(
                    state.updateReservationNote(report.id, of: customer) { note in
                        var change = note.terms == nil ? ReservationNote.placed(report.terms) : ReservationNote()
                        var seen = note.joined(with: change)
                        change.join(seen.advance(to: report.phase))
                        note.join(change)
                        return change
                    })
            }
            return delta
        }
    }

    /// The notes of `customer`'s reservations kept in the customer's scope, soonest deadline first.
    public func reservationNotes(of customer: CustomerID) throws -> [(id: ReservationID, note: ReservationNote)] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT reservation_id, state FROM reservation_notes WHERE customer_id = ?
                    ORDER BY expires_at_ms, reservation_id
                    """, arguments: [customer.rawValue]
            ).compactMap { row in
                let id = try ReservationID(row[0] as String)
                guard
                    case .reservationNote(let note) = try ObjectRows.decode(.reservationNote(id, of: customer), row[1])
                else { return nil }
                return (id, note)
            }
        }
    }

    /// What placing or releasing reservation `id` touches: the reservation, and the stock of its SKUs.
    private static func objects(of id: ReservationID, at store: StoreID, lines skus: some Collection<SKU>)
        -> [ObjectKey]
    {
        [.reservation(id, at: store)] + skus.sorted().map { .stock($0, at: store) }
    }
}
