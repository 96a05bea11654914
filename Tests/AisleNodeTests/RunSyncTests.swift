import AisleCore
import AisleCrypto
@_spi(Testing) import AisleNode
import AisleStore
import AisleTesting
import Testing

@Suite("Run envelopes between nodes: offline changes sealed and signed once per run")
struct RunSyncTests {
    let scope = Scope.store("berlin")

    /// Till-1 of `berlin` after five stock receipts made with no connection open.
    func fiveOfflineChanges(_ berlin: Berlin) async throws {
        for units in 1...5 { try await berlin.till1.store.receiveStock(UInt64(units), of: "milk", in: "berlin") }
    }

    @Test("changes written offline go as one run; the hub logs each change and relays the run whole")
    func offlineChangesTravelAsOneRun() async throws {
        let berlin = try await Berlin()
        try await fiveOfflineChanges(berlin)
        let sent = try await berlin.till1.envelopes(for: berlin.hub, in: scope)
        #expect(sent.count == 1)
        #expect(sent[0].header.seq == 1 && sent[0].header.lastSeq == 5)
        let outcomes = try await berlin.hub.receive(sent)
        #expect(outcomes == (1...5).map { .applied(origin: "till-1", seq: $0) })
        // Every change of the run reads back with the run's envelope (kept once, on the first).
        let logged = try berlin.hub.store.changes(in: scope, missingFrom: VersionVector())
        #expect(logged.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(logged.allSatisfy { $0.envelope == sent[0].canonicalBytes })
        #expect(logged.map(\.runStart) == [nil, 1, 1, 1, 1])
        let relayed = try await berlin.hub.envelopes(for: berlin.till2, in: scope)
        #expect(relayed == sent)
        try await berlin.till2.receive(relayed)
        #expect(try berlin.till2.store.digest() == berlin.till1.store.digest())
        #expect(try berlin.till2.store.stockLevel(of: "milk", in: "berlin").level == 15)
    }

    @Test("the sender keeps the run it sealed: every later send is the same bytes")
    func runSealedOnce() async throws {
        let berlin = try await Berlin()
        try await fiveOfflineChanges(berlin)
        let first = try await berlin.till1.envelopes(in: scope, missingFrom: VersionVector())
        let again = try await berlin.till1.envelopes(in: scope, missingFrom: VersionVector())
        #expect(first == again)
        // A peer that has the first three changes gets the run that holds the other two.
        let rest = try await berlin.till1.envelopes(in: scope, missingFrom: VersionVector(["till-1": 3]))
        #expect(rest == first)
    }

    @Test("two sends sealing the same changes at once send what one of them kept")
    func concurrentSealingAgrees() async throws {
        let berlin = try await Berlin()
        try await fiveOfflineChanges(berlin)
        let till = berlin.till1
        let scope = scope
        async let one = till.envelopes(in: scope, missingFrom: VersionVector())
        async let two = till.envelopes(in: scope, missingFrom: VersionVector(["till-1": 2]))
        let (a, b) = try await (one, two)
        let kept = try await till.envelopes(in: scope, missingFrom: VersionVector())
        #expect(a == kept)
        // The second asked from change 3: whatever it sent is among what is kept.
        #expect(b.allSatisfy { kept.contains($0) })
        try await berlin.hub.receive(kept)
        #expect(try berlin.hub.store.digest() == till.store.digest())
    }

    @Test("truncating the log inside a run keeps the run for the changes still logged")
    func truncationKeepsRunsWhole() async throws {
        let berlin = try await Berlin()
        try await fiveOfflineChanges(berlin)
        let sent = try await berlin.till1.envelopes(for: berlin.hub, in: scope)
        try await berlin.hub.receive(sent)
        try await berlin.till2.receive(sent)
        #expect(try await berlin.hub.store.truncateLog(in: scope, acknowledgedBy: VersionVector(["till-1": 3])) == 3)
        let logged = try berlin.hub.store.changes(in: scope, missingFrom: VersionVector(["till-1": 3]))
        #expect(logged.map(\.seq) == [4, 5])
        #expect(logged.allSatisfy { $0.envelope == sent[0].canonicalBytes })
        let resent = try await berlin.hub.envelopes(in: scope, missingFrom: VersionVector(["till-1": 3]))
        #expect(resent == sent)
        // Sent again to a till that has it all: every change of it a duplicate.
        let outcomes = try await berlin.till2.receive(resent)
        #expect(outcomes == (1...5).map { .duplicate(origin: "till-1", seq: $0) })
    }

    @Test("a relay that cannot read a customer's run still logs and forwards it whole")
    func opaqueRunsRelayed() async throws {
        let chain = try TestTenant()
        let phone = try chain.node("phone-anna", .mobile, [.exactly(.customer("anna"))], keys: [.customer("anna")])
        let tablet = try chain.node("tablet-anna", .mobile, [.exactly(.customer("anna"))], keys: [.customer("anna")])
        let hub = try chain.node("hub", .hub, [.allStores], keys: [])
        try await chain.introduce([phone, tablet, hub])
        for sku in ["milk", "bread", "eggs"] {
            try await phone.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
                try cart.add(try SKU(sku), quantity: 1, at: me)
            }
        }
        let sent = try await phone.envelopes(in: .customer("anna"), missingFrom: VersionVector())
        #expect(sent.count == 1 && sent[0].header.count == 3)
        try await hub.receive(sent)
        let relayed = try await hub.envelopes(in: .customer("anna"), missingFrom: VersionVector())
        #expect(relayed == sent)
        try await tablet.receive(relayed)
        #expect(try tablet.store.digest() == phone.store.digest())
    }
}
