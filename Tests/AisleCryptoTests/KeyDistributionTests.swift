import AisleCore
@_spi(Testing) import AisleCrypto
import Testing

@Suite("Key bundles, epochs and revocation")
struct KeyDistributionTests {
    static let now = Tenant.now

    /// A device of `role` with `scopes`, its box key pair, and its certificate.
    static func device(_ id: ReplicaID, _ role: Role, _ scopes: [ScopeGrant], admin: SigningKeyPair)
        -> (certificate: Certificate, box: BoxKeyPair, signer: SigningKeyPair)
    {
        let box = BoxKeyPair()
        let signer = SigningKeyPair()
        let body = CertificateBody(
            tenant: "acme", device: id, role: role, scopes: scopes, signingKey: signer.publicKey, boxKey: box.publicKey,
            notAfter: now + 86_400_000)
        return (Certificate(signing: body, with: admin), box, signer)
    }

    @Test(
        "a scope key derived from a branch is derived once and kept, at most a few thousand of them, and never answered from a replaced branch"
    )
    func derivedScopeKeysAreKept() throws {
        let root = MasterKey()
        var keyring = ScopeKeyring()
        keyring.hold(branch: try root.branchKey(for: .store, epoch: 1), for: .store, epoch: 1)
        let first = try #require(keyring.key(for: .store("berlin"), epoch: 1))
        let again = try #require(keyring.key(for: .store("berlin"), epoch: 1))
        #expect(first.secret === again.secret, "derived a second time")
        #expect(first == (try root.scopeKey(for: .store("berlin"), epoch: 1)))
        #expect(keyring.key(for: .store("berlin"), epoch: 2) == nil)

        for index in 0..<ScopeKeyring.derivedKeyCapacity {
            _ = try #require(keyring.key(for: .store(try StoreID("s\(index)")), epoch: 1))
        }
        #expect(keyring.derivedKeyCount == ScopeKeyring.derivedKeyCapacity)

        // A copy made before the branch is replaced keeps its keys; the keyring derives anew.
        let before = keyring
        let other = MasterKey()
        keyring.hold(branch: try other.branchKey(for: .store, epoch: 1), for: .store, epoch: 1)
        #expect(keyring.derivedKeyCount == 0)
        #expect(keyring.key(for: .store("berlin"), epoch: 1) == (try other.scopeKey(for: .store("berlin"), epoch: 1)))
        #expect(before.key(for: .store("berlin"), epoch: 1) == first)
    }

    @Test("a device opens its own bundle and derives exactly the scope keys its grants allow")
    func bundlesFollowGrants() throws {
        let admin = SigningKeyPair()
        let root = MasterKey()
        let hub = Self.device(
            "hub", .hub, [.exactly(.catalog), .allStores, .allLoyalty, .exactly(.customer("anna"))], admin: admin)
        let entries = KeyBundle.entries(for: hub.certificate.body, epoch: 1)
        #expect(!entries.contains(.scope(.customer("anna"), epoch: 1)), "the hub must never get a customer key")
        let bundle = try KeyBundle(issuing: entries, to: hub.certificate, root: root, admin: admin)
        let keyring = try bundle.open(with: hub.box, admin: admin.publicKey)
        #expect(keyring.key(for: .store("berlin"), epoch: 1) == (try root.scopeKey(for: .store("berlin"), epoch: 1)))
        #expect(keyring.key(for: .loyalty("anna"), epoch: 1) == (try root.scopeKey(for: .loyalty("anna"), epoch: 1)))
        #expect(keyring.key(for: .customer("anna"), epoch: 1) == nil)
        #expect(throws: CryptoError.self) { try bundle.open(with: BoxKeyPair(), admin: admin.publicKey) }
        #expect(throws: CryptoError.self) { try bundle.open(with: hub.box, admin: SigningKeyPair().publicKey) }
    }

    @Test("a phone gets its own customer and loyalty keys and no branch")
    func phoneBundle() {
        let admin = SigningKeyPair()
        let phone = Self.device(
            "phone-anna", .mobile, [.exactly(.customer("anna")), .exactly(.loyalty("anna")), .allLoyalty], admin: admin)
        #expect(
            KeyBundle.entries(for: phone.certificate.body, epoch: 3) == [
                .scope(.customer("anna"), epoch: 3), .scope(.loyalty("anna"), epoch: 3),
            ])
    }

    @Test("after a key rotation, a device not given the new epoch cannot read what is sealed under it")
    func rotationLocksOutOldDevices() throws {
        var tenant = try Tenant()
        let root = MasterKey()
        tenant.trust.keyring = ScopeKeyring()
        tenant.trust.hold(try root.scopeKey(for: .store("berlin"), epoch: 1), for: .store("berlin"), epoch: 1)
        let sale = Tenant.sale(by: "till-1")
        let header = EnvelopeHeader(
            tenant: "acme", scope: .store("berlin"), origin: "till-1", seq: 1, epoch: 2, hlc: Tenant.now << 16,
            certificate: tenant.till.id)
        let rotated = Envelope(
            header: header, deltas: sale.deltasByScope, key: try root.scopeKey(for: .store("berlin"), epoch: 2),
            author: tenant.tillKeys)
        #expect(throws: EnvelopeRefusal.unknownKeyEpoch(.store("berlin"), 2)) {
            try tenant.trust.open(rotated, now: Tenant.now)
        }
        tenant.trust.hold(try root.scopeKey(for: .store("berlin"), epoch: 2), for: .store("berlin"), epoch: 2)
        #expect(try tenant.trust.open(rotated, now: Tenant.now).count == 1)
        #expect(try root.scopeKey(for: .store("berlin"), epoch: 1) != root.scopeKey(for: .store("berlin"), epoch: 2))
    }

    @Test("a signed revocation list revokes everywhere it arrives; a forged one is refused")
    func revocationLists() throws {
        var tenant = try Tenant()
        let envelope = tenant.envelope(
            Tenant.sale(by: "till-1"), scope: .store("berlin"), by: tenant.tillKeys, certificate: tenant.till)
        let forged = RevocationList(tenant: "acme", revoked: [tenant.till.id], admin: SigningKeyPair())
        #expect(throws: EnvelopeRefusal.forgedRevocationList) { try tenant.trust.apply(forged) }
        #expect(try tenant.trust.open(envelope, now: Tenant.now).count == 1)
        let list = RevocationList(tenant: "acme", revoked: [], admin: tenant.admin).adding(
            [tenant.till.id], admin: tenant.admin)
        try tenant.trust.apply(list)
        #expect(throws: EnvelopeRefusal.certificateRevoked("till-1")) {
            try tenant.trust.open(envelope, now: Tenant.now)
        }
    }
}

@Suite("Key files")
struct KeyFileTests {
    @Test("device and admin secrets survive a key file, plain and under a passphrase")
    func secretsRoundTrip() throws {
        let device = DeviceSecrets()
        let admin = AdminSecrets()
        for passphrase in [nil, Array("correct horse".utf8)] {
            let reopenedDevice = try DeviceSecrets(
                KeyFile.decode(KeyFile.encode(device.secret, passphrase: passphrase), passphrase: passphrase))
            #expect(reopenedDevice.signing.publicKey == device.signing.publicKey)
            #expect(reopenedDevice.box.publicKey == device.box.publicKey)
            let reopenedAdmin = try AdminSecrets(
                KeyFile.decode(KeyFile.encode(admin.secret, passphrase: passphrase), passphrase: passphrase))
            #expect(reopenedAdmin.signing.publicKey == admin.signing.publicKey)
            #expect(reopenedAdmin.root.secret == admin.root.secret)
        }
        #expect(throws: CryptoError.invalidLength("device secrets", expected: 64, got: 32)) {
            try DeviceSecrets(SecretBytes(random: 32))
        }
    }
}
