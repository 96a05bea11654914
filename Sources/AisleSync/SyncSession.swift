public import AisleCore
public import AisleCrypto
import Foundation
import SwiftProtobuf

/// One connection's sync protocol, without I/O: feed it the frames that arrive and the time, and
/// carry out the ``SyncAction``s it returns (send frames, fetch and deliver envelopes).
///
/// 1. Handshake: both sides send Hello (certificate, fresh nonce, key-exchange key, versions),
///    then Proof (a signature over both Hellos, and its sealed direction's stream header). The
///    peer's certificate is checked offline (tenant, admin signature, expiry, revocation).
/// 2. Each side subscribes to scopes with its version vectors; the other streams what is
///    missing, each origin in sequence order, in frames of at most ``SyncLimits/maxFrameBytes``,
///    with at most ``SyncLimits/window`` unacknowledged batches per scope; acks carry the
///    receiver's vector. After catching up, changes are pushed as they happen (``changed(_:)``).
///
/// Every frame after the handshake is sealed per direction with libsodium's secretstream, so a
/// frame altered, dropped, replayed or reordered fails to open and ends the session.
/// docs/sync.md describes the protocol. Not thread-safe: one connection drives one session.
public final class SyncSession {
    public enum Side: Sendable {
        /// This side opened the connection.
        case initiator
        /// This side accepted it.
        case responder
    }

    private enum State {
        case created
        case helloSent
        case proofSent(peer: Certificate, keys: SessionKeys, version: UInt32, peerTranscript: [UInt8])
        case established(peer: Certificate, receiver: SecretStreamReceiver)
        case closed
    }

    /// What this side has sent of one scope the peer subscribed to.
    struct Outgoing {
        /// The peer's vector as subscribed, joined with every batch sent since.
        var sent: VersionVector
        var inFlight = 0
        var fetching = false
        /// Whether the last fetch may have left envelopes behind (so fetch again).
        var more = true
        /// Whether a change happened since the last fetch.
        var dirty = false
        /// Whether the peer has been told it is caught up since the last batch.
        var announcedCaughtUp = false
    }

    public let limits: SyncLimits
    private let certificate: Certificate
    private let signing: SigningKeyPair
    /// The node's trust, shared (a session keeps no copy of its own).
    let trust: SharedTrust
    private let handshake: Handshake
    private var state: State = .created
    private var sender: SecretStreamSender?
    private var startedAt: UInt64 = 0
    var outgoing: [Scope: Outgoing] = [:]
    private var subscribed: Set<Scope> = []
    /// Signatures of the certificates and grants already sent on this connection (each goes
    /// once). A signature names its record as surely as the record's id does (Ed25519 signs
    /// deterministically), and needs no encoding and hashing for every batch sent.
    var certificatesSent: Set<[UInt8]> = []
    var grantsSent: Set<[UInt8]> = []
    /// Subscribed scopes the peer has said it has nothing more of.
    private var caughtUp: Set<Scope> = []
    private var peerSubscribed = false
    /// Questions asked on this session and not answered yet.
    var asked: Set<UInt64> = []

    /// A session speaking as `certificate` (whose signing key is `signing`), checking the peer
    /// against `trust` (its node's, shared).
    public init(
        side: Side, certificate: Certificate, signing: SigningKeyPair, trust: SharedTrust, limits: SyncLimits = .init()
    ) {
        self.limits = limits
        self.certificate = certificate
        self.signing = signing
        self.trust = trust
        handshake = Handshake(side: side == .initiator ? .initiator : .responder, certificate: certificate)
    }

    /// The peer's certificate, once the handshake is done.
    public var peer: Certificate? {
        if case .established(let peer, _) = state { return peer }
        return nil
    }

    /// Whether both directions are at rest: the peer has subscribed and everything it lacked has
    /// been sent and acknowledged, and the peer has sent everything this side subscribed to.
    /// (A one-shot sync, such as a phone's, can end here.)
    /// Whether this side has subscribed to `scope` on this session.
    public func isSubscribed(_ scope: Scope) -> Bool { subscribed.contains(scope) }

    /// Whether the peer has said it has nothing more of `scope`, this side having subscribed to it.
    public func hasCaughtUp(_ scope: Scope) -> Bool { caughtUp.contains(scope) }

    public var isSettled: Bool {
        guard peer != nil, peerSubscribed, subscribed.isSubset(of: caughtUp) else { return false }
        return outgoing.values.allSatisfy { !$0.fetching && $0.inFlight == 0 && !$0.more && !$0.dirty }
    }

    /// Whether the session has ended.
    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// Starts the handshake: the Hello to send.
    public func start(now: UInt64) -> [SyncAction] {
        guard case .created = state else { return [] }
        startedAt = now
        state = .helloSent
        return [.send(handshake.helloFrame)]
    }

    /// Handles one frame from the peer.
    public func receive(_ bytes: [UInt8], now: UInt64) -> [SyncAction] {
        if isClosed { return [] }
        // Sealing and protobuf framing add a few dozen bytes to the largest batch allowed.
        guard bytes.count <= limits.maxFrameBytes + 1_024 else {
            return fail(.frameTooLarge(bytes.count, limit: limits.maxFrameBytes))
        }
        guard let frame = try? Aisle_Sync_V1_Frame(serializedBytes: bytes), let body = frame.body else {
            return fail(.protocolViolation("not a sync frame"))
        }
        do {
            switch (state, body) {
            case (.helloSent, .hello(let hello)):
                return try onHello(hello, frame: bytes, now: now)
            case (.proofSent(let peer, let keys, let version, let transcript), .proof(let proof)):
                return try onProof(proof, peer: peer, keys: keys, version: version, transcript: transcript)
            case (.established(let peer, let receiver), .sealed(let sealed)):
                return try onSealed(Array(sealed), peer: peer, receiver: receiver, now: now)
            case (.helloSent, .refusal(let refusal)), (.proofSent, .refusal(let refusal)):
                throw SyncError.refusedByPeer(refusal.reason)
            default:
                throw SyncError.protocolViolation("unexpected \(body.name) during the \(stateName)")
            }
        } catch let error as SyncError {
            return fail(error)
        } catch {
            return fail(.protocolViolation("\(error)"))
        }
    }

    /// Ends a handshake that takes longer than ``SyncLimits/handshakeTimeout``, and an established
    /// session once the peer's certificate has ended.
    public func tick(now: UInt64) -> [SyncAction] {
        switch state {
        case .helloSent, .proofSent:
            return now >= startedAt + limits.handshakeTimeout ? fail(.handshakeTimedOut) : []
        case .established(let peer, _):
            // From its end on every peer refuses the certificate, as the handshake would have; a
            // renewed one connects again.
            let end = peer.body.notAfter
            return now > end ? fail(.peerRefused(.certificateExpired(notAfter: end))) : []
        default:
            return []
        }
    }

    /// Asks the peer for what it has of `scopes` beyond each vector, then for what it gets later;
    /// and offers it the changes of its own this side holds in `handOver`, scopes it may no
    /// longer receive (``SyncAction/offered(_:_:)`` on the other side).
    public func subscribe(_ scopes: [Scope: VersionVector], handingOver handOver: [Scope: VersionVector] = [:])
        -> [SyncAction]
    {
        guard peer != nil else { return [] }
        subscribed.formUnion(scopes.keys)
        var message = Aisle_Sync_V1_Subscribe()
        message.scopes = scopes.keys.sorted().map { Wire.scopeVector($0, scopes[$0]!) }
        message.handOver = handOver.keys.sorted().map { Wire.scopeVector($0, handOver[$0]!) }
        return [seal(.subscribe(message))]
    }

    /// Shows the peer a customer's handoff grant this side uses (send it before subscribing to
    /// the customer's scope), with the certificate of the device that signed it.
    public func useGrant(_ grant: HandoffGrant, grantor: Certificate) -> [SyncAction] {
        guard peer != nil else { return [] }
        var message = Aisle_Sync_V1_Grant()
        message.grant = Data(grant.canonicalBytes)
        message.grantorCertificate = Data(grantor.canonicalBytes)
        grantsSent.insert(grant.signature)
        return [seal(.grant(message))]
    }

    /// Reports the scope's version vector after delivering a batch: acknowledges it to the peer.
    public func applied(_ scope: Scope, vector: VersionVector) -> [SyncAction] {
        guard peer != nil else { return [] }
        var ack = Aisle_Sync_V1_Ack()
        ack.applied = Wire.scopeVector(scope, vector)
        return [seal(.ack(ack))]
    }

    /// The scopes the peer subscribed to: the only ones ``changed(_:)`` pushes. It only grows
    /// during a session.
    public var peerFollows: Set<Scope> { Set(outgoing.keys) }

    /// How many scopes the peer subscribed to (cheap: to tell whether ``peerFollows`` grew).
    public var peerFollowCount: Int { outgoing.count }

    /// Says that this side has new changes in `scope`: pushes them if the peer subscribed.
    public func changed(_ scope: Scope) -> [SyncAction] {
        guard peer != nil, outgoing[scope] != nil else { return [] }
        outgoing[scope]!.dirty = true
        return fetchIfReady(scope)
    }

    /// Refuses what the peer sent (the node refused an envelope): tells the peer why and ends.
    public func refuse(_ reason: String) -> [SyncAction] {
        fail(.refusedHere(reason))
    }

    /// Ends an established session because this side learnt since that the peer's certificate
    /// is revoked; tells the peer so (as the handshake would have).
    public func peerRevoked() -> [SyncAction] {
        guard let peer else { return [] }
        return fail(.peerRefused(.certificateRevoked(peer.body.device)))
    }

    // MARK: - Handshake

    private func onHello(_ hello: Aisle_Sync_V1_Hello, frame: [UInt8], now: UInt64) throws -> [SyncAction] {
        let answer = try handshake.answer(hello, frame: frame, trust: trust, signing: signing, now: now)
        sender = answer.sender
        state = .proofSent(
            peer: answer.peer, keys: answer.keys, version: answer.version, peerTranscript: answer.peerTranscript)
        return [.send(answer.proofFrame)]
    }

    private func onProof(
        _ proof: Aisle_Sync_V1_Proof, peer: Certificate, keys: SessionKeys, version: UInt32, transcript: [UInt8]
    ) throws -> [SyncAction] {
        let receiver = try Handshake.check(proof, peer: peer, keys: keys, version: version, transcript: transcript)
        state = .established(peer: peer, receiver: receiver)
        return [.established(peer)]
    }

    // MARK: - Established

    private func onSealed(_ sealed: [UInt8], peer: Certificate, receiver: SecretStreamReceiver, now: UInt64) throws
        -> [SyncAction]
    {
        let plaintext: [UInt8]
        do { plaintext = try receiver.open(sealed) } catch {
            throw SyncError.protocolViolation("a sealed frame does not open: altered, replayed or out of order")
        }
        guard let message = try? Aisle_Sync_V1_Message(serializedBytes: plaintext), let body = message.body else {
            throw SyncError.protocolViolation("a sealed frame holds no message")
        }
        switch body {
        case .subscribe(let subscribe):
            peerSubscribed = true
            var actions: [SyncAction] = []
            for entry in subscribe.scopes {
                let (scope, vector) = try Wire.parse(entry)
                guard Authorization.mayReceive(peer.body, scope) || trust.isGranted(scope, to: peer.body, at: now)
                else { throw SyncError.scopeNotAllowed(scope) }
                outgoing[scope] = Outgoing(sent: vector)
                actions.append(.acknowledged(scope, vector))
                actions += fetchIfReady(scope)
            }
            for entry in subscribe.handOver {
                let (scope, vector) = try Wire.parse(entry)
                actions.append(.offered(scope, vector))
            }
            return actions
        case .envelopes(let batch):
            let scope = try Wire.scope(batch.scope)
            guard subscribed.contains(scope) else {
                throw SyncError.protocolViolation("envelopes of \(scope), which this side did not subscribe to")
            }
            var envelopes: [Envelope] = []
            envelopes.reserveCapacity(batch.envelopes.count)
            for bytes in batch.envelopes {
                do { envelopes.append(try Envelope(canonicalBytes: Array(bytes))) } catch {
                    throw SyncError.protocolViolation("an envelope of \(scope) does not parse: \(error)")
                }
            }
            let certificates = try batch.certificates.map { try Wire.decode(Certificate.self, $0, "a certificate") }
            let grants = try batch.grants.map { try Wire.decode(HandoffGrant.self, $0, "a handoff grant") }
            if batch.caughtUp { caughtUp.insert(scope) }
            if envelopes.isEmpty { return batch.caughtUp ? [.caughtUp(scope)] : [] }
            return [
                .deliver(scope, envelopes, certificates: certificates, grants: grants, caughtUp: batch.caughtUp)
            ]
        case .ack(let ack):
            let (scope, vector) = try Wire.parse(ack.applied)
            guard var scopeState = outgoing[scope] else {
                throw SyncError.protocolViolation("an ack for \(scope), which the peer did not subscribe to")
            }
            scopeState.inFlight = max(0, scopeState.inFlight - 1)
            scopeState.sent.join(vector)
            outgoing[scope] = scopeState
            return [.acknowledged(scope, vector)] + fetchIfReady(scope)
        case .refusal(let refusal):
            throw SyncError.refusedByPeer(refusal.reason)
        case .snapshot(let snapshot):
            let scope = try Wire.scope(snapshot.scope)
            guard subscribed.contains(scope) else {
                throw SyncError.protocolViolation("a snapshot of \(scope), which this side did not subscribe to")
            }
            guard peer.body.role == .hub else {
                throw SyncError.protocolViolation("a snapshot from a \(peer.body.role): only the hub sends snapshots")
            }
            let covers = snapshot.last ? try Wire.vector(snapshot.covers, of: scope) : nil
            return [.install(scope, objects: Array(snapshot.objects), stamp: snapshot.stamp, covers: covers)]
        case .grant(let message):
            let grant = try Wire.decode(HandoffGrant.self, message.grant, "a handoff grant")
            let grantor = try Wire.decode(Certificate.self, message.grantorCertificate, "a grantor certificate")
            // Checked here, learnt by the node (`.learn`) before the next frame is read.
            do { try trust.check(grant, grantor: grantor) } catch {
                throw SyncError.refusedHere("handoff grant for \(grant.scope): \(error)")
            }
            return [.learn(grant, grantor: grantor)]
        case .request(let request):
            return try onRequest(request, peer: peer, now: now)
        case .reply(let reply):
            return try onReply(reply)
        }
    }

    func seal(_ body: Aisle_Sync_V1_Message.OneOf_Body) -> SyncAction {
        var message = Aisle_Sync_V1_Message()
        message.body = body
        var frame = Aisle_Sync_V1_Frame()
        // Established sessions always have a sender; serializing a built message cannot fail.
        frame.sealed = Data(sender!.seal((try? message.serializedBytes()) ?? []))
        return .send(frame.bytes)
    }

    /// Ends the session; once established, tells the peer why first.
    func fail(_ error: SyncError) -> [SyncAction] {
        let reason = error
        var actions: [SyncAction] = []
        if !isRefusalFromPeer(reason) {
            var refusal = Aisle_Sync_V1_Refusal()
            refusal.reason = reason.description
            switch state {
            case .established:
                actions.append(seal(.refusal(refusal)))
            case .helloSent, .proofSent:
                // Before the sealed directions exist the reason goes in the clear: it names a
                // certificate or version problem, never a secret.
                var frame = Aisle_Sync_V1_Frame()
                frame.refusal = refusal
                actions.append(.send(frame.bytes))
            case .created, .closed:
                break
            }
        }
        state = .closed
        return actions + [.close(reason)]
    }

    private func isRefusalFromPeer(_ error: SyncError) -> Bool {
        if case .refusedByPeer = error { return true }
        return false
    }

    private var stateName: String {
        switch state {
        case .created: "start"
        case .helloSent: "hello exchange"
        case .proofSent: "proof exchange"
        case .established: "sync"
        case .closed: "close"
        }
    }
}
