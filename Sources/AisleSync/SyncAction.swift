public import AisleCore
public import AisleCrypto

/// What a ``SyncSession`` asks its driver to do. The session does no I/O: the driver writes the
/// frames, reads and applies envelopes through its node, and feeds the results back.
public enum SyncAction: Sendable, Equatable {
    /// Write this frame to the connection (one WebSocket binary message).
    case send([UInt8])
    /// The handshake is done: the peer proved it holds this certificate's key. Subscribe now.
    case established(Certificate)
    /// Read the envelopes of `scope` a peer that has `after` lacks, at most about `maxBytes`,
    /// and hand them, with their authors' certificates, to
    /// ``SyncSession/provide(_:envelopes:certificates:caughtUp:)``; or, when the log no longer
    /// holds some of them (compacted), a snapshot of the scope to
    /// ``SyncSession/provideSnapshot(_:parts:stamp:covers:)``.
    case fetch(Scope, after: VersionVector, maxBytes: Int)
    /// Learn these certificates and handoff grants (each checked), then verify and apply these
    /// envelopes (the node's one receive path), then report the scope's version vector with
    /// ``SyncSession/applied(_:vector:)``. `caughtUp`: the peer had nothing more when it sent them.
    case deliver(Scope, [Envelope], certificates: [Certificate], grants: [HandoffGrant], caughtUp: Bool)
    /// The peer uses this customer's handoff grant (already checked here): keep it, and the
    /// certificate of the customer's device that signed it.
    case learn(HandoffGrant, grantor: Certificate)
    /// The peer has sent everything it had for `scope` (nothing was left to deliver).
    case caughtUp(Scope)
    /// The peer reports holding `scope` up to this vector (it subscribed, or acknowledged a batch):
    /// what compaction by causal stability counts on. Nothing to answer.
    case acknowledged(Scope, VersionVector)
    /// The peer holds changes of its own in `scope`, up to this vector, that it may no longer
    /// receive (a till's changes under a handoff grant that has ended): subscribe to take those
    /// this side lacks. Nothing to answer otherwise.
    case offered(Scope, VersionVector)
    /// Install one part of the hub's snapshot of `scope` (an encoded ObjectDelta of whole
    /// objects, untrusted until decoded); the last part carries `covers`, the version vector the
    /// whole snapshot reflects. Then report the vector with ``SyncSession/applied(_:vector:)``.
    case install(Scope, objects: [UInt8], stamp: UInt64, covers: VersionVector?)
    /// The peer asks question `id` (its scope already checked against the peer's certificate):
    /// work out the answer and hand it to ``SyncSession/answer(_:_:)``.
    case serve(UInt64, SyncRequest)
    /// The peer answered this side's question `id` (asked with ``SyncSession/ask(_:id:)``).
    case answered(UInt64, SyncReply)
    /// Close the connection after writing any frame before this action; the session is over.
    case close(SyncError)
}

/// WebSocket close codes the sync endpoint uses besides the standard ones.
public enum SyncCloseCode {
    /// A hub process that holds the most connections it may closes a new one at once with this
    /// code (RFC 6455's registered "Try Again Later"), before any handshake: the device moves on to
    /// another hub process, or retries later.
    public static let tryAgainLater: UInt16 = 1013
}

/// Why a sync session ended.
public enum SyncError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The peer's certificate was refused (unknown tenant, forged, expired, revoked).
    case peerRefused(EnvelopeRefusal)
    /// The peer's handshake proof does not verify: it does not hold its certificate's key, or the
    /// handshake was tampered with.
    case badProof
    /// No protocol version both sides speak.
    case noCommonVersion(peer: ClosedRange<UInt32>)
    /// A frame that is not what the protocol expects at this point, or does not parse.
    case protocolViolation(String)
    /// A frame larger than the limit.
    case frameTooLarge(Int, limit: Int)
    /// The peer asked for a scope its certificate does not cover.
    case scopeNotAllowed(Scope)
    /// The handshake did not finish in time.
    case handshakeTimedOut
    /// The peer refused something this side sent, with its reason.
    case refusedByPeer(String)
    /// This side refused what the peer sent (the driver's node refused an envelope).
    case refusedHere(String)

    public var description: String {
        switch self {
        case .peerRefused(let refusal): "peer certificate refused: \(refusal)"
        case .badProof: "the peer's handshake proof does not verify"
        case .noCommonVersion(let peer):
            "no common protocol version: peer speaks \(peer), this build \(SyncLimits.versions)"
        case .protocolViolation(let what): "protocol violation: \(what)"
        case .frameTooLarge(let size, let limit): "frame of \(size) bytes exceeds the \(limit)-byte limit"
        case .scopeNotAllowed(let scope): "the peer may not receive \(scope)"
        case .handshakeTimedOut: "the handshake did not finish in time"
        case .refusedByPeer(let reason): "the peer refused: \(reason)"
        case .refusedHere(let reason): "refused: \(reason)"
        }
    }
}

/// Limits of one session.
public struct SyncLimits: Sendable {
    /// The protocol versions this build speaks.
    public static let versions: ClosedRange<UInt32> = 1...1
    /// The largest frame sent or accepted, in bytes (default 1 MiB).
    public var maxFrameBytes: Int
    /// Batches of one scope sent and not yet acknowledged, at most (backpressure).
    public var window: Int
    /// Milliseconds the handshake may take.
    public var handshakeTimeout: UInt64
    /// Milliseconds between the WebSocket pings each side of a connection sends; a ping not
    /// answered by the time the next is due ends the connection. Finds a peer gone silent without
    /// closing (a WAN that drops packets, a host that lost power), which TCP alone would notice
    /// only after many minutes, or never on an idle connection.
    public var pingInterval: UInt64
    /// Milliseconds between checks that the peer's certificate has not ended: an established
    /// session ends within this long of the end, as a new handshake would be refused from it on.
    public var certificateCheckInterval: UInt64

    public init(
        maxFrameBytes: Int = 1 << 20, window: Int = 4, handshakeTimeout: UInt64 = 10_000, pingInterval: UInt64 = 15_000,
        certificateCheckInterval: UInt64 = 60_000
    ) {
        self.maxFrameBytes = maxFrameBytes
        self.window = window
        self.handshakeTimeout = handshakeTimeout
        self.pingInterval = pingInterval
        self.certificateCheckInterval = certificateCheckInterval
    }
}
