public import AisleCore
import CSodium

/// The scope keys a device may hold, sealed to the device's box key and signed by the admin.
/// Only the device can open it; every device can check who issued it.
public struct KeyBundle: Sendable, Equatable, CanonicalEncodable, CanonicalDecodable {
    /// One key in a bundle.
    public enum Entry: Hashable, Sendable {
        /// The key of one scope at one epoch.
        case scope(Scope, epoch: UInt64)
        /// The branch key for every scope of a kind at one epoch (wildcard grants).
        case branch(ScopeKind, epoch: UInt64)
    }

    /// The tenant that issued the bundle.
    public let tenant: TenantID
    /// The device it is sealed to.
    public let device: ReplicaID
    /// The keys, sealed to the device's box key.
    public let sealed: [UInt8]
    /// The admin's signature over tenant, device and sealed keys.
    public let signature: [UInt8]

    /// The entries a certificate's role and grants allow at `epoch`. The hub never gets a
    /// customer key; a phone never gets a branch key.
    public static func entries(for body: CertificateBody, epoch: UInt64) -> [Entry] {
        body.scopes.compactMap { grant -> Entry? in
            switch grant {
            case .exactly(let scope):
                if body.role == .hub, case .customer = scope { return nil }
                return .scope(scope, epoch: epoch)
            case .allStores: return [.hq, .hub].contains(body.role) ? .branch(.store, epoch: epoch) : nil
            case .allLoyalty: return body.role == .mobile ? nil : .branch(.loyalty, epoch: epoch)
            case .allCustomers: return body.role == .hq ? .branch(.customer, epoch: epoch) : nil
            }
        }
    }

    /// Issues `entries` (derived from the tenant `root`) to the device `certificate` names.
    public init(issuing entries: [Entry], to certificate: Certificate, root: MasterKey, admin: SigningKeyPair)
        throws(CryptoError)
    {
        var plaintext = CanonicalEncoder()
        plaintext.append(UInt64(entries.count))
        for entry in entries {
            switch entry {
            case .scope(let scope, let epoch):
                plaintext.append(UInt64(0))
                plaintext.append(scope)
                plaintext.append(epoch)
                plaintext.append(bytes: try root.scopeKey(for: scope, epoch: epoch).secret.copyBytes())
            case .branch(let kind, let epoch):
                plaintext.append(UInt64(1))
                plaintext.append(kind.rawValue)
                plaintext.append(epoch)
                plaintext.append(bytes: try root.branchKey(for: kind, epoch: epoch).secret.copyBytes())
            }
        }
        var bytes = plaintext.bytes
        defer { sodium_memzero(&bytes, bytes.count) }
        tenant = certificate.body.tenant
        device = certificate.body.device
        sealed = try BoxPublicKey(certificate.body.boxKey).seal(bytes)
        signature = admin.sign(Self.signedBytes(tenant: tenant, device: device, sealed: sealed))
    }

    /// Checks the admin's signature, opens the bundle with the device's box key, and returns the keys.
    public func open(with box: BoxKeyPair, admin: SigningPublicKey) throws(CryptoError) -> ScopeKeyring {
        try admin.verify(signature, for: Self.signedBytes(tenant: tenant, device: device, sealed: sealed))
        var plaintext = try box.open(sealed)
        defer { sodium_memzero(&plaintext, plaintext.count) }
        var keyring = ScopeKeyring()
        var decoder = CanonicalDecoder(plaintext)
        do {
            for _ in 0..<(try decoder.readCount(elementSize: 3)) {
                let tag = try decoder.readUInt64()
                if tag == 0 {
                    let scope = try Scope(decoder.readString())
                    let epoch = try decoder.readUInt64()
                    keyring.hold(try AEADKey(SecretBytes(copying: decoder.readBytes())), for: scope, epoch: epoch)
                } else {
                    guard let kind = ScopeKind(rawValue: try decoder.readUInt64()) else {
                        throw CryptoError.authenticationFailed
                    }
                    let epoch = try decoder.readUInt64()
                    keyring.hold(
                        branch: try MasterKey(SecretBytes(copying: decoder.readBytes())), for: kind, epoch: epoch)
                }
            }
            try decoder.finish()
        } catch {
            throw .authenticationFailed
        }
        return keyring
    }

    static func signedBytes(tenant: TenantID, device: ReplicaID, sealed: [UInt8]) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append("aisle-bundle-v1")
        encoder.append(tenant)
        encoder.append(device)
        encoder.append(bytes: sealed)
        return encoder.bytes
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(tenant)
        encoder.append(device)
        encoder.append(bytes: sealed)
        encoder.append(bytes: signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        tenant = try decoder.decode()
        device = try decoder.decode()
        sealed = try decoder.readBytes()
        signature = try decoder.readBytes()
    }
}
