public import AisleCore
import Foundation
import GRDB
import Synchronization

/// A change made by another replica, as the sync layer hands it to the store.
///
/// Two copies are the same change when everything but ``envelope`` is equal: the author may seal
/// one change twice (a fresh nonce each time), which is a duplicate, not an equivocation.
///
/// An *opaque* change (empty ``delta``) is one a relay stores and forwards without reading it (the
/// hub holds no customer key): it is logged and delivered in order, but joins nothing; two opaque
/// copies are the same change when their envelopes are equal.
public struct RemoteChange: Sendable, Equatable, CustomStringConvertible {
    /// The scope the change belongs to.
    public let scope: Scope
    /// The replica that made the change.
    public let origin: ReplicaID
    /// The origin's sequence number for the change in `scope`, from 1.
    public let seq: UInt64
    /// The origin's hybrid clock reading, packed (its replica is `origin`).
    public let stamp: UInt64
    /// What the origin had applied in `scope` when it made the change.
    public let dependencies: VersionVector
    /// The encoded ``ObjectDelta``.
    public let delta: [UInt8]
    /// The sealed envelope the change arrived in, kept to forward it unchanged (opaque here); for
    /// an own change, the one it was sealed into as it was written.
    public internal(set) var envelope: [UInt8]?
    /// For a change that travels in a run envelope after the run's first change: that change's
    /// sequence number (``envelope`` is then the run's, which the log keeps with that change).
    public internal(set) var runStart: UInt64?

    /// A change as received.
    public init(
        scope: Scope, origin: ReplicaID, seq: UInt64, stamp: UInt64, dependencies: VersionVector, delta: [UInt8],
        envelope: [UInt8]? = nil, runStart: UInt64? = nil
    ) {
        precondition(runStart.map { $0 < seq } ?? true, "a run starts before its later changes")
        self.runStart = runStart
        self.scope = scope
        self.origin = origin
        self.seq = seq
        self.stamp = stamp
        self.dependencies = dependencies
        self.delta = delta
        self.envelope = envelope
    }

    /// Whether this is a change relayed unread (no delta, only its envelope).
    public var isOpaque: Bool { delta.isEmpty }

    public static func == (lhs: RemoteChange, rhs: RemoteChange) -> Bool {
        lhs.scope == rhs.scope && lhs.origin == rhs.origin && lhs.seq == rhs.seq && lhs.stamp == rhs.stamp
            && lhs.dependencies == rhs.dependencies && lhs.delta == rhs.delta
            && (!lhs.isOpaque || lhs.envelope == rhs.envelope)
    }

    var timestamp: HLCTimestamp {
        HLCTimestamp(physical: stamp >> 16, counter: UInt16(truncatingIfNeeded: stamp), replica: origin)
    }

    /// The change as causal delivery sees it.
    var delivery: Change<RemoteChange> {
        Change(origin: origin, seq: seq, stamp: timestamp, dependencies: dependencies, delta: self)
    }

    public var description: String { "\(scope) \(origin)#\(seq)" }
}

extension ReplicaStore {
    /// Applies a batch of remote changes in one transaction.
    ///
    /// Each scope's changes are applied per origin in sequence and only after the changes they
    /// depend on; a change that arrives early is held on disk until its gap is filled, then
    /// applied. A duplicate (origin, seq) is a no-op. A change stamped too far ahead of this
    /// replica's clock is refused (reported, not held): it must be sent again later.
    ///
    /// Batches from concurrent callers (a hub's many connections) share a commit (see
    /// ``writeTransaction(refetchable:_:)``); each is still all or nothing.
    ///
    /// - Returns: what happened to each change, including held changes this batch released.
    /// - Throws: ``StoreError`` for a corrupt delta, a scope mismatch or an equivocation; the
    ///   whole batch is then refused and the store is unchanged by it.
    @discardableResult
    public func apply(_ batch: [RemoteChange]) async throws -> [DeliveryOutcome] {
        try await apply(batch, decoded: Array(repeating: nil, count: batch.count))
    }

    /// As ``apply(_:)``, for changes whose deltas the caller has decoded already (a node that
    /// opened their envelopes): `decoded[i]` is `batch[i].delta` decoded, or nil to decode it here.
    /// The caller vouches that each decoded delta is what its bytes encode.
    @discardableResult
    public func apply(_ batch: [RemoteChange], decoded deltas: [ObjectDelta?]) async throws -> [DeliveryOutcome] {
        precondition(deltas.count == batch.count, "one decoded delta (or nil) per change")
        // Sequence numbers are per scope: the same (origin, seq) names different changes in two scopes.
        var decoded: [Scope: [Dot: ObjectDelta]] = [:]
        for (change, known) in zip(batch, deltas) where !change.isOpaque {
            let delta: ObjectDelta
            if let known {
                delta = known
            } else {
                do { delta = try ObjectDelta(encoded: change.delta) } catch {
                    throw StoreError.corruptDelta(scope: change.scope, origin: change.origin, seq: change.seq, error)
                }
            }
            guard delta.scope == change.scope else {
                throw StoreError.scopeMismatch(
                    header: change.scope, delta: delta.scope, origin: change.origin, seq: change.seq)
            }
            decoded[change.scope, default: [:]][Dot(change.origin, change.seq)] = delta
        }
        let validated = decoded
        return try await writeTransaction(refetchable: true) { db, memo in
            var outcomes: [DeliveryOutcome] = []
            var scopes: [Scope] = []
            for change in batch where !scopes.contains(change.scope) { scopes.append(change.scope) }
            for scope in scopes {
                outcomes += try self.apply(
                    batch.filter { $0.scope == scope }, in: scope, decoded: validated[scope] ?? [:], memo: &memo, db)
            }
            return outcomes
        }
    }

    func apply(
        _ changes: [RemoteChange], in scope: Scope, decoded: [Dot: ObjectDelta], memo: inout WriterMemo,
        _ db: Database
    ) throws -> [DeliveryOutcome] {
        var delivery = CausalDelivery<RemoteChange>(delivered: try memo.versionVector(of: scope, db))
        let held = try memo.heldChanges(in: scope, db)
        let earlier = Set(held.map { Dot($0.origin, $0.seq) })
        var incoming: [RemoteChange] = []
        for change in changes {
            // A change seen before is either logged (seq already applied) or held: compare bytes.
            let known =
                change.seq <= delivery.delivered[change.origin]
                ? try Self.storedChange(scope: scope, origin: change.origin, seq: change.seq, db)
                : held.first { $0.origin == change.origin && $0.seq == change.seq }
            if let known, known != change {
                throw StoreError.equivocation(scope: scope, origin: change.origin, seq: change.seq)
            }
            if let twin = incoming.first(where: { $0.origin == change.origin && $0.seq == change.seq }) {
                guard twin == change else {
                    throw StoreError.equivocation(scope: scope, origin: change.origin, seq: change.seq)
                }
                continue
            }
            incoming.append(change)
        }
        var storageFailure: (any Error)?
        var logged: [RemoteChange] = []
        // The delivery callback cannot capture an inout memo: it works on this one, moved out
        // (so no copy is made) and moved back below.
        var working = memo
        memo = WriterMemo(dataVersion: working.dataVersion, objectLimit: 0, rows: rows)
        let apply: (Change<RemoteChange>) throws -> Void = { ready in
            let change = ready.delta
            try self.clock.withLock { clock in _ = try clock.receive(change.timestamp, wallMillis: self.wallClock()) }
            do {
                try self.join(
                    change, decoded: decoded[Dot(change.origin, change.seq)],
                    held: earlier.contains(Dot(ready.origin, ready.seq)), memo: &working, db)
                logged.append(change)
            } catch let refusal as StoreError
                where refusal.isReceiptRefusal && earlier.contains(Dot(ready.origin, ready.seq))
            {
                // Held since an earlier batch: dropped alone, so it does not refuse this batch too.
                try Self.dropHeld(change, db)
                throw refusal
            } catch {
                storageFailure = error
                throw error
            }
        }
        var outcomes: [DeliveryOutcome] = []
        // Changes held by earlier batches first: this batch may be what they were waiting for.
        for change in held {
            outcomes += delivery.receive(change.delivery, apply: apply).filter { !$0.isHeld }
        }
        for change in incoming { outcomes += delivery.receive(change.delivery, apply: apply) }
        // Swapped back, not assigned: the callback's captured `working` would otherwise keep a
        // second reference to every table of the memo, and the first update below would copy
        // them all (every scope's version vector on a hub: a profile's largest cost).
        swap(&memo, &working)
        if let storageFailure { throw storageFailure }
        memo.record(delivery.delivered, for: scope, logging: logged)
        let refused = Set(outcomes.compactMap(\.refusedChange))
        for change in incoming where change.seq > delivery.delivered[change.origin] {
            guard !refused.contains(Dot(change.origin, change.seq)) else { continue }
            memo.holds(scope)
            try Self.insert(change, into: "held_changes", db)
        }
        return outcomes
    }

    /// Joins a deliverable change's objects and logs it (`held`: it was held by an earlier batch,
    /// so its row in `held_changes` goes; changes of this batch are held only after it is applied).
    private func join(
        _ change: RemoteChange, decoded: ObjectDelta?, held: Bool, memo: inout WriterMemo, _ db: Database
    ) throws {
        // Held changes from earlier batches were validated when they arrived.
        let delta = try change.isOpaque ? nil : decoded ?? ObjectDelta(encoded: change.delta)
        if let delta { try checkOnReceipt(delta, of: change, memo: &memo, db) }
        for (key, value) in delta?.objects ?? [:] { try memo.join(value, at: key, replica: replica, db) }
        if held { try Self.dropHeld(change, db) }
        try Self.appendChange(change, db)
    }

    /// Runs ``ReceiptCheck`` on a change about to be joined, against the objects it touches as
    /// they are here now.
    /// - Throws: ``StoreError/refusedOnReceipt(scope:origin:seq:_:)``.
    private func checkOnReceipt(_ delta: ObjectDelta, of change: RemoteChange, memo: inout WriterMemo, _ db: Database)
        throws
    {
        guard delta.objects.keys.contains(where: { $0.kind == .reservation }) else { return }
        var prior: [ObjectKey: ObjectValue] = [:]
        for key in delta.objects.keys where key.kind == .reservation || key.kind == .stock {
            prior[key] = try memo.object(at: key, db)
        }
        do { try ReceiptCheck.check(delta, origin: change.origin, prior: prior) } catch {
            throw StoreError.refusedOnReceipt(scope: change.scope, origin: change.origin, seq: change.seq, error)
        }
    }

    static func dropHeld(_ change: RemoteChange, _ db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM held_changes WHERE scope = ? AND origin = ? AND seq = ?").execute(
            arguments: [change.scope.description, change.origin.rawValue, Int64(change.seq)])
    }

    /// The logged change at (scope, origin, seq), if the log still holds it.
    static func storedChange(scope: Scope, origin: ReplicaID, seq: UInt64, _ db: Database) throws -> RemoteChange? {
        let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM changes WHERE scope = ? AND origin = ? AND seq = ?"),
            arguments: [scope.description, origin.rawValue, Int64(seq)])
        var runs = RunEnvelopes()
        return try row.map { try runs.loggedChange($0, db) }
    }

    static func heldChanges(in scope: Scope, _ db: Database) throws -> [RemoteChange] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM held_changes WHERE scope = ? ORDER BY origin, seq"),
            arguments: [scope.description]
        ).map(remoteChange)
    }

    static func remoteChange(_ row: Row) throws -> RemoteChange {
        RemoteChange(
            scope: try Scope(row["scope"]), origin: try ReplicaID(row["origin"]), seq: UInt64(row["seq"] as Int64),
            stamp: UInt64(bitPattern: row["hlc"] as Int64),
            dependencies: try VersionVector(canonicalBytes: Array(row["dependencies"] as Data)),
            delta: Array(row["delta"] as Data), envelope: (row["envelope"] as Data?).map(Array.init))
    }

    static func insert(_ change: RemoteChange, into table: String, _ db: Database) throws {
        try db.execute(
            sql:
                "INSERT OR IGNORE INTO \(table) (scope, origin, seq, hlc, dependencies, delta, envelope) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                change.scope.description, change.origin.rawValue, Int64(change.seq), Int64(bitPattern: change.stamp),
                Data(change.dependencies.canonicalBytes), Data(change.delta), change.envelope.map { Data($0) },
            ])
    }

    /// The logged changes of `scope` a peer that has applied `peer` lacks, each origin in order.
    public func changes(in scope: Scope, missingFrom peer: VersionVector) throws -> [RemoteChange] {
        try changes(in: scope, missingFrom: peer, maxBytes: .max).changes
    }

    /// At most about `maxBytes` (always at least one change) of the logged changes of `scope` a
    /// peer that has applied `peer` lacks, each origin in order, and whether that is all of them.
    /// Reads each origin's range by index, never the whole log; a peer only the last few changes
    /// behind (the live push after a write) is answered from memory (``RecentChanges``).
    /// - Throws: ``StoreError/compacted(scope:origin:through:)`` when the peer lacks changes the
    ///   log no longer holds: it needs a snapshot.
    public func changes(in scope: Scope, missingFrom peer: VersionVector, maxBytes: Int) throws -> (
        changes: [RemoteChange], complete: Bool
    ) {
        if let recent = writerMemo.withLock({ $0?.recent.missing(in: scope, from: peer, maxBytes: maxBytes) }) {
            return recent
        }
        return try pool.read { db in
            for (origin, seq) in try Self.logFloor(of: scope, db).entries.sorted(by: { $0.key < $1.key })
            where peer[origin] < seq {
                throw StoreError.compacted(scope: scope, origin: origin, through: seq)
            }
            var result: [RemoteChange] = []
            var budget = maxBytes
            var runs = RunEnvelopes()
            let origins = try String.fetchAll(
                db.cachedStatement(sql: "SELECT origin FROM versions WHERE scope = ? ORDER BY origin"),
                arguments: [scope.description])
            for origin in origins {
                let after = peer[try ReplicaID(origin)]
                let rows = try Row.fetchCursor(
                    db.cachedStatement(
                        sql: "SELECT * FROM changes WHERE scope = ? AND origin = ? AND seq > ? ORDER BY seq"),
                    arguments: [scope.description, origin, Int64(after)])
                while let row = try rows.next() {
                    let change = try runs.loggedChange(row, db)
                    let size = Self.sendSize(of: change, after: result.last)
                    if size > budget, !result.isEmpty { return (result, false) }
                    budget -= size
                    result.append(change)
                }
            }
            return (result, true)
        }
    }

    /// What a change counts for against a batch's byte budget, sent after `previous`: a change
    /// of the run `previous` belongs to adds nothing but its share of the run's bookkeeping.
    static func sendSize(of change: RemoteChange, after previous: RemoteChange?) -> Int {
        if let start = change.runStart, let previous, previous.origin == change.origin,
            previous.seq + 1 == change.seq, (previous.runStart ?? previous.seq) == start
        {
            return change.delta.count + 64
        }
        return change.delta.count + (change.envelope?.count ?? 0) + 64
    }

    /// The scopes this replica holds changes of.
    public func scopes() throws -> [Scope] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT scope FROM versions ORDER BY scope").map { try Scope($0) }
        }
    }
}

extension DeliveryOutcome {
    var isHeld: Bool {
        if case .held = self { return true }
        return false
    }

    /// The (origin, seq) of a refused change, as a dot.
    var refusedChange: Dot? {
        if case .refused(let origin, let seq, _) = self { return Dot(origin, seq) }
        return nil
    }
}
