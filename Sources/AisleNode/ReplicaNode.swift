public import AisleCore
public import AisleCrypto
public import AisleStore
import Foundation
import Synchronization

/// Who a node is: its certificate and the signing key behind it.
public struct NodeIdentity: Sendable {
    public let certificate: Certificate
    public let signing: SigningKeyPair

    public init(certificate: Certificate, signing: SigningKeyPair) {
        self.certificate = certificate
        self.signing = signing
    }
}

/// One replica: its store, its identity and what it trusts (certificates, revocations, scope
/// keys), joined into the two calls sync is made of: seal what a peer lacks, and receive what a
/// peer sent.
public final class ReplicaNode: Sendable {
    public let store: ReplicaStore
    /// Who this node is: its certificate changes when head office renews it
    /// (``learnRenewal()``), its keys never.
    public var identity: NodeIdentity { currentIdentity.withLock { $0 } }
    let currentIdentity: Mutex<NodeIdentity>
    /// Shared with every sync session the node runs (``SharedTrust``).
    let trust: SharedTrust
    private let maxDrift: UInt64
    /// What peers reported holding, not yet written (see ``acknowledged(_:by:_:)``).
    let acknowledgements = Mutex(PendingAcknowledgements())
    /// The journal shared with other hub processes, if any (``ReplicaJournal``).
    let journalState = Mutex(JournalState())
    /// Who is told of the revocations this node learns (``onRevocation(_:)``).
    let revocationObservers = Observers<[[UInt8]]>()
    /// Who is told when the node takes its renewed certificate (``onRenewal(_:)``).
    let renewalObservers = Observers<Certificate>()
    /// Rights set aside for the sales under way on this device (``RightsDesk/spending(_:_:)``),
    /// which neither a hand-in nor the hub's recall takes.
    let pendingSales = PendingSales()
    /// Sync connections open on this node (``SyncConnection``): while there is one, own changes
    /// are sealed as they are written, to be pushed at once; with none, they are sealed when
    /// first sent, consecutive ones as one run (``envelopes(in:missingFrom:maxBytes:)``).
    let openConnections = Atomic<Int>(0)
    /// Whether own changes are sealed as they are written even with no connection open.
    let sealsEachChange = Atomic<Bool>(false)
    /// When the grants that ended, and the phones' certificates not used lately, are next
    /// forgotten (``forgetUnusedTrust(grants:)``).
    let trustSweep = Mutex<(grants: UInt64, certificates: UInt64)>((0, 0))

    /// A node over `store`, speaking as `identity`, checking envelopes against `trust` and the
    /// certificates the store kept from earlier connections.
    public init(
        store: ReplicaStore, identity: NodeIdentity, trust: TrustStore,
        maxDrift: UInt64 = HybridLogicalClock.defaultMaxDrift
    ) throws {
        self.store = store
        currentIdentity = Mutex(identity)
        self.trust = SharedTrust(trust)
        self.maxDrift = maxDrift
        try learnStoreKept()
        try learnCatalogTrust()
        // Own changes are sealed as they are written while a connection can push them, under the
        // newest key epoch held then; otherwise (or in a scope this node holds no key for yet)
        // when first sent (``envelopes``), as runs.
        store.sealOwnChanges { [weak self] change in
            guard let self,
                self.openConnections.load(ordering: .relaxed) > 0 || self.sealsEachChange.load(ordering: .relaxed),
                (try? self.checkOwnCertificate()) != nil
            else { return nil }
            return try? self.seal([change]).canonicalBytes
        }
        // A change no peer would take is never written: it would be sent first in every session,
        // and every session would end there.
        store.checkOwnWrites { [weak self] scope, time in
            guard let self, !self.mayWrite(scope, at: time) else { return }
            throw NodeError.mayNotWrite(scope, self.identity.certificate.body.role)
        }
    }

    /// Whether this node may write `scope` now: its certificate names it, or a customer's handoff
    /// grant in force lets it (``TrustStore/mayWrite(_:as:at:)``). Its own changes are checked
    /// so as they are written (at their clock reading), and refused otherwise.
    public func mayWrite(_ scope: Scope) -> Bool { mayWrite(scope, at: store.wallClock()) }

    private func mayWrite(_ scope: Scope, at time: UInt64) -> Bool {
        let own = identity.certificate.body
        return trust.withLock { $0.mayWrite(scope, as: own, at: time) }
    }

    /// Seals each own change as it is written from now on, connection or not: one envelope per
    /// change, never a run (tests that send changes one by one, out of order, use it).
    @_spi(Testing) public func sealEachChangeAsWritten() {
        sealsEachChange.store(true, ordering: .relaxed)
    }

    /// Holds a scope key for this process's life (a handoff's customer key at a till).
    func hold(_ key: AEADKey, for scope: Scope, epoch: UInt64) {
        trust.withLock { $0.hold(key, for: scope, epoch: epoch) }
    }

    /// Whether this node holds a key to seal its own changes of `scope` (a till holds a
    /// customer's only after the customer's handoff).
    public func canSeal(_ scope: Scope) -> Bool {
        trust.withLock { $0.keyring.newestEpoch(for: scope) != nil }
    }

    /// The handoff grants of `scope` this node holds in memory: those in force, and those ended
    /// within ``grantMemory``.
    public func grants(for scope: Scope) -> [HandoffGrant] {
        trust.withLock { $0.grants[scope] ?? [] }
    }

    /// The grants this node uses itself now (a till's, for the customers who handed it a cart),
    /// with the certificates of the devices that signed them.
    public func grantsInUse() -> [(HandoffGrant, Certificate)] {
        let now = store.wallClock()
        let own = identity.certificate.body
        guard own.role.isStoreTerminal else { return [] }
        return trust.withLock { trust in
            trust.grants.values.joined().compactMap { grant in
                guard trust.isGranted(grant.scope, to: own, at: now), let grantor = trust.certificates[grant.grantor]
                else { return nil }
                return (grant, grantor)
            }
        }
    }

    /// What this node trusts now (certificates, revocations, keys), for a new connection.
    public var trustSnapshot: TrustStore { trust.snapshot }

    /// The certificates of the authors of `envelopes` this node knows, each once (read back
    /// from the store where they are not held in memory).
    public func certificates(of envelopes: [Envelope]) throws -> [Certificate] {
        let ids = Set(envelopes.map(\.header.certificate))
        try holdKept(ids)
        return trust.withLock { trust in ids.compactMap { trust.certificates[$0] } }
    }

    /// Verifies, opens and applies envelopes from a peer, all in one store transaction.
    ///
    /// This is the one receive path. Each envelope passes ``TrustStore/open(_:now:maxDrift:)``
    /// (tenant, certificate, expiry, revocation, role and grants, clock drift, signature, key
    /// epoch, decryption, every delta in the header's scope and within the author's role); then
    /// the store refuses equivocations, ignores duplicates and holds changes that arrive before
    /// their dependencies (docs/security.md, docs/storage.md).
    ///
    /// - Returns: what happened to each change.
    /// - Throws: ``NodeError/refused(scope:origin:seq:_:)`` for the first envelope refused, or a
    ///   ``StoreError`` (an equivocation among them); nothing of the batch is applied then.
    @discardableResult
    public func receive(_ envelopes: [Envelope]) async throws -> [DeliveryOutcome] {
        try await receive(envelopes, keeping: true, judged: .live)
    }

    /// As ``receive(_:)`` for envelopes a sync peer sent, `peer` the certificate it connected
    /// with: those it wrote are judged live, with every check as of now (those it sealed under a
    /// certificate `peer` renews, as of when they were written); those it passes on from other
    /// devices as it accepted them (``Judgement/relayedBy(_:)``). A nil peer (not known yet)
    /// judges every one live.
    @discardableResult
    public func receive(_ envelopes: [Envelope], from peer: Certificate?) async throws -> [DeliveryOutcome] {
        try await receive(envelopes, keeping: true, judged: peer.map(Judgement.relayedBy) ?? .live)
    }

    /// As ``receive(_:)``; with `keeping`, what passed every check is kept in the attached
    /// journal before it is applied (and so before the peer is acknowledged).
    func receive(_ envelopes: [Envelope], keeping: Bool, judged judgement: Judgement) async throws
        -> [DeliveryOutcome]
    {
        let narrowed = try trust(for: envelopes)
        let opened = try open(envelopes, judged: judgement, trust: narrowed, now: store.wallClock())
        // Kept before they are applied, so every change this node holds (but its own not yet
        // kept) is in the journal before anything that depends on it.
        if let journal {
            if keeping { try await journal.keep(envelopes) }
            journalState.withLock { $0.markKept(envelopes, own: store.replica) }
        }
        let outcomes = try await store.apply(opened.changes, decoded: opened.decoded)
        // Head office publishes rarely: the catalog's revocations are read again after each change of it.
        if envelopes.contains(where: { $0.header.scope == .catalog }) { try learnCatalogTrust() }
        return outcomes
    }

    /// Checks and opens `envelopes` (``TrustStore/openRun(_:now:maxDrift:)``): their changes in
    /// order, each with what opening it decoded (nil: relayed unread), so the store does not
    /// decode it again.
    ///
    /// A batch of several envelopes (a catch-up) is opened on every core
    /// (``Swift/Array/concurrentMap(_:)``): verifying, decrypting and decoding are a quarter of a
    /// received change's CPU (`sealed_apply` in docs/performance.md), and independent from one
    /// envelope to the next; the changes are applied on the thread that began. Every envelope is
    /// opened even when an earlier one is refused (the batch is at most a frame, 1 MiB). Each is judged live (with `trust`, at `now`) or as kept, by `judgement`.
    /// - Throws: ``NodeError/refused(scope:origin:seq:_:)`` for the first envelope refused.
    private func open(_ envelopes: [Envelope], judged judgement: Judgement, trust: TrustStore, now: UInt64) throws
        -> OpenedChanges
    {
        let kept = trust.judgingKept
        @Sendable func open(_ envelope: Envelope) throws -> OpenedChanges {
            let header = envelope.header
            guard judgement.isLive(header) else { return try self.open(envelope, trust: kept, now: keptTime(header)) }
            return try self.open(envelope, trust: trust, now: judgement.liveTime(of: header, trust: trust, now: now))
        }
        let results = envelopes.concurrentMap { envelope in Result { try open(envelope) } }
        var opened = OpenedChanges()
        // Refused: the first envelope refused, as if opened one after another.
        for result in results { opened.append(try result.get()) }
        return opened
    }

    /// The time an envelope read back from the journal is judged at: its last change's clock
    /// reading less the drift allowed, no later than when a hub kept it after every check, so
    /// what passed then passes again (a certificate expired since included; revocations learnt
    /// since are left out by ``TrustStore/judgingKept``).
    func keptTime(_ header: EnvelopeHeader) -> UInt64 {
        let stamped = header.lastStampMillis
        return stamped > maxDrift ? stamped - maxDrift : 0
    }

    /// Checks and opens one envelope: its changes, each with its decoded delta (nil: relayed unread).
    /// - Throws: ``NodeError/refused(scope:origin:seq:_:)``.
    private func open(_ envelope: Envelope, trust: TrustStore, now: UInt64) throws -> OpenedChanges {
        let header = envelope.header
        var opened = OpenedChanges()
        do {
            // Every change of a run keeps the run's envelope (one array, shared), to forward it.
            let bytes = envelope.canonicalBytes
            func change(_ index: Int, delta: [UInt8]) -> RemoteChange {
                let listed =
                    index == 0
                    ? RunFollower(hlc: header.hlc, dependencies: header.dependencies)
                    : header.followers[index - 1]
                return RemoteChange(
                    scope: header.scope, origin: header.origin, seq: header.seq + UInt64(index), stamp: listed.hlc,
                    dependencies: listed.dependencies, delta: delta, envelope: bytes,
                    runStart: index == 0 ? nil : header.seq)
            }
            if relaysUnread(header) {
                _ = try trust.verify(envelope, now: now, maxDrift: maxDrift)
                for index in 0..<header.count { opened.append(change(index, delta: []), decoded: nil) }
                return opened
            }
            for (index, run) in try trust.openRun(envelope, now: now, maxDrift: maxDrift).enumerated() {
                let delta = try ObjectDelta(joining: run.map(\.delta), in: header.scope)
                // One delta (the usual change): logged as the bytes it came in, not encoded again.
                opened.append(change(index, delta: run.count == 1 ? run[0].encoded : delta.encoded), decoded: delta)
            }
            return opened
        } catch {
            throw NodeError.refused(scope: header.scope, origin: header.origin, seq: header.seq, error)
        }
    }

    /// Whether this node relays `header`'s change without reading it: the hub, which holds no
    /// customer key, stores and forwards customer envelopes after every check but decryption.
    private func relaysUnread(_ header: EnvelopeHeader) -> Bool {
        guard identity.certificate.body.role == .hub, case .customer = header.scope else { return false }
        return trust.withLock { $0.key(for: header.scope, epoch: header.epoch) == nil }
    }

    /// Whether this node holds `scope` as state it can read (every scope but the customer scopes a
    /// hub relays unread).
    public func reads(_ scope: Scope) -> Bool {
        guard identity.certificate.body.role == .hub, case .customer = scope else { return true }
        return trust.withLock { $0.keyring.newestEpoch(for: scope) != nil }
    }
}

/// Changes opened from envelopes, in order, each with its decoded delta (nil: relayed unread).
private struct OpenedChanges: Sendable {
    var changes: [RemoteChange] = []
    var decoded: [ObjectDelta?] = []

    mutating func append(_ change: RemoteChange, decoded delta: ObjectDelta?) {
        changes.append(change)
        decoded.append(delta)
    }

    mutating func append(_ other: OpenedChanges) {
        changes += other.changes
        decoded += other.decoded
    }
}

/// Why a node refused what a peer sent, or could not send.
public enum NodeError: Error, CustomStringConvertible {
    /// An envelope failed verification; none of its batch was applied.
    case refused(scope: Scope, origin: ReplicaID, seq: UInt64, EnvelopeRefusal)
    /// This node holds no key for the scope, so it cannot seal its own change there.
    case noKey(Scope)
    /// A snapshot part from the hub does not decode, or holds objects of another scope.
    case badSnapshot(Scope, String)
    /// This device may not write the scope now: its certificate does not name it, and no
    /// customer's handoff grant in force lets it (one that ended, or none). Nothing was written.
    case mayNotWrite(Scope, Role)
    /// This device's certificate ended at `notAfter` (milliseconds since the Unix epoch): it seals
    /// nothing more until it is renewed, and every peer refuses its connection.
    case certificateExpired(notAfter: UInt64)

    public var description: String {
        switch self {
        case .refused(let scope, let origin, let seq, let refusal):
            "refused \(scope) \(origin)#\(seq): \(refusal)"
        case .noKey(let scope): "no key for \(scope) on this device: enrol it for that scope"
        case .badSnapshot(let scope, let reason): "snapshot of \(scope) refused: \(reason)"
        case .certificateExpired(let notAfter):
            "this device's certificate expired at \(notAfter) ms: its changes wait, unsent, until it is renewed (aisle admin renew)"
        case .mayNotWrite(let scope, let role):
            if case .customer = scope, role.isStoreTerminal {
                "the customer's handoff to this \(role) has ended: scan a new handoff code to change \(scope)"
            } else {
                "this \(role)'s certificate does not let it write \(scope)"
            }
        }
    }
}

extension ObjectDelta {
    /// The objects of every delta of one envelope joined into one delta of `scope`.
    ///
    /// - Throws: ``EnvelopeRefusal/malformed(_:)`` for an envelope with no delta or two values
    ///   of different kinds under one key.
    init(joining deltas: [ObjectDelta], in scope: Scope) throws(EnvelopeRefusal) {
        guard let first = deltas.first else { throw .malformed("an envelope without a delta") }
        guard deltas.count > 1 else {
            self = first
            return
        }
        var objects = first.objects
        for delta in deltas.dropFirst() {
            for (key, value) in delta.objects {
                guard let previous = objects[key] else {
                    objects[key] = value
                    continue
                }
                guard let joined = previous.joined(with: value) else {
                    throw .malformed("\(key) carries values of two kinds")
                }
                objects[key] = joined
            }
        }
        self.init(scope: scope, objects: objects)
    }
}
