import AisleCore
@_spi(Testing) import AisleCrypto
import Testing

@Suite("Handoff grants")
struct HandoffGrantTests {
    /// A cart line the till adds to Anna's cart, as a delta of her customer scope.
    static var tillEdit: RetailState {
        var state = RetailState()
        _ = try? state.updateCart("app-cart", in: .customer("anna")) { cart in
            try cart.add("bread", quantity: 1, at: "till-1")
        }
        return state
    }

    @Test("a till writes a customer's cart only under her grant for its store, within the grant's time")
    func grantsLetTillsWriteCustomerScopes() throws {
        var tenant = try Tenant()
        let anna = Scope.customer("anna")
        let edit = Self.tillEdit
        let envelope = tenant.envelope(edit, scope: anna, by: tenant.tillKeys, certificate: tenant.till)
        // Without a grant a till may not write Anna's scope.
        #expect(throws: EnvelopeRefusal.scopeNotAllowed(.pos, anna)) {
            try tenant.trust.open(envelope, now: Tenant.now)
        }

        // A grant for another store's tills does not help.
        let paris = HandoffGrant(
            scope: anna, to: "paris", until: Tenant.now + 60_000, by: tenant.phone, signing: tenant.phoneKeys)
        try tenant.trust.admit(paris)
        #expect(throws: EnvelopeRefusal.scopeNotAllowed(.pos, anna)) {
            try tenant.trust.open(envelope, now: Tenant.now)
        }

        // Anna's grant for Berlin does, for changes stamped before it expires.
        let berlin = HandoffGrant(
            scope: anna, to: "berlin", until: Tenant.now + 60_000, by: tenant.phone, signing: tenant.phoneKeys)
        try tenant.trust.admit(berlin)
        #expect(try tenant.trust.open(envelope, now: Tenant.now).count == 1)
        let late = tenant.envelope(
            edit, scope: anna, by: tenant.tillKeys, certificate: tenant.till, hlc: (Tenant.now + 60_001) << 16)
        #expect(throws: EnvelopeRefusal.scopeNotAllowed(.pos, anna)) {
            try tenant.trust.open(late, now: Tenant.now + 60_001)
        }
    }

    @Test("a grant is refused when forged, when its signer may not grant, or for a scope that is not a customer's")
    func badGrantsRefused() throws {
        var tenant = try Tenant()
        let anna = Scope.customer("anna")
        let forged = HandoffGrant(
            scope: anna, to: "berlin", until: Tenant.now + 60_000, by: tenant.phone, signing: SigningKeyPair())
        #expect(throws: EnvelopeRefusal.forgedGrant) { try tenant.trust.admit(forged) }
        // A till cannot hand itself a customer's scope.
        let selfGranted = HandoffGrant(
            scope: anna, to: "berlin", until: Tenant.now + 60_000, by: tenant.till, signing: tenant.tillKeys)
        #expect(throws: EnvelopeRefusal.scopeNotAllowed(.pos, anna)) { try tenant.trust.admit(selfGranted) }
        // Anna's phone cannot grant Bob's scope.
        let bob = HandoffGrant(
            scope: .customer("bob"), to: "berlin", until: Tenant.now + 60_000, by: tenant.phone,
            signing: tenant.phoneKeys)
        #expect(throws: EnvelopeRefusal.scopeNotAllowed(.mobile, .customer("bob"))) { try tenant.trust.admit(bob) }
        let store = HandoffGrant(
            scope: .store("berlin"), to: "berlin", until: Tenant.now + 60_000, by: tenant.phone,
            signing: tenant.phoneKeys)
        #expect(throws: EnvelopeRefusal.self) { try tenant.trust.admit(store) }
        #expect(try HandoffGrant(canonicalBytes: forged.canonicalBytes) == forged)
    }

    @Test(
        "a store narrowed to a batch keeps only its authors' certificates and its scopes' grants, and opens the batch as the whole store does"
    )
    func narrowedStoreOpensItsBatch() throws {
        var tenant = try Tenant()
        let anna = Scope.customer("anna")
        let grant = HandoffGrant(
            scope: anna, to: "berlin", until: Tenant.now + 60_000, by: tenant.phone, signing: tenant.phoneKeys)
        try tenant.trust.admit(grant)
        // Bob's phone and grant, which the batch does not need.
        let bobKeys = SigningKeyPair()
        let bob = Tenant.certify("phone-bob", .mobile, [.exactly(.customer("bob"))], bobKeys, admin: tenant.admin)
        try tenant.trust.add(bob)
        try tenant.trust.admit(
            HandoffGrant(scope: .customer("bob"), to: "berlin", until: Tenant.now + 60_000, by: bob, signing: bobKeys))
        let batch = [
            tenant.envelope(Self.tillEdit, scope: anna, by: tenant.tillKeys, certificate: tenant.till),
            tenant.envelope(
                Tenant.sale(by: "till-1"), scope: .store("berlin"), by: tenant.tillKeys, certificate: tenant.till),
        ]

        let narrowed = tenant.trust.narrowed(to: batch)
        #expect(Set(narrowed.certificates.keys) == [tenant.till.id])
        #expect(narrowed.grants.mapValues { $0.map(\.id) } == [anna: [grant.id]])
        #expect(narrowed.revoked == tenant.trust.revoked)
        for envelope in batch {
            #expect(try narrowed.open(envelope, now: Tenant.now) == tenant.trust.open(envelope, now: Tenant.now))
        }
        // The phone's envelope is not in the batch: its certificate is not there.
        let phones = tenant.envelope(Self.tillEdit, scope: anna, by: tenant.phoneKeys, certificate: tenant.phone)
        #expect(throws: EnvelopeRefusal.unknownCertificate) { try narrowed.open(phones, now: Tenant.now) }
    }
}
