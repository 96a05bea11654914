import AisleCore
import AisleCrypto
@_spi(Testing) import AisleSync
import Foundation
import Testing

/// A tenant with an admin and any number of devices, each with a certificate and signing key.
struct Devices {
    static let now: UInt64 = 1_767_225_600_000
    let admin = SigningKeyPair()
    let storeKey = AEADKey()

    struct Device {
        let certificate: Certificate
        let signing: SigningKeyPair
    }

    func device(_ id: ReplicaID, _ role: Role, _ grants: [ScopeGrant], notAfter: UInt64 = Devices.now + 86_400_000)
        -> Device
    {
        let signing = SigningKeyPair()
        let body = CertificateBody(
            tenant: "acme", device: id, role: role, scopes: grants, signingKey: signing.publicKey,
            boxKey: BoxKeyPair().publicKey, notAfter: notAfter)
        return Device(certificate: Certificate(signing: body, with: admin), signing: signing)
    }

    func trust(revoking revoked: [Device] = []) -> TrustStore {
        var trust = TrustStore(tenant: "acme", admin: admin.publicKey)
        for device in revoked { trust.revoke(device.certificate.id) }
        return trust
    }

    func session(_ device: Device, _ side: SyncSession.Side, revoking: [Device] = [], limits: SyncLimits = .init())
        -> SyncSession
    {
        SyncSession(
            side: side, certificate: device.certificate, signing: device.signing,
            trust: SharedTrust(trust(revoking: revoking)),
            limits: limits)
    }

    /// `count` sealed envelopes of `origin` in `scope`, seq 1…count, each carrying `padding` bytes of note.
    func envelopes(_ device: Device, scope: Scope, count: Int, padding: Int = 0) -> [Envelope] {
        (1...count).map { seq in
            var state = RetailState()
            _ = state.updateStock("berlin") { ledger in
                ledger.receive(
                    UInt64(seq), of: try! SKU("sku-\(seq)-" + String(repeating: "x", count: padding)),
                    at: device.certificate.body.device)
            }
            let header = EnvelopeHeader(
                tenant: "acme", scope: scope, origin: device.certificate.body.device, seq: UInt64(seq), epoch: 1,
                hlc: Devices.now << 16, certificate: device.certificate.id,
                dependencies: VersionVector([device.certificate.body.device: UInt64(seq - 1)]))
            return Envelope(
                header: header, deltas: state.deltasByScope.filter { $0.scope == scope }, key: storeKey,
                author: device.signing)
        }
    }
}

/// Two sessions joined by an in-memory connection, each side with a log of envelopes to serve.
/// Frames are carried one at a time, in order; acks can be held back to watch the window.
final class Link {
    let sides: [SyncSession]
    var logs: [[Scope: [Envelope]]] = [[:], [:]]
    var delivered: [[Envelope]] = [[], []]
    var established: [Certificate?] = [nil, nil]
    var closed: [SyncError?] = [nil, nil]
    var caughtUp: [Set<Scope>] = [[], []]
    var frames: [[[UInt8]]] = [[], []]
    var holdAcks = false
    var heldAcks: [(Int, Scope, VersionVector)] = []
    /// Per side, snapshot parts to answer every fetch with (as if its log were compacted).
    var snapshots: [Int: [[UInt8]]] = [:]
    /// Per side, snapshot parts installed: their covers (nil but on the last part).
    var installed: [[VersionVector?]] = [[], []]
    /// Per side, what the peer reported holding.
    var acknowledged: [[VersionVector]] = [[], []]
    /// Per side, the scopes the peer offered to hand over, with their vectors.
    var offered: [[Scope: VersionVector]] = [[:], [:]]
    /// Per side, how it answers the peer's questions, and the questions it served.
    var answering: [(SyncRequest) -> SyncReply] = [
        { _ in .refused("no answer set") }, { _ in .refused("no answer set") },
    ]
    var served: [[SyncRequest]] = [[], []]
    /// Per side, the answers it received to its own questions, by id.
    var answers: [[UInt64: SyncReply]] = [[:], [:]]
    private var queue: [(to: Int, SyncAction)] = []

    init(_ initiator: SyncSession, _ responder: SyncSession) {
        sides = [initiator, responder]
    }

    func connect() {
        for side in 0..<2 { enqueue(sides[side].start(now: Devices.now), from: side) }
        run()
    }

    func subscribe(_ side: Int, _ scopes: [Scope: VersionVector]) {
        enqueue(sides[side].subscribe(scopes), from: side)
        run()
    }

    /// Carries out actions a side returned outside the link (a change, a refusal).
    func act(_ side: Int, _ actions: [SyncAction]) {
        enqueue(actions, from: side)
        run()
    }

    func releaseAcks() {
        let acks = heldAcks
        heldAcks = []
        for (side, scope, vector) in acks { enqueue(sides[side].applied(scope, vector: vector), from: side) }
        run()
    }

    /// Carries `actions` of `side` out: frames to the other side, fetches served from the log.
    private func enqueue(_ actions: [SyncAction], from side: Int) {
        for action in actions { queue.append((side, action)) }
    }

    func run() {
        while !queue.isEmpty {
            let (side, action) = queue.removeFirst()
            switch action {
            case .send(let frame):
                frames[side].append(frame)
                enqueue(sides[1 - side].receive(frame, now: Devices.now), from: 1 - side)
            case .established(let peer):
                established[side] = peer
            case .fetch(let scope, _, _) where snapshots[side] != nil:
                var covers = VersionVector()
                for envelope in logs[side][scope] ?? [] {
                    covers.advance(envelope.header.origin, to: envelope.header.seq)
                }
                enqueue(
                    sides[side].provideSnapshot(scope, parts: snapshots[side]!, stamp: 1, covers: covers), from: side)
                snapshots[side] = nil
            case .fetch(let scope, let after, let maxBytes):
                var budget = maxBytes
                var batch: [Envelope] = []
                let log = logs[side][scope] ?? []
                for envelope in log where envelope.header.seq > after[envelope.header.origin] {
                    let size = envelope.canonicalBytes.count
                    if budget < size, !batch.isEmpty { break }
                    budget -= size
                    batch.append(envelope)
                }
                let rest = log.filter { $0.header.seq > after[$0.header.origin] }.count - batch.count
                enqueue(sides[side].provide(scope, envelopes: batch, caughtUp: rest == 0), from: side)
            case .deliver(let scope, let envelopes, _, _, let isCaughtUp):
                delivered[side] += envelopes
                if isCaughtUp { caughtUp[side].insert(scope) }
                var vector = VersionVector()
                for envelope in delivered[side] { vector.advance(envelope.header.origin, to: envelope.header.seq) }
                if holdAcks {
                    heldAcks.append((side, scope, vector))
                } else {
                    enqueue(sides[side].applied(scope, vector: vector), from: side)
                }
            case .caughtUp(let scope):
                caughtUp[side].insert(scope)
            case .close(let error):
                closed[side] = error
            case .learn:
                break
            case .acknowledged(_, let vector):
                acknowledged[side].append(vector)
            case .offered(let scope, let vector):
                offered[side][scope] = vector
            case .install(let scope, _, _, let covers):
                installed[side].append(covers)
                enqueue(sides[side].applied(scope, vector: covers ?? VersionVector()), from: side)
            case .serve(let id, let request):
                served[side].append(request)
                enqueue(sides[side].answer(id, answering[side](request)), from: side)
            case .answered(let id, let reply):
                answers[side][id] = reply
            }
        }
    }
}

@Suite("Sync protocol engine")
struct SyncSessionTests {
    let devices = Devices()
    let berlin = Scope.store("berlin")

    @Test("two devices complete the handshake and each learns the other's certificate")
    func handshakeEstablishes() {
        let till = devices.device("till-1", .pos, [.exactly(.store("berlin"))])
        let hub = devices.device("hub", .hub, [.allStores])
        let link = Link(devices.session(till, .initiator), devices.session(hub, .responder))
        link.connect()
        #expect(link.established[0] == hub.certificate)
        #expect(link.established[1] == till.certificate)
        #expect(link.closed == [nil, nil])
    }

    @Test("a revoked or expired device is refused at the handshake, and it learns nothing sealed")
    func revokedAndExpiredRefused() {
        let till = devices.device("till-1", .pos, [.exactly(.store("berlin"))])
        let hub = devices.device("hub", .hub, [.allStores])
        let revoked = Link(devices.session(till, .initiator), devices.session(hub, .responder, revoking: [till]))
        revoked.connect()
        #expect(revoked.closed[1] == .peerRefused(.certificateRevoked("till-1")))
        #expect(revoked.established == [nil, nil])

        let old = devices.device("till-2", .pos, [.exactly(.store("berlin"))], notAfter: Devices.now - 1)
        let expired = Link(devices.session(old, .initiator), devices.session(hub, .responder))
        expired.connect()
        #expect(expired.closed[1] == .peerRefused(.certificateExpired(notAfter: Devices.now - 1)))
    }

    @Test("a session whose peer is revoked after the handshake ends, and the peer is told why")
    func peerRevokedDuringTheSession() {
        let till = devices.device("till-1", .pos, [.exactly(.store("berlin"))])
        let hub = devices.device("hub", .hub, [.allStores])
        let link = Link(devices.session(till, .initiator), devices.session(hub, .responder))
        link.connect()
        #expect(link.established[1] == till.certificate)
        link.act(1, link.sides[1].peerRevoked())
        #expect(link.closed[1] == .peerRefused(.certificateRevoked("till-1")))
        #expect(link.closed[0] == .refusedByPeer(SyncError.peerRefused(.certificateRevoked("till-1")).description))
    }

    @Test("a session whose peer's certificate ends while it is open ends then, and the peer is told why")
    func peerCertificateEndsDuringTheSession() {
        let end = Devices.now + 60_000
        let till = devices.device("till-1", .pos, [.exactly(.store("berlin"))], notAfter: end)
        let hub = devices.device("hub", .hub, [.allStores])
        let link = Link(devices.session(till, .initiator), devices.session(hub, .responder))
        link.connect()
        #expect(link.established[1] == till.certificate)
        #expect(link.sides[1].tick(now: end).isEmpty)
        link.act(1, link.sides[1].tick(now: end + 1))
        #expect(link.closed[1] == .peerRefused(.certificateExpired(notAfter: end)))
        #expect(
            link.closed[0] == .refusedByPeer(SyncError.peerRefused(.certificateExpired(notAfter: end)).description))
    }

    @Test("a certificate not signed by the tenant's admin is refused")
    func forgedCertificateRefused() {
        let impostor = Devices().device("till-1", .pos, [.exactly(.store("berlin"))])
        let hub = devices.device("hub", .hub, [.allStores])
        let link = Link(devices.session(impostor, .initiator), devices.session(hub, .responder))
        link.connect()
        #expect(link.closed[1] == .peerRefused(.forgedCertificate))
    }

    @Test("a device presenting another's certificate cannot prove it: the proof does not verify")
    func stolenCertificateRefused() {
        let till = devices.device("till-1", .pos, [.exactly(.store("berlin"))])
        let thief = Devices.Device(certificate: till.certificate, signing: SigningKeyPair())
        let hub = devices.device("hub", .hub, [.allStores])
        let link = Link(devices.session(thief, .initiator), devices.session(hub, .responder))
        link.connect()
        #expect(link.closed[1] == .badProof)
        #expect(link.established[1] == nil)
    }

    @Test("a peer speaking only other protocol versions is refused with both ranges named")
    func versionNegotiation() throws {
        let till = devices.device("till-1", .pos, [.exactly(.store("berlin"))])
        let hub = devices.session(devices.device("hub", .hub, [.allStores]), .responder)
        _ = hub.start(now: Devices.now)
        // A Hello from a future build: versions 2…3 only.
        let session = devices.session(till, .initiator)
        guard case .send(let hello) = session.start(now: Devices.now).first else {
            Issue.record("no hello")
            return
        }
        let future = try #require(Self.rewriteVersions(hello, min: 2, max: 3))
        let refused = hub.receive(future, now: Devices.now)
        #expect(refused.last == .close(.noCommonVersion(peer: 2...3)))
        #expect(Self.isClearRefusal(refused.first), "the reason goes back to the peer in the clear")
    }

    @Test("the sync streams every envelope in order, frames within the limit, at most `window` batches unacknowledged")
    func streamingWithBackpressure() {
        let till = devices.device("till-1", .pos, [.exactly(.store("berlin"))])
        let hub = devices.device("hub", .hub, [.allStores])
        let limits = SyncLimits(maxFrameBytes: 4_096, window: 2)
        let link = Link(
            devices.session(till, .initiator, limits: limits), devices.session(hub, .responder, limits: limits))
        let log = devices.envelopes(till, scope: berlin, count: 200, padding: 40)
        link.logs[0][berlin] = log
        link.holdAcks = true
        link.connect()
        link.subscribe(1, [berlin: VersionVector()])
        var rounds = 0
        // Each round: what the window allowed arrives, then the hub acknowledges it.
        while link.delivered[1].count < log.count, rounds < 1_000 {
            let batches = link.heldAcks.count
            #expect(batches <= limits.window, "\(batches) batches in flight")
            rounds += 1
            link.releaseAcks()
        }
        #expect(link.delivered[1] == log)
        #expect(link.caughtUp[1] == [berlin])
        #expect(link.frames.joined().allSatisfy { $0.count <= limits.maxFrameBytes + 1_024 })
        #expect(rounds > 10, "backpressure should take many rounds, took \(rounds)")
        #expect(link.closed == [nil, nil])
    }

    @Test("after catching up, a change is pushed as it happens; a subscriber that has everything gets nothing")
    func livePushAfterCatchUp() {
        let till = devices.device("till-1", .pos, [.exactly(.store("berlin"))])
        let hub = devices.device("hub", .hub, [.allStores])
        let link = Link(devices.session(till, .initiator), devices.session(hub, .responder))
        let log = devices.envelopes(till, scope: berlin, count: 5)
        link.logs[0][berlin] = Array(log.prefix(3))
        link.connect()
        link.subscribe(1, [berlin: VersionVector()])
        #expect(link.delivered[1] == Array(log.prefix(3)))
        #expect(link.caughtUp[1] == [berlin])
        link.logs[0][berlin] = log
        link.act(0, link.sides[0].changed(berlin))
        #expect(link.delivered[1] == log)
        let frames = link.frames[0].count
        link.act(0, link.sides[0].changed(berlin))
        #expect(link.delivered[1] == log)
        #expect(link.frames[0].count == frames, "nothing new, nothing sent")

        let other = Link(devices.session(till, .initiator), devices.session(hub, .responder))
        other.logs[0][berlin] = log
        other.connect()
        other.subscribe(1, [berlin: VersionVector(["till-1": 5])])
        #expect(other.delivered[1].isEmpty)
        #expect(other.caughtUp[1] == [berlin])
    }

    @Test(
        "a till hands over a customer's scope it may no longer receive: the hub is told of it and its vector, and the till subscribes to nothing there"
    )
    func handOverOffered() {
        let till = devices.device("till-1", .pos, [.exactly(.store("berlin"))])
        let hub = devices.device("hub", .hub, [.allStores])
        let link = Link(devices.session(till, .initiator), devices.session(hub, .responder))
        let anna = Scope.customer("anna")
        link.connect()
        link.act(
            0, link.sides[0].subscribe([berlin: VersionVector()], handingOver: [anna: VersionVector(["till-1": 2])]))
        #expect(link.offered[1] == [anna: VersionVector(["till-1": 2])])
        #expect(link.offered[0].isEmpty)
        #expect(!link.sides[0].isSubscribed(anna))
        #expect(link.closed == [nil, nil])
    }

    @Test("a hub's snapshot arrives in parts, the last carrying its vector; the peer's reports are surfaced")
    func hubSnapshotArrivesInParts() {
        let till = devices.device("till-1", .pos, [.exactly(.store("berlin"))])
        let hub = devices.device("hub", .hub, [.allStores])
        let link = Link(devices.session(till, .initiator), devices.session(hub, .responder))
        link.logs[1][berlin] = devices.envelopes(till, scope: berlin, count: 3)
        link.snapshots[1] = [[1, 2, 3], [4, 5]]
        link.connect()
        link.subscribe(0, [berlin: VersionVector()])
        #expect(link.installed[0] == [nil, VersionVector(["till-1": 3])])
        #expect(link.delivered[0].isEmpty, "nothing beyond the snapshot to send")
        #expect(link.caughtUp[0] == [berlin])
        #expect(link.acknowledged[1].first == VersionVector(), "the subscription is the first report")
        #expect(link.acknowledged[1].last == VersionVector(["till-1": 3]))
        #expect(link.closed == [nil, nil])
    }

    @Test("a snapshot from anyone but the hub ends the session")
    func snapshotFromATillRefused() {
        let till1 = devices.device("till-1", .pos, [.exactly(.store("berlin"))])
        let till2 = devices.device("till-2", .pos, [.exactly(.store("berlin"))])
        let link = Link(devices.session(till1, .initiator), devices.session(till2, .responder))
        link.logs[1][berlin] = devices.envelopes(till2, scope: berlin, count: 2)
        link.snapshots[1] = [[1, 2, 3]]
        link.connect()
        link.subscribe(0, [berlin: VersionVector()])
        #expect(link.installed[0].isEmpty)
        #expect(link.closed[0] == .protocolViolation("a snapshot from a pos: only the hub sends snapshots"))
    }

    @Test("a phone may not subscribe to a store's stock: the hub ends the session and says why")
    func subscriptionOutsideGrantsRefused() {
        let phone = devices.device("phone-anna", .mobile, [.exactly(.customer("anna"))])
        let hub = devices.device("hub", .hub, [.allStores])
        let link = Link(devices.session(phone, .initiator), devices.session(hub, .responder))
        link.connect()
        link.subscribe(0, [berlin: VersionVector()])
        #expect(link.closed[1] == .scopeNotAllowed(berlin))
        #expect(link.closed[0] == .refusedByPeer("the peer may not receive store:berlin"))
    }

    @Test("a sealed frame altered, replayed or reordered in transit ends the session")
    func tamperedFramesEndTheSession() {
        let till = devices.device("till-1", .pos, [.exactly(.store("berlin"))])
        let hub = devices.device("hub", .hub, [.allStores])
        for tamper in ["flip", "replay"] {
            let link = Link(devices.session(till, .initiator), devices.session(hub, .responder))
            link.connect()
            let subscribe = link.sides[1].subscribe([berlin: VersionVector()])
            guard case .send(let frame) = subscribe.first else {
                Issue.record("no frame")
                return
            }
            _ = link.sides[0].receive(frame, now: Devices.now)
            var bad = frame
            if tamper == "flip" { bad[bad.count - 3] ^= 0x01 }
            let actions = link.sides[0].receive(bad, now: Devices.now)
            guard case .close(.protocolViolation(let reason))? = actions.last else {
                Issue.record("\(tamper): not closed: \(actions)")
                continue
            }
            #expect(reason.contains("does not open"), "\(tamper): \(reason)")
        }
    }

    @Test("a handshake that does not finish in time ends the session")
    func handshakeTimeout() {
        let till = devices.device("till-1", .pos, [.exactly(.store("berlin"))])
        let session = devices.session(till, .initiator, limits: SyncLimits(handshakeTimeout: 5_000))
        _ = session.start(now: Devices.now)
        #expect(session.tick(now: Devices.now + 4_999).isEmpty)
        #expect(session.tick(now: Devices.now + 5_000).last == .close(.handshakeTimedOut))
        #expect(session.isClosed)
    }

    @Test("garbage, oversized and out-of-turn frames are refused with a reason")
    func badFramesRefused() {
        let till = devices.device("till-1", .pos, [.exactly(.store("berlin"))])
        let limits = SyncLimits(maxFrameBytes: 1_024)
        let garbage = devices.session(till, .initiator, limits: limits)
        _ = garbage.start(now: Devices.now)
        #expect(
            garbage.receive([0xFF, 0x00, 0x13], now: Devices.now).last == .close(.protocolViolation("not a sync frame"))
        )
        let large = devices.session(till, .initiator, limits: limits)
        _ = large.start(now: Devices.now)
        #expect(
            large.receive([UInt8](repeating: 0, count: 4_096), now: Devices.now).last
                == .close(.frameTooLarge(4_096, limit: 1_024)))
    }

    /// Whether `action` sends a frame (a refusal before the handshake is sealed: plain bytes).
    static func isClearRefusal(_ action: SyncAction?) -> Bool {
        guard case .send(let frame)? = action else { return false }
        return String(decoding: frame, as: UTF8.self).contains("no common protocol version")
    }

    /// The Hello frame with its version range replaced (a peer from another build).
    static func rewriteVersions(_ frame: [UInt8], min: UInt32, max: UInt32) -> [UInt8]? {
        SyncTesting.rewriteHelloVersions(frame, min: min, max: max)
    }
}
