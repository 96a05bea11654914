import AisleCore
import AisleCrypto
import Foundation
import SwiftProtobuf

/// One side's view of the handshake: both sides send a Hello at once, then a Proof once they
/// have the other's Hello.
///
/// The Proof signs a transcript of both Hello frames, byte for byte as sent (so both
/// certificates, both fresh nonces, both key-exchange keys and both version ranges), plus which
/// side signs: a proof cannot be replayed into another connection or reflected back. The
/// `crypto_kx` keys give one secretstream key per direction.
struct Handshake {
    enum Side: UInt8 {
        /// Opened the connection: the key exchange's client.
        case initiator = 0
        /// Accepted it: the key exchange's server.
        case responder = 1

        var other: Side { self == .initiator ? .responder : .initiator }
    }

    let side: Side
    let exchange = SessionKeyPair()
    let nonce = SecureRandom.bytes(32)
    /// The Hello frame this side sent, as sent.
    let helloFrame: [UInt8]

    init(side: Side, certificate: Certificate) {
        self.side = side
        var hello = Aisle_Sync_V1_Hello()
        hello.minVersion = SyncLimits.versions.lowerBound
        hello.maxVersion = SyncLimits.versions.upperBound
        hello.certificate = Data(certificate.canonicalBytes)
        hello.nonce = Data(nonce)
        hello.kxPublicKey = Data(exchange.publicKey)
        var frame = Aisle_Sync_V1_Frame()
        frame.hello = hello
        helloFrame = frame.bytes
    }

    /// What answering the peer's Hello gives.
    struct Answer {
        let peer: Certificate
        let keys: SessionKeys
        let version: UInt32
        /// This side's sealed direction, opened.
        let sender: SecretStreamSender
        /// The Proof frame to send.
        let proofFrame: [UInt8]
        /// What the peer's Proof must sign.
        let peerTranscript: [UInt8]
    }

    /// Answers the peer's Hello (`frame`, as received): picks the version, checks the peer's
    /// certificate offline, derives the session keys, opens this side's sealed direction and signs
    /// the transcript.
    func answer(
        _ hello: Aisle_Sync_V1_Hello, frame: [UInt8], trust: SharedTrust, signing: SigningKeyPair, now: UInt64
    ) throws(SyncError) -> Answer {
        let version = try Self.negotiate(hello)
        let peer: Certificate
        do { peer = try Certificate(canonicalBytes: Array(hello.certificate)) } catch {
            throw .protocolViolation("the peer's certificate does not parse: \(error)")
        }
        do { try trust.check(peer, now: now) } catch { throw .peerRefused(error) }
        let keys = try sessionKeys(peerKey: Array(hello.kxPublicKey))
        let sender: SecretStreamSender
        do { sender = try SecretStreamSender(key: keys.transmit) } catch {
            throw .protocolViolation("cannot open the sealed direction: \(error)")
        }
        var proof = Aisle_Sync_V1_Proof()
        proof.version = version
        proof.signature = Data(signing.sign(transcript(peerHelloFrame: frame, signer: side)))
        proof.streamHeader = Data(sender.header)
        var reply = Aisle_Sync_V1_Frame()
        reply.proof = proof
        return Answer(
            peer: peer, keys: keys, version: version, sender: sender, proofFrame: reply.bytes,
            peerTranscript: transcript(peerHelloFrame: frame, signer: side.other))
    }

    /// Checks the peer's Proof (its version, its signature over the transcript with the key of its
    /// certificate) and opens the receiving direction.
    static func check(
        _ proof: Aisle_Sync_V1_Proof, peer: Certificate, keys: SessionKeys, version: UInt32, transcript: [UInt8]
    ) throws(SyncError) -> SecretStreamReceiver {
        guard proof.version == version else {
            throw .protocolViolation("the peer chose version \(proof.version), not \(version)")
        }
        do { try peer.signingKey.verify(Array(proof.signature), for: transcript) } catch { throw .badProof }
        do { return try SecretStreamReceiver(key: keys.receive, header: Array(proof.streamHeader)) } catch {
            throw .protocolViolation("the peer's stream header is not valid")
        }
    }

    /// The version both speak: the highest in both ranges.
    static func negotiate(_ peer: Aisle_Sync_V1_Hello) throws(SyncError) -> UInt32 {
        guard peer.minVersion <= peer.maxVersion else {
            throw .protocolViolation("version range \(peer.minVersion)…\(peer.maxVersion) is empty")
        }
        let version = min(peer.maxVersion, SyncLimits.versions.upperBound)
        guard version >= max(peer.minVersion, SyncLimits.versions.lowerBound) else {
            throw .noCommonVersion(peer: peer.minVersion...peer.maxVersion)
        }
        return version
    }

    /// What `signer` signs: the domain, the signer's side, and both Hello frames in side order.
    func transcript(peerHelloFrame: [UInt8], signer: Side) -> [UInt8] {
        let (first, second) = side == .initiator ? (helloFrame, peerHelloFrame) : (peerHelloFrame, helloFrame)
        var encoder = CanonicalEncoder(reservingCapacity: first.count + second.count + 32)
        encoder.append("aisle-sync-proof-v1")
        encoder.append(UInt64(signer.rawValue))
        encoder.append(bytes: first)
        encoder.append(bytes: second)
        return encoder.bytes
    }

    /// This connection's session keys, from the peer's key-exchange public key.
    func sessionKeys(peerKey: [UInt8]) throws(SyncError) -> SessionKeys {
        do {
            return side == .initiator
                ? try exchange.clientKeys(serverPublicKey: peerKey) : try exchange.serverKeys(clientPublicKey: peerKey)
        } catch {
            throw .protocolViolation("the peer's key-exchange key is not valid: \(error)")
        }
    }
}

extension Aisle_Sync_V1_Frame {
    /// The serialized frame.
    var bytes: [UInt8] {
        // Serializing a message built here cannot fail (no required fields in proto3).
        (try? serializedBytes()) ?? []
    }
}

/// Hooks for tests that play a peer from another build.
@_spi(Testing) public enum SyncTesting {
    /// A Hello frame with its version range replaced; nil if `frame` is not a Hello.
    public static func rewriteHelloVersions(_ frame: [UInt8], min: UInt32, max: UInt32) -> [UInt8]? {
        guard var parsed = try? Aisle_Sync_V1_Frame(serializedBytes: frame), case .hello(var hello)? = parsed.body
        else { return nil }
        hello.minVersion = min
        hello.maxVersion = max
        parsed.hello = hello
        return parsed.bytes
    }
}
