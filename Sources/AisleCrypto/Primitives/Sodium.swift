import CSodium

/// libsodium, initialized once before first use.
enum Sodium {
    /// `sodium_init()` is thread-safe and idempotent; every entry point touches this first.
    static let ready: Void = {
        guard sodium_init() >= 0 else { fatalError("libsodium failed to initialize") }
    }()

    /// `count` bytes from libsodium's CSPRNG.
    static func randomBytes(_ count: Int) -> [UInt8] {
        _ = ready
        var bytes = [UInt8](repeating: 0, count: count)
        randombytes_buf(&bytes, count)
        return bytes
    }
}

/// Random bytes from libsodium's CSPRNG, for nonces and challenges outside this module.
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        Sodium.randomBytes(count)
    }
}
