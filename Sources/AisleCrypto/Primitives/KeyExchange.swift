import CSodium

/// One side's `crypto_kx` key pair for a sync session's handshake.
public struct SessionKeyPair: Sendable {
    public let publicKey: [UInt8]
    private let secret: SecretBytes

    /// A fresh key pair (one per connection, for forward secrecy).
    public init() {
        _ = Sodium.ready
        var publicKey = [UInt8](repeating: 0, count: crypto_kx_publickeybytes())
        secret = SecretBytes(count: crypto_kx_secretkeybytes()) { secretKey in
            _ = crypto_kx_keypair(&publicKey, secretKey)
        }
        self.publicKey = publicKey
    }

    /// The session keys of the side that opened the connection.
    public func clientKeys(serverPublicKey: [UInt8]) throws(CryptoError) -> SessionKeys {
        try derive(peer: serverPublicKey, asClient: true)
    }

    /// The session keys of the side that accepted the connection.
    public func serverKeys(clientPublicKey: [UInt8]) throws(CryptoError) -> SessionKeys {
        try derive(peer: clientPublicKey, asClient: false)
    }

    private func derive(peer: [UInt8], asClient: Bool) throws(CryptoError) -> SessionKeys {
        guard peer.count == crypto_kx_publickeybytes() else {
            throw .invalidLength("peer session key", expected: crypto_kx_publickeybytes(), got: peer.count)
        }
        var status: Int32 = 0
        let length = crypto_kx_sessionkeybytes()
        var transmit: SecretBytes?
        let receive = SecretBytes(count: length) { rx in
            transmit = SecretBytes(count: length) { tx in
                status = secret.withUnsafeBytes { secretKey in
                    asClient
                        ? crypto_kx_client_session_keys(rx, tx, publicKey, secretKey, peer)
                        : crypto_kx_server_session_keys(rx, tx, publicKey, secretKey, peer)
                }
            }
        }
        guard status == 0, let transmit else { throw .derivationFailed("peer session key is not a valid public key") }
        return SessionKeys(receive: receive, transmit: transmit)
    }
}

/// The two directional keys of a session: what this side sends under, and what it receives under.
public struct SessionKeys: Sendable {
    public let receive: SecretBytes
    public let transmit: SecretBytes
}
