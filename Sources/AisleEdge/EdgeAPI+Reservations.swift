import AisleCore
import AisleNode
import AisleStore
import Foundation
import Hummingbird

/// Click and collect at the till: the store's open reservations to pick, then pick, collect, or
/// release one. Acting on a reservation needs its custody: the till takes it from the hub when
/// the hub holds it (online), and then needs nobody to hand it over, even offline.
extension EdgeAPI {
    func addReservationRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/reservations") { request, _ in
            let all = request.uri.queryParameters.get("all") == "true"
            return ReservationList(
                reservations: try node.store.reservations(at: store, all: all).map(ReservationItem.init))
        }
        router.post("/v1/reservations/:reservation/pick") { _, context in
            try await step(try reservationID(context), to: .picked)
        }
        router.post("/v1/reservations/:reservation/collect") { _, context in
            try await step(try reservationID(context), to: .collected)
        }
        router.post("/v1/reservations/:reservation/release") { _, context in
            let id = try reservationID(context)
            try await withCustody(id) { try await node.store.releaseReservation(id, at: store) }
            return try item(id)
        }
    }

    private func step(_ id: ReservationID, to phase: ReservationPhase) async throws -> ReservationItem {
        try await withCustody(id) { try await node.store.advanceReservation(id, at: store, to: phase) }
        return try item(id)
    }

    /// Takes custody if needed, then does `work`; refusals become 404 (unknown) or 409 with the reason.
    private func withCustody(_ id: ReservationID, _ work: () async throws -> Void) async throws {
        do {
            try await desk.custody(of: id, at: store)
            try await work()
        } catch ReservationError.unknown(let id) {
            throw HTTPError(.notFound, message: ReservationError.unknown(id).description)
        } catch let error as ReservationError {
            throw HTTPError(.conflict, message: error.description)
        } catch let error as ReservationUnavailable {
            throw HTTPError(.conflict, message: error.description)
        }
        await changed(.store(store))
    }

    private func item(_ id: ReservationID) throws -> ReservationItem {
        guard let view = try node.store.reservations(at: store, all: true).first(where: { $0.id == id }) else {
            throw HTTPError(.notFound, message: ReservationError.unknown(id).description)
        }
        return ReservationItem(view)
    }

    private func reservationID(_ context: BasicRequestContext) throws -> ReservationID {
        try Self.parse(ReservationID.self, context.parameters.require("reservation"))
    }
}

struct ReservationItem: ResponseEncodable {
    let id: String
    let customer: String?
    let phase: String
    let custodian: String?
    let expiresAtMs: UInt64?
    let lines: String

    init(_ view: ReservationView) {
        id = view.id.rawValue
        customer = view.customer?.rawValue
        phase = view.phase
        custodian = view.custodian?.rawValue
        expiresAtMs = view.expiresAt
        lines = view.lines
    }
}

struct ReservationList: ResponseEncodable {
    let reservations: [ReservationItem]
}
