import CSodium

/// BLAKE2b (libsodium's generic hash).
public enum BLAKE2b {
    /// The digest of `message`, `length` bytes long (16 to 64; 32 by default), optionally keyed.
    public static func hash(_ message: [UInt8], length: Int = 32, key: SecretBytes? = nil) -> [UInt8] {
        _ = Sodium.ready
        precondition((crypto_generichash_bytes_min()...crypto_generichash_bytes_max()).contains(length))
        var digest = [UInt8](repeating: 0, count: length)
        if let key {
            key.withUnsafeBytes { keyBytes in
                _ = crypto_generichash(&digest, length, message, UInt64(message.count), keyBytes, key.count)
            }
        } else {
            _ = crypto_generichash(&digest, length, message, UInt64(message.count), nil, 0)
        }
        return digest
    }
}

/// A tenant root key from which scope keys are derived (`crypto_kdf`, BLAKE2b-based).
public struct MasterKey: Sendable {
    public static var length: Int { _ = Sodium.ready; return crypto_kdf_keybytes() }

    public let secret: SecretBytes

    /// A new random master key.
    public init() {
        secret = SecretBytes(random: Self.length)
    }

    public init(_ secret: SecretBytes) throws(CryptoError) {
        guard secret.count == Self.length else {
            throw .invalidLength("master key", expected: Self.length, got: secret.count)
        }
        self.secret = secret
    }

    /// The subkey number `id` for `context` (exactly 8 ASCII characters, such as "aisle-sc").
    public func deriveKey(id: UInt64, context: String, length: Int = 32) throws(CryptoError) -> SecretBytes {
        let contextBytes = Array(context.utf8)
        guard contextBytes.count == crypto_kdf_contextbytes() else {
            throw .derivationFailed("context must be \(crypto_kdf_contextbytes()) bytes, got \(contextBytes.count)")
        }
        guard (crypto_kdf_bytes_min()...crypto_kdf_bytes_max()).contains(length) else {
            throw .derivationFailed("subkey length must be \(crypto_kdf_bytes_min())...\(crypto_kdf_bytes_max())")
        }
        let cContext = contextBytes.map { CChar(bitPattern: $0) }
        return SecretBytes(count: length) { subkey in
            secret.withUnsafeBytes { master in _ = crypto_kdf_derive_from_key(subkey, length, id, cContext, master) }
        }
    }
}

/// Argon2id password hashing, to protect key files with a passphrase.
public enum PasswordKey {
    /// A random salt of the length Argon2id takes.
    public static func salt() -> [UInt8] {
        Sodium.randomBytes(crypto_pwhash_saltbytes())
    }

    /// A key of `length` bytes derived from `password` and `salt` with Argon2id (interactive
    /// limits by default: 2 passes, 64 MiB).
    public static func derive(
        password: [UInt8], salt: [UInt8], length: Int = 32, operations: UInt64? = nil, memoryBytes: Int? = nil
    ) throws(CryptoError) -> SecretBytes {
        _ = Sodium.ready
        guard salt.count == crypto_pwhash_saltbytes() else {
            throw .invalidLength("salt", expected: crypto_pwhash_saltbytes(), got: salt.count)
        }
        let opslimit = operations ?? UInt64(crypto_pwhash_opslimit_interactive())
        let memlimit = memoryBytes ?? crypto_pwhash_memlimit_interactive()
        var status: Int32 = 0
        var chars = password.map { CChar(bitPattern: $0) }
        defer { sodium_memzero(&chars, chars.count) }
        let key = SecretBytes(count: length) { output in
            status = crypto_pwhash(
                output, UInt64(length), chars, UInt64(chars.count), salt, opslimit, memlimit,
                crypto_pwhash_alg_argon2id13())
        }
        guard status == 0 else { throw .derivationFailed("Argon2id refused its limits (out of memory?)") }
        return key
    }
}
