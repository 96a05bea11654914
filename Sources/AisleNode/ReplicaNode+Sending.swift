public import AisleCore
public import AisleCrypto
import AisleStore
import Synchronization

extension ReplicaNode {
    /// At most this many of this node's own changes are sealed into one run envelope …
    static let runChanges = 256
    /// … holding about this many bytes of deltas at most (a frame carries 1 MiB by default).
    static let runBytes = 256 * 1_024
    /// How often a send reads the log again after another connection sealed some of the same
    /// changes first (each time, what that connection kept is read and sent instead).
    static let sealingRetries = 4

    /// The envelopes of every logged change of `scope` that a peer which has applied `peer`
    /// lacks, each origin's in sequence order.
    ///
    /// A change that arrived in an envelope is sent as that envelope, byte for byte (only its
    /// author can sign it); a change that arrived in a run envelope is sent as the whole run. This
    /// node's own changes are sealed as they are written while a connection is open
    /// (``ReplicaStore/sealOwnChanges(with:)``), or else the first time they are sent, under the
    /// newest key epoch it holds then, consecutive ones as one run envelope (docs/sync.md); the
    /// envelope is kept, so every later send is identical.
    /// Changes logged without an envelope by another origin (before [3/6]) cannot be forwarded
    /// and are left out.
    /// - Throws: ``NodeError/noKey(_:)`` when an own change must be sealed without the scope's key.
    public func envelopes(in scope: Scope, missingFrom peer: VersionVector) async throws -> [Envelope] {
        try await envelopes(in: scope, missingFrom: peer, maxBytes: .max).envelopes
    }

    /// As ``envelopes(in:missingFrom:)``, at most about `maxBytes` of them (at least one), and
    /// whether that is all the peer lacks.
    ///
    /// With a journal attached, this node's own changes not yet kept in it are left out (they go
    /// once kept), unless `unkept` (sealing them to keep them).
    public func envelopes(in scope: Scope, missingFrom peer: VersionVector, maxBytes: Int) async throws -> (
        envelopes: [Envelope], complete: Bool
    ) {
        try await envelopes(in: scope, missingFrom: peer, maxBytes: maxBytes, unkept: false)
    }

    func envelopes(in scope: Scope, missingFrom peer: VersionVector, maxBytes: Int, unkept: Bool) async throws -> (
        envelopes: [Envelope], complete: Bool
    ) {
        for attempt in 1...Self.sealingRetries {
            let batch = try await sealedBatch(
                in: scope, missingFrom: peer, maxBytes: maxBytes, unkept: unkept, last: attempt == Self.sealingRetries)
            if let batch { return batch }
        }
        preconditionFailure("the last attempt returns what it kept")
    }

    /// One read of what the peer lacks, own changes not sealed yet sealed and kept. Nil when
    /// another connection sealed some of them first into other runs (read again then), unless
    /// `last`: then those are left for the next send.
    private func sealedBatch(
        in scope: Scope, missingFrom peer: VersionVector, maxBytes: Int, unkept: Bool, last: Bool
    ) async throws -> (envelopes: [Envelope], complete: Bool)? {
        let (changes, complete) = try store.changes(in: scope, missingFrom: peer, maxBytes: maxBytes)
        var envelopes: [Envelope?] = []
        envelopes.reserveCapacity(changes.count)
        // What this send sealed: each unit's place in `envelopes` and its changes.
        var units: [(index: Int, changes: [RemoteChange])] = []
        var pending: [RemoteChange] = []
        func sealPending() throws {
            if !unkept, !pending.isEmpty { try checkOwnCertificate() }
            for run in Self.runs(of: pending) {
                units.append((envelopes.count, run))
                envelopes.append(try seal(run))
            }
            pending.removeAll()
        }
        // The origin and last sequence number of the envelope sent last: a run's later changes
        // travel in it.
        var covered: (origin: ReplicaID, through: UInt64)?
        let own = store.replica
        let journal = journalState.withLock { $0 }
        for change in changes {
            guard unkept || journal.maySend(scope, origin: change.origin, seq: change.seq, own: own) else { continue }
            if let covered, covered.origin == change.origin, change.seq <= covered.through { continue }
            if let stored = change.envelope {
                try sealPending()
                let envelope = try Envelope(canonicalBytes: stored)
                envelopes.append(envelope)
                covered = (envelope.header.origin, envelope.header.lastSeq)
            } else if change.origin == own {
                if let previous = pending.last, previous.seq + 1 != change.seq { try sealPending() }
                pending.append(change)
            }
        }
        try sealPending()
        // Kept before any is sent (one transaction for the batch), so every later send is identical;
        // where another connection kept its sealing first, that one is sent.
        let kept = try await store.attachEnvelopes(units.map { (envelopes[$0.index]!.canonicalBytes, $0.changes) })
        for (unit, kept) in zip(units, kept) {
            guard let kept else {
                guard last else { return nil }
                envelopes[unit.index] = nil
                continue
            }
            if kept != envelopes[unit.index]!.canonicalBytes {
                envelopes[unit.index] = try Envelope(canonicalBytes: kept)
            }
        }
        let sent = envelopes.compactMap { $0 }
        return (sent, complete && sent.count == envelopes.count)
    }

    /// Consecutive own changes cut into runs that one header can list (``EnvelopeHeader``'s run
    /// initializer) and a frame can carry.
    static func runs(of changes: [RemoteChange]) -> [[RemoteChange]] {
        var runs: [[RemoteChange]] = []
        var run: [RemoteChange] = []
        var bytes = 0
        for change in changes {
            if let previous = run.last {
                let continues =
                    change.stamp > previous.stamp && change.dependencies.includes(previous.dependencies)
                    && change.dependencies[change.origin] == previous.seq && run.count < runChanges
                    && bytes + change.delta.count <= runBytes
                if !continues {
                    runs.append(run)
                    run = []
                    bytes = 0
                }
            }
            run.append(change)
            bytes += change.delta.count
        }
        if !run.isEmpty { runs.append(run) }
        return runs
    }

    /// Checks that this node's own certificate has not ended: every peer would refuse what it
    /// sealed now, and go on refusing it after a renewal (it names the ended certificate and was
    /// written after its end), so every session would end there. Left unsealed, its changes are
    /// sealed under the renewal when first sent. Only a connection opened before the end and
    /// still open seals anything then: none opens after it.
    /// - Throws: ``NodeError/certificateExpired(notAfter:)``.
    func checkOwnCertificate() throws(NodeError) {
        let notAfter = identity.certificate.body.notAfter
        guard store.wallClock() <= notAfter else { throw .certificateExpired(notAfter: notAfter) }
    }

    /// Seals and signs consecutive own changes: one change as a v1 envelope, more as a run.
    func seal(_ changes: [RemoteChange]) throws -> Envelope {
        let first = changes[0]
        let (epoch, key) = try trust.withLock { trust throws(NodeError) -> (UInt64, AEADKey) in
            guard let epoch = trust.keyring.newestEpoch(for: first.scope),
                let key = trust.key(for: first.scope, epoch: epoch)
            else { throw NodeError.noKey(first.scope) }
            return (epoch, key)
        }
        let tenant = identity.certificate.body.tenant
        let certificate = identity.certificate.id
        guard changes.count > 1 else {
            let header = EnvelopeHeader(
                tenant: tenant, scope: first.scope, origin: first.origin, seq: first.seq, epoch: epoch,
                hlc: first.stamp, certificate: certificate, dependencies: first.dependencies)
            return Envelope(header: header, encodedDeltas: [first.delta], key: key, author: identity.signing)
        }
        let listed = changes.map { RunFollower(hlc: $0.stamp, dependencies: $0.dependencies) }
        guard
            let header = EnvelopeHeader(
                tenant: tenant, scope: first.scope, origin: first.origin, seq: first.seq, epoch: epoch,
                certificate: certificate, run: listed)
        else { preconditionFailure("runs(of:) makes only runs a header can list") }
        let deltas = try changes.map { change in
            do throws(DeltaDecodingError) { return [try ObjectDelta(encoded: change.delta)] } catch {
                throw StoreError.corruptDelta(scope: change.scope, origin: change.origin, seq: change.seq, error)
            }
        }
        return Envelope(header: header, run: deltas, key: key, author: identity.signing)
    }
}
