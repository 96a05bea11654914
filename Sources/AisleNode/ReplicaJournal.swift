public import AisleCore
public import AisleCrypto
public import AisleStore
import Synchronization

/// Where a hub that shares its replica with other hub processes keeps what it accepts and what it
/// writes, so every process serves the same changes (docs/scale-out.md): the PostgreSQL backend.
///
/// A node with a journal attached (``ReplicaNode/attach(_:)``) calls it on its two write paths:
/// envelopes accepted from a peer are kept before the node acknowledges them, and its own changes
/// are written one process at a time, sealed, and kept before any peer is sent them.
public protocol ReplicaJournal: Sendable {
    /// Keeps envelopes this node verified, before it applies them and acknowledges them to the peer.
    /// - Throws: when they cannot be kept durably (the peer then sends them again), or when the
    ///   journal already holds a different envelope for one of their (scope, origin, seq).
    func keep(_ envelopes: [Envelope]) async throws

    /// Keeps certificates and handoff grants the node learnt (in one write), so the other
    /// processes check the envelopes their devices sign.
    func keepTrusted(_ records: [TrustedRecord]) async throws

    /// Runs `write` alone among every process sharing the journal, after this process has applied
    /// every change the journal held when its turn came (so its own next sequence numbers are
    /// free); keeps the envelopes `write` returns in the same transaction.
    func exclusively<Value: Sendable>(_ write: @Sendable () async throws -> (Value, [Envelope])) async throws
        -> Value

    /// Notes a peer's report of what it holds, to keep soon (batched: reports come with every
    /// acknowledged batch), so every process's status view sees every device.
    func noteAcknowledgement(_ report: PeerAcknowledgement)

    /// Every peer's newest report kept, from every process, with those this process noted and
    /// has not kept yet laid over them, at most `size` at a time: the status view weighs each
    /// batch and holds only each device's totals (a million phones report three scopes each).
    func forEachAcknowledgementBatch(size: Int, _ body: ([PeerAcknowledgement]) async throws -> Void) async throws

    /// The node wrote a change of its own that it could not keep: its local state is ahead of the
    /// journal, and the process must stop serving (a restart rebuilds it from the journal).
    func diverged(_ error: any Error) async
}

/// The attached journal and how far this node's own changes are kept in it, per scope.
struct JournalState: Sendable {
    var journal: (any ReplicaJournal)?
    var kept: [Scope: UInt64] = [:]

    /// Whether a change may be sent: changes of other origins always; own changes only once kept.
    func maySend(_ scope: Scope, origin: ReplicaID, seq: UInt64, own: ReplicaID) -> Bool {
        journal == nil || origin != own || seq <= kept[scope, default: 0]
    }

    mutating func markKept(_ envelopes: [Envelope], own: ReplicaID) {
        for envelope in envelopes where envelope.header.origin == own {
            kept[envelope.header.scope] = max(kept[envelope.header.scope, default: 0], envelope.header.lastSeq)
        }
    }
}

extension ReplicaNode {
    /// Makes this node keep what it accepts and writes in `journal` (a hub on PostgreSQL).
    public func attach(_ journal: any ReplicaJournal) {
        journalState.withLock { $0.journal = journal }
    }

    var journal: (any ReplicaJournal)? { journalState.withLock { $0.journal } }

    /// Runs one of this node's own writes (a rights grant, a reservation, a release): directly
    /// without a journal; with one, alone among the processes sharing it, and the changes it made
    /// are sealed and kept before any peer is sent them.
    ///
    /// - Parameter write: performs the write; returns its result and the acknowledgements of the
    ///   changes it made.
    public func writeOwn<Value: Sendable>(
        _ write: @Sendable () async throws -> (Value, [Acknowledgement])
    ) async throws -> Value {
        guard let journal else { return try await write().0 }
        let wrote = Mutex(false)
        do {
            return try await journal.exclusively {
                let (value, acknowledgements) = try await write()
                wrote.withLock { $0 = !acknowledgements.isEmpty }
                var envelopes: [Envelope] = []
                for acknowledgement in acknowledgements {
                    envelopes += try await self.sealOwn(since: acknowledgement)
                }
                self.journalState.withLock { $0.markKept(envelopes, own: self.store.replica) }
                return (value, envelopes)
            }
        } catch {
            if wrote.withLock({ $0 }) { await journal.diverged(error) }
            throw error
        }
    }

    /// Of envelopes read back from the journal, those carrying a change this node has not
    /// committed. Most a process reads back are its own (it kept them itself, or another process
    /// already passed them on): they need no verifying, and no write, again.
    public func notHeld(_ envelopes: [Envelope]) throws -> [Envelope] {
        var vectors: [Scope: VersionVector] = [:]
        return try envelopes.filter { envelope in
            let header = envelope.header
            let vector = try vectors[header.scope] ?? store.committedVector(of: header.scope)
            vectors[header.scope] = vector
            return vector[header.origin] < header.lastSeq
        }
    }

    /// Applies envelopes read back from the journal (another process accepted or wrote them): the
    /// receive path without keeping them again, each judged as when it was kept (a certificate
    /// that expired or was revoked since does not refuse it: ``Judgement/kept``).
    @discardableResult
    public func receiveFromJournal(_ envelopes: [Envelope]) async throws -> [DeliveryOutcome] {
        try await receive(envelopes, keeping: false, judged: .kept)
    }

    /// This node's change `acknowledgement` (and any later one of its own in the scope), sealed as
    /// every send is.
    func sealOwn(since acknowledgement: Acknowledgement) async throws -> [Envelope] {
        var before = try store.versionVector(of: acknowledgement.scope).entries
        before[store.replica] = acknowledgement.seq - 1
        return try await envelopes(
            in: acknowledgement.scope, missingFrom: VersionVector(before), maxBytes: .max, unkept: true
        ).envelopes
    }
}
