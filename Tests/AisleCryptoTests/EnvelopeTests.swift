import AisleCore
@_spi(Testing) import AisleCrypto
import Foundation
import Testing

/// A tenant with an admin, a till in Berlin, Anna's phone and the hub, every certificate known
/// and every scope key held (epoch 1), as a receiving node would have them.
struct Tenant {
    static let now: UInt64 = 1_767_225_600_000
    let admin = SigningKeyPair()
    let tillKeys = SigningKeyPair()
    let phoneKeys = SigningKeyPair()
    let hubKeys = SigningKeyPair()
    let till: Certificate
    let phone: Certificate
    let hub: Certificate
    var trust: TrustStore
    let scopeKeys: [Scope: AEADKey]

    static func certify(
        _ device: ReplicaID, _ role: Role, _ scopes: [ScopeGrant], _ keys: SigningKeyPair, admin: SigningKeyPair,
        notAfter: UInt64 = Tenant.now + 86_400_000
    ) -> Certificate {
        Certificate(
            signing: CertificateBody(
                tenant: "acme", device: device, role: role, scopes: scopes, signingKey: keys.publicKey,
                boxKey: BoxKeyPair().publicKey, notAfter: notAfter),
            with: admin)
    }

    init() throws {
        let admin = self.admin
        func certify(_ device: ReplicaID, _ role: Role, _ scopes: [ScopeGrant], _ keys: SigningKeyPair) -> Certificate {
            Tenant.certify(device, role, scopes, keys, admin: admin)
        }
        till = certify("till-1", .pos, [.exactly(.catalog), .exactly(.store("berlin")), .allLoyalty], tillKeys)
        phone = certify(
            "phone-anna", .mobile, [.exactly(.catalog), .exactly(.customer("anna")), .exactly(.loyalty("anna"))],
            phoneKeys)
        hub = certify("hub", .hub, [.exactly(.catalog), .allStores, .allLoyalty], hubKeys)
        trust = TrustStore(tenant: "acme", admin: admin.publicKey)
        for certificate in [till, phone, hub] { try trust.add(certificate) }
        var keys: [Scope: AEADKey] = [:]
        for scope: Scope in [.catalog, .store("berlin"), .customer("anna"), .customer("bob"), .loyalty("anna")] {
            keys[scope] = AEADKey()
            trust.hold(keys[scope]!, for: scope, epoch: 1)
        }
        scopeKeys = keys
    }

    /// An envelope of one delta, sealed and signed as `author` with `certificate`.
    func envelope(
        _ delta: RetailState, scope: Scope, by author: SigningKeyPair, certificate: Certificate,
        origin: ReplicaID? = nil, epoch: UInt64 = 1, hlc: UInt64 = Tenant.now << 16
    ) -> Envelope {
        let header = EnvelopeHeader(
            tenant: "acme", scope: scope, origin: origin ?? certificate.body.device, seq: 1, epoch: epoch,
            hlc: hlc, certificate: certificate.id)
        let deltas = delta.deltasByScope.filter { $0.scope == scope }
        return Envelope(header: header, deltas: deltas, key: scopeKeys[scope] ?? AEADKey(), author: author)
    }

    /// The till's sale of `units` units of milk in Berlin, as a delta.
    static func sale(by replica: ReplicaID, units: UInt64 = 1) -> RetailState {
        var state = RetailState()
        state.updateStock("berlin") { $0.receive(units, of: "milk", at: replica) }
        return state
    }
}

@Suite("Sealed envelopes")
struct EnvelopeTests {
    @Test("an envelope opens at another node to exactly the deltas sealed")
    func roundTrip() throws {
        let tenant = try Tenant()
        let delta = Tenant.sale(by: "till-1")
        let envelope = tenant.envelope(delta, scope: .store("berlin"), by: tenant.tillKeys, certificate: tenant.till)
        #expect(try tenant.trust.open(envelope, now: Tenant.now) == delta.deltasByScope)
        let decoded = try Envelope(canonicalBytes: envelope.canonicalBytes)
        #expect(decoded == envelope)
    }

    @Test("flipping any single byte of an envelope is refused, every time with a typed reason")
    func everyByteFlipRefused() throws {
        let tenant = try Tenant()
        let bytes = tenant.envelope(
            Tenant.sale(by: "till-1"), scope: .store("berlin"), by: tenant.tillKeys, certificate: tenant.till
        )
        .canonicalBytes
        var reasons: [String: Int] = [:]
        for index in bytes.indices {
            var corrupt = bytes
            corrupt[index] ^= 0x01
            do {
                let envelope = try Envelope(canonicalBytes: corrupt)
                _ = try tenant.trust.open(envelope, now: Tenant.now)
                Issue.record("a flip at byte \(index) was accepted")
            } catch let refusal as EnvelopeRefusal {
                reasons[String("\(refusal)".prefix(while: { $0 != ":" })), default: 0] += 1
            } catch let malformed as CanonicalDecodingError {
                reasons["malformed: \(malformed.reason)".prefix(24).description, default: 0] += 1
            }
        }
        #expect(reasons.values.reduce(0, +) == bytes.count)
    }

    @Test("a header moved to another scope or tenant is refused")
    func replayElsewhereRefused() throws {
        let tenant = try Tenant()
        let envelope = tenant.envelope(
            Tenant.sale(by: "till-1"), scope: .store("berlin"), by: tenant.tillKeys, certificate: tenant.till)
        let h = envelope.header
        let otherScope = EnvelopeHeader(
            tenant: h.tenant, scope: .store("paris"), origin: h.origin, seq: h.seq, epoch: h.epoch, hlc: h.hlc,
            certificate: h.certificate)
        #expect(throws: EnvelopeRefusal.scopeNotAllowed(.pos, .store("paris"))) {
            try tenant.trust.open(
                Envelope(
                    header: otherScope, nonce: envelope.nonce, ciphertext: envelope.ciphertext,
                    signature: envelope.signature), now: Tenant.now)
        }
        let otherTenant = EnvelopeHeader(
            tenant: "globex", scope: h.scope, origin: h.origin, seq: h.seq, epoch: h.epoch, hlc: h.hlc,
            certificate: h.certificate)
        #expect(throws: EnvelopeRefusal.wrongTenant("globex")) {
            try tenant.trust.open(
                Envelope(
                    header: otherTenant, nonce: envelope.nonce, ciphertext: envelope.ciphertext,
                    signature: envelope.signature), now: Tenant.now)
        }
        let otherSeq = EnvelopeHeader(
            tenant: h.tenant, scope: h.scope, origin: h.origin, seq: 2, epoch: h.epoch, hlc: h.hlc,
            certificate: h.certificate)
        #expect(throws: EnvelopeRefusal.badSignature) {
            try tenant.trust.open(
                Envelope(
                    header: otherSeq, nonce: envelope.nonce, ciphertext: envelope.ciphertext,
                    signature: envelope.signature), now: Tenant.now)
        }
    }

    @Test("expired, revoked, unknown and forged certificates, and unknown key epochs, are refused")
    func certificateRefusals() throws {
        var tenant = try Tenant()
        let sale = Tenant.sale(by: "till-1")
        let envelope = tenant.envelope(sale, scope: .store("berlin"), by: tenant.tillKeys, certificate: tenant.till)
        #expect(throws: EnvelopeRefusal.self) { try tenant.trust.open(envelope, now: tenant.till.body.notAfter + 1) }

        let stranger = SigningKeyPair()
        let unknown = Certificate(signing: tenant.till.body, with: stranger)
        #expect(throws: EnvelopeRefusal.forgedCertificate) { try tenant.trust.add(unknown) }
        #expect(throws: EnvelopeRefusal.unknownCertificate) {
            try tenant.trust.open(
                tenant.envelope(sale, scope: .store("berlin"), by: tenant.tillKeys, certificate: unknown),
                now: Tenant.now)
        }
        #expect(throws: EnvelopeRefusal.unknownKeyEpoch(.store("berlin"), 2)) {
            try tenant.trust.open(
                tenant.envelope(sale, scope: .store("berlin"), by: tenant.tillKeys, certificate: tenant.till, epoch: 2),
                now: Tenant.now)
        }
        tenant.trust.revoke(tenant.till.id)
        #expect(throws: EnvelopeRefusal.certificateRevoked("till-1")) {
            try tenant.trust.open(envelope, now: Tenant.now)
        }
    }

    @Test("an envelope stamped more than the drift limit ahead of this node's clock is refused")
    func clockDriftRefused() throws {
        let tenant = try Tenant()
        let envelope = tenant.envelope(
            Tenant.sale(by: "till-1"), scope: .store("berlin"), by: tenant.tillKeys, certificate: tenant.till)
        #expect(throws: EnvelopeRefusal.clockAhead(by: 61_000, maxDrift: 60_000)) {
            try tenant.trust.open(envelope, now: Tenant.now - 61_000)
        }
        #expect(try tenant.trust.open(envelope, now: Tenant.now - 59_000).count == 1)
    }

    @Test("the hub cannot read a customer's cart: it holds no customer key")
    func hubBlindToCustomers() throws {
        let tenant = try Tenant()
        var phoneState = RetailState()
        let cart = try phoneState.updateCart("c", in: .customer("anna")) { cart throws(CartError) in
            try cart.add("milk", quantity: 1, at: "phone-anna")
        }
        let envelope = tenant.envelope(cart, scope: .customer("anna"), by: tenant.phoneKeys, certificate: tenant.phone)
        var hubTrust = TrustStore(tenant: "acme", admin: tenant.admin.publicKey)
        try hubTrust.add(tenant.phone)
        hubTrust.hold(tenant.scopeKeys[.store("berlin")]!, for: .store("berlin"), epoch: 1)
        #expect(throws: EnvelopeRefusal.unknownKeyEpoch(.customer("anna"), 1)) {
            try hubTrust.open(envelope, now: Tenant.now)
        }
        #expect(try tenant.trust.open(envelope, now: Tenant.now).count == 1)
    }
}
