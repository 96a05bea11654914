public import AisleCore
public import AisleCrypto
public import AisleNode
public import AisleStore
import Foundation
public import Logging
import Metrics
import PostgresNIO
import Synchronization

/// The hubs' shared state in PostgreSQL (docs/scale-out.md): every envelope any hub process
/// accepted or wrote, and the certificates and grants they learnt. Each process keeps a local
/// SQLite replica as a cache rebuilt from here on start, and follows what the others add through
/// LISTEN/NOTIFY.
///
/// - Envelopes are kept before a hub applies and acknowledges them; (scope, origin, seq) is
///   unique, and a second, different envelope for one is refused as an equivocation.
/// - The hub's own changes (rights grants, reservations, releases) are written one process at a
///   time under a transaction-scoped advisory lock, after the writer has applied everything
///   committed so far, and kept in the same transaction: the processes act as one replica.
/// - Followers read in commit order: rows carry their inserting transaction id, and a read takes
///   only rows of transactions older than every one still running (the snapshot's xmin), so a
///   row committing late is never skipped.
public final class PostgresJournal: ReplicaJournal, Sendable {
    let client: PostgresClient
    let node: ReplicaNode
    let logger: Logger
    let reader: JournalReader
    /// This process's own writes, one at a time, before any waits on the advisory lock.
    let turn = WriterTurn()
    /// Peers' reports not yet kept, newest per (peer, scope).
    let reports = Mutex<[PeerAcknowledgement.Key: PeerAcknowledgement]>([:])
    /// Devices' envelopes waiting to be kept together (``keep(_:)``).
    let waitingKeeps = GroupQueue<WaitingKeep>()
    let onDiverged: @Sendable (any Error) async -> Void

    /// The NOTIFY channel every commit is announced on.
    static let channel = "aisle_envelopes"
    /// The advisory lock the hub's own writes (and migrations) are serialized under.
    static let writerLock: Int64 = 0x4149_534C_4557_0001
    static let migrationLock: Int64 = 0x4149_534C_4557_0002

    /// A journal in the database at `location`; nothing connects before ``runClient()`` runs.
    /// - Parameters:
    ///   - node: the hub's node over its local cache.
    ///   - onDiverged: called when an own write could not be kept: stop the process.
    public init(
        at location: PostgresLocation, node: ReplicaNode, logger: Logger,
        onDiverged: @escaping @Sendable (any Error) async -> Void
    ) {
        let client = PostgresClient(configuration: location.configuration, backgroundLogger: logger)
        self.client = client
        self.node = node
        self.logger = logger
        self.onDiverged = onDiverged
        reader = JournalReader(client: client, node: node, logger: logger)
    }

    /// Runs the connection pool until the task is cancelled; every other call needs it running.
    public func runClient() async {
        await client.run()
    }

    /// Creates or checks the schema (under an advisory lock: several hubs may start at once).
    /// - Throws: ``JournalError/newerSchema(_:)`` for a database a newer Aisle migrated.
    public func migrate() async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            for statement in JournalSchema.statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            let rows = try await connection.query("SELECT version FROM aisle_schema", logger: logger)
            var versions: [Int] = []
            for try await version in rows.decode(Int.self) { versions.append(version) }
            if let version = versions.max() {
                guard version <= JournalSchema.version else { throw JournalError.newerSchema(version) }
                if version < JournalSchema.version {
                    try await connection.query(
                        "UPDATE aisle_schema SET version = \(JournalSchema.version)", logger: logger)
                }
            } else {
                try await connection.query(
                    "INSERT INTO aisle_schema (version) VALUES (\(JournalSchema.version))", logger: logger)
            }
        }
    }

    /// Applies everything the journal holds that this process has not (the start-up rebuild, and
    /// each follow-up), and tells `changed` the scopes that moved.
    /// - Returns: how many envelopes were applied.
    @discardableResult
    public func catchUp(changed: @Sendable (Scope) async -> Void = { _ in }) async throws -> Int {
        let (count, scopes) = try await reader.catchUp()
        for scope in scopes.sorted() { await changed(scope) }
        return count
    }

    /// How many scope checkpoints this process has installed (its start-up rebuild's, and any it
    /// installed since because it had not read what a compaction removed).
    public func checkpointsInstalled() async -> Int {
        await reader.checkpointsInstalled
    }

    /// Follows the other processes until cancelled: catches up on every NOTIFY, and every
    /// `fallback` in case a notification was lost while the listening connection was down.
    public func follow(fallback: Duration = .seconds(5), changed: @escaping @Sendable (Scope) async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            let wake = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            group.addTask { [client, logger] in
                while !Task.isCancelled {
                    do {
                        try await client.withConnection { connection in
                            try await connection.listen(on: Self.channel) { notifications in
                                wake.continuation.yield()  // anything committed while not listening
                                for try await _ in notifications { wake.continuation.yield() }
                            }
                        }
                    } catch {
                        logger.warning("journal: listening failed; again in 1 s", metadata: ["reason": "\(error)"])
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: fallback)
                    wake.continuation.yield()
                }
            }
            group.addTask { [logger] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(2))
                    do { try await self.keepAcknowledgements() } catch {
                        logger.notice("journal: keeping acknowledgements failed", metadata: ["reason": "\(error)"])
                    }
                }
            }
            group.addTask { [logger] in
                for await _ in wake.stream {
                    do { try await self.catchUp(changed: changed) } catch {
                        logger.warning("journal: catching up failed", metadata: ["reason": "\(error)"])
                    }
                }
            }
            await group.next()
            wake.continuation.finish()
            group.cancelAll()
        }
    }

    // MARK: ReplicaJournal

    /// Keeps certificates and grants in one `INSERT`, and wakes the other processes once when any
    /// is new: they learn it before the first envelope it signs reaches them, not with it.
    public func keepTrusted(_ records: [TrustedRecord]) async throws {
        guard !records.isEmpty else { return }
        let kinds = records.map(\.kind)
        let ids = records.map { ByteBuffer(bytes: $0.id) }
        let bytes = records.map { ByteBuffer(bytes: $0.canonicalBytes) }
        // One wake-up for the other processes when any row is new.
        try await client.query(
            """
            WITH kept AS (
                INSERT INTO aisle_trusted (kind, id, bytes)
                SELECT * FROM unnest(\(kinds)::text[], \(ids)::bytea[], \(bytes)::bytea[])
                ON CONFLICT (kind, id) DO NOTHING RETURNING 1
            )
            SELECT pg_notify(\(Self.channel), '') WHERE EXISTS (SELECT 1 FROM kept)
            """, logger: logger)
    }

    public func exclusively<Value: Sendable>(
        _ write: @Sendable () async throws -> (Value, [Envelope])
    ) async throws -> Value {
        let asked = ContinuousClock.now
        await turn.acquire()
        do {
            let value = try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.writerLock))", logger: logger)
                // Everything committed before the lock was taken, so the next own seq is free.
                try await reader.applyVisible(connection)
                let ready = ContinuousClock.now
                Timer(label: HubMetrics.journalOwnWrite, dimensions: [("stage", "wait")]).record(
                    duration: ready - asked)
                defer {
                    Timer(label: HubMetrics.journalOwnWrite, dimensions: [("stage", "write")])
                        .record(duration: ContinuousClock.now - ready)
                }
                let (value, envelopes) = try await write()
                if !envelopes.isEmpty {
                    try Self.refuseEquivocations(
                        envelopes, kept: try await Self.insert(envelopes, connection, logger: logger))
                    try await connection.query("NOTIFY aisle_envelopes", logger: logger)
                }
                return value
            }
            await turn.release()
            return value
        } catch {
            await turn.release()
            throw error
        }
    }

    public func noteAcknowledgement(_ report: PeerAcknowledgement) {
        reports.withLock { $0[report.key] = report }
    }

    /// Keeps the reports noted since the last time (a newer report already kept wins), up to
    /// ``reportsPerStatement`` in one statement: each statement is a commit, which PostgreSQL
    /// flushes to disk, and a hub with a thousand devices notes thousands of reports every two
    /// seconds (one statement each kept the database's log busy flushing them, and every device's
    /// envelopes waited behind them: docs/performance.md, [6/6] fourteenth session).
    @_spi(Testing) public func keepAcknowledgements() async throws {
        let noted = reports.withLock { reports in
            defer { reports.removeAll() }
            return Array(reports.values)
        }
        guard !noted.isEmpty else { return }
        try await client.withConnection { connection in
            for start in stride(from: 0, to: noted.count, by: Self.reportsPerStatement) {
                let chunk = noted[start..<min(start + Self.reportsPerStatement, noted.count)]
                var binds = PostgresBindings(capacity: chunk.count * 5)
                var rows: [String] = []
                for report in chunk {
                    let first = binds.count + 1
                    rows.append("($\(first), $\(first + 1), $\(first + 2), $\(first + 3), $\(first + 4))")
                    binds.append(report.peer.rawValue)
                    binds.append(report.scope.description)
                    try binds.append(Data(report.vector.canonicalBytes))
                    binds.append(Int64(report.at))
                    binds.append(report.archive)
                }
                // Each (peer, scope) once: `reports` holds the newest per pair.
                let sql = """
                    INSERT INTO aisle_acknowledgements (peer, scope, vector, reported_at_ms, archive)
                    VALUES \(rows.joined(separator: ", "))
                    ON CONFLICT (peer, scope) DO UPDATE SET vector = excluded.vector,
                        reported_at_ms = excluded.reported_at_ms, archive = excluded.archive
                    WHERE aisle_acknowledgements.reported_at_ms <= excluded.reported_at_ms
                    """
                try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            }
        }
    }

    /// Reports kept by one statement at most (5 parameters each, of PostgreSQL's 65,535).
    @_spi(Testing) public static let reportsPerStatement = 1_000

    /// Every peer's newest report, at most `size` at a time: those kept (by every process), with
    /// the ones this process noted and has not kept yet laid over them (the newer of the two), then
    /// those of pairs not kept at all. So a device's first report is listed by the process that
    /// took it at once, not only once kept (within about 2 s).
    public func forEachAcknowledgementBatch(
        size: Int, _ body: ([PeerAcknowledgement]) async throws -> Void
    ) async throws {
        var unkept = reports.withLock { $0 }
        try await forEachAcknowledgementBatch(in: nil, size: size) { batch in
            try await body(batch.overlaid(with: &unkept))
        }
        let rest = Array(unkept.values)
        for start in stride(from: 0, to: rest.count, by: size) {
            try await body(Array(rest[start..<min(start + size, rest.count)]))
        }
    }

    /// Every peer's newest report kept of `scopes` (nil: of every scope).
    func acknowledgements(in scopes: [String]?) async throws -> [PeerAcknowledgement] {
        var reports: [PeerAcknowledgement] = []
        try await forEachAcknowledgementBatch(in: scopes, size: 1_000) { reports += $0 }
        return reports
    }

    /// As ``acknowledgements(in:)``, at most `size` at a time, as the rows stream in (one query:
    /// PostgresNIO asks for more rows as they are taken).
    private func forEachAcknowledgementBatch(
        in scopes: [String]?, size: Int, _ body: ([PeerAcknowledgement]) async throws -> Void
    ) async throws {
        let select = "SELECT peer, scope, vector, reported_at_ms, archive FROM aisle_acknowledgements"
        let rows =
            if let scopes {
                try await client.query("\(unescaped: select) WHERE scope = ANY(\(scopes))", logger: logger)
            } else {
                try await client.query("\(unescaped: select)", logger: logger)
            }
        var batch: [PeerAcknowledgement] = []
        batch.reserveCapacity(size)
        var last: (name: String, scope: Scope)?
        for try await (peer, name, vector, at, archive) in rows.decode((String, String, Data, Int64, Bool).self) {
            guard let peer = try? ReplicaID(peer),
                let scope = last?.name == name ? last?.scope : try? Scope(name),
                let vector = try? VersionVector(canonicalBytes: Array(vector))
            else { continue }
            last = (name, scope)
            batch.append(
                PeerAcknowledgement(scope: scope, peer: peer, vector: vector, at: UInt64(at), archive: archive))
            if batch.count == size {
                try await body(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try await body(batch) }
    }

    public func diverged(_ error: any Error) async {
        logger.critical(
            "journal: an own change could not be kept; this process stops, a restart rebuilds it from PostgreSQL",
            metadata: ["reason": "\(error)"])
        await onDiverged(error)
    }
}

/// One turn at a time, in arrival order.
actor WriterTurn {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}

/// Why the shared journal refused.
public enum JournalError: Error, CustomStringConvertible, RefusalReasonNamed {
    /// The database was migrated by a newer Aisle.
    case newerSchema(Int)
    /// The journal holds another envelope for this change.
    case equivocation(scope: String, origin: String, seq: UInt64)
    /// A scope's checkpoint cannot be read back as written.
    case badCheckpoint(Scope, String)

    public var refusalReason: String {
        switch self {
        case .newerSchema, .badCheckpoint: "store"
        case .equivocation: "equivocation"
        }
    }

    public var description: String {
        switch self {
        case .newerSchema(let version):
            "the PostgreSQL database has Aisle schema version \(version), newer than this build's "
                + "\(JournalSchema.version): upgrade this hub"
        case .equivocation(let scope, let origin, let seq):
            "equivocation: \(origin) sent a second, different change #\(seq) in \(scope); refused"
        case .badCheckpoint(let scope, let reason):
            "the journal's checkpoint of \(scope) is damaged: \(reason)"
        }
    }
}
