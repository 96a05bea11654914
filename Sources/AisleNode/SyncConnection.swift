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
    let node: ReplicaNode
    let session: SyncSession
    let send: @Sendable ([UInt8]) async throws -> Void
    let progress: @Sendable (SyncProgress) -> Void
    /// The scopes to subscribe to with a given peer.
    let scopes: @Sendable (Certificate) throws -> [Scope]
    public internal(set) var ended: SyncError?
    /// Told the scopes the peer subscribed to whenever they change (see `init`).
    let followed: @Sendable (Set<Scope>) -> Void
    /// How many scopes the peer subscribed to, as last told to `followed`.
    var followCount = 0
    /// Whether a call is being carried out; the others wait in `waiting`, first come first served.
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    /// Questions asked of the peer (``ask(_:)``), waiting for its answer.
    private var questions: [UInt64: CheckedContinuation<SyncReply, any Error>] = [:]
    private var lastQuestion: UInt64 = 0
    /// A snapshot part being written while the next is read and decoded.
    var installing: Task<Void, any Error>?
    /// The hub's way to ask the store's tills for rights a reservation lacks.
    let recall: (any RightsRecall)?
    /// Scopes ``announce(_:)`` was told of and not yet pushed; nil when no push is scheduled.
    private nonisolated let announced = Mutex<Set<Scope>?>(nil)
    /// The peer's certificate id once its handshake is done: checked against the revocations
    /// after every turn, and hashing the certificate each time cost the hub 1.4 % of its CPU.
    private var peerID: [UInt8]?

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
            trust: node.trust, limits: limits)
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

    /// The transport closed: every question still waiting fails, and the node forgets which of
    /// the peer's reports it wrote (``ReplicaNode/forgetWrittenReports(of:)``).
    public func disconnected() {
        failQuestions(with: ended ?? SyncError.refusedByPeer("the connection closed"))
        if let peer = session.peer { node.forgetWrittenReports(of: peer.body.device) }
    }

    func failQuestions(with error: any Error) {
        for id in questions.keys { settle(id, with: .failure(error)) }
    }

    func settle(_ id: UInt64, with result: Result<SyncReply, any Error>) {
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
    func durableVector(of scope: Scope) async throws -> VersionVector {
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
        // A peer this node learnt meanwhile is revoked (from the catalog it just sent, say: a
        // hub's own revocation) is dropped now, as a new handshake with it would be refused.
        if ended == nil, let peer = session.peer {
            let id = peerID ?? peer.id
            peerID = id
            if node.trust.isRevoked(id: id) { try await perform(session.peerRevoked()) }
        }
    }
}

extension [Envelope] {
    /// How many changes these envelopes carry (a run envelope carries several).
    var changeCount: Int { reduce(0) { $0 + $1.header.count } }
}
