import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleTesting
import Testing

/// The Berlin store with reservation res-1 of 2 milk placed by the hub (which holds it) from
/// rights till-1 handed in; every node has every change.
struct ReservedBerlin {
    let berlin: Berlin
    let id: ReservationID = "res-1"
    let scope = Scope.store("berlin")
    let milk = ObjectKey.stock("milk", at: "berlin")
    var reservationKey: ObjectKey { .reservation(id, at: "berlin") }

    init() async throws {
        berlin = try await Berlin()
        try await berlin.till1.store.receiveStock(10, of: "milk", in: "berlin")
        _ = try await berlin.till1.store.transferRights(of: milk, to: "hub") { _ in 4 }
        try await berlin.hub.receive(try await berlin.till1.envelopes(for: berlin.hub, in: scope))
        try await berlin.hub.store.reserve(
            id, at: "berlin", for: "anna", lines: ["milk": 2], expiresAt: TestTenant.now + 60_000)
        for till in [berlin.till1, berlin.till2] {
            try await till.receive(try await berlin.hub.envelopes(for: till, in: scope))
        }
    }

    /// What `node` holds of the milk counter and the reservation, as a state to forge deltas from.
    func state(of node: ReplicaNode) throws -> RetailState {
        var state = RetailState()
        try state.join(.stock(try node.store.counter(at: milk)), at: milk)
        let reservation = try #require(try node.store.reservation(id, at: "berlin"))
        try state.join(.reservation(reservation), at: reservationKey)
        return state
    }

    /// `delta` sealed and signed by `author` as its next change in the store, depending on all it holds.
    func forge(_ delta: RetailState, by author: ReplicaNode) throws -> Envelope {
        let vector = try author.store.versionVector(of: scope)
        let me = author.store.replica
        let header = EnvelopeHeader(
            tenant: "acme", scope: scope, origin: me, seq: vector[me] + 1, epoch: 1,
            hlc: (TestTenant.now << 16) | 0x100, certificate: author.identity.certificate.id, dependencies: vector)
        return Envelope(
            header: header, deltas: delta.deltasByScope.filter { $0.scope == scope },
            key: try berlin.chain.admin.root.scopeKey(for: scope, epoch: 1), author: author.identity.signing)
    }

    /// Expects `receiver` to refuse `envelope` on receipt for breaking `rule`, and to be unchanged.
    func expectRefused(
        _ envelope: Envelope, by receiver: ReplicaNode, _ rule: ReceiptRefusal.Rule,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let before = try receiver.store.digest()
        await #expect(sourceLocation: sourceLocation) {
            try await receiver.receive([envelope])
        } throws: { error in
            guard
                case StoreError.refusedOnReceipt(scope, envelope.header.origin, envelope.header.seq, let refusal) =
                    error
            else { return false }
            return refusal.rule == rule
        }
        #expect(try receiver.store.digest() == before, sourceLocation: sourceLocation)
        #expect(try receiver.store.versionVector(of: scope)[envelope.header.origin] < envelope.header.seq)
    }
}

@Suite("Reservation steps and the hub's stock checked when received")
struct ReceiptCheckTests {
    @Test("a till that claims custody of a reservation the hub holds is refused on receipt")
    func custodyClaimedByANonHolderIsRefused() async throws {
        let world = try await ReservedBerlin()
        var forged = try world.state(of: world.berlin.till2)
        // till-2 writes the hand-over only the hub, the custodian, may write.
        let delta = try forged.handOverReservation(world.id, at: "berlin", from: "hub", to: "till-2")
        let envelope = try world.forge(delta, by: world.berlin.till2)
        try await world.expectRefused(envelope, by: world.berlin.hub, .notCustodian)
        try await world.expectRefused(envelope, by: world.berlin.till1, .notCustodian)
    }

    @Test("a till that collects a reservation it does not hold is refused on receipt")
    func phaseMovedByANonHolderIsRefused() async throws {
        let world = try await ReservedBerlin()
        var forged = try world.state(of: world.berlin.till2)
        let delta = try forged.advanceReservation(
            world.id, at: "berlin", to: .collected, by: "hub", wallMillis: TestTenant.now)
        try await world.expectRefused(
            try world.forge(delta, by: world.berlin.till2), by: world.berlin.hub, .notCustodian)
    }

    @Test("a custody hand-over that skips an epoch is refused on receipt")
    func custodyEpochSkipIsRefused() async throws {
        let world = try await ReservedBerlin()
        var forged = try world.state(of: world.berlin.hub)
        var delta = try forged.handOverReservation(world.id, at: "berlin", from: "hub", to: "hub")
        delta.join(try forged.handOverReservation(world.id, at: "berlin", from: "hub", to: "till-1"))
        try await world.expectRefused(
            try world.forge(delta, by: world.berlin.hub), by: world.berlin.till1, .custodySkipped)
    }

    @Test("the hub selling more stock than the reservation it places sets aside is refused on receipt")
    func hubStockOffTheReservationLinesIsRefused() async throws {
        let world = try await ReservedBerlin()
        var forged = try world.state(of: world.berlin.hub)
        let terms = Reservation.Terms(
            customer: "anna", lines: ["milk": 1], expiresAt: TestTenant.now + 60_000,
            placedAt: HLCTimestamp(physical: TestTenant.now, counter: 0x100, replica: "hub"))
        var delta = try forged.reserve("res-2", at: "berlin", terms, by: "hub")
        // One unit set aside, a second sold with it: the hub may not sell.
        delta.join(try forged.updateStock("berlin") { try $0.sell(1, of: "milk", at: "hub") })
        try await world.expectRefused(
            try world.forge(delta, by: world.berlin.hub), by: world.berlin.till1, .stockOffLines)
    }

    @Test("the hub selling stock alongside a custody hand-over is refused on receipt")
    func hubStockBesideAHandOverIsRefused() async throws {
        let world = try await ReservedBerlin()
        var forged = try world.state(of: world.berlin.hub)
        var delta = try forged.handOverReservation(world.id, at: "berlin", from: "hub", to: "till-1")
        delta.join(try forged.updateStock("berlin") { try $0.sell(1, of: "milk", at: "hub") })
        try await world.expectRefused(
            try world.forge(delta, by: world.berlin.hub), by: world.berlin.till2, .stockOffLines)
    }

    @Test("a reservation placed a second time under a known id is refused on receipt")
    func reservationPlacedTwiceIsRefused() async throws {
        let world = try await ReservedBerlin()
        var forged = RetailState()
        try forged.join(.stock(try world.berlin.hub.store.counter(at: world.milk)), at: world.milk)
        let terms = Reservation.Terms(
            customer: "ben", lines: ["milk": 1], expiresAt: TestTenant.now + 60_000,
            placedAt: HLCTimestamp(physical: TestTenant.now, counter: 0x100, replica: "hub"))
        let delta = try forged.reserve(world.id, at: "berlin", terms, by: "hub")
        try await world.expectRefused(
            try world.forge(delta, by: world.berlin.hub), by: world.berlin.till1, .placedTwice)
    }

    @Test("honest steps pass: the hub hands custody to a till, which picks and releases with its lines")
    func honestStepsAreApplied() async throws {
        let world = try await ReservedBerlin()
        let (hub, till1) = (world.berlin.hub, world.berlin.till1)
        try await hub.store.handOverReservation(world.id, at: "berlin", to: "till-1")
        try await till1.receive(try await hub.envelopes(for: till1, in: world.scope))
        try await till1.store.advanceReservation(world.id, at: "berlin", to: .picked)
        try await till1.store.releaseReservation(world.id, at: "berlin")
        try await hub.receive(try await till1.envelopes(for: hub, in: world.scope))
        #expect(try hub.store.digest() == till1.store.digest())
        #expect(try hub.store.stockLevel(of: "milk", in: "berlin").level == 10)
    }

    @Test(
        "a forged step held for a missing dependency is dropped alone when it is refused, not with the batch that frees it"
    )
    func heldForgeryIsDroppedAlone() async throws {
        let world = try await ReservedBerlin()
        let (hub, till2) = (world.berlin.hub, world.berlin.till2)
        // till-2 forges a hand-over to itself that depends on a receipt of its own the hub lacks.
        try await till2.store.receiveStock(1, of: "bread", in: "berlin")
        let receipt = try await till2.envelopes(for: hub, in: world.scope)
        var forged = try world.state(of: till2)
        let delta = try forged.handOverReservation(world.id, at: "berlin", from: "hub", to: "till-2")
        let forgery = try world.forge(delta, by: till2)
        #expect(try await hub.receive([forgery]) == [.held(origin: "till-2", seq: 2)])
        // The receipt frees it: the receipt is applied, the forgery refused and dropped.
        let outcomes = try await hub.receive(receipt)
        #expect(outcomes.first == .applied(origin: "till-2", seq: 1))
        guard case .refused("till-2", 2, let reason)? = outcomes.last else {
            Issue.record("the forgery was not refused: \(outcomes)")
            return
        }
        #expect(reason.contains("held by hub"), "\(reason)")
        #expect(try hub.store.reservation(world.id, at: "berlin")?.custodian == "hub")
        #expect(try hub.store.versionVector(of: world.scope)["till-2"] == 1)
    }
}
