import CSodium

/// The sending half of a `crypto_secretstream_xchacha20poly1305` stream: every frame of a sync
/// session in one direction, sealed in order, so frames cannot be dropped, reordered or replayed.
/// One per connection and direction; its state is zeroed when released.
public final class SecretStreamSender {
    private var state = crypto_secretstream_xchacha20poly1305_state()
    /// The header the receiver needs to start the stream.
    public let header: [UInt8]

    /// Starts a stream under `key` (32 bytes, such as a session's transmit key).
    public init(key: SecretBytes) throws(CryptoError) {
        _ = Sodium.ready
        guard key.count == crypto_secretstream_xchacha20poly1305_keybytes() else {
            throw .invalidLength(
                "stream key", expected: crypto_secretstream_xchacha20poly1305_keybytes(), got: key.count)
        }
        var header = [UInt8](repeating: 0, count: crypto_secretstream_xchacha20poly1305_headerbytes())
        var state = crypto_secretstream_xchacha20poly1305_state()
        key.withUnsafeBytes { keyBytes in _ = crypto_secretstream_xchacha20poly1305_init_push(&state, &header, keyBytes)
        }
        self.state = state
        self.header = header
        withUnsafeMutableBytes(of: &state) { sodium_memzero($0.baseAddress, $0.count) }
    }

    /// Seals the next frame; `final` marks the last one (a clean end of session).
    public func seal(_ plaintext: [UInt8], final: Bool = false) -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: plaintext.count + crypto_secretstream_xchacha20poly1305_abytes())
        let tag =
            final
            ? crypto_secretstream_xchacha20poly1305_tag_final() : crypto_secretstream_xchacha20poly1305_tag_message()
        _ = crypto_secretstream_xchacha20poly1305_push(
            &state, &frame, nil, plaintext, UInt64(plaintext.count), nil, 0, tag)
        return frame
    }

    deinit {
        withUnsafeMutableBytes(of: &state) { sodium_memzero($0.baseAddress, $0.count) }
    }
}

/// The receiving half of a secret stream.
public final class SecretStreamReceiver {
    private var state = crypto_secretstream_xchacha20poly1305_state()
    /// Whether the final frame has been opened.
    public private(set) var isFinished = false

    /// Starts receiving a stream from its header, under `key`.
    public init(key: SecretBytes, header: [UInt8]) throws(CryptoError) {
        _ = Sodium.ready
        guard key.count == crypto_secretstream_xchacha20poly1305_keybytes() else {
            throw .invalidLength(
                "stream key", expected: crypto_secretstream_xchacha20poly1305_keybytes(), got: key.count)
        }
        guard header.count == crypto_secretstream_xchacha20poly1305_headerbytes() else {
            throw .invalidLength(
                "stream header", expected: crypto_secretstream_xchacha20poly1305_headerbytes(), got: header.count)
        }
        var state = crypto_secretstream_xchacha20poly1305_state()
        let status = key.withUnsafeBytes { keyBytes in
            crypto_secretstream_xchacha20poly1305_init_pull(&state, header, keyBytes)
        }
        self.state = state
        withUnsafeMutableBytes(of: &state) { sodium_memzero($0.baseAddress, $0.count) }
        guard status == 0 else { throw .authenticationFailed }
    }

    /// Opens the next frame.
    ///
    /// - Throws: ``CryptoError/authenticationFailed`` for an altered, reordered, replayed or
    ///   foreign frame; ``CryptoError/streamNotFinished`` for a frame after the final one.
    public func open(_ frame: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard !isFinished else { throw .streamNotFinished }
        guard frame.count >= crypto_secretstream_xchacha20poly1305_abytes() else { throw .authenticationFailed }
        var plaintext = [UInt8](repeating: 0, count: frame.count - crypto_secretstream_xchacha20poly1305_abytes())
        var tag: UInt8 = 0
        let status = crypto_secretstream_xchacha20poly1305_pull(
            &state, &plaintext, nil, &tag, frame, UInt64(frame.count), nil, 0)
        guard status == 0 else { throw .authenticationFailed }
        if tag == crypto_secretstream_xchacha20poly1305_tag_final() { isFinished = true }
        return plaintext
    }

    deinit {
        withUnsafeMutableBytes(of: &state) { sodium_memzero($0.baseAddress, $0.count) }
    }
}
