public import AisleCore
import Foundation
import GRDB
import Synchronization

/// One local change as acknowledged: it is committed when you hold this.
public struct Acknowledgement: Hashable, Sendable, CustomStringConvertible {
    /// The scope the change belongs to.
    public let scope: Scope
    /// This replica, which made the change.
    public let origin: ReplicaID
    /// The change's sequence number in its scope.
    public let seq: UInt64

    public var description: String { "\(scope) \(origin)#\(seq)" }
}

extension ReplicaStore {
    /// Performs a local mutation as one SQLite transaction: loads the declared objects, runs the
    /// mutation, joins its delta, appends one change per scope touched with the next sequence
    /// number, updates the read tables, and commits. Returns after the commit.
    ///
    /// - Parameters:
    ///   - objects: every object the mutation reads or writes.
    ///   - readsCatalog: load the whole catalog too (checkout prices the cart).
    ///   - mutation: mutates the working state at a fresh timestamp and returns the delta.
    /// - Returns: one acknowledgement per scope changed; empty if the mutation changed nothing.
    /// - Throws: what the mutation throws (nothing is written), what the own-write check throws
    ///   (``checkOwnWrites(with:)``), or a ``StoreError``.
    @discardableResult
    public func mutate(
        objects: [ObjectKey], readsCatalog: Bool = false,
        _ mutation: @escaping @Sendable (inout RetailState, HLCTimestamp) throws -> RetailState
    ) async throws -> [Acknowledgement] {
        let sealer = ownSealer.withLock { $0 }?.seal
        let check = ownWriteCheck.withLock { $0 }?.check
        return try await writeTransaction { db, memo in
            var working = RetailState()
            if readsCatalog { try ObjectRows.loadCatalog(into: &working, db) }
            var previous: [ObjectKey: ObjectValue] = [:]
            for key in objects {
                guard let value = try memo.object(at: key, db) else { continue }
                previous[key] = value
                try working.join(value, at: key)
            }
            let stamp = try self.clock.withLock { clock in try clock.now(wallMillis: self.wallClock()) }
            let delta = try mutation(&working, stamp)
            let declared = Set(objects)
            var acknowledgements: [Acknowledgement] = []
            for scopeDelta in delta.deltasByScope where !scopeDelta.isEmpty {
                for key in scopeDelta.objects.keys where !declared.contains(key) {
                    throw StoreError.undeclaredWrite(key)
                }
                try check?(scopeDelta.scope, stamp.physical)
                let scopeObjects = working.objects(in: scopeDelta.scope)
                for key in scopeDelta.objects.keys {
                    try memo.save(scopeObjects[key]!, at: key, previous: previous[key], replica: self.replica, db)
                }
                let dependencies = try memo.versionVector(of: scopeDelta.scope, db)
                let seq = dependencies[self.replica] + 1
                var change = RemoteChange(
                    scope: scopeDelta.scope, origin: self.replica, seq: seq, stamp: stamp.packed,
                    dependencies: dependencies, delta: scopeDelta.encoded)
                change.envelope = sealer?(change)
                try Self.appendChange(change, db)
                var applied = dependencies
                applied.advance(self.replica, to: seq)
                memo.record(applied, for: scopeDelta.scope, logging: [change])
                acknowledgements.append(Acknowledgement(scope: scopeDelta.scope, origin: self.replica, seq: seq))
            }
            return acknowledgements
        }
    }

    /// Appends one change to the log, which advances the scope's version vector (the view
    /// `versions`); an origin's first change also gets its row in `version_marks`.
    ///
    /// A later change of a run envelope names the run's first change instead of keeping the
    /// envelope again, when that change's row keeps it (``RunEnvelopes``).
    static func appendChange(_ change: RemoteChange, _ db: Database) throws {
        let runStart = try change.runStart.flatMap { start in
            try keepsEnvelope(change.scope, change.origin, start, db) ? start : nil
        }
        var statement = try BoundStatement(
            db,
            sql: """
                INSERT INTO changes (scope, origin, seq, hlc, dependencies, delta, envelope, run_start)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        statement.bind(change.scope.description)
        statement.bind(change.origin.rawValue)
        statement.bind(Int64(change.seq))
        statement.bind(Int64(bitPattern: change.stamp))
        statement.bind(change.dependencies.canonicalBytes)
        statement.bind(change.delta)
        statement.bind(runStart == nil ? change.envelope : nil)
        statement.bind(runStart.map { Int64($0) })
        try statement.run()
        // Changes are logged gaplessly from 1 (a snapshot that covers an origin's first changes
        // marks the origin itself): seq 1 is the origin's first here.
        if change.seq == 1 { try markVersion(change.scope, change.origin, 1, db) }
    }

    /// Records that `origin`'s changes up to `seq` are applied in `scope` (whether or not the log
    /// still holds them); a lower mark than the one kept changes nothing.
    static func markVersion(_ scope: Scope, _ origin: ReplicaID, _ seq: UInt64, _ db: Database) throws {
        var statement = try BoundStatement(
            db,
            sql: """
                INSERT INTO version_marks (scope, origin, seq) VALUES (?, ?, ?)
                ON CONFLICT (scope, origin) DO UPDATE SET seq = max(seq, excluded.seq)
                """)
        statement.bind(scope.description)
        statement.bind(origin.rawValue)
        statement.bind(Int64(seq))
        try statement.run()
    }

    /// Keeps the envelope a logged change was sealed into, so later sends forward the same bytes.
    /// A change that already has one keeps it.
    public func attachEnvelope(_ envelope: [UInt8], to change: RemoteChange) async throws {
        _ = try await attachEnvelopes([(envelope, [change])])
    }
}
