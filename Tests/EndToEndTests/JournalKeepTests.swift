import AisleCore
import AisleCrypto
import AisleHub
@_spi(Testing) import AisleNode
import AisleStore
import AisleTesting
import Logging
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
}
