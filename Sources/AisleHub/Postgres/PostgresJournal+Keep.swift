import AisleCore
public import AisleCrypto
import AisleStore
import Foundation
import Logging
import Metrics
import PostgresNIO
import Synchronization

extension PostgresJournal {
    /// Keeps devices' envelopes before they are applied (``ReplicaJournal/keep(_:)``).
    ///
    /// Group commit, as the SQLite store does: the envelopes of every connection that asks while
    /// an `INSERT` runs are kept together by the next one, with one `NOTIFY`. Each caller returns
    /// once its envelopes are committed, or learns of its own equivocation only.
    public func keep(_ envelopes: [Envelope]) async throws {
        guard !envelopes.isEmpty else { return }
        try await withCheckedThrowingContinuation { continuation in
            if waitingKeeps.add((envelopes, continuation)) { Task { await self.keepWaiting() } }
        }
    }

    /// A caller's envelopes, and where to say they are kept.
    typealias WaitingKeep = (envelopes: [Envelope], continuation: CheckedContinuation<Void, any Error>)

    /// Keeps the waiting envelopes, a group to an `INSERT`, until none waits.
    private func keepWaiting() async {
        while true {
            let group = waitingKeeps.take()
            if group.isEmpty { return }
            do {
                let start = ContinuousClock.now
                let kept = try await client.withConnection { connection in
                    let kept = try await Self.insert(group.flatMap(\.envelopes), connection, logger: logger)
                    try await connection.query("NOTIFY aisle_envelopes", logger: logger)
                    return kept
                }
                Timer(label: HubMetrics.journalKeep).record(duration: ContinuousClock.now - start)
                for (envelopes, continuation) in group {
                    continuation.resume(with: Result { try Self.refuseEquivocations(envelopes, kept: kept) })
                }
            } catch {
                for (_, continuation) in group { continuation.resume(throwing: error) }
            }
        }
    }

    /// Throws ``JournalError/equivocation(scope:origin:seq:)`` for the first of `envelopes` whose
    /// change the journal holds under other bytes.
    static func refuseEquivocations(_ envelopes: [Envelope], kept: [ChangeKey: [UInt8]]) throws {
        for envelope in envelopes where kept[ChangeKey(envelope)] != envelope.canonicalBytes {
            let header = envelope.header
            throw JournalError.equivocation(
                scope: header.scope.description, origin: header.origin.rawValue, seq: header.seq)
        }
    }

    /// Inserts envelopes (the first of two copies of one change in the batch); one already there
    /// is left as it is.
    /// - Returns: the bytes the journal holds for each change of `envelopes`: where they differ
    ///   from an envelope's, that envelope is an equivocation.
    static func insert(_ envelopes: [Envelope], _ connection: PostgresConnection, logger: Logger) async throws
        -> [ChangeKey: [UInt8]]
    {
        var kept: [ChangeKey: [UInt8]] = [:]
        var unique: [Envelope] = []
        for envelope in envelopes where kept[ChangeKey(envelope)] == nil {
            kept[ChangeKey(envelope)] = envelope.canonicalBytes
            unique.append(envelope)
        }
        for start in stride(from: 0, to: unique.count, by: 1_000) {
            let chunk = unique[start..<min(start + 1_000, unique.count)]
            var binds = PostgresBindings(capacity: chunk.count * 5)
            var rows: [String] = []
            for envelope in chunk {
                let header = envelope.header
                let first = binds.count + 1
                rows.append("($\(first), $\(first + 1), $\(first + 2), $\(first + 3), $\(first + 4))")
                binds.append(header.scope.description)
                binds.append(header.origin.rawValue)
                binds.append(Int64(bitPattern: header.seq))
                try binds.append(Data(envelope.canonicalBytes))
                binds.append(Int32(header.count))
            }
            let sql = """
                INSERT INTO aisle_envelopes (scope, origin, seq, envelope, changes) VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (scope, origin, seq) DO NOTHING RETURNING scope, origin, seq
                """
            var inserted: Set<ChangeKey> = []
            let result = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            for try await (scope, origin, seq) in result.decode((String, String, Int64).self) {
                inserted.insert(ChangeKey(scope: scope, origin: origin, seq: seq))
            }
            // Those not inserted were there already (committed by now: the insert waited for them).
            for key in chunk.map(ChangeKey.init) where !inserted.contains(key) {
                let held = try await connection.query(
                    """
                    SELECT envelope FROM aisle_envelopes
                    WHERE scope = \(key.scope) AND origin = \(key.origin) AND seq = \(key.seq)
                    """, logger: logger)
                for try await bytes in held.decode(Data.self) { kept[key] = Array(bytes) }
            }
        }
        return kept
    }

    /// A change's key in the journal.
    struct ChangeKey: Hashable {
        let scope: String
        let origin: String
        let seq: Int64

        init(scope: String, origin: String, seq: Int64) {
            self.scope = scope
            self.origin = origin
            self.seq = seq
        }

        init(_ envelope: Envelope) {
            let header = envelope.header
            self.init(
                scope: header.scope.description, origin: header.origin.rawValue, seq: Int64(bitPattern: header.seq))
        }
    }
}
