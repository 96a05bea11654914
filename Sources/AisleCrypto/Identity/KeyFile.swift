import AisleCore
import CSodium

/// The on-disk form of secret key material: either plain (the file's 0600 mode protects it) or
/// sealed under a key derived from a passphrase with Argon2id.
public enum KeyFile {
    static let magic = "aisle-keyfile-v1"

    /// Encodes `secret`, sealed under `passphrase` when one is given.
    public static func encode(_ secret: SecretBytes, passphrase: [UInt8]?) throws(CryptoError) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append(magic)
        var plaintext = secret.copyBytes()
        defer { sodium_memzero(&plaintext, plaintext.count) }
        guard let passphrase else {
            encoder.append(false)
            encoder.append(bytes: plaintext)
            return encoder.bytes
        }
        let salt = PasswordKey.salt()
        let key = try AEADKey(PasswordKey.derive(password: passphrase, salt: salt))
        let sealed = key.seal(plaintext, associatedData: Array(magic.utf8))
        encoder.append(true)
        encoder.append(bytes: salt)
        encoder.append(bytes: sealed.nonce)
        encoder.append(bytes: sealed.ciphertext)
        return encoder.bytes
    }

    /// Whether a key file needs a passphrase to open.
    public static func isProtected(_ bytes: [UInt8]) -> Bool {
        var decoder = CanonicalDecoder(bytes)
        return (try? decoder.readString()) == magic && (try? decoder.readBool()) == true
    }

    /// Decodes a key file, opening it with `passphrase` if it is protected.
    ///
    /// - Throws: ``CryptoError/authenticationFailed`` for a wrong passphrase or a damaged file,
    ///   ``CryptoError/derivationFailed(_:)`` when a protected file is given no passphrase.
    public static func decode(_ bytes: [UInt8], passphrase: [UInt8]?) throws(CryptoError) -> SecretBytes {
        var decoder = CanonicalDecoder(bytes)
        do {
            guard try decoder.readString() == magic else { throw CryptoError.authenticationFailed }
            guard try decoder.readBool() else {
                var plaintext = try decoder.readBytes()
                defer { sodium_memzero(&plaintext, plaintext.count) }
                try decoder.finish()
                return SecretBytes(copying: plaintext)
            }
            guard let passphrase else {
                throw CryptoError.derivationFailed("the key file is protected: give its passphrase")
            }
            let salt = try decoder.readBytes()
            let nonce = try decoder.readBytes()
            let ciphertext = try decoder.readBytes()
            try decoder.finish()
            let key = try AEADKey(PasswordKey.derive(password: passphrase, salt: salt))
            var plaintext = try key.open(
                SealedMessage(nonce: nonce, ciphertext: ciphertext), associatedData: Array(magic.utf8))
            defer { sodium_memzero(&plaintext, plaintext.count) }
            return SecretBytes(copying: plaintext)
        } catch let error as CryptoError {
            throw error
        } catch {
            throw .authenticationFailed
        }
    }
}

/// Everything secret a device holds: its signing seed and its box secret key (64 bytes together).
public struct DeviceSecrets: Sendable {
    /// The device's Ed25519 key pair: it signs every envelope the device writes.
    public let signing: SigningKeyPair
    /// The device's X25519 key pair: key bundles and handoff grants are sealed to it.
    public let box: BoxKeyPair

    /// New random keys for a device.
    public init() {
        signing = SigningKeyPair()
        box = BoxKeyPair()
    }

    /// The secrets a key file holds (``secret``).
    public init(_ secret: SecretBytes) throws(CryptoError) {
        guard secret.count == 64 else { throw .invalidLength("device secrets", expected: 64, got: secret.count) }
        let (seed, boxKey) = secret.split(at: 32)
        signing = try SigningKeyPair(seed: seed)
        box = try BoxKeyPair(secretKey: boxKey)
    }

    /// Both secrets in one protected buffer, for a key file.
    public var secret: SecretBytes {
        .concatenating(signing.seed, box.secretKey)
    }
}

/// The tenant admin's secrets: the signing key that certifies devices, and the root of every scope key.
public struct AdminSecrets: Sendable {
    /// The admin's Ed25519 key pair: it signs certificates, bundles and revocation lists.
    public let signing: SigningKeyPair
    /// The tenant root: every scope key derives from it.
    public let root: MasterKey

    public init() {
        signing = SigningKeyPair()
        root = MasterKey()
    }

    /// The secrets a key file holds (``secret``).
    public init(_ secret: SecretBytes) throws(CryptoError) {
        guard secret.count == 64 else { throw .invalidLength("admin secrets", expected: 64, got: secret.count) }
        let (seed, rootKey) = secret.split(at: 32)
        signing = try SigningKeyPair(seed: seed)
        root = try MasterKey(rootKey)
    }

    /// Both secrets in one protected buffer, for a key file.
    public var secret: SecretBytes {
        .concatenating(signing.seed, root.secret)
    }
}
