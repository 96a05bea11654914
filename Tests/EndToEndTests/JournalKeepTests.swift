import AisleCore
import AisleCrypto
@_spi(Testing) import AisleHub
@_spi(Testing) import AisleNode
import AisleStore
import AisleTesting
import Logging
import Synchronization
import Testing

/// The PostgreSQL journal's keep, against a real server on 127.0.0.1.
@Suite("Keeping devices' envelopes in PostgreSQL", .serialized)
struct JournalKeepTests {
    let scope = Scope.store("berlin")

    @Test(
        "envelopes kept concurrently share an INSERT: a forged one is refused to its own caller only, and a copy of a kept change is a duplicate"
    )
    func concurrentKeepsRefuseOnlyTheForger() async throws {
        let postgres = try PostgresServer()
        let chain = try TestTenant()
        defer { withExtendedLifetime((postgres, chain)) {} }
        let till1 = try chain.node("till-1", .pos, [.exactly(scope)], keys: [scope])
        let till2 = try chain.node("till-2", .pos, [.exactly(scope)], keys: [scope])
        let hub = try chain.node("hub", .hub, [.allStores], keys: [scope])
        let reader = try chain.node("hub-2", .hub, [.allStores], keys: [scope])
        try await chain.introduce([till1, till2, hub, reader])
        // One envelope per change, as tills with a connection open seal them (no runs).
        till2.sealEachChangeAsWritten()

        try await till1.store.receiveStock(1, of: "milk", in: "berlin")
        let genuine = try await till1.envelopes(in: scope, missingFrom: VersionVector())
        try await till2.store.receiveStock(1, of: "milk", in: "berlin")
        try await till2.store.receiveStock(1, of: "milk", in: "berlin")
        let second = try await till2.envelopes(in: scope, missingFrom: VersionVector())
        #expect(genuine.count == 1 && second.count == 2)
        // till-1's own key signs another delta under seq 1: a faulty or malicious device.
        var other = RetailState()
        _ = other.updateStock("berlin") { $0.receive(1_000, of: "milk", at: "till-1") }
        let forged = Envelope(
            header: EnvelopeHeader(
                tenant: "acme", scope: scope, origin: "till-1", seq: 1, epoch: 1, hlc: TestTenant.now << 16,
                certificate: till1.identity.certificate.id),
            deltas: other.deltasByScope.filter { $0.scope == scope },
            key: try chain.admin.root.scopeKey(for: scope, epoch: 1), author: till1.identity.signing)

        let location = try PostgresLocation(url: postgres.url)
        let journal = PostgresJournal(at: location, node: hub, logger: Logger(label: "test")) { _ in }
        let running = Task { await journal.runClient() }
        defer { running.cancel() }
        try await journal.migrate()
        try await journal.keep(genuine)

        // The forgery (with a valid change of till-2 beside it) races a copy of the genuine change
        // and till-2's second change.
        let forgerRefused = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                do { try await journal.keep([forged, second[0]]) } catch JournalError.equivocation { return true }
                return false
            }
            group.addTask {
                try await journal.keep(genuine)
                return false
            }
            group.addTask {
                try await journal.keep([second[1]])
                return false
            }
            return try await group.reduce(false) { $0 || $1 }
        }
        #expect(forgerRefused)

        // Another hub process rebuilding from the journal holds the genuine changes only.
        let other2 = PostgresJournal(at: location, node: reader, logger: Logger(label: "test")) { _ in }
        let reading = Task { await other2.runClient() }
        defer { reading.cancel() }
        #expect(try await other2.catchUp() == 3)
        #expect(try reader.store.stockLevel(of: "milk", in: "berlin").level == 3)
    }

    @Test(
        "acknowledgement reports are kept in statements of a thousand, and read back a batch at a time, with those noted and not kept yet laid over them; a newer report kept is never overwritten by an older one"
    )
    func acknowledgementsKeptInBulk() async throws {
        let postgres = try PostgresServer()
        let chain = try TestTenant()
        defer { withExtendedLifetime((postgres, chain)) {} }
        let hub = try chain.node("hub", .hub, [.allStores], keys: [scope])
        let journal = PostgresJournal(
            at: try PostgresLocation(url: postgres.url), node: hub, logger: Logger(label: "test")
        ) { _ in }
        let running = Task { await journal.runClient() }
        defer { running.cancel() }
        try await journal.migrate()
        func report(_ peer: Int, seq: UInt64, at: UInt64) throws -> PeerAcknowledgement {
            let id = try ReplicaID("till-\(peer)")
            return PeerAcknowledgement(scope: scope, peer: id, vector: VersionVector([id: seq]), at: at)
        }
        func kept() async throws -> [PeerAcknowledgement] {
            var kept: [PeerAcknowledgement] = []
            try await journal.forEachAcknowledgementBatch(size: 300) { batch in
                #expect(batch.count <= 300)
                kept += batch
            }
            return kept
        }

        // More reports than one statement takes: all kept, each as noted.
        let devices = PostgresJournal.reportsPerStatement + 1
        for peer in 0..<devices { journal.noteAcknowledgement(try report(peer, seq: 5, at: 200)) }
        try await journal.keepAcknowledgements()
        var reports = try await kept()
        #expect(reports.count == devices)
        #expect(Set(reports.map(\.peer)).count == devices)
        #expect(reports.allSatisfy { $0.vector[$0.peer] == 5 && $0.at == 200 })

        // An older report (another hub process noted it late) loses to the newer one kept; a
        // newer one replaces it.
        journal.noteAcknowledgement(try report(0, seq: 3, at: 100))
        journal.noteAcknowledgement(try report(1, seq: 9, at: 300))
        try await journal.keepAcknowledgements()
        reports = try await kept()
        #expect(reports.count == devices)
        let first = try #require(reports.first { $0.peer == "till-0" })
        let second = try #require(reports.first { $0.peer == "till-1" })
        #expect(first.vector["till-0"] == 5 && first.at == 200)
        #expect(second.vector["till-1"] == 9 && second.at == 300)

        // Noted and not kept yet, a report is read back all the same: a newer one over the kept
        // one of its pair, not an older one, and one of a pair not kept at all.
        journal.noteAcknowledgement(try report(2, seq: 7, at: 400))
        journal.noteAcknowledgement(try report(3, seq: 1, at: 50))
        journal.noteAcknowledgement(try report(devices, seq: 2, at: 500))
        reports = try await kept()
        #expect(reports.count == devices + 1)
        #expect(Set(reports.map(\.peer)).count == devices + 1)
        #expect(reports.first { $0.peer == "till-2" }?.vector["till-2"] == 7)
        #expect(reports.first { $0.peer == "till-3" }?.vector["till-3"] == 5)
        #expect(reports.first { $0.peer == ReplicaID(stringLiteral: "till-\(devices)") }?.at == 500)
    }

    @Test(
        "a device's certificate kept by one hub process is learnt by another at once, before any envelope it signs"
    )
    func keptCertificateWakesTheOtherProcess() async throws {
        let postgres = try PostgresServer()
        let chain = try TestTenant()
        defer { withExtendedLifetime((postgres, chain)) {} }
        let hub = try chain.node("hub", .hub, [.allStores], keys: [scope])
        let other = try chain.process(of: hub, named: "hub-2")
        let till = try chain.node("till-1", .pos, [.exactly(scope)], keys: [scope])
        let (_, following, clients) = try await Self.twoProcesses(hub, other, on: postgres)
        defer { for client in clients { client.cancel() } }
        // Only a notification wakes it within the test: its fallback poll is a minute away.
        let follower = Task { await following.follow(fallback: .seconds(60)) { _ in } }
        defer { follower.cancel() }
        try await Task.sleep(for: .milliseconds(300))  // listening

        try await hub.learn(till.identity.certificate)  // till-1 connected to the first process
        let id = till.identity.certificate.id
        let deadline = ContinuousClock.now + .seconds(10)
        // Learnt (trusted) first, then kept in its store: wait for both.
        func learnt() throws -> Bool {
            try other.trustSnapshot.certificates[id] != nil
                && other.store.trustedRecords(kind: ReplicaNode.certificateKind, ids: [id]).count == 1
        }
        while try !learnt(), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try learnt())
    }

    @Test(
        "a revocation head office sent to one hub process reaches the other through the journal, which then refuses the device"
    )
    func revocationFollowedByTheOtherProcess() async throws {
        let postgres = try PostgresServer()
        let chain = try TestTenant()
        defer { withExtendedLifetime((postgres, chain)) {} }
        let hq = try chain.node("hq", .hq, [.exactly(.catalog)], keys: [.catalog])
        let hub = try chain.node("hub", .hub, [.allStores], keys: [.catalog, scope])
        let till = try chain.node("till-1", .pos, [.exactly(scope)], keys: [scope])
        try await chain.introduce([hq, hub, till])
        let other = try chain.process(of: hub, named: "hub-2")
        let (_, following, clients) = try await Self.twoProcesses(hub, other, on: postgres)
        defer { for client in clients { client.cancel() } }
        let told = Mutex<[[UInt8]]>([])
        other.onRevocation { revoked in told.withLock { $0 += revoked } }

        let certificate = till.identity.certificate.id
        try await hq.publishRevocation(
            of: certificate, Revocation(revoking: certificate, in: "acme", admin: chain.admin.signing))
        try await hub.receive(hq.envelopes(in: .catalog, missingFrom: VersionVector()), from: hq.identity.certificate)
        try await following.catchUp()
        #expect(other.trustSnapshot.revoked == [certificate])
        #expect(told.withLock { $0 } == [certificate])
    }

    /// Two hub processes' journals on one database, attached to `hub` and `other`, their clients
    /// running (cancel them at the end), the schema made and `other` caught up.
    private static func twoProcesses(_ hub: ReplicaNode, _ other: ReplicaNode, on postgres: PostgresServer)
        async throws -> (PostgresJournal, PostgresJournal, [Task<Void, Never>])
    {
        let location = try PostgresLocation(url: postgres.url)
        let keeping = PostgresJournal(at: location, node: hub, logger: Logger(label: "test")) { _ in }
        let following = PostgresJournal(at: location, node: other, logger: Logger(label: "test")) { _ in }
        hub.attach(keeping)
        other.attach(following)
        let clients = [Task { await keeping.runClient() }, Task { await following.runClient() }]
        do {
            try await keeping.migrate()
            try await following.catchUp()
        } catch {
            for client in clients { client.cancel() }
            throw error
        }
        return (keeping, following, clients)
    }
}
