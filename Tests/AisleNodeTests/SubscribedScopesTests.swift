import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleTesting
import Testing

@Suite("The scopes a sync subscribes to from the start")
struct SubscribedScopesTests {
    @Test(
        "the hub offers a till the scopes its certificate names, not every points account of the chain; the till subscribes to an account it met, and the hub follows it back"
    )
    func tillHoldsOnlyTheAccountsItMet() async throws {
        let chain = try TestTenant()
        let berlin = Scope.store("berlin")
        let customers = try (0..<50).map { try CustomerID("c\($0)") }
        let accounts = customers.map { Scope.loyalty($0) }
        let grants: [ScopeGrant] = [.exactly(.catalog), .exactly(berlin), .allLoyalty]
        let till1 = try chain.node("till-1", .pos, grants, keys: [berlin] + accounts)
        let till2 = try chain.node("till-2", .pos, grants, keys: [berlin] + accounts)
        let hub = try chain.node("hub", .hub, [.allStores, .allLoyalty], keys: [berlin] + accounts)
        try await chain.introduce([till1, till2, hub])
        for customer in customers { _ = try await till1.store.earnPoints(5, for: customer) }
        for account in accounts {
            try await hub.receive(try await till1.envelopes(in: account, missingFrom: VersionVector()))
        }

        #expect(try hub.scopes(sharedWith: till2.identity.certificate) == [.catalog, berlin])
        #expect(try till2.scopes(sharedWith: hub.identity.certificate) == [.catalog, berlin])
        try await Self.sync(till2, hub)
        #expect(try till2.store.scopes() == [])

        // The customer of account c7 shows up at till 2, which earns them points there.
        _ = try await till2.store.earnPoints(3, for: customers[7])
        try await Self.sync(till2, hub)
        let c7 = try ObjectKey(scope: accounts[7], kind: .account, id: "")
        #expect(try till2.store.counter(at: c7).value == 8)
        #expect(try hub.store.counter(at: c7).value == 8)
        #expect(try till2.store.scopes() == [accounts[7]])
    }

    @Test(
        "a hub offers a phone its own scopes by name, and head office the catalog; a till offers the hub every scope it holds"
    )
    func offersByRole() async throws {
        let chain = try TestTenant()
        let anna: CustomerID = "anna"
        let phone = try chain.node(
            "phone-anna", .mobile, [.exactly(.customer(anna)), .exactly(.loyalty(anna))],
            keys: [.customer(anna), .loyalty(anna)])
        let till = try chain.node(
            "till-1", .pos, [.exactly(.store("berlin")), .allLoyalty], keys: [.store("berlin"), .loyalty("bob")])
        let hub = try chain.node("hub", .hub, [.allStores, .allLoyalty], keys: [.store("berlin"), .loyalty("bob")])
        let headOffice = try chain.node("hq", .hq, [.exactly(.catalog)], keys: [.catalog])
        try await chain.introduce([phone, till, hub, headOffice])
        _ = try await till.store.earnPoints(5, for: "bob")

        #expect(try hub.scopes(sharedWith: phone.identity.certificate) == [.customer(anna), .loyalty(anna)])
        #expect(try till.scopes(sharedWith: hub.identity.certificate) == [.loyalty("bob"), .store("berlin")])
        #expect(try hub.scopes(sharedWith: till.identity.certificate) == [.store("berlin")])
        #expect(try hub.scopes(sharedWith: headOffice.identity.certificate) == [.catalog])
    }

    /// One sync between a device and the hub, each side subscribing to what it offers.
    static func sync(_ device: ReplicaNode, _ hub: ReplicaNode) async throws {
        let link = MemoryLink(device, hub) { peer in
            (try? (peer.body.device == hub.store.replica ? device : hub).scopes(sharedWith: peer)) ?? []
        }
        try await link.connect()
    }
}
