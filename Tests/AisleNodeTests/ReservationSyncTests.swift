import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleSync
import AisleTesting
import Testing

@Suite("Click and collect over sync sessions")
struct ReservationSyncTests {
    let bank: RightsBankTests
    let phone: ReplicaNode
    let hq: ReplicaNode

    init() async throws {
        bank = try RightsBankTests()
        phone = try bank.chain.node(
            "phone-anna", .mobile, [.exactly(.customer("anna")), .exactly(.loyalty("anna"))],
            keys: [.customer("anna"), .loyalty("anna")])
        hq = try bank.chain.node("hq", .hq, [.exactly(.catalog)], keys: [.catalog])
        try await bank.chain.introduce([bank.hub, bank.till1, bank.till2, phone, hq])
        // Head office publishes oat milk and the Berlin store; the hub receives it.
        try await hq.store.updateCatalog(
            touching: [
                try ObjectKey(scope: .catalog, kind: .product, id: "oat-milk"),
                try ObjectKey(scope: .catalog, kind: .storeInfo, id: "berlin"),
            ]
        ) { catalog, stamp in
            var delta = catalog.setProduct("oat-milk", Product(name: "Oat milk"), at: stamp)
            delta.join(
                catalog.setStore(
                    "berlin",
                    StoreInfo(name: "Berlin", latitudeMicrodegrees: 52_520_000, longitudeMicrodegrees: 13_405_000),
                    at: stamp))
            return delta
        }
        try await bank.hub.receive(try await hq.envelopes(in: .catalog, missingFrom: VersionVector()))
    }

    @Test(
        "a phone reserves through the hub, which sets the units aside; a till takes custody, picks and hands them over")
    func reserveTakeCustodyAndCollect() async throws {
        let up = try await bank.link(bank.till1)
        try await bank.till1.store.receiveStock(10, of: "oat-milk", in: "berlin")
        let desk = RightsDesk(node: bank.till1) { up.connections[0] }
        _ = try await bank.carrying(up) {
            try await desk.rebalance([try ObjectKey(scope: .store("berlin"), kind: .stock, id: "oat-milk")])
        }
        try await up.connections[0].changed(.store("berlin"))
        try await up.pump()
        #expect(try bank.hub.store.stockLevel(of: "oat-milk", in: "berlin").sellableHere == 2)

        let app = MemoryLink(phone, bank.hub) { _ in [.customer("anna")] }
        try await app.connect()
        let ask: @Sendable (SyncRequest) async throws -> SyncReply = { request in
            try await bank.carrying(app) { try await app.connections[0].ask(request) }
        }
        let refused = try await ask(
            .reserve(store: "berlin", customer: "anna", lines: ["oat-milk": 5], holdSeconds: 60))
        #expect(
            refused
                == .refused("berlin can set aside 2 of oat-milk now (asked for 5): reserve fewer, or try another store")
        )
        let unknown = try await ask(.reserve(store: "berlin", customer: "anna", lines: ["caviar": 1], holdSeconds: 60))
        #expect(unknown == .refused("unknown SKU caviar: it is not in the catalog"))
        // Numbers out of range are refused as the phone sent them (2⁶³ and more once trapped the hub).
        for units in [RetailLimits.maxUnits + 1, UInt64(Int64.max) + 1, .max] {
            let absurd = try await ask(
                .reserve(store: "berlin", customer: "anna", lines: ["oat-milk": units], holdSeconds: 60))
            #expect(absurd == .refused("SKU oat-milk: \(AmountOutOfRange(amount: units, what: .units))"))
        }
        let foreign = try await ask(.reserve(store: "berlin", customer: "ben", lines: ["oat-milk": 1], holdSeconds: 60))
        #expect(foreign == .refused("mobile phone-anna may not hold customer:ben"))
        guard
            case .reserved(let id, let expiresAt) = try await ask(
                .reserve(store: "berlin", customer: "anna", lines: ["oat-milk": 2], holdSeconds: 60))
        else {
            Issue.record("the reservation was not placed")
            return
        }
        #expect(expiresAt == TestTenant.now + 60_000)
        #expect(try bank.hub.store.stockLevel(of: "oat-milk", in: "berlin").level == 8)
        // The phone learns where its customer's reservations stand; another customer's are not its to know.
        let placed = ReservationReport(
            store: "berlin", id: id, lines: ["oat-milk": 2], expiresAt: expiresAt, phase: .reserved)
        #expect(try await ask(.reservations(customer: "anna")) == .reservations([placed]))
        #expect(
            try await ask(.reservations(customer: "ben")) == .refused("mobile phone-anna may not hold customer:ben"))

        // The till sees it, takes custody from the hub, picks and hands the goods over.
        try await up.connections[1].changed(.store("berlin"))
        try await up.pump()
        #expect(try bank.till1.store.reservations(at: "berlin").map(\.id) == [id])
        try await bank.carrying(up) { try await desk.custody(of: id, at: "berlin") }
        #expect(try bank.till1.store.reservation(id, at: "berlin")?.custodian == "till-1")
        try await bank.till1.store.advanceReservation(id, at: "berlin", to: .picked)
        try await bank.till1.store.advanceReservation(id, at: "berlin", to: .collected)
        #expect(try bank.till1.store.reservations(at: "berlin").isEmpty, "no reservation left open")
        // Custody cannot be taken back from the till by the other till through the hub.
        let down = try await bank.link(bank.till2)
        try await up.connections[0].changed(.store("berlin"))
        try await up.pump()
        let desk2 = RightsDesk(node: bank.till2) { down.connections[0] }
        try await down.connections[1].changed(.store("berlin"))
        try await down.pump()
        await #expect(throws: ReservationError.closed(.collected)) {
            try await bank.carrying(down) { try await desk2.custody(of: id, at: "berlin") }
        }
        // The hub reports the collection; the phone notes it in Anna's own scope.
        guard case .reservations(let reports) = try await ask(.reservations(customer: "anna")) else {
            Issue.record("the hub did not list Anna's reservations")
            return
        }
        #expect(reports.map(\.phase) == [.collected])
        try await phone.store.noteReservationStages(
            of: "anna",
            reports.map {
                (
                    $0.id, ReservationNote.Terms(store: $0.store, lines: ["oat-milk": 2], expiresAt: $0.expiresAt),
                    $0.phase
                )
            })
        let notes = try phone.store.reservationNotes(of: "anna")
        #expect(notes.map(\.id) == [id])
        #expect(notes.first?.note.status(at: TestTenant.now) == .collected)
        #expect(notes.first?.note.terms?.store == "berlin")
    }

    /// Till 1, linked to the hub, receives 10 oat milk and hands the hub what it holds beyond its
    /// share (2). Returns its link, its desk and the SKU's key.
    func tillReceivesTenOatMilk() async throws -> (MemoryLink, RightsDesk, ObjectKey) {
        let up = try await bank.link(bank.till1)
        let oat = ObjectKey.stock("oat-milk", at: "berlin")
        try await bank.till1.store.receiveStock(10, of: "oat-milk", in: "berlin")
        let desk = RightsDesk(node: bank.till1) { up.connections[0] }
        _ = try await bank.carrying(up) { try await desk.rebalance([oat]) }
        return (up, desk, oat)
    }

    @Test(
        "a reservation beyond the hub's own rights is placed with what the store's till hands in when recalled; the till keeps its floor"
    )
    func reservationServedThroughARecall() async throws {
        let (up, _, oat) = try await tillReceivesTenOatMilk()
        try await up.connections[0].changed(.store("berlin"))
        try await up.pump()
        #expect(try bank.hub.store.counter(at: oat).rights(of: "hub") == 2)
        let recall = LinkRecall(link: up, bank: bank)
        let reserve: @Sendable (UInt64) async -> (SyncReply, Scope?) = { [bank, phone] units in
            await bank.hub.serve(
                .reserve(store: "berlin", customer: "anna", lines: ["oat-milk": units], holdSeconds: 60),
                from: phone.identity.certificate, recall: recall)
        }

        let (placed, wrote) = await reserve(5)
        guard case .reserved = placed else {
            Issue.record("not placed: \(placed)")
            return
        }
        #expect(wrote == .store("berlin"))
        // Its share of 10 was 8, its floor 4: it handed in the 3 the hub lacked and kept 5.
        #expect(try bank.till1.store.counter(at: oat).rights(of: "till-1") == 5)
        #expect(try bank.hub.store.stockLevel(of: "oat-milk", in: "berlin").level == 5)

        // Of 5 left (once the till has the reservation), its share is 4 and its floor 2: it spares
        // 3, not the 4 asked for.
        try await up.connections[1].changed(.store("berlin"))
        try await up.pump()
        let (refused, _) = await reserve(4)
        #expect(
            refused
                == .refused("berlin can set aside 3 of oat-milk now (asked for 4): reserve fewer, or try another store")
        )
        #expect(try bank.till1.store.counter(at: oat).rights(of: "till-1") == 2)
        #expect(try bank.hub.store.stockLevel(of: "oat-milk", in: "berlin").level == 5, "nothing was set aside")
    }

    @Test("a till answering a recall keeps what its sales under way need, besides its floor")
    func recallLeavesSalesUnderWayTheirRights() async throws {
        let (_, desk, oat) = try await tillReceivesTenOatMilk()
        // It holds its share of 10, 8; its floor is 4. A sale of 3 is under way when the hub recalls.
        let hub = bank.hub.identity.certificate
        let (reply, _) = try await desk.spending([oat: 3]) {
            await bank.till1.serve(.recall(store: "berlin", lines: ["oat-milk": 10]), from: hub)
        }
        guard case .granted(let units, _) = reply else {
            Issue.record("refused: \(reply)")
            return
        }
        #expect(units == 1)
        #expect(try bank.till1.store.counter(at: oat).rights(of: "till-1") == 7)
    }

    @Test("a till hands in rights only when the hub recalls them")
    func onlyTheHubRecalls() async throws {
        let (reply, wrote) = await bank.till1.serve(
            .recall(store: "berlin", lines: ["oat-milk": 1]), from: bank.till2.identity.certificate)
        #expect(reply == .refused("only the hub recalls stock rights"))
        #expect(wrote == nil)
    }
}

/// The hub's recall over one in-memory link to a till (the hub's side is the link's responder).
struct LinkRecall: RightsRecall {
    let link: MemoryLink
    let bank: RightsBankTests

    func recall(_ lines: [SKU: UInt64], at store: StoreID, until deadline: ContinuousClock.Instant) async -> UInt64 {
        let reply = try? await bank.carrying(link) {
            try await link.connections[1].ask(.recall(store: store, lines: lines))
        }
        guard case .granted(let units, _)? = reply else { return 0 }
        return units
    }
}
