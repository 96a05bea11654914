import AisleCore
@_spi(Testing) import AisleCrypto
import AisleTesting
import Foundation
import Testing

/// A phone with a valid mobile certificate tries everything a mobile may not do; every envelope
/// is validly sealed and signed by the phone, so only the verification pipeline stands in the way.
@Suite("Malicious envelopes from a mobile certificate")
struct MaliciousEnvelopeTests {
    enum Attack: CaseIterable {
        case mintPoints, changeStock, changePrice, writeOtherCustomersCart, writeCartAsTill, redeemAsTill,
            claimTillCertificate, placeOrderAsTill
    }

    /// One malicious envelope of `attack`, varied by `random`.
    static func envelope(_ attack: Attack, _ tenant: Tenant, _ random: inout SeededRandom) throws -> Envelope {
        let amount = 1 + random.next() % 500
        let sku = SKU(stringLiteral: "sku-\(random.next() % 50)")
        let stamp = HLCTimestamp(physical: Tenant.now, counter: UInt16(random.next() % 1000), replica: "phone-anna")
        var state = RetailState()
        switch attack {
        case .mintPoints:
            let delta = state.updateLoyalty("anna") { $0.earn(amount, at: "phone-anna") }
            return tenant.envelope(delta, scope: .loyalty("anna"), by: tenant.phoneKeys, certificate: tenant.phone)
        case .changeStock:
            let delta = state.updateStock("berlin") { $0.receive(amount, of: sku, at: "phone-anna") }
            return tenant.envelope(delta, scope: .store("berlin"), by: tenant.phoneKeys, certificate: tenant.phone)
        case .changePrice:
            let delta = try state.updateCatalog { catalog throws(CatalogError) in
                try catalog.setPrice(sku, Int64(amount), at: stamp)
            }
            return tenant.envelope(delta, scope: .catalog, by: tenant.phoneKeys, certificate: tenant.phone)
        case .writeOtherCustomersCart:
            let delta = try state.updateCart("c", in: .customer("bob")) { cart throws(CartError) in
                try cart.add(sku, quantity: Int64(amount), at: "phone-anna")
            }
            return tenant.envelope(delta, scope: .customer("bob"), by: tenant.phoneKeys, certificate: tenant.phone)
        case .writeCartAsTill:
            let delta = try state.updateCart("c", in: .customer("anna")) { cart throws(CartError) in
                try cart.add(sku, quantity: Int64(amount), at: "till-1")
            }
            return tenant.envelope(delta, scope: .customer("anna"), by: tenant.phoneKeys, certificate: tenant.phone)
        case .redeemAsTill:
            state.updateLoyalty("anna") { $0.earn(amount, at: "till-1") }
            let delta = try state.updateLoyalty("anna") { account throws(LoyaltyError) in
                try account.redeem(amount, at: "till-1")
            }
            return tenant.envelope(delta, scope: .loyalty("anna"), by: tenant.phoneKeys, certificate: tenant.phone)
        case .claimTillCertificate:
            let delta = state.updateStock("berlin") { $0.receive(amount, of: sku, at: "till-1") }
            return tenant.envelope(
                delta, scope: .store("berlin"), by: tenant.phoneKeys, certificate: tenant.till, origin: "till-1")
        case .placeOrderAsTill:
            try state.updateCatalog { catalog throws(CatalogError) in try catalog.setPrice(sku, 100, at: stamp) }
            try state.updateCart("c", in: .customer("anna")) { cart throws(CartError) in
                try cart.add(sku, quantity: 1, at: "phone-anna")
            }
            var fresh = state
            let delta = try fresh.checkOut(
                "c", in: .customer("anna"), as: "o-1", store: nil,
                at: HLCTimestamp(physical: Tenant.now, counter: 0, replica: "till-1"))
            return tenant.envelope(delta, scope: .customer("anna"), by: tenant.phoneKeys, certificate: tenant.phone)
        }
    }

    @Test("100,000 malicious envelopes signed by a mobile certificate: none accepted")
    func noneAccepted() throws {
        let count = ProcessInfo.processInfo.environment["AISLE_MALICIOUS_ENVELOPES"].flatMap(Int.init) ?? 100_000
        let tenant = try Tenant()
        var random = SeededRandom(seed: 6_060_842)
        var accepted: [Attack] = []
        var refusals: [String: Int] = [:]
        for index in 0..<count {
            let attack = Attack.allCases[index % Attack.allCases.count]
            let envelope = try Self.envelope(attack, tenant, &random)
            do {
                _ = try tenant.trust.open(envelope, now: Tenant.now)
                accepted.append(attack)
            } catch {
                refusals[String("\(error)".prefix(while: { $0 != ":" && $0 != "(" })), default: 0] += 1
            }
        }
        print(
            "malicious_envelopes total=\(count) accepted=\(accepted.count) refusals=\(refusals.sorted { $0.key < $1.key })"
        )
        #expect(accepted.isEmpty, "accepted: \(Set(accepted.map { "\($0)" }))")
    }

    @Test("each attack is refused for its own reason", arguments: Attack.allCases)
    func refusedForTheRightReason(_ attack: Attack) throws {
        let tenant = try Tenant()
        var random = SeededRandom(seed: 1)
        let envelope = try Self.envelope(attack, tenant, &random)
        let expected: String
        switch attack {
        case .mintPoints: expected = "may not earn points"
        case .changeStock: expected = "may not write store:berlin"
        case .changePrice: expected = "may not write catalog"
        case .writeOtherCustomersCart: expected = "may not write customer:bob"
        case .writeCartAsTill: expected = "wrote cart lines as"
        case .redeemAsTill: expected = "in the name of [till-1]"
        case .claimTillCertificate: expected = "signature does not verify"
        case .placeOrderAsTill: expected = "claims to be placed by till-1"
        }
        let error = #expect(throws: EnvelopeRefusal.self) { try tenant.trust.open(envelope, now: Tenant.now) }
        #expect(error?.description.contains(expected) == true, "\(attack): \(error.map { "\($0)" } ?? "-")")
    }
}
