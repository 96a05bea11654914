/// A cryptographic operation that failed. Never carries key material or plaintext.
public enum CryptoError: Error, Equatable, CustomStringConvertible {
    /// Authentication failed: the ciphertext, nonce, associated data or key is not the one sealed.
    case authenticationFailed
    /// A signature does not verify for this public key and message.
    case badSignature
    /// An input has the wrong length (what, expected, got).
    case invalidLength(String, expected: Int, got: Int)
    /// Key derivation refused its inputs (for example an invalid context or a password hash limit).
    case derivationFailed(String)
    /// A stream ended without its final message, or continued after it.
    case streamNotFinished

    public var description: String {
        switch self {
        case .authenticationFailed:
            "decryption failed: the data was altered, or sealed under another key or associated data"
        case .badSignature: "signature does not verify"
        case .invalidLength(let what, let expected, let got): "\(what) must be \(expected) bytes, got \(got)"
        case .derivationFailed(let reason): "key derivation failed: \(reason)"
        case .streamNotFinished: "the stream was cut: its final message is missing or not last"
        }
    }
}
