public import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
public import Foundation
import Logging
import Metrics
import PostgresNIO

/// What compacting one scope of the journal did.
public struct JournalCompaction: Sendable, Equatable {
    public let scope: Scope
    /// The version vector the scope's new checkpoint covers.
    public let covers: VersionVector
    /// Changes the checkpoint covers that the previous one did not.
    public let changes: Int
    /// Rows removed from `aisle_envelopes`.
    public let removed: Int
}

extension PostgresJournal {
    /// Compaction of the shared journal by causal stability (docs/scale-out.md): for each scope
    /// this hub reads whose changes every device heard from within `peerRetention` has
    /// acknowledged (`aisle_acknowledgements`), at least `minimumChanges` more than its checkpoint
    /// covers, folds those changes into the scope's checkpoint and removes their envelopes.
    ///
    /// The checkpoint is built in a scratch replica in `scratchDirectory`, never in the serving
    /// cache: the previous checkpoint installed, then exactly the stable envelopes verified and
    /// applied, so it covers the acknowledged changes and nothing later (a process rebuilding
    /// from it logs everything after them, and sends a device that acknowledged them envelopes,
    /// not a snapshot). Customer scopes, which a hub relays unread, are never compacted.
    ///
    /// One process compacts at a time (a session advisory lock; another process finding it
    /// taken returns at once). The checkpoint commits before any envelope it covers is removed,
    /// in short transactions: followers wait on every running writer.
    /// - Returns: what was done, per scope compacted.
    @discardableResult
    public func compact(peerRetention: Duration, minimumChanges: Int = 1_000, scratchDirectory: URL) async throws
        -> [JournalCompaction]
    {
        try await client.withConnection { lockHolder in
            let locked = try await lockHolder.query(
                "SELECT pg_try_advisory_lock(\(Self.compactionLock))", logger: logger)
            var taken = false
            for try await value in locked.decode(Bool.self) { taken = value }
            guard taken else { return [] }
            do {
                let done = try await compactStable(
                    peerRetention: peerRetention, minimumChanges: minimumChanges, scratchDirectory: scratchDirectory)
                try await lockHolder.query("SELECT pg_advisory_unlock(\(Self.compactionLock))", logger: logger)
                return done
            } catch {
                _ = try? await lockHolder.query("SELECT pg_advisory_unlock(\(Self.compactionLock))", logger: logger)
                throw error
            }
        }
    }

    /// The lock one compacting process holds for its session.
    static let compactionLock: Int64 = 0x4149_534C_4557_0003

    private func compactStable(peerRetention: Duration, minimumChanges: Int, scratchDirectory: URL) async throws
        -> [JournalCompaction]
    {
        let retention = UInt64(peerRetention.components.seconds) * 1_000
        let now = node.store.wallClock()
        let cutoff = now > retention ? now - retention : 0
        // Only scopes whose envelopes carry enough changes to be worth it (a hub relays customer
        // scopes unread, so never those): a chain's phones report on a million scopes.
        // By prefix, not by range: how PostgreSQL orders text depends on the database's collation.
        let customers = Scope.Kind.customer.textPrefix + "%"
        let worth = try await client.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT scope FROM aisle_envelopes WHERE scope NOT LIKE \(customers)
                GROUP BY scope HAVING sum(changes) >= \(Int64(minimumChanges))
                """, logger: logger)
            var scopes: [String] = []
            for try await scope in rows.decode(String.self) { scopes.append(scope) }
            return scopes
        }
        guard !worth.isEmpty else { return [] }
        var reports: [Scope: [PeerAcknowledgement]] = [:]
        let revoked = try node.revokedDevices()  // they never sync again
        for report in try await acknowledgements(in: worth)
        where report.archive || (report.at >= cutoff && !revoked.contains(report.peer)) {
            reports[report.scope, default: []].append(report)
        }
        let previous = try await client.withConnection { connection in
            try await JournalReader.checkpoints(after: 0, connection, logger)
        }
        let covered = Dictionary(previous.map { ($0.scope, $0) }, uniquingKeysWith: { $1 })
        var done: [JournalCompaction] = []
        for (scope, peers) in reports.sorted(by: { $0.key < $1.key }) where node.reads(scope) {
            // At most what this process holds: it has learnt every certificate those changes need.
            var stable = try node.store.versionVector(of: scope)
            for peer in peers { stable = stable.meet(peer.vector) }
            let before = covered[scope]?.covers ?? VersionVector()
            guard stable.count(beyond: before) >= minimumChanges else { continue }
            let started = ContinuousClock.now
            let compaction = try await fold(
                scope, through: stable, after: covered[scope]?.generation, scratchDirectory: scratchDirectory)
            guard let compaction else { continue }
            done.append(compaction)
            Counter(label: HubMetrics.journalCompacted).increment(by: compaction.removed)
            logger.info(
                "journal: compacted",
                metadata: [
                    "scope": "\(scope)", "changes": "\(compaction.changes)", "removed": "\(compaction.removed)",
                    "took": "\(ContinuousClock.now - started)",
                ])
        }
        return done
    }

    /// Folds `scope`'s envelopes up to `stable` into a new checkpoint, built in a scratch replica,
    /// commits it, then removes the envelopes it covers.
    /// - Returns: nil when another checkpoint of the scope was committed meanwhile (left for the
    ///   next round).
    private func fold(_ scope: Scope, through stable: VersionVector, after generation: Int64?, scratchDirectory: URL)
        async throws -> JournalCompaction?
    {
        let path = scratchDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString).db").path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let live = node.store
        let store = try ReplicaStore(
            StoreConfiguration(path: path, durability: .off), replica: live.replica, wallClock: { live.wallClock() })
        defer { try? store.close() }
        let scratch = try ReplicaNode(store: store, identity: node.identity, trust: node.trustSnapshot)

        // The previous checkpoint, then every stable envelope (a run only when all of it is).
        var candidates: [(id: Int64, origin: ReplicaID, last: UInt64)] = []
        try await client.withConnection { connection in
            try await JournalReader.readCheckpoint(of: scope, source: store.replica, connection, logger) { part in
                try await store.install(part, adoptingOwnChanges: true)
            }
            let origins = stable.entries.keys.map(\.rawValue)
            let seqs = stable.entries.keys.map { Int64(stable[$0]) }
            let rows = try await connection.query(
                """
                SELECT e.id, e.envelope FROM aisle_envelopes e
                JOIN unnest(\(origins)::text[], \(seqs)::bigint[]) AS s(origin, seq)
                  ON e.origin = s.origin AND e.seq <= s.seq
                WHERE e.scope = \(scope.description) ORDER BY e.id
                """, logger: logger)
            var batch: [[UInt8]] = []
            for try await (id, bytes) in rows.decode((Int64, Data).self) {
                guard let envelope = try? Envelope(canonicalBytes: Array(bytes)) else { continue }
                let header = envelope.header
                let last = header.lastSeq
                guard last <= stable[header.origin] else { continue }
                candidates.append((id, header.origin, last))
                batch.append(Array(bytes))
                if batch.count == JournalReader.batch {
                    _ = await JournalReader.apply(batch, to: scratch, logger)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty { _ = await JournalReader.apply(batch, to: scratch, logger) }
        }
        let snapshot = try await store.snapshot(of: scope, partBytes: Self.checkpointPartBytes)
        var parts: [[UInt8]] = []
        for try await part in snapshot { parts.append(part) }
        let covers = snapshot.covers
        let (kept, gone) = candidates.reduce(into: (0, [Int64]())) { split, row in
            if row.last <= covers[row.origin] { split.1.append(row.id) } else { split.0 += 1 }
        }
        if kept > 0 {
            // Refused here, or past a gap: left in the journal, and the checkpoint stops before them.
            logger.warning(
                "journal: acknowledged changes stay out of the checkpoint: refused on a second check, or missing",
                metadata: ["scope": "\(scope)", "envelopes": "\(kept)", "covers": "\(covers)"])
        }
        let changes = try await commitCheckpoint(
            scope, covers: covers, stamp: snapshot.stamp, parts: parts, replacing: generation)
        guard let changes else { return nil }
        var removed = 0
        for start in stride(from: 0, to: gone.count, by: Self.removalsPerStatement) {
            let ids = Array(gone[start..<min(start + Self.removalsPerStatement, gone.count)])
            try await client.query("DELETE FROM aisle_envelopes WHERE id = ANY(\(ids))", logger: logger)
            removed += ids.count
        }
        return JournalCompaction(scope: scope, covers: covers, changes: changes, removed: removed)
    }

    /// Writes the parts under a new generation (each its own short statement: nothing points at
    /// them yet), then, in one short transaction, points the scope's checkpoint at them, drops
    /// every other generation's parts and tells the followers.
    /// - Returns: the changes covered that the replaced checkpoint did not, or nil when the
    ///   checkpoint is no longer `replacing` (another process committed one meanwhile).
    private func commitCheckpoint(
        _ scope: Scope, covers: VersionVector, stamp: UInt64, parts: [[UInt8]], replacing: Int64?
    ) async throws -> Int? {
        let name = scope.description
        let generation = try await client.withConnection { connection in
            let rows = try await connection.query("SELECT nextval('aisle_checkpoint_generation')", logger: logger)
            var value: Int64 = 0
            for try await next in rows.decode(Int64.self) { value = next }
            for (index, part) in parts.enumerated() {
                try await connection.query(
                    """
                    INSERT INTO aisle_checkpoint_parts (scope, generation, part, objects)
                    VALUES (\(name), \(value), \(Int32(index)), \(Data(part)))
                    """, logger: logger)
            }
            return value
        }
        let vector = Data(covers.canonicalBytes)
        return try await client.withTransaction(logger: logger) { connection in
            let current = try await connection.query(
                "SELECT generation, vector FROM aisle_checkpoints WHERE scope = \(name) FOR UPDATE", logger: logger)
            var found: (Int64, VersionVector)?
            for try await (generation, bytes) in current.decode((Int64, Data).self) {
                found = (generation, try VersionVector(canonicalBytes: Array(bytes)))
            }
            guard found?.0 == replacing else {
                try await connection.query(
                    "DELETE FROM aisle_checkpoint_parts WHERE scope = \(name) AND generation = \(generation)",
                    logger: logger)
                return nil
            }
            let changes = covers.count(beyond: found?.1 ?? VersionVector())
            let stampBits = Int64(bitPattern: stamp)
            try await connection.query(
                """
                INSERT INTO aisle_checkpoints (scope, generation, vector, stamp, parts, changes)
                VALUES (\(name), \(generation), \(vector), \(stampBits), \(Int32(parts.count)), \(Int64(changes)))
                ON CONFLICT (scope) DO UPDATE SET generation = excluded.generation, vector = excluded.vector,
                    stamp = excluded.stamp, parts = excluded.parts,
                    changes = aisle_checkpoints.changes + excluded.changes, taken_at = now()
                """, logger: logger)
            try await connection.query(
                "DELETE FROM aisle_checkpoint_parts WHERE scope = \(name) AND generation <> \(generation)",
                logger: logger)
            try await connection.query("NOTIFY aisle_envelopes", logger: logger)
            return changes
        }
    }

    /// The size of a checkpoint's parts (a row each).
    static let checkpointPartBytes = 1 << 20
    /// Envelope rows removed by one statement (and one transaction) at most.
    static let removalsPerStatement = 5_000
}
