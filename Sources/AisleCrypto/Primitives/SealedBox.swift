import CSodium

/// An X25519 key pair that receives sealed boxes: anonymous messages only its holder can open
/// (how an admin hands a device its scope keys, and a phone hands a till its cart grant).
public struct BoxKeyPair: Sendable {
    public let publicKey: BoxPublicKey
    private let secret: SecretBytes

    /// A new random key pair.
    public init() {
        _ = Sodium.ready
        var publicKey = [UInt8](repeating: 0, count: crypto_box_publickeybytes())
        secret = SecretBytes(count: crypto_box_secretkeybytes()) { secretKey in
            _ = crypto_box_keypair(&publicKey, secretKey)
        }
        self.publicKey = BoxPublicKey(unchecked: publicKey)
    }

    /// The key pair a stored secret key determines.
    public init(secretKey: SecretBytes) throws(CryptoError) {
        _ = Sodium.ready
        guard secretKey.count == crypto_box_secretkeybytes() else {
            throw .invalidLength("box secret key", expected: crypto_box_secretkeybytes(), got: secretKey.count)
        }
        var publicKey = [UInt8](repeating: 0, count: crypto_box_publickeybytes())
        secretKey.withUnsafeBytes { secret in _ = crypto_scalarmult_base(&publicKey, secret) }
        secret = secretKey
        self.publicKey = BoxPublicKey(unchecked: publicKey)
    }

    /// The secret key, for saving to a protected key file.
    public var secretKey: SecretBytes { secret }

    /// Opens a sealed box addressed to this key pair.
    ///
    /// - Throws: ``CryptoError/authenticationFailed`` if it was not sealed to this key or was altered.
    public func open(_ sealed: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard sealed.count >= crypto_box_sealbytes() else { throw .authenticationFailed }
        var plaintext = [UInt8](repeating: 0, count: sealed.count - crypto_box_sealbytes())
        let status = secret.withUnsafeBytes { secretKey in
            crypto_box_seal_open(&plaintext, sealed, UInt64(sealed.count), publicKey.bytes, secretKey)
        }
        guard status == 0 else { throw .authenticationFailed }
        return plaintext
    }
}

/// The public half of a ``BoxKeyPair``: anyone can seal to it.
public struct BoxPublicKey: Sendable, Hashable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) throws(CryptoError) {
        _ = Sodium.ready
        guard bytes.count == crypto_box_publickeybytes() else {
            throw .invalidLength("box public key", expected: crypto_box_publickeybytes(), got: bytes.count)
        }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Seals `plaintext` so that only the holder of the matching secret key can open it.
    public func seal(_ plaintext: [UInt8]) -> [UInt8] {
        _ = Sodium.ready
        var sealed = [UInt8](repeating: 0, count: plaintext.count + crypto_box_sealbytes())
        _ = crypto_box_seal(&sealed, plaintext, UInt64(plaintext.count), bytes)
        return sealed
    }
}
