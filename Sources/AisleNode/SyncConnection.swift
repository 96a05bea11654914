public import AisleCore
public import AisleCrypto
import AisleStore
public import AisleSync
import Synchronization

/// What a sync connection reports as it goes, for progress output and logs.
public enum SyncProgress: Sendable, Equatable {
    /// The handshake finished with this peer.
    case connected(ReplicaID, Role)
    /// A batch of `count` changes of `scope` was applied (`caughtUp`: the peer had no more).
    case applied(Scope, count: Int, caughtUp: Bool)
    /// A part of the hub's snapshot of `scope` was installed, `objects` whole objects (`last`:
    /// the scope's version vector now covers the whole snapshot).
    case installed(Scope, objects: Int, last: Bool)
    /// The peer has nothing more of `scope` for now.
    case caughtUp(Scope)
    /// This node answered the peer's question with a change of its own in `scope` (rights
    /// granted, a reservation placed or handed over): push it to the other connections.
    case served(Scope)
    /// The session ended.
    case ended(SyncError)
}

/// One connection's sync, for a node, over any transport: the transport hands in each frame it
/// reads (``receive(_:)``) and gives a way to write frames; the connection carries out what the
/// protocol engine asks (fetch from the node's log, deliver through the node's one receive path,
/// acknowledge, push changes).
///
/// Frames are handled one at a time, each fully (a delivered batch is applied and committed)
/// before the next is read: the transport's reading pace is the backpressure. The one exception
/// is a snapshot part before the last, which is written while the next frame is read and decoded
/// (it moves no version vector); anything after it waits until it is in. Calls from
/// different tasks (a frame read, a local change pushed, a tick) take turns, each carried out to
/// the end before the next starts, so frames are written in the order they were sealed (the
/// secretstream refuses any other).
public actor SyncConnection {
    private let node: ReplicaNode
    private let session: SyncSession
    private let send: @Sendable ([UInt8]) async throws -> Void
    private let progress: @Sendable (SyncProgress) -> Void
    /// The scopes to subscribe to with a given peer.
    private let scopes: @Sendable (Certificate) throws -> [Scope]
    public private(set) var ended: SyncError?
    /// Told the scopes the peer subscribed to whenever they change (see `init`).
    private let followed: @Sendable (Set<Scope>) -> Void
    /// How many scopes the peer subscribed to, as last told to `followed`.
    private var followCount = 0
    /// Whether a call is being carried out; the others wait in `waiting`, first come first served.
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    /// Questions asked of the peer (``ask(_:)``), waiting for its answer.
    private var questions: [UInt64: CheckedContinuation<SyncReply, any Error>] = [:]
    private var lastQuestion: UInt64 = 0
    /// A snapshot part being written while the next is read and decoded.
    private var installing: Task<Void, any Error>?
    /// The hub's way to ask the store's tills for rights a reservation lacks.
    private let recall: (any RightsRecall)?
    /// Scopes ``announce(_:)`` was told of and not yet pushed; nil when no push is scheduled.
    private nonisolated let announced = Mutex<Set<Scope>?>(nil)

    /// - Parameters:
    ///   - side: whether this side opened the connection.
    ///   - scopes: which scopes to ask the peer for, once it is known.
    ///   - send: writes one frame to the transport.
    ///   - progress: called as the sync goes (on this actor; keep it short).
    ///   - recall: on the hub, how a reservation the hub cannot cover asks the store's tills for
    ///     their spare rights (``RightsRecall``).
    ///   - followed: told the scopes the peer subscribed to whenever they change, before anything
    ///     is fetched for a new subscription (a change committed after it is pushed by
    ///     ``changed(_:)``, one committed before is in the fetch); so a server with many
    ///     connections wakes only those that follow a changed scope.
    public init(
        node: ReplicaNode, side: SyncSession.Side, limits: SyncLimits = .init(),
        scopes: @escaping @Sendable (Certificate) throws -> [Scope],
        send: @escaping @Sendable ([UInt8]) async throws -> Void,
        progress: @escaping @Sendable (SyncProgress) -> Void = { _ in },
        recall: (any RightsRecall)? = nil,
        followed: @escaping @Sendable (Set<Scope>) -> Void = { _ in }
    ) {
        self.recall = recall
        self.followed = followed
        self.node = node
        session = SyncSession(
            side: side, certificate: node.identity.certificate, signing: node.identity.signing,
            trust: node.trustSnapshot, limits: limits)
        self.scopes = scopes
        self.send = send
        self.progress = progress
        node.openConnections.add(1, ordering: .relaxed)
    }

    deinit {
        node.openConnections.subtract(1, ordering: .relaxed)
    }

    /// The peer, once the handshake is done.
    public var peer: Certificate? { session.peer }

    /// Whether everything has been exchanged both ways (see ``SyncSession/isSettled``).
    public var isSettled: Bool { session.isSettled }

    /// Sends the Hello.
    public func start() async throws {
        try await turn { session.start(now: node.store.wallClock()) }
    }

    /// Handles one frame read from the transport.
    /// - Throws: ``SyncError`` once the session has ended (close the transport then).
    public func receive(_ frame: [UInt8]) async throws {
        try await turn { session.receive(frame, now: node.store.wallClock()) }
    }

    /// Tells the peer about new local or relayed changes in `scope` (live push), and returns once
    /// that is sent.
    public func changed(_ scope: Scope) async throws {
        try await turn { session.changed(scope) }
    }

    /// Tells the peer about new changes in `scope` without waiting: the push is made in this
    /// connection's turn, by a task of its own, together with every scope announced before it
    /// runs. For a server telling many connections of one change: a connection busy with its
    /// own turn (applying a batch its peer sent, keeping it in a journal first) delays only its
    /// own push, not the others' (``changed(_:)`` awaited one connection after another did).
    public nonisolated func announce(_ scope: Scope) {
        let first = announced.withLock { pending in
            guard pending != nil else {
                pending = [scope]
                return true
            }
            pending?.insert(scope)
            return false
        }
        if first { Task { await self.pushAnnounced() } }
    }

    /// Pushes the scopes announced so far (a session that ended pushes nothing).
    private func pushAnnounced() async {
        let scopes = announced.withLock { pending in
            defer { pending = nil }
            return pending ?? []
        }
        for scope in scopes.sorted() { try? await changed(scope) }
    }

    /// Starts using a customer's handoff grant on this connection: shows it to the peer, then
    /// subscribes to the customer's scope.
    public func use(_ grant: HandoffGrant, grantor: Certificate) async throws {
        let vector = try await durableVector(of: grant.scope)
        try await turn { session.useGrant(grant, grantor: grantor) + session.subscribe([grant.scope: vector]) }
    }

    /// Asks the peer `request` and waits for its answer; a grant's envelopes are applied (the
    /// node's one receive path) before it returns. Cancelling the waiting task stops the wait.
    /// - Throws: the ``SyncError`` that ended the session, or `CancellationError`.
    public func ask(_ request: SyncRequest) async throws -> SyncReply {
        if let ended { throw ended }
        guard session.peer != nil else { throw SyncError.protocolViolation("asked before the handshake finished") }
        lastQuestion += 1
        let id = lastQuestion
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                questions[id] = continuation
                Task {
                    do { try await self.turn { self.session.ask(request, id: id) } } catch {
                        self.settle(id, with: .failure(error))
                    }
                }
            }
        } onCancel: {
            Task { await self.settle(id, with: .failure(CancellationError())) }
        }
    }

    /// The transport closed: every question still waiting fails.
    public func disconnected() {
        failQuestions(with: ended ?? SyncError.refusedByPeer("the connection closed"))
    }

    private func failQuestions(with error: any Error) {
        for id in questions.keys { settle(id, with: .failure(error)) }
    }

    private func settle(_ id: UInt64, with result: Result<SyncReply, any Error>) {
        questions.removeValue(forKey: id)?.resume(with: result)
    }

    /// Subscribes to `scope` now (a customer's points account the till did not hold yet); the
    /// scope's changes follow, and later connections subscribe to it as one the node holds.
    public func follow(_ scope: Scope) async throws {
        let vector = try await durableVector(of: scope)
        try await turn { session.subscribe([scope: vector]) }
    }

    /// Whether the peer has sent everything it had of `scope` so far.
    public func hasCaughtUp(_ scope: Scope) -> Bool { session.hasCaughtUp(scope) }

    /// Ends a handshake that takes too long; call it every second or so.
    public func tick() async throws {
        try await turn { session.tick(now: node.store.wallClock()) }
    }

    /// Ends the session because the peer's certificate was revoked here since it connected
    /// (head office's revocation arrived with the catalog), telling the peer why.
    /// - Throws: the ``SyncError`` that ended the session.
    public func endAsRevoked() async throws {
        try await turn { session.peerRevoked() }
    }

    /// What this node holds of `scope`, durable before the peer hears it: a vector sent (in a
    /// subscription or an acknowledgement) lets the peer drop what it covers, so it must never
    /// name a change a power cut could take back (``ReplicaStore/flush()``).
    private func durableVector(of scope: Scope) async throws -> VersionVector {
        let vector = try node.store.committedVector(of: scope)
        try await node.store.flush()
        return vector
    }

    /// Waits for this call's turn, then asks the session and carries out what it returns.
    private func turn(_ ask: () -> [SyncAction]) async throws {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        // The turn passes straight to the next waiter, if any.
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        let actions = ask()
        // Before anything is fetched for a new subscription: a change committed after this is
        // pushed, one committed before is in the fetch.
        if session.peerFollowCount != followCount {
            followCount = session.peerFollowCount
            followed(session.peerFollows)
        }
        try await perform(actions)
    }

    /// Sends a snapshot's parts as they are read, each part's frame out before the next part is
    /// taken, so the peer installs while this side reads; returns what the last part leads to.
    private func provide(_ snapshot: SnapshotStream) async throws -> [SyncAction] {
        var parts = snapshot.makeAsyncIterator()
        var held: [UInt8]?
        while true {
            let part: [UInt8]?
            do { part = try await parts.next() } catch {
                return session.refuse("the snapshot of \(snapshot.scope) could not be read: \(error)")
            }
            guard let part else { break }
            if let earlier = held {
                try await perform(
                    session.provideSnapshot(snapshot.scope, parts: [earlier], stamp: snapshot.stamp, covers: nil))
            }
            held = part
        }
        guard let last = held else { return session.refuse("the snapshot of \(snapshot.scope) had no part") }
        return session.provideSnapshot(snapshot.scope, parts: [last], stamp: snapshot.stamp, covers: snapshot.covers)
    }

    /// Waits for the snapshot part being written, if any (see `.install` in ``perform(_:)``).
    /// - Throws: why it could not be written.
    private func installed() async throws {
        guard let part = installing else { return }
        installing = nil
        try await part.value
    }

    private func perform(_ actions: [SyncAction]) async throws {
        var pending = actions[...]
        while let action = pending.popFirst() {
            // Whatever comes after a snapshot part is carried out once the part is in.
            switch action {
            case .send, .install: break
            default:
                do { try await installed() } catch {
                    pending += session.refuse("\(error)")
                    continue
                }
            }
            switch action {
            case .send(let frame):
                try await send(frame)
            case .established(let peer):
                progress(.connected(peer.body.device, peer.body.role))
                // Grants first: they let this side subscribe to the customers' scopes they cover.
                for (grant, grantor) in node.grantsInUse() { pending += session.useGrant(grant, grantor: grantor) }
                var vectors: [Scope: VersionVector] = [:]
                for scope in try scopes(peer) { vectors[scope] = try node.store.committedVector(of: scope) }
                try await node.store.flush()
                pending += session.subscribe(vectors)
            case .fetch(let scope, let after, let maxBytes):
                let catchUp: CatchUp
                do {
                    catchUp = try await node.catchUp(
                        in: scope, missingFrom: after, maxBytes: maxBytes, partBytes: session.limits.maxFrameBytes / 2)
                } catch let error as StoreError {
                    pending += session.refuse("\(error)")
                    continue
                }
                switch catchUp {
                case .envelopes(let envelopes, let complete):
                    NodeMetrics.sent(envelopes.count, of: scope)
                    pending += session.provide(
                        scope, envelopes: envelopes, certificates: node.certificates(of: envelopes),
                        grants: node.grants(for: scope), caughtUp: complete)
                case .snapshot(let snapshot):
                    pending += try await provide(snapshot)
                }
            case .acknowledged(let scope, let vector):
                guard let peer = session.peer else { continue }
                try await node.acknowledged(scope, by: peer, vector)
                // A peer following a scope this side has not subscribed to yet (a points account a
                // till met for the first time) writes there too: follow it back.
                if !session.isSubscribed(scope), node.canSeal(scope) || node.identity.certificate.body.role == .hub,
                    try node.scopes(sharedWith: peer, including: [scope]).contains(scope)
                {
                    pending += session.subscribe([scope: try await durableVector(of: scope)])
                }
            case .install(let scope, let objects, let stamp, let covers):
                // Decoded here while the part before is still being written: the two run at once.
                let part: ScopeSnapshot
                do {
                    part = try node.snapshotPart(
                        scope, objects: objects, stamp: stamp, covers: covers, from: session.peer!)
                    try await installed()
                } catch {
                    pending += session.refuse("\(error)")
                    continue
                }
                let store = node.store
                installing = Task { _ = try await store.install(part) }
                // A part before the last moves no version vector: nothing waits for it but the next
                // part (or whatever comes next), and its acknowledgement is flow control only. The
                // last raises the vector, so it is in before the acknowledgement says so.
                if covers != nil {
                    do {
                        try await installed()
                        if scope == .catalog { try node.learnRevocations() }
                    } catch {
                        pending += session.refuse("\(error)")
                        continue
                    }
                }
                progress(.installed(scope, objects: part.objects.objects.count, last: covers != nil))
                pending += session.applied(scope, vector: try await durableVector(of: scope))
            case .learn(let grant, let grantor):
                do {
                    try await node.learn(grantor)
                    try await node.learn(grant)
                } catch {
                    pending += session.refuse("handoff grant for \(grant.scope): \(error)")
                    continue
                }
                // The peer now writes the customer's scope too: ask it for its changes there.
                pending += session.subscribe([grant.scope: try await durableVector(of: grant.scope)])
            case .deliver(let scope, let envelopes, let certificates, let grants, let caughtUp):
                let started = ContinuousClock.now
                do {
                    for certificate in certificates { try await node.learn(certificate) }
                    for grant in grants { try await node.learn(grant) }
                    try await node.receive(envelopes, from: session.peer?.body.device)
                } catch {
                    NodeMetrics.refused(error)
                    pending += session.refuse("\(error)")
                    continue
                }
                NodeMetrics.applied(envelopes.changeCount, of: scope, in: ContinuousClock.now - started)
                // Passed on to the other connections now; acknowledged once durable.
                progress(.applied(scope, count: envelopes.changeCount, caughtUp: caughtUp))
                pending += session.applied(scope, vector: try await durableVector(of: scope))
            case .caughtUp(let scope):
                progress(.caughtUp(scope))
            case .serve(let id, let request):
                guard let peer = session.peer else { continue }
                let (reply, wrote) = await node.serve(request, from: peer, recall: recall)
                // A change of this node's own is never sent before it is durable (a power cut
                // must not take back a sequence number a peer holds).
                if wrote != nil { try await node.store.flush() }
                if case .granted(_, let envelopes) = reply, let first = envelopes.first {
                    NodeMetrics.sent(envelopes.count, of: first.header.scope)
                }
                pending += session.answer(id, reply)
                if let wrote { progress(.served(wrote)) }
            case .answered(let id, let reply):
                if case .granted(_, let envelopes) = reply, !envelopes.isEmpty, let peer = session.peer {
                    let started = ContinuousClock.now
                    do {
                        try await node.learn(peer)
                        try await node.receive(envelopes)
                    } catch {
                        NodeMetrics.refused(error)
                        settle(id, with: .failure(error))
                        pending += session.refuse("the grant in reply \(id): \(error)")
                        continue
                    }
                    let scope = envelopes[0].header.scope
                    NodeMetrics.applied(envelopes.changeCount, of: scope, in: ContinuousClock.now - started)
                    progress(.applied(scope, count: envelopes.changeCount, caughtUp: false))
                }
                settle(id, with: .success(reply))
            case .close(let error):
                ended = error
                progress(.ended(error))
                failQuestions(with: error)
                throw error
            }
        }
    }
}

extension [Envelope] {
    /// How many changes these envelopes carry (a run envelope carries several).
    var changeCount: Int { reduce(0) { $0 + $1.header.count } }
}
