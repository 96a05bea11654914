import CSodium

/// Secret key material in memory libsodium allocated (guarded pages, locked against swapping),
/// zeroed and freed when the last reference goes.
///
/// Never printed: its description says only how long it is. Compared in constant time.
public final class SecretBytes: @unchecked Sendable, Equatable, CustomStringConvertible {
    // @unchecked: the buffer is written once, in init, and only read afterwards.
    private let pointer: UnsafeMutableRawPointer
    /// The number of secret bytes.
    public let count: Int

    /// Copies `bytes` into protected memory. The caller should zero its own copy.
    public init(copying bytes: [UInt8]) {
        _ = Sodium.ready
        count = bytes.count
        guard let memory = sodium_malloc(max(1, bytes.count)) else { fatalError("sodium_malloc failed") }
        pointer = memory
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { pointer.copyMemory(from: base, byteCount: bytes.count) }
        }
    }

    /// `count` random bytes from libsodium's CSPRNG, generated in place.
    public init(random count: Int) {
        _ = Sodium.ready
        self.count = count
        guard let memory = sodium_malloc(max(1, count)) else { fatalError("sodium_malloc failed") }
        pointer = memory
        randombytes_buf(pointer, count)
    }

    /// Fills protected memory of `count` bytes with `fill` (used by key derivation).
    init(count: Int, fill: (UnsafeMutablePointer<UInt8>) -> Void) {
        _ = Sodium.ready
        self.count = count
        guard let memory = sodium_malloc(max(1, count)) else { fatalError("sodium_malloc failed") }
        pointer = memory
        fill(pointer.assumingMemoryBound(to: UInt8.self))
    }

    deinit {
        sodium_memzero(pointer, count)
        sodium_free(pointer)
    }

    /// Reads the secret bytes; do not let them escape the closure.
    public func withUnsafeBytes<Result>(_ body: (UnsafePointer<UInt8>) throws -> Result) rethrows -> Result {
        try body(UnsafePointer(pointer.assumingMemoryBound(to: UInt8.self)))
    }

    /// The first `index` bytes and the rest, as two protected buffers; the bytes never pass
    /// through ordinary memory.
    func split(at index: Int) -> (SecretBytes, SecretBytes) {
        precondition((0...count).contains(index), "split index out of range")
        let head = SecretBytes(count: index) { target in
            withUnsafeBytes { source in target.update(from: source, count: index) }
        }
        let tail = SecretBytes(count: count - index) { target in
            withUnsafeBytes { source in target.update(from: source + index, count: count - index) }
        }
        return (head, tail)
    }

    /// `first` followed by `second`, in one protected buffer.
    static func concatenating(_ first: SecretBytes, _ second: SecretBytes) -> SecretBytes {
        SecretBytes(count: first.count + second.count) { target in
            first.withUnsafeBytes { target.update(from: $0, count: first.count) }
            second.withUnsafeBytes { (target + first.count).update(from: $0, count: second.count) }
        }
    }

    /// A copy of the bytes, for writing to a protected key file. Zero it after use.
    public func copyBytes() -> [UInt8] {
        withUnsafeBytes { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    public static func == (lhs: SecretBytes, rhs: SecretBytes) -> Bool {
        lhs.count == rhs.count && sodium_memcmp(lhs.pointer, rhs.pointer, lhs.count) == 0
    }

    public var description: String { "SecretBytes(\(count) bytes, redacted)" }
}
