import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import Foundation
import Logging
import Metrics
import PostgresNIO

/// Reads the journal into this process's node, in commit order, remembering how far it got.
actor JournalReader {
    let client: PostgresClient
    let node: ReplicaNode
    let logger: Logger
    /// The last envelope row applied, as (tx, id).
    private var envelopes = Cursor()
    /// The last certificate or grant row learnt, as (tx, seq).
    private var trusted = Cursor()
    /// The newest checkpoint generation looked at (``installCheckpoints(_:)``).
    var checkpointGeneration: Int64 = 0
    /// Checkpoints installed since this process started.
    var checkpointsInstalled = 0
    /// Whether a catch-up has run (the first, on a fresh cache, reads checkpoints before envelopes).
    private var caughtUp = false
    static let batch = 500

    struct Cursor {
        var tx: Int64 = 0
        var id: Int64 = 0
    }

    init(client: PostgresClient, node: ReplicaNode, logger: Logger) {
        self.client = client
        self.node = node
        self.logger = logger
    }

    /// Applies every committed row past the cursors, batch by batch.
    /// - Returns: how many envelopes, and the scopes they changed.
    func catchUp() async throws -> (Int, Set<Scope>) {
        var count = 0
        var scopes: Set<Scope> = []
        // The start-up rebuild reads what is old by design: not a lag.
        let following = caughtUp
        if !caughtUp {
            // A fresh cache: the checkpoints first, so what follows them applies at once. (Later
            // catch-ups read them only after the envelopes, once: not twice per notification on a
            // journal that has no checkpoint yet.)
            scopes = try await client.withConnection { connection in try await installCheckpoints(connection) }
            caughtUp = true
        }
        while true {
            let reading = ContinuousClock.now
            let rows = try await client.withConnection { connection in
                try await Self.rows(
                    "aisle_envelopes", "id", "envelope", after: envelopes, committedOnly: true, connection, logger)
            }
            let applying = ContinuousClock.now
            Timer(label: HubMetrics.journalFollow, dimensions: [("stage", "read")]).record(duration: applying - reading)
            // Certificates and grants are kept before the envelopes they sign: learnt after reading
            // the envelopes, before applying them (and also with no envelope: a device that just
            // connected to another process).
            try await client.withConnection { connection in try await learnTrusted(connection, committedOnly: true) }
            guard let last = rows.last else { break }
            let applied = await apply(rows.map(\.bytes))
            Timer(label: HubMetrics.journalFollow, dimensions: [("stage", "apply")])
                .record(duration: ContinuousClock.now - applying)
            if following { recordLag(of: applied) }
            scopes.formUnion(applied.map(\.header.scope))
            envelopes = last.cursor
            count += rows.count
            if rows.count < Self.batch { break }
        }
        scopes.formUnion(try await client.withConnection { connection in try await installCheckpoints(connection) })
        return (count, scopes)
    }

    /// Applies every row visible now past the cursor, without moving it (under the writer lock:
    /// everything committed before the lock was taken is then applied).
    func applyVisible(_ connection: PostgresConnection) async throws {
        try await learnTrusted(connection, committedOnly: false)
        var cursor = envelopes
        while true {
            let rows = try await Self.rows(
                "aisle_envelopes", "id", "envelope", after: cursor, committedOnly: false, connection, logger)
            guard let last = rows.last else { break }
            _ = await apply(rows.map(\.bytes))
            cursor = last.cursor
            if rows.count < Self.batch { break }
        }
        // After the envelopes: a compaction that removed own changes this process never read is
        // seen here, so the next own sequence number is past them.
        _ = try await installCheckpoints(connection)
    }

    private func learnTrusted(_ connection: PostgresConnection, committedOnly: Bool) async throws {
        while true {
            let rows = try await Self.rows(
                "aisle_trusted", "seq", "bytes", after: trusted, committedOnly: committedOnly, connection, logger,
                kind: true)
            var records: [TrustedRecord] = []
            for row in rows {
                do {
                    switch row.kind {
                    case ReplicaNode.certificateKind:
                        records.append(.certificate(try Certificate(canonicalBytes: row.bytes)))
                    case ReplicaNode.grantKind: records.append(.grant(try HandoffGrant(canonicalBytes: row.bytes)))
                    default: logger.warning("journal: unknown trusted kind", metadata: ["kind": "\(row.kind)"])
                    }
                } catch {
                    logger.error("journal: a kept certificate or grant is unreadable", metadata: ["reason": "\(error)"])
                }
            }
            // One store write for the lot: a thousand devices connecting to the other process
            // must not hold up the envelopes that follow them.
            for (_, reason) in try await node.learnKept(records) {
                logger.error("journal: a kept certificate or grant is refused", metadata: ["reason": "\(reason)"])
            }
            if committedOnly, let last = rows.last { trusted = last.cursor }
            if rows.count < Self.batch { return }
            if !committedOnly { return }  // rare; the next catch-up takes the rest
        }
    }

    private func apply(_ rows: [[UInt8]]) async -> [Envelope] {
        await Self.apply(rows, to: node, logger)
    }

    /// Records how old each change of `envelopes` was when followed, from its hybrid clock reading
    /// (a device's clock: at most the allowed drift ahead, so a lag reads 0 at worst).
    private func recordLag(of envelopes: [Envelope]) {
        let now = node.store.wallClock()
        let lag = Timer(label: HubMetrics.journalFollowLag)
        for envelope in envelopes {
            let stamped = envelope.header.lastStampMillis
            lag.record(duration: .milliseconds(now > stamped ? now - stamped : 0))
        }
    }

    /// Applies envelopes read from the journal to `node` as one batch, but those whose changes it
    /// holds already (its own among them); when that is refused, one by one, logging each refused
    /// one (another process accepted it, so this one's edges miss it: say so loudly).
    /// - Returns: the envelopes it applied (or tried to).
    static func apply(_ rows: [[UInt8]], to node: ReplicaNode, _ logger: Logger) async -> [Envelope] {
        var envelopes: [Envelope] = []
        for bytes in rows {
            do { envelopes.append(try Envelope(canonicalBytes: bytes)) } catch {
                logger.error("journal: an envelope does not decode", metadata: ["reason": "\(error)"])
            }
        }
        do { envelopes = try node.notHeld(envelopes) } catch {
            logger.warning("journal: reading the cache's version vectors failed", metadata: ["reason": "\(error)"])
        }
        guard !envelopes.isEmpty else { return [] }
        do {
            try await node.receiveFromJournal(envelopes)
        } catch {
            for envelope in envelopes {
                do { try await node.receiveFromJournal([envelope]) } catch {
                    logger.error(
                        "journal: an envelope another hub kept is refused here",
                        metadata: [
                            "scope": "\(envelope.header.scope)", "origin": "\(envelope.header.origin)",
                            "seq": "\(envelope.header.seq)", "reason": "\(error)",
                        ])
                }
            }
        }
        return envelopes
    }

    struct JournalRow {
        let cursor: Cursor
        let kind: String
        let bytes: [UInt8]
    }

    /// Up to ``batch`` rows of `table` past `cursor` in commit order; `committedOnly` leaves out
    /// rows of transactions that might still be followed by an earlier one committing.
    private static func rows(
        _ table: String, _ order: String, _ column: String, after cursor: Cursor, committedOnly: Bool,
        _ connection: PostgresConnection, _ logger: Logger, kind: Bool = false
    ) async throws -> [JournalRow] {
        let horizon = committedOnly ? "AND tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint" : ""
        let sql = """
            SELECT tx, \(order), \(kind ? "kind" : "''"), \(column) FROM \(table)
            WHERE (tx, \(order)) > ($1, $2) \(horizon) ORDER BY tx, \(order) LIMIT \(batch)
            """
        var binds = PostgresBindings(capacity: 2)
        binds.append(cursor.tx)
        binds.append(cursor.id)
        var rows: [JournalRow] = []
        let result = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        for try await (tx, id, kind, bytes) in result.decode((Int64, Int64, String, Data).self) {
            rows.append(JournalRow(cursor: Cursor(tx: tx, id: id), kind: kind, bytes: Array(bytes)))
        }
        return rows
    }
}
