import AisleCore
import AisleCrypto
@_spi(Testing) import AisleHub
@_spi(Testing) import AisleNode
import AisleStore
import AisleTesting
import Foundation
import Logging
import Testing

/// Compaction of the PostgreSQL journal into checkpoints, against a real server on 127.0.0.1:
/// hub processes as nodes in this process, each with a journal of its own on one database.
@Suite("Compacting the hubs' journal in PostgreSQL", .serialized)
final class JournalCompactionTests {
    let scope = Scope.store("berlin")
    let postgres: PostgresServer
    let chain: TestTenant
    let hub: ReplicaNode
    let till1: ReplicaNode
    let till2: ReplicaNode
    var clients: [Task<Void, Never>] = []
    static let month = Duration.seconds(30 * 24 * 3_600)

    init() throws {
        postgres = try PostgresServer()
        chain = try TestTenant()
        hub = try chain.node("hub", .hub, [.allStores], keys: [scope])
        till1 = try chain.node("till-1", .pos, [.exactly(scope)], keys: [scope])
        till2 = try chain.node("till-2", .pos, [.exactly(scope)], keys: [scope])
    }

    deinit {
        for client in clients { client.cancel() }
    }

    /// A journal on the test database for `node` (one hub process), migrated and attached.
    func journal(_ node: ReplicaNode) async throws -> PostgresJournal {
        let journal = PostgresJournal(
            at: try PostgresLocation(url: postgres.url), node: node, logger: Logger(label: "test")
        ) { error in Issue.record("a hub process diverged: \(error)") }
        clients.append(Task { await journal.runClient() })
        try await journal.migrate()
        node.attach(journal)
        return journal
    }

    /// The hub's first process, its journal on a fresh database, the tills introduced.
    func firstProcess() async throws -> PostgresJournal {
        try await chain.introduce([till1, till2, hub])
        return try await journal(hub)
    }

    /// Both tills report holding what `hub` holds of the scope now, and the reports are kept.
    func bothAcknowledge(at hub: ReplicaNode, _ journal: PostgresJournal) async throws {
        try acknowledge(till1, at: hub, journal)
        try acknowledge(till2, at: hub, journal)
        try await journal.keepAcknowledgements()
    }

    /// `till` reports holding what the hub holds of the scope now, as an acknowledgement would.
    func acknowledge(_ till: ReplicaNode, at hub: ReplicaNode, _ journal: PostgresJournal, at: UInt64? = nil)
        throws
    {
        journal.noteAcknowledgement(
            PeerAcknowledgement(
                scope: scope, peer: till.store.replica, vector: try hub.store.versionVector(of: scope),
                at: at ?? TestTenant.now))
    }

    /// `count` stock receipts on `till`, received by `hub` (and so kept in its journal).
    func receipts(_ count: Int, on till: ReplicaNode, to hub: ReplicaNode) async throws {
        let before = try hub.store.versionVector(of: scope)
        for _ in 0..<count { try await till.store.receiveStock(1, of: "milk", in: "berlin") }
        try await hub.receive(try await till.envelopes(in: scope, missingFrom: before))
    }

    @Test(
        "compaction folds what every device acknowledged into a checkpoint: a process rebuilding from the compacted journal holds the same state, and sends a device that acknowledged it envelopes, not a snapshot"
    )
    func rebuildFromCheckpointMatches() async throws {
        let journalA = try await firstProcess()
        try await receipts(30, on: till1, to: hub)
        try await receipts(20, on: till2, to: hub)
        let acknowledged = try hub.store.versionVector(of: scope)
        try await bothAcknowledge(at: hub, journalA)
        // Acknowledged by neither till: stays in the journal.
        try await receipts(5, on: till1, to: hub)
        let held = try hub.store.versionVector(of: scope)

        // Fewer new changes than the minimum: nothing done.
        #expect(
            try await compact(journalA, minimumChanges: 51)
                .isEmpty)
        let done = try await compact(journalA, minimumChanges: 1)
        #expect(done.count == 1)
        #expect(done.first?.scope == scope)
        #expect(done.first?.covers == acknowledged)
        #expect(done.first?.changes == 50)
        #expect(done.first?.removed == 2, "each till sealed its receipts as one run")
        // Nothing new acknowledged: the next round leaves it.
        #expect(
            try await compact(journalA, minimumChanges: 1)
                .isEmpty)

        // A second process of the hub starts on a fresh cache.
        let processB = try chain.process(of: hub, named: "hub-b")
        let journalB = try await journal(processB)
        #expect(try await journalB.catchUp() == 1, "only the unacknowledged run is read as an envelope")
        #expect(try processB.store.versionVector(of: scope) == held)
        #expect(try processB.store.stockLevel(of: "milk", in: "berlin").level == 55)
        #expect(try processB.store.logFloor(of: scope) == acknowledged)
        guard
            case .envelopes(let envelopes, complete: true) = try await processB.catchUp(
                in: scope, missingFrom: acknowledged, maxBytes: 1 << 20, partBytes: 1 << 16)
        else {
            Issue.record("a device that acknowledged the checkpoint was not sent envelopes")
            return
        }
        #expect(envelopes.count == 1)
        guard
            case .snapshot = try await processB.catchUp(
                in: scope, missingFrom: VersionVector(), maxBytes: 1 << 20, partBytes: 1 << 16)
        else {
            Issue.record("a device holding nothing was not sent a snapshot")
            return
        }
    }

    @Test(
        "a process that never read the changes compaction removed installs the checkpoint before its own next write, and numbers that write past the hub's own changes in it"
    )
    func ownChangesNumberPastTheCheckpoint() async throws {
        let journalA = try await firstProcess()
        // The hub process B, attached but reading nothing yet.
        let processB = try chain.process(of: hub, named: "hub-b")
        _ = try await journal(processB)
        try await till1.store.receiveStock(20, of: "milk", in: "berlin")
        try await till1.store.transferStockRights(10, of: "milk", in: "berlin", to: "hub")
        try await hub.receive(try await till1.envelopes(in: scope, missingFrom: VersionVector()))
        // Two grants of the hub's own (process A): hub#1 and hub#2.
        let processA = hub
        for _ in 0..<2 {
            try await processA.writeOwn {
                ((), try await processA.store.transferStockRights(3, of: "milk", in: "berlin", to: "till-2"))
            }
        }
        #expect(try hub.store.versionVector(of: scope)["hub"] == 2)
        try await bothAcknowledge(at: hub, journalA)
        let done = try await compact(journalA, minimumChanges: 1)
        #expect(done.first?.removed == 3, "till-1's run of two changes and the hub's two")

        // B grants once more without having read anything: its turn installs the checkpoint first.
        try await processB.writeOwn {
            ((), try await processB.store.transferStockRights(1, of: "milk", in: "berlin", to: "till-2"))
        }
        #expect(try processB.store.versionVector(of: scope)["hub"] == 3)
        // A third process rebuilding from the journal sees all three grants.
        let processC = try chain.process(of: hub, named: "hub-c")
        let journalC = try await journal(processC)
        try await journalC.catchUp()
        let milk = try ObjectKey(scope: scope, kind: .stock, id: "milk")
        #expect(try processC.store.counter(at: milk).rights(of: "till-2") == 7)
        #expect(try processC.store.counter(at: milk).rights(of: "hub") == 3)
        // And A, following, applies B's grant as its own replica's.
        try await journalA.catchUp()
        #expect(try hub.store.counter(at: milk).rights(of: "till-2") == 7)
    }

    @Test(
        "a device silent for longer than the retention does not hold compaction back; one heard from within it does"
    )
    func retentionBoundsWhatHoldsCompactionBack() async throws {
        let journalA = try await firstProcess()
        // till-2 last reported holding nothing, 40 days ago.
        try await tenReceiptsTill1Acknowledges(journalA, till2ReportedDaysAgo: 40)
        let done = try await compact(journalA, minimumChanges: 1)
        #expect(done.first?.removed == 1)
        #expect(done.first?.changes == 10)

        // The same report 20 days old counts: nothing more is removed.
        try await tenReceiptsTill1Acknowledges(journalA, till2ReportedDaysAgo: 20)
        #expect(
            try await compact(journalA, minimumChanges: 1)
                .isEmpty)
    }

    @Test("a revoked device does not hold the journal's compaction back, however recently it reported")
    func revokedDeviceDoesNotHoldCompactionBack() async throws {
        let journalA = try await firstProcess()
        // till-2 (lost) reported holding nothing just now: it holds compaction back.
        try await tenReceiptsTill1Acknowledges(journalA, till2ReportedDaysAgo: 0)
        #expect(
            try await compact(journalA, minimumChanges: 1)
                .isEmpty)
        try hub.apply(
            RevocationList(tenant: "acme", revoked: [till2.identity.certificate.id], admin: chain.admin.signing))
        let done = try await compact(journalA, minimumChanges: 1)
        #expect(done.first?.changes == 10)
    }

    @Test(
        "a hub process starting after a device's certificate expired still takes what the device wrote while it was valid, from envelopes and into a checkpoint"
    )
    func expiredCertificateKeepsItsKeptChanges() async throws {
        let journalA = try await firstProcess()
        try await receipts(3, on: till1, to: hub)
        try await bothAcknowledge(at: hub, journalA)
        try await receipts(2, on: till1, to: hub)
        // Two days on, till-1's certificate (valid for one) has expired.
        let later: @Sendable () -> UInt64 = { TestTenant.now + 2 * 86_400_000 }
        let processB = try chain.process(of: hub, named: "hub-b", wallClock: later)
        let journalB = try await journal(processB)
        #expect(try await journalB.catchUp() == 2)
        #expect(try processB.store.stockLevel(of: "milk", in: "berlin").level == 5)
        // B compacts (its scratch replica reads its clock): the first run goes into the checkpoint.
        let done = try await compact(journalB, minimumChanges: 1)
        #expect(done.first?.changes == 3)
        #expect(done.first?.removed == 1)
        // And a device with that certificate is still refused now.
        try await till1.store.receiveStock(1, of: "milk", in: "berlin")
        let fresh = try await till1.envelopes(in: scope, missingFrom: try processB.store.versionVector(of: scope))
        await #expect(throws: NodeError.self) { try await processB.receive(fresh) }
    }

    @Test(
        "a hub process that learnt a device's revocation still takes what the device wrote before, from envelopes and into a checkpoint, and refuses its new changes"
    )
    func revocationLearntLaterKeepsKeptChanges() async throws {
        _ = try await firstProcess()
        try await receipts(3, on: till1, to: hub)
        // The admin revokes till-1; process B starts with the new list, process A has not learnt it.
        let processB = try chain.process(of: hub, named: "hub-b")
        try processB.apply(
            RevocationList(tenant: "acme", revoked: [till1.identity.certificate.id], admin: chain.admin.signing))
        let journalB = try await journal(processB)
        #expect(try await journalB.catchUp() == 1)
        #expect(try processB.store.digest() == hub.store.digest(), "the processes differ on acknowledged changes")
        try await bothAcknowledge(at: processB, journalB)
        let done = try await compact(journalB, minimumChanges: 1)
        #expect(done.first?.changes == 3)
        try await till1.store.receiveStock(1, of: "milk", in: "berlin")
        let fresh = try await till1.envelopes(in: scope, missingFrom: try processB.store.versionVector(of: scope))
        await #expect(throws: NodeError.self) { try await processB.receive(fresh) }
        #expect(try processB.store.stockLevel(of: "milk", in: "berlin").level == 3)
    }

    @Test("a database of schema version 1 is migrated in place: its envelopes are compacted like any other")
    func versionOneDatabaseIsMigrated() async throws {
        let journalA = try await firstProcess()
        try await receipts(4, on: till1, to: hub)
        try await receipts(3, on: till2, to: hub)
        // Back to what version 1 made: no change counts, no checkpoint tables.
        try postgres.execute(
            """
            ALTER TABLE aisle_envelopes DROP COLUMN changes; DROP TABLE aisle_checkpoints;
            DROP TABLE aisle_checkpoint_parts; DROP SEQUENCE aisle_checkpoint_generation;
            UPDATE aisle_schema SET version = 1
            """)
        let processB = try chain.process(of: hub, named: "hub-b")
        let journalB = try await journal(processB)
        #expect(try await journalB.catchUp() == 2)
        try await bothAcknowledge(at: processB, journalB)
        // Each version-1 row counts as one change: two rows reach a minimum of two.
        let done = try await compact(journalB, minimumChanges: 2)
        #expect(done.first?.changes == 7)
        #expect(done.first?.removed == 2)
        try await journalA.catchUp()
        #expect(try hub.store.stockLevel(of: "milk", in: "berlin").level == 7)
    }

    func journal(_ journal: PostgresJournal, notes till: ReplicaNode, holding vector: VersionVector, daysAgo: UInt64) {
        journal.noteAcknowledgement(
            PeerAcknowledgement(
                scope: scope, peer: till.store.replica, vector: vector, at: TestTenant.now - daysAgo * 86_400_000))
    }

    /// till-2 reports holding nothing `days` ago; then ten receipts at till-1 reach the hub, and
    /// till-1 acknowledges them (the reports kept).
    func tenReceiptsTill1Acknowledges(_ journal: PostgresJournal, till2ReportedDaysAgo days: UInt64) async throws {
        self.journal(journal, notes: till2, holding: VersionVector(), daysAgo: days)
        try await receipts(10, on: till1, to: hub)
        try acknowledge(till1, at: hub, journal)
        try await journal.keepAcknowledgements()
    }

    /// `journal`'s compaction with a month's retention, folding scopes with `minimumChanges` new.
    func compact(_ journal: PostgresJournal, minimumChanges: Int) async throws -> [JournalCompaction] {
        try await journal.compact(
            peerRetention: Self.month, minimumChanges: minimumChanges, scratchDirectory: scratch())
    }

    func scratch() -> URL {
        URL(fileURLWithPath: chain.directory.path)
    }
}
