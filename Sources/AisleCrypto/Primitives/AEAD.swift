import CSodium

/// A key for XChaCha20-Poly1305 (IETF): authenticated encryption with a 192-bit random nonce.
///
/// Nonces are drawn at random for every seal, never from a stored counter: 192 bits make a
/// collision negligible even across billions of seals and across a restore from backup.
public struct AEADKey: Sendable, Equatable {
    public static var keyLength: Int { _ = Sodium.ready; return crypto_aead_xchacha20poly1305_ietf_keybytes() }
    public static var nonceLength: Int { crypto_aead_xchacha20poly1305_ietf_npubbytes() }
    public static var tagLength: Int { crypto_aead_xchacha20poly1305_ietf_abytes() }

    /// The key bytes, in protected memory.
    public let secret: SecretBytes

    /// A new random key.
    public init() {
        secret = SecretBytes(random: Self.keyLength)
    }

    /// A key from its bytes.
    public init(_ secret: SecretBytes) throws(CryptoError) {
        guard secret.count == Self.keyLength else {
            throw .invalidLength("AEAD key", expected: Self.keyLength, got: secret.count)
        }
        self.secret = secret
    }

    /// Seals `plaintext` with a fresh random nonce; `associatedData` is authenticated, not encrypted.
    public func seal(_ plaintext: [UInt8], associatedData: [UInt8] = []) -> SealedMessage {
        let nonce = Sodium.randomBytes(Self.nonceLength)
        return SealedMessage(nonce: nonce, ciphertext: seal(plaintext, nonce: nonce, associatedData: associatedData))
    }

    /// Seals with a caller-chosen nonce, for known-answer tests only: a reused nonce breaks
    /// XChaCha20-Poly1305. Production code uses ``seal(_:associatedData:)``.
    @_spi(Testing) public func sealForTesting(_ plaintext: [UInt8], nonce: [UInt8], associatedData: [UInt8]) -> [UInt8]
    {
        seal(plaintext, nonce: nonce, associatedData: associatedData)
    }

    func seal(_ plaintext: [UInt8], nonce: [UInt8], associatedData: [UInt8]) -> [UInt8] {
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + Self.tagLength)
        var length: UInt64 = 0
        secret.withUnsafeBytes { key in
            _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                &ciphertext, &length, plaintext, UInt64(plaintext.count), associatedData,
                UInt64(associatedData.count), nil, nonce, key)
        }
        return ciphertext
    }

    /// Opens a sealed message.
    ///
    /// - Throws: ``CryptoError/authenticationFailed`` if anything was altered or the key or
    ///   associated data differ; ``CryptoError/invalidLength(_:expected:got:)`` for a bad nonce.
    public func open(_ message: SealedMessage, associatedData: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        guard message.nonce.count == Self.nonceLength else {
            throw .invalidLength("nonce", expected: Self.nonceLength, got: message.nonce.count)
        }
        guard message.ciphertext.count >= Self.tagLength else { throw .authenticationFailed }
        var plaintext = [UInt8](repeating: 0, count: message.ciphertext.count - Self.tagLength)
        var length: UInt64 = 0
        let status = secret.withUnsafeBytes { key in
            crypto_aead_xchacha20poly1305_ietf_decrypt(
                &plaintext, &length, nil, message.ciphertext, UInt64(message.ciphertext.count), associatedData,
                UInt64(associatedData.count), message.nonce, key)
        }
        guard status == 0 else { throw .authenticationFailed }
        return plaintext
    }
}

/// A nonce and the ciphertext (with its 16-byte tag) sealed under it.
public struct SealedMessage: Sendable, Equatable {
    public let nonce: [UInt8]
    public let ciphertext: [UInt8]

    public init(nonce: [UInt8], ciphertext: [UInt8]) {
        self.nonce = nonce
        self.ciphertext = ciphertext
    }
}
