import AisleCore
import AisleNode
import AisleStore
import Foundation
import Logging
import PostgresNIO

extension JournalReader {
    /// Installs every checkpoint committed since the last looked at whose version vector this
    /// process's cache does not already include: the state of envelopes compaction removed from
    /// `aisle_envelopes` (``PostgresJournal/compact(peerRetention:minimumChanges:scratchDirectory:)``), which this process never read (a fresh cache, or
    /// one that fell behind the compaction).
    ///
    /// Read after the envelopes it follows: a compaction committing between the two is then seen
    /// here, and the envelopes read past its gap, held until now, are released by the install.
    /// - Returns: the scopes a checkpoint was installed in.
    func installCheckpoints(_ connection: PostgresConnection) async throws -> Set<Scope> {
        var installed: Set<Scope> = []
        for header in try await Self.checkpoints(after: checkpointGeneration, connection, logger) {
            if try !node.store.versionVector(of: header.scope).includes(header.covers) {
                try await install(header.scope, connection)
                installed.insert(header.scope)
                checkpointsInstalled += 1
            }
            checkpointGeneration = max(checkpointGeneration, header.generation)
        }
        return installed
    }

    /// A checkpoint's row, without its parts.
    struct CheckpointHeader {
        let scope: Scope
        let generation: Int64
        let covers: VersionVector
    }

    static func checkpoints(after generation: Int64, _ connection: PostgresConnection, _ logger: Logger)
        async throws -> [CheckpointHeader]
    {
        let rows = try await connection.query(
            """
            SELECT scope, generation, vector FROM aisle_checkpoints WHERE generation > \(generation)
            ORDER BY generation
            """, logger: logger)
        var headers: [CheckpointHeader] = []
        for try await (scope, generation, vector) in rows.decode((String, Int64, Data).self) {
            headers.append(
                CheckpointHeader(
                    scope: try Scope(scope), generation: generation,
                    covers: try VersionVector(canonicalBytes: Array(vector))))
        }
        return headers
    }

    /// Installs `scope`'s newest checkpoint part by part, read in one statement (one consistent
    /// view, however many checkpoints replace it meanwhile); only the last part raises the
    /// version vector.
    private func install(_ scope: Scope, _ connection: PostgresConnection) async throws {
        try await Self.readCheckpoint(of: scope, source: node.store.replica, connection, logger) { part in
            try await node.install(part, adoptingOwnChanges: true)
        }
    }

    /// Reads `scope`'s newest checkpoint, handing each part to `take` as a snapshot part from
    /// `source` as it arrives; only the last (with no objects when there were none) carries the
    /// version vector the checkpoint covers. A scope without a checkpoint hands nothing.
    static func readCheckpoint(
        of scope: Scope, source: ReplicaID, _ connection: PostgresConnection, _ logger: Logger,
        take: @Sendable (ScopeSnapshot) async throws -> Void
    ) async throws {
        let rows = try await connection.query(
            """
            SELECT c.vector, c.stamp, c.parts, p.objects FROM aisle_checkpoints c
            LEFT JOIN aisle_checkpoint_parts p ON p.scope = c.scope AND p.generation = c.generation
            WHERE c.scope = \(scope.description) ORDER BY p.part
            """, logger: logger)
        var header: (covers: VersionVector, stamp: UInt64, parts: Int)?
        var count = 0
        var pending: ObjectDelta?
        for try await (vector, stamp, parts, objects) in rows.decode((Data, Int64, Int32, Data?).self) {
            if header == nil {
                header = (try VersionVector(canonicalBytes: Array(vector)), UInt64(bitPattern: stamp), Int(parts))
            }
            guard let objects else { continue }
            let delta = try ObjectDelta(encoded: Array(objects))
            guard delta.scope == scope else {
                throw JournalError.badCheckpoint(scope, "it holds objects of \(delta.scope)")
            }
            if let previous = pending, let header {
                try await take(
                    ScopeSnapshot(objects: previous, covers: VersionVector(), stamp: header.stamp, source: source))
            }
            pending = delta
            count += 1
        }
        guard let header else { return }
        guard count == header.parts else {
            throw JournalError.badCheckpoint(scope, "it has \(count) parts of \(header.parts)")
        }
        try await take(
            ScopeSnapshot(
                objects: pending ?? ObjectDelta(scope: scope, objects: [:]), covers: header.covers,
                stamp: header.stamp, source: source))
    }
}
