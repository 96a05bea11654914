import AisleCore
import AisleStore
import AisleTesting
import Foundation
import GRDB
import Testing

@Suite("Database files: schema, ownership, backup")
struct StoreFileTests {
    @Test("a database written by a newer schema is refused with a clear message and left unchanged")
    func newerSchemaRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { withExtendedLifetime(directory) {} }
        let path = directory.file("edge.db")
        let store = try ReplicaStore(StoreConfiguration(path: path), replica: "till-1")
        try await store.receiveStock(1, of: "milk", in: "berlin")
        try store.close()
        try await Self.rollBack(path, "INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = #expect(throws: StoreError.self) {
            try ReplicaStore(StoreConfiguration(path: path), replica: "till-1")
        }
        #expect(error == .newerSchema(path: path, unknown: ["v9-from-the-future"]))
        #expect(error?.description.contains("upgrade Aisle") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test("a database from the first schema is migrated on open, its changes and state kept")
    func firstSchemaMigrated() async throws {
        let directory = try TemporaryDirectory()
        defer { withExtendedLifetime(directory) {} }
        let path = directory.file("edge.db")
        let store = try ReplicaStore(StoreConfiguration(path: path), replica: "till-1")
        try await store.receiveStock(3, of: "milk", in: "berlin")
        let digest = try store.digest()
        try store.close()
        // Back to what v1 wrote: no envelope columns, v2 not recorded.
        try await Self.rollBack(
            path,
            """
            ALTER TABLE changes DROP COLUMN envelope;
            ALTER TABLE held_changes DROP COLUMN envelope;
            DELETE FROM grdb_migrations WHERE identifier = 'v2-envelopes';
            """)
        let reopened = try ReplicaStore(StoreConfiguration(path: path), replica: "till-1")
        #expect(try reopened.digest() == digest)
        let logged = try reopened.changes(in: .store("berlin"), missingFrom: VersionVector())
        #expect(logged.map(\.seq) == [1])
        #expect(logged.first?.envelope == nil)
        try await reopened.attachEnvelope([1, 2, 3], to: logged[0])
        #expect(try reopened.changes(in: .store("berlin"), missingFrom: VersionVector()).first?.envelope == [1, 2, 3])
        // A second sealing (another connection's, a fresh nonce) loses to the kept one: every send
        // of a change carries the same bytes.
        #expect(try await reopened.attachEnvelopes([([4, 5, 6], [logged[0]])]) == [[1, 2, 3]])
    }

    @Test("certificates kept under schema v9 are kept by v10 with no admin key noted, so they are checked again")
    func v9TrustedMigrated() async throws {
        let (directory, path) = try await Self.emptyFileRolledBack(
            replica: "till-1",
            """
            ALTER TABLE trusted DROP COLUMN checked_by;
            DELETE FROM grdb_migrations WHERE identifier = 'v10-trusted-checked-by';
            INSERT INTO trusted (kind, id, bytes) VALUES ('certificate', x'01', x'0203');
            """)
        defer { withExtendedLifetime(directory) {} }
        let reopened = try ReplicaStore(StoreConfiguration(path: path), replica: "till-1")
        #expect(try reopened.trustedRecords(kind: "certificate").map(\.checkedBy) == [nil])
        try reopened.noteTrustedChecked(kind: "certificate", ids: [[1]], checkedBy: [9])
        try await reopened.keepTrusted([TrustedRow(kind: "certificate", id: [4], bytes: [5])], checkedBy: [9])
        #expect(try reopened.trustedRecords(kind: "certificate").map(\.checkedBy) == [[9], [9]])
        #expect(try reopened.trusted(kind: "certificate") == [[2, 3], [5]])
    }

    @Test(
        "grants kept under schema v10 have no end noted until their node notes it; a start reads the certificates not noted, and of the grants those in force, ended lately, unnoted or checked under another key"
    )
    func v10TrustedMigrated() async throws {
        let (directory, path) = try await Self.emptyFileRolledBack(
            replica: "hub",
            Self.beforeV12 + """
                DROP INDEX trusted_by_scope;
                ALTER TABLE trusted DROP COLUMN scope;
                ALTER TABLE trusted DROP COLUMN not_after;
                DELETE FROM grdb_migrations WHERE identifier = 'v11-trusted-grant-index';
                INSERT INTO trusted (kind, id, bytes, checked_by) VALUES ('grant', x'01', x'11', x'09');
                """)
        defer { withExtendedLifetime(directory) {} }
        let store = try ReplicaStore(StoreConfiguration(path: path), replica: "hub")
        #expect(try store.trustedRecords(kind: "grant").map(\.noted) == [false])
        #expect(
            try store.trustedRecords(kind: "grant", endingFrom: 1_000, checkedBy: [9], setAside: "mobile").map(\.bytes)
                == [[0x11]])
        try store.noteTrusted([
            TrustedRow(kind: "grant", id: [1], bytes: [0x11], scope: "customer:anna", notAfter: 500)
        ])
        try await store.keepTrusted(
            [
                TrustedRow(kind: "grant", id: [2], bytes: [0x12], scope: "customer:anna", notAfter: 2_000),
                TrustedRow(kind: "grant", id: [3], bytes: [0x13], scope: "customer:bob", notAfter: 500),
                TrustedRow(kind: "certificate", id: [4], bytes: [0x14]),
            ], checkedBy: [9])
        try await store.keepTrusted(
            [TrustedRow(kind: "grant", id: [5], bytes: [0x15], scope: "customer:anna", notAfter: 500)], checkedBy: [8])

        #expect(try store.trustedRecords(kind: "grant").map(\.noted) == [true, true, true, true])
        // Ended before 1,000 and checked under this key: left on disk.
        #expect(
            try store.trustedRecords(kind: "grant", endingFrom: 1_000, checkedBy: [9], setAside: "mobile").map(\.bytes)
                == [[0x12], [0x15]])
        #expect(
            try store.trustedRecords(kind: "certificate", endingFrom: 1_000, checkedBy: [9], setAside: "mobile")
                .map(\.bytes) == [[0x14]])
        #expect(
            Set(try store.trustedRecords(kind: "grant", scopes: ["customer:anna"]).map(\.bytes)) == [
                [0x11], [0x12], [0x15],
            ])
        #expect(try store.trustedRecords(kind: "grant", scopes: ["customer:carl"]).isEmpty)
    }

    @Test(
        "certificates kept under schema v11 have no device noted until their node notes it; a start then leaves the phones' checked under this key on disk, read back by id, and the revoked devices are those whose every certificate is revoked"
    )
    func v11TrustedMigrated() async throws {
        let (directory, path) = try await Self.emptyFileRolledBack(
            replica: "hub",
            Self.beforeV12 + """
                INSERT INTO trusted (kind, id, bytes, checked_by) VALUES
                    ('certificate', x'01', x'11', x'09'), ('certificate', x'02', x'12', x'09');
                """)
        defer { withExtendedLifetime(directory) {} }
        let store = try ReplicaStore(StoreConfiguration(path: path), replica: "hub")
        func atStart() throws -> [[UInt8]] {
            try store.trustedRecords(kind: "certificate", endingFrom: 0, checkedBy: [9], setAside: "mobile")
                .map(\.bytes)
        }
        #expect(try store.trustedRecords(kind: "certificate").map(\.noted) == [false, false])
        #expect(try atStart() == [[0x11], [0x12]])
        try store.noteTrusted([
            TrustedRow(kind: "certificate", id: [1], bytes: [0x11], device: "phone-anna", role: "mobile"),
            TrustedRow(kind: "certificate", id: [2], bytes: [0x12], device: "till-1", role: "pos"),
        ])
        try await store.keepTrusted(
            [
                TrustedRow(kind: "certificate", id: [3], bytes: [0x13], device: "phone-anna", role: "mobile"),
                TrustedRow(kind: "certificate", id: [4], bytes: [0x14], device: "phone-bob", role: "mobile"),
            ], checkedBy: [9])
        try store.keepTrustedNow(
            [TrustedRow(kind: "certificate", id: [5], bytes: [0x15], device: "phone-carl", role: "mobile")],
            checkedBy: [8])

        // The till's, and the phone's checked under another key; the others stay on disk.
        #expect(try atStart() == [[0x12], [0x15]])
        #expect(try store.trustedRecords(kind: "certificate", ids: [[3], [1], [7]]).map(\.bytes) == [[0x13], [0x11]])
        #expect(try store.trustedSubjects(kind: "certificate").filter { $0.device == "till-1" }.map(\.role) == ["pos"])
        // Anna enrolled again: one of her two certificates revoked leaves her live.
        #expect(try store.devices(kind: "certificate", allAmong: [[1]]).isEmpty)
        #expect(try store.devices(kind: "certificate", allAmong: [[1], [3], [4], [7]]) == ["phone-anna", "phone-bob"])
    }

    /// Runs `sql` on the closed store file at `path`, as an older (or newer) version of Aisle
    /// would have left it.
    static func rollBack(_ path: String, _ sql: String) async throws {
        let database = try DatabaseQueue(path: path)
        try await database.write { db in try db.execute(sql: sql) }
        try database.close()
    }

    /// A new, empty store file of `replica` in a fresh directory, closed, then `sql` run on it
    /// (``rollBack(_:_:)``); the directory lives as long as the caller holds it.
    static func emptyFileRolledBack(replica: ReplicaID, _ sql: String) async throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory()
        let path = directory.file("\(replica).db")
        try ReplicaStore(StoreConfiguration(path: path), replica: replica).close()
        try await rollBack(path, sql)
        return (directory, path)
    }

    /// Undoes migration v12 (a certificate's device and role).
    static let beforeV12 = """
        DROP INDEX trusted_by_device;
        ALTER TABLE trusted DROP COLUMN device;
        ALTER TABLE trusted DROP COLUMN role;
        DELETE FROM grdb_migrations WHERE identifier = 'v12-trusted-certificate-device';

        """

    /// Till-1's file in a fresh directory, after 7 milk received in Berlin and 2 sold.
    static func tillFileWithSales() async throws -> (TemporaryDirectory, String, ReplicaStore) {
        let directory = try TemporaryDirectory()
        let path = directory.file("edge.db")
        let store = try ReplicaStore(StoreConfiguration(path: path), replica: "till-1")
        try await store.receiveStock(7, of: "milk", in: "berlin")
        try await store.sell(2, of: "milk", in: "berlin")
        return (directory, path, store)
    }

    @Test("stock written under schema v6 (names as text) is moved to numbered rows on open: same state, same view")
    func v6StockMigrated() async throws {
        let (directory, path, store) = try await Self.tillFileWithSales()
        defer { withExtendedLifetime(directory) {} }
        try await store.transferStockRights(3, of: "milk", in: "berlin", to: "till-2")
        try await store.receiveStock(4, of: "oat", in: "hamburg")
        let digest = try store.digest()
        let stock = try store.state().objects(in: .store("berlin")).merging(
            try store.state().objects(in: .store("hamburg"))
        ) { first, _ in first }
        try store.close()
        let shown = "SELECT store_id, sku, level, sellable_here FROM stock_levels ORDER BY store_id, sku"
        let database = try DatabaseQueue(path: path)
        let before = try database.read { db in try Row.fetchAll(db, sql: shown) }
        #expect(before.count == 2)
        // Back to what v6 wrote: a stock_levels table with text ids and canonical states.
        try await database.write { db in
            try db.execute(
                sql: """
                    DROP VIEW stock_levels; DROP TABLE stock; DROP TABLE name_numbers;
                    DELETE FROM grdb_migrations WHERE identifier = 'v7-numbered-stock';
                    CREATE TABLE stock_levels (
                        store_id TEXT NOT NULL, sku TEXT NOT NULL, level INTEGER NOT NULL,
                        sellable_here INTEGER NOT NULL, state BLOB NOT NULL, PRIMARY KEY (store_id, sku)
                    ) WITHOUT ROWID;
                    """)
            for (key, value) in stock where key.kind == .stock {
                guard case .stock(let counter) = value, case .store(let storeID) = key.scope else { continue }
                try db.execute(
                    sql: "INSERT INTO stock_levels VALUES (?, ?, ?, ?, ?)",
                    arguments: [
                        storeID.rawValue, key.id, counter.value, max(0, counter.rights(of: "till-1")),
                        Data(value.canonicalBytes),
                    ])
            }
        }
        try database.close()

        let reopened = try ReplicaStore(StoreConfiguration(path: path), replica: "till-1")
        #expect(try reopened.digest() == digest)
        #expect(try reopened.stockLevel(of: "milk", in: "berlin") == StockLevel(level: 5, sellableHere: 2))
        try reopened.close()
        let after = try DatabaseQueue(path: path)
        #expect(try after.read { db in try Row.fetchAll(db, sql: shown) } == before)
        try after.close()
    }

    @Test("version rows written under schema v7 (each write updating its row) keep their vectors under v8's marks")
    func v7VersionsMigrated() async throws {
        let (directory, path, store) = try await Self.tillFileWithSales()
        defer { withExtendedLifetime(directory) {} }
        try await store.updateCart("c", in: .customer("anna")) { cart, me, _ in
            try cart.add("milk", quantity: 1, at: me)
        }
        let berlin = try store.versionVector(of: .store("berlin"))
        let anna = try store.versionVector(of: .customer("anna"))
        #expect(berlin == VersionVector(["till-1": 2]))
        try store.close()
        // Back to v7: a versions table holding each origin's highest sequence, and a log compacted
        // away (so only the table knows the vectors).
        try await Self.rollBack(
            path,
            """
            DROP VIEW versions;
            CREATE TABLE versions (
                scope TEXT NOT NULL, origin TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (scope, origin)
            ) WITHOUT ROWID;
            INSERT INTO versions SELECT scope, origin, max(seq) FROM changes GROUP BY scope, origin;
            DROP TABLE version_marks;
            DELETE FROM changes;
            DELETE FROM grdb_migrations WHERE identifier = 'v8-version-marks';
            """)

        let reopened = try ReplicaStore(StoreConfiguration(path: path), replica: "till-1")
        #expect(try reopened.versionVector(of: .store("berlin")) == berlin)
        #expect(try reopened.versionVector(of: .customer("anna")) == anna)
        #expect(try await reopened.sell(1, of: "milk", in: "berlin").map(\.seq) == [3])
        try reopened.close()
    }

    @Test("a database belonging to another replica is refused")
    func replicaMismatchRefused() throws {
        let directory = try TemporaryDirectory()
        defer { withExtendedLifetime(directory) {} }
        let path = directory.file("edge.db")
        try ReplicaStore(StoreConfiguration(path: path), replica: "till-1").close()
        #expect(throws: StoreError.replicaMismatch(path: path, expected: "till-2", found: "till-1")) {
            try ReplicaStore(StoreConfiguration(path: path), replica: "till-2")
        }
    }

    @Test(
        "a database one store serves is refused to a second, naming the holder, before it is touched; a store that only looks opens it, and the next server once the first closes"
    )
    func oneServerPerDatabase() async throws {
        let directory = try TemporaryDirectory()
        defer { withExtendedLifetime(directory) {} }
        let path = directory.file("edge.db")
        let serving = StoreConfiguration(path: path, exclusive: true)
        let first = try ReplicaStore(serving, replica: "till-1")
        try await first.receiveStock(3, of: "milk", in: "berlin")
        #expect(throws: StoreError.inUse(path: path, by: getpid())) {
            try ReplicaStore(serving, replica: "till-1")
        }
        // Refused before any file of its own is made or read: a second replica is refused the same way.
        #expect(throws: StoreError.inUse(path: path, by: getpid())) {
            try ReplicaStore(serving, replica: "till-2")
        }
        let looking = try ReplicaStore(StoreConfiguration(path: path), replica: "till-1")
        #expect(try looking.stockLevel(of: "milk", in: "berlin").level == 3)
        try looking.close()
        try first.close()
        let next = try ReplicaStore(serving, replica: "till-1")
        #expect(try next.stockLevel(of: "milk", in: "berlin").level == 3)
        try next.close()
    }

    @Test("a backup restores to a replica with the same digest and the same change log")
    func backupRestoresSameDigest() async throws {
        let test = try TestStore("till-1")
        defer { withExtendedLifetime(test) {} }
        try await test.publishPrices(["milk": 99])
        try await test.store.receiveStock(3, of: "milk", in: "berlin")
        try await test.store.updateCart("c", in: .store("berlin")) { cart, me, _ in
            try cart.add("milk", quantity: 1, at: me)
        }
        try await test.store.checkOut("c", in: .store("berlin"), as: "o-1", store: "berlin")
        let backup = test.directory.file("backup.db")
        try test.store.backup(to: backup)
        #expect(throws: StoreError.targetExists(backup)) { try test.store.backup(to: backup) }
        let restoredPath = test.directory.file("restored.db")
        try ReplicaStore.restore(from: backup, to: restoredPath)
        let restored = try ReplicaStore(StoreConfiguration(path: restoredPath), replica: "till-1")
        #expect(try restored.digest() == test.store.digest())
        #expect(try restored.allChanges() == test.store.allChanges())
        #expect(try restored.integrityCheck() == "ok")
        // The restored replica continues its sequence where the original stopped.
        let next = try await restored.receiveStock(1, of: "milk", in: "berlin")
        #expect(next.map(\.seq) == [4])
    }

    @Test("restoring onto an existing file or from a missing one is refused")
    func restoreRefusals() throws {
        let directory = try TemporaryDirectory()
        defer { withExtendedLifetime(directory) {} }
        let existing = directory.file("a.db")
        try ReplicaStore(StoreConfiguration(path: existing), replica: "till-1").close()
        #expect(throws: StoreError.targetExists(existing)) { try ReplicaStore.restore(from: existing, to: existing) }
        #expect(throws: StoreError.missingFile(directory.file("none.db"))) {
            try ReplicaStore.restore(from: directory.file("none.db"), to: directory.file("b.db"))
        }
    }

    @Test("each durability setting is applied to the connection", arguments: StoreConfiguration.Durability.allCases)
    func durabilityApplied(_ durability: StoreConfiguration.Durability) async throws {
        let directory = try TemporaryDirectory()
        defer { withExtendedLifetime(directory) {} }
        let path = directory.file("d.db")
        let store = try ReplicaStore(StoreConfiguration(path: path, durability: durability), replica: "till-1")
        try await store.receiveStock(1, of: "milk", in: "berlin")
        // synchronous: 0 = OFF, 1 = NORMAL, 2 = FULL; journal in WAL; no inline auto-checkpoint.
        let expected = ["off": 0, "normal": 1, "flushed": 1, "full": 2][durability.rawValue]
        #expect(try store.pragma("synchronous") == expected.map(String.init))
        #expect(try store.pragma("journal_mode") == "wal")
        #expect(try store.pragma("wal_autocheckpoint") == "0")
        let (frames, _) = try store.checkpoint()
        #expect(frames > 0)
    }

    @Test("at .flushed, writers that flush together share one fdatasync, and a flush with nothing new costs none")
    func flushesAreShared() async throws {
        let directory = try TemporaryDirectory()
        defer { withExtendedLifetime(directory) {} }
        let store = try await Self.flushedHubStore(in: directory)
        #expect(store.walFlushes == 1)
        try await store.flush()
        #expect(store.walFlushes == 1, "nothing committed since the last flush")

        let writers = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<writers {
                group.addTask {
                    try await store.receiveStock(1, of: try SKU("sku-\(index)"), in: "berlin")
                    try await store.flush()
                }
            }
            try await group.waitForAll()
        }
        let shared = store.walFlushes - 1
        #expect(shared >= 1 && shared < UInt64(writers), "\(shared) flushes for \(writers) writers")
        for index in 0..<writers {
            #expect(try store.stockLevel(of: try SKU("sku-\(index)"), in: "berlin").level == 1)
        }
        try await store.flush()
        #expect(store.walFlushes == shared + 1)
    }

    @Test("at .flushed, writers that flush without pause start a flush at most every 3 ms, each serving several")
    func flushesAreSpaced() async throws {
        let directory = try TemporaryDirectory()
        defer { withExtendedLifetime(directory) {} }
        let store = try await Self.flushedHubStore(in: directory)
        let before = store.walFlushes
        let started = ContinuousClock.now
        let writes = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<8 {
                group.addTask {
                    for _ in 0..<40 {
                        try await store.receiveStock(1, of: try SKU("sku-\(index)"), in: "berlin")
                        try await store.flush()
                    }
                    return 40
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - started
        let flushes = store.walFlushes - before
        let allowed = UInt64(elapsed / .milliseconds(3)) + 1
        #expect(flushes <= allowed, "\(flushes) flushes in \(elapsed), at most \(allowed)")
        #expect(writes > Int(flushes), "\(writes) writes, \(flushes) flushes")
    }

    /// A hub's store at `.flushed` in `directory`, with one write flushed (so ``walFlushes`` is 1).
    static func flushedHubStore(in directory: TemporaryDirectory) async throws -> ReplicaStore {
        let store = try ReplicaStore(
            StoreConfiguration(path: directory.file("hub.db"), durability: .flushed), replica: "hub")
        try await store.receiveStock(1, of: "milk", in: "berlin")
        try await store.flush()
        return store
    }

    /// A store at `durability` in `directory`, and another till's changes for it to apply (five
    /// milk received, then one sold: two changes).
    static func storeAndRemoteChanges(_ durability: StoreConfiguration.Durability, in directory: TemporaryDirectory)
        async throws -> (ReplicaStore, [RemoteChange])
    {
        let source = try TestStore("till-9")
        try await source.store.receiveStock(5, of: "milk", in: "berlin")
        try await source.store.sell(1, of: "milk", in: "berlin")
        let store = try ReplicaStore(
            StoreConfiguration(path: directory.file("till.db"), durability: durability), replica: "till-1")
        return (store, try source.store.allChanges())
    }

    @Test(
        "at .full, an own write syncs at its commit, remote changes commit unsynced until a flush or the next own write"
    )
    func remoteChangesAreSyncedBeforeAcknowledgement() async throws {
        let directory = try TemporaryDirectory()
        defer { withExtendedLifetime(directory) {} }
        let (store, remote) = try await Self.storeAndRemoteChanges(.full, in: directory)
        // synchronous: 1 = NORMAL, 2 = FULL (the writer's setting after its last transaction).
        try await store.receiveStock(1, of: "bread", in: "berlin")
        #expect(try store.pragma("synchronous") == "2")
        try await store.flush()
        #expect(store.walFlushes == 0, "an own write is durable at its commit")

        try await store.apply([remote[0]])
        #expect(try store.pragma("synchronous") == "1", "a remote change commits without a sync")
        try await store.flush()
        #expect(store.walFlushes == 1, "and the flush before acknowledging it syncs")
        try await store.flush()
        #expect(store.walFlushes == 1, "nothing committed since the last flush")

        try await store.apply([remote[1]])
        try await store.sell(1, of: "bread", in: "berlin")
        #expect(try store.pragma("synchronous") == "2")
        try await store.flush()
        #expect(store.walFlushes == 1, "the own write's sync made the remote change before it durable")
        #expect(try store.stockLevel(of: "milk", in: "berlin").level == 4)
    }

    @Test("at .normal, flush never syncs: commits are never promised to survive a power cut")
    func flushIsFreeAtNormal() async throws {
        let directory = try TemporaryDirectory()
        defer { withExtendedLifetime(directory) {} }
        let (store, remote) = try await Self.storeAndRemoteChanges(.normal, in: directory)
        try await store.receiveStock(1, of: "bread", in: "berlin")
        try await store.apply(remote)
        try await store.flush()
        #expect(store.walFlushes == 0)
    }
}
