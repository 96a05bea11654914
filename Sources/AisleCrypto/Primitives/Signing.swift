import CSodium

/// An Ed25519 signing key pair. The secret half stays in protected memory.
public struct SigningKeyPair: Sendable {
    public static var seedLength: Int { _ = Sodium.ready; return crypto_sign_seedbytes() }

    public let publicKey: SigningPublicKey
    /// The 64-byte libsodium secret key (seed and public key).
    private let secret: SecretBytes

    /// A new random key pair.
    public init() {
        let seed = SecretBytes(random: Self.seedLength)
        self = try! SigningKeyPair(seed: seed)
    }

    /// The key pair a 32-byte seed determines (how a key file stores it).
    public init(seed: SecretBytes) throws(CryptoError) {
        guard seed.count == Self.seedLength else {
            throw .invalidLength("signing seed", expected: Self.seedLength, got: seed.count)
        }
        var publicKey = [UInt8](repeating: 0, count: crypto_sign_publickeybytes())
        secret = SecretBytes(count: crypto_sign_secretkeybytes()) { secretKey in
            seed.withUnsafeBytes { seedBytes in _ = crypto_sign_seed_keypair(&publicKey, secretKey, seedBytes) }
        }
        self.publicKey = SigningPublicKey(unchecked: publicKey)
    }

    /// The seed, in protected memory, for saving to a key file.
    public var seed: SecretBytes {
        SecretBytes(count: Self.seedLength) { seed in
            secret.withUnsafeBytes { secretKey in _ = crypto_sign_ed25519_sk_to_seed(seed, secretKey) }
        }
    }

    /// A detached 64-byte signature over `message`.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: crypto_sign_bytes())
        secret.withUnsafeBytes { secretKey in
            _ = crypto_sign_detached(&signature, nil, message, UInt64(message.count), secretKey)
        }
        return signature
    }
}

/// An Ed25519 public key: checks signatures offline.
public struct SigningPublicKey: Sendable, Hashable {
    public static var length: Int { _ = Sodium.ready; return crypto_sign_publickeybytes() }

    public let bytes: [UInt8]

    /// A public key from its 32 bytes.
    public init(_ bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == Self.length else {
            throw .invalidLength("signing public key", expected: Self.length, got: bytes.count)
        }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Checks a detached signature.
    ///
    /// - Throws: ``CryptoError/badSignature`` when it does not verify.
    public func verify(_ signature: [UInt8], for message: [UInt8]) throws(CryptoError) {
        _ = Sodium.ready
        guard signature.count == crypto_sign_bytes(),
            crypto_sign_verify_detached(signature, message, UInt64(message.count), bytes) == 0
        else { throw .badSignature }
    }
}
