public import AisleCore
public import AisleCrypto
import Foundation

/// A question one side of an established session asks the other, answered with a ``SyncReply``:
/// how a till or phone draws on the hub's rights bank (docs/sync.md, "Rights bank").
public enum SyncRequest: Sendable, Equatable {
    /// Rights to spend `units` of the bounded counter at `key`: a store's stock of one SKU, or a
    /// customer's points account.
    case rights(ObjectKey, units: UInt64)
    /// A customer's phone asks the hub to set `lines` of `store`'s stock aside for `customer` for
    /// `holdSeconds` (click and collect).
    case reserve(store: StoreID, customer: CustomerID, lines: [SKU: UInt64], holdSeconds: UInt64)
    /// A till asks the hub for custody of reservation `id` at `store`, to pick and hand it over.
    case custody(store: StoreID, reservation: ReservationID)
    /// The hub asks a till of `store` to hand in the stock rights it can spare, up to `lines`
    /// units per SKU, for a reservation the hub cannot cover (answered with ``SyncReply/granted(units:envelopes:)``).
    case recall(store: StoreID, lines: [SKU: UInt64])
    /// A customer's phone asks the hub where `customer`'s reservations stand (the stores' scopes
    /// hold them, which a phone may not read).
    case reservations(customer: CustomerID)
}

/// One of a customer's reservations as the hub reports it to the customer's phone.
public struct ReservationReport: Sendable, Equatable {
    public let store: StoreID
    public let id: ReservationID
    /// Units per SKU.
    public let lines: [SKU: UInt64]
    /// Wall-clock milliseconds.
    public let expiresAt: UInt64
    public let phase: ReservationPhase

    public init(store: StoreID, id: ReservationID, lines: [SKU: UInt64], expiresAt: UInt64, phase: ReservationPhase) {
        self.store = store
        self.id = id
        self.lines = lines
        self.expiresAt = expiresAt
        self.phase = phase
    }
}

/// The answer to a ``SyncRequest``.
public enum SyncReply: Sendable, Equatable {
    /// `units` were granted (0: the peer had none to spare; or custody of a reservation) by the
    /// change these envelopes carry, sealed by the peer; apply them through the node's one
    /// receive path.
    case granted(units: UInt64, envelopes: [Envelope])
    /// The reservation was placed, held until `expiresAt` (wall-clock milliseconds).
    case reserved(ReservationID, expiresAt: UInt64)
    /// The customer's reservations, by store and id.
    case reservations([ReservationReport])
    /// The peer would not answer, and why (a person can act on the reason).
    case refused(String)
}

extension SyncSession {
    /// Asks the peer `request`, as question `id` (the caller's, unique on this session); its
    /// answer comes back as ``SyncAction/answered(_:_:)`` with the same id.
    public func ask(_ request: SyncRequest, id: UInt64) -> [SyncAction] {
        guard peer != nil else { return [] }
        var message = Aisle_Sync_V1_Request()
        message.id = id
        switch request {
        case .rights(let key, let units):
            var rights = Aisle_Sync_V1_RightsRequest()
            rights.scope = key.scope.description
            rights.kind = UInt32(key.kind.rawValue)
            rights.object = key.id
            rights.units = units
            message.rights = rights
        case .reserve(let store, let customer, let lines, let holdSeconds):
            var reserve = Aisle_Sync_V1_ReserveRequest()
            reserve.store = store.rawValue
            reserve.customer = customer.rawValue
            reserve.lines = Self.wireLines(lines)
            reserve.holdSeconds = holdSeconds
            message.reserve = reserve
        case .custody(let store, let reservation):
            var custody = Aisle_Sync_V1_CustodyRequest()
            custody.store = store.rawValue
            custody.reservation = reservation.rawValue
            message.custody = custody
        case .recall(let store, let lines):
            var recall = Aisle_Sync_V1_RecallRequest()
            recall.store = store.rawValue
            recall.lines = Self.wireLines(lines)
            message.recall = recall
        case .reservations(let customer):
            var reservations = Aisle_Sync_V1_ReservationsRequest()
            reservations.customer = customer.rawValue
            message.reservations = reservations
        }
        asked.insert(id)
        return [seal(.request(message))]
    }

    /// Answers the peer's question `id` (from ``SyncAction/serve(_:_:)``).
    public func answer(_ id: UInt64, _ reply: SyncReply) -> [SyncAction] {
        guard peer != nil else { return [] }
        var message = Aisle_Sync_V1_Reply()
        message.id = id
        switch reply {
        case .granted(let units, let envelopes):
            message.granted = units
            message.envelopes = envelopes.map { Data($0.canonicalBytes) }
        case .reserved(let reservation, let expiresAt):
            message.reservation = reservation.rawValue
            message.expiresAt = expiresAt
        case .reservations(let reports):
            message.listed = true
            message.reservations = reports.map { report in
                var wire = Aisle_Sync_V1_ReservationReport()
                wire.store = report.store.rawValue
                wire.reservation = report.id.rawValue
                wire.lines = Self.wireLines(report.lines)
                wire.expiresAt = report.expiresAt
                wire.phase = UInt32(report.phase.rawValue)
                return wire
            }
        case .refused(let reason):
            message.refusal = reason.isEmpty ? "refused" : reason
        }
        return [seal(.reply(message))]
    }

    func onRequest(_ message: Aisle_Sync_V1_Request, peer: Certificate, now: UInt64) throws(SyncError)
        -> [SyncAction]
    {
        switch message.body {
        case .rights(let rights):
            let scope = try Wire.scope(rights.scope)
            guard rights.kind <= UInt32(UInt8.max), let kind = ObjectKind(rawValue: UInt8(rights.kind)) else {
                throw .protocolViolation("a rights request for an unknown object kind \(rights.kind)")
            }
            let key: ObjectKey
            do { key = try ObjectKey(scope: scope, kind: kind, id: rights.object) } catch {
                throw .protocolViolation("a rights request for an invalid object: \(error)")
            }
            return serve(message.id, .rights(key, units: rights.units), about: scope, peer: peer, now: now)
        case .reserve(let reserve):
            let store = try Wire.parse(StoreID.self, reserve.store, "store")
            let customer = try Wire.parse(CustomerID.self, reserve.customer, "customer")
            let lines = try Self.lines(reserve.lines, of: "reservation")
            // A phone reserves for its own customer only.
            let request = SyncRequest.reserve(
                store: store, customer: customer, lines: lines, holdSeconds: reserve.holdSeconds)
            return serve(message.id, request, about: .customer(customer), peer: peer, now: now)
        case .custody(let custody):
            let store = try Wire.parse(StoreID.self, custody.store, "store")
            let reservation = try Wire.parse(ReservationID.self, custody.reservation, "reservation")
            return serve(
                message.id, .custody(store: store, reservation: reservation), about: .store(store), peer: peer,
                now: now)
        case .recall(let recall):
            let store = try Wire.parse(StoreID.self, recall.store, "store")
            let lines = try Self.lines(recall.lines, of: "recall")
            return serve(message.id, .recall(store: store, lines: lines), about: .store(store), peer: peer, now: now)
        case .reservations(let reservations):
            // Only who may hold the customer's own scope learns where the customer's reservations stand.
            let customer = try Wire.parse(CustomerID.self, reservations.customer, "customer")
            return serve(
                message.id, .reservations(customer: customer), about: .customer(customer), peer: peer, now: now)
        case nil:
            // A question this build does not know (a newer peer): say so, keep the session.
            return answer(message.id, .refused("this peer does not understand the question: upgrade it"))
        }
    }

    private static func wireLines(_ lines: [SKU: UInt64]) -> [Aisle_Sync_V1_ReserveLine] {
        lines.keys.sorted().map { sku in
            var line = Aisle_Sync_V1_ReserveLine()
            line.sku = sku.rawValue
            line.units = lines[sku]!
            return line
        }
    }

    /// Units per SKU, each SKU once and at least one unit, at least one line.
    private static func lines(_ wire: [Aisle_Sync_V1_ReserveLine], of what: String) throws(SyncError) -> [SKU: UInt64] {
        var lines: [SKU: UInt64] = [:]
        for line in wire {
            let sku = try Wire.parse(SKU.self, line.sku, "SKU")
            guard line.units > 0, lines.updateValue(line.units, forKey: sku) == nil else {
                throw .protocolViolation("a \(what) line for \(sku) is empty or repeated")
            }
        }
        guard !lines.isEmpty else { throw .protocolViolation("a \(what) with no lines") }
        return lines
    }

    /// Hands a question to the driver when the peer may hold `scope`; refuses it otherwise (asking
    /// about a scope it may not hold is not worth ending the session for).
    private func serve(_ id: UInt64, _ request: SyncRequest, about scope: Scope, peer: Certificate, now: UInt64)
        -> [SyncAction]
    {
        guard Authorization.mayReceive(peer.body, scope) || trust.isGranted(scope, to: peer.body, at: now) else {
            return answer(id, .refused("\(peer.body.role) \(peer.body.device) may not hold \(scope)"))
        }
        return [.serve(id, request)]
    }

    func onReply(_ message: Aisle_Sync_V1_Reply) throws(SyncError) -> [SyncAction] {
        guard asked.remove(message.id) != nil else {
            throw .protocolViolation("a reply to question \(message.id), which this side did not ask")
        }
        guard message.refusal.isEmpty else { return [.answered(message.id, .refused(message.refusal))] }
        if !message.reservation.isEmpty {
            let reservation = try Wire.parse(ReservationID.self, message.reservation, "reservation")
            return [.answered(message.id, .reserved(reservation, expiresAt: message.expiresAt))]
        }
        if message.listed {
            return [.answered(message.id, .reservations(try message.reservations.map(Self.report)))]
        }
        var envelopes: [Envelope] = []
        for bytes in message.envelopes {
            do { envelopes.append(try Envelope(canonicalBytes: Array(bytes))) } catch {
                throw .protocolViolation("an envelope in reply \(message.id) does not parse: \(error)")
            }
        }
        return [.answered(message.id, .granted(units: message.granted, envelopes: envelopes))]
    }

    private static func report(_ wire: Aisle_Sync_V1_ReservationReport) throws(SyncError) -> ReservationReport {
        let lines = try Self.lines(wire.lines, of: "reported reservation")
        guard let phase = ReservationPhase(rawValue: Int(wire.phase)) else {
            throw .protocolViolation("a reported reservation in an unknown phase \(wire.phase)")
        }
        return ReservationReport(
            store: try Wire.parse(StoreID.self, wire.store, "store"),
            id: try Wire.parse(ReservationID.self, wire.reservation, "reservation"), lines: lines,
            expiresAt: wire.expiresAt, phase: phase)
    }
}
