import AisleCore
import AisleCrypto
@_spi(Testing) import AisleNode
import AisleStore
import AisleTesting
import Testing

/// Two tills of the Berlin store and the hub, each trusting the others.
struct Berlin {
    let chain: TestTenant
    let till1: ReplicaNode
    let till2: ReplicaNode
    let hub: ReplicaNode

    init() async throws {
        chain = try TestTenant()
        till1 = try chain.node("till-1", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")])
        till2 = try chain.node("till-2", .pos, [.exactly(.store("berlin"))], keys: [.store("berlin")])
        hub = try chain.node("hub", .hub, [.allStores], keys: [.store("berlin")])
        try await chain.introduce([till1, till2, hub])
    }

    /// `count` receipts of one unit of milk at till 1, each sealed in an envelope of its own (seq
    /// 1 to `count`), as the hub lacks them.
    func till1Receipts(_ count: Int) async throws -> [Envelope] {
        till1.sealEachChangeAsWritten()
        for _ in 0..<count { try await till1.store.receiveStock(1, of: "milk", in: "berlin") }
        return try await till1.envelopes(for: hub, in: .store("berlin"))
    }
}

extension ReplicaNode {
    /// Everything `peer` lacks in `scope`, sealed.
    func envelopes(for peer: ReplicaNode, in scope: Scope) async throws -> [Envelope] {
        try await envelopes(in: scope, missingFrom: peer.store.versionVector(of: scope))
    }
}

@Suite("Receiving sealed changes")
struct ReceiveTests {
    let scope = Scope.store("berlin")

    /// Expects `node` to refuse the batch `envelopes` at `origin`'s change `seq` for `reason`,
    /// applying none of it.
    private func expectRefusedWhole(
        _ envelopes: [Envelope], by node: ReplicaNode, at origin: ReplicaID, _ seq: UInt64,
        _ reason: EnvelopeRefusal, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let before = try node.store.digest()
        await #expect(sourceLocation: sourceLocation) {
            try await node.receive(envelopes)
        } throws: { error in
            guard case NodeError.refused(_, origin, seq, reason) = error else { return false }
            return true
        }
        #expect(try node.store.digest() == before, sourceLocation: sourceLocation)
    }

    @Test("a till's changes reach the hub as sealed envelopes and both hold the same state")
    func changesTravelSealed() async throws {
        let berlin = try await Berlin()
        try await berlin.till1.store.receiveStock(10, of: "milk", in: "berlin")
        try await berlin.till1.store.sell(3, of: "milk", in: "berlin")
        // Written with no connection open: sealed when first sent, both in one run envelope.
        let envelopes = try await berlin.till1.envelopes(for: berlin.hub, in: scope)
        #expect(envelopes.map(\.header.seq) == [1])
        #expect(envelopes[0].header.lastSeq == 2)
        #expect(envelopes[0].header.followers.map(\.dependencies) == [VersionVector(["till-1": 1])])
        try await berlin.hub.receive(envelopes)
        #expect(try berlin.hub.store.digest() == berlin.till1.store.digest())
        #expect(try berlin.hub.store.stockLevel(of: "milk", in: "berlin").level == 7)
    }

    @Test("an own change is sealed once: every later send is the same bytes, and a resend is a duplicate")
    func ownChangesSealedOnce() async throws {
        let berlin = try await Berlin()
        try await berlin.till1.store.receiveStock(5, of: "milk", in: "berlin")
        let first = try await berlin.till1.envelopes(in: scope, missingFrom: VersionVector())
        let second = try await berlin.till1.envelopes(in: scope, missingFrom: VersionVector())
        #expect(first == second)
        try await berlin.hub.receive(first)
        let outcomes = try await berlin.hub.receive(second)
        #expect(outcomes == [.duplicate(origin: "till-1", seq: 1)])
        #expect(try berlin.hub.store.stockLevel(of: "milk", in: "berlin").level == 5)
    }

    @Test("the hub forwards a till's envelopes byte for byte and the other till accepts them")
    func relayForwardsTheAuthorsEnvelope() async throws {
        let berlin = try await Berlin()
        try await berlin.till1.store.receiveStock(4, of: "milk", in: "berlin")
        let sealed = try await berlin.till1.envelopes(for: berlin.hub, in: scope)
        try await berlin.hub.receive(sealed)
        let relayed = try await berlin.hub.envelopes(for: berlin.till2, in: scope)
        #expect(relayed == sealed)
        try await berlin.till2.receive(relayed)
        #expect(try berlin.till2.store.digest() == berlin.till1.store.digest())
    }

    @Test("a second, different envelope under a known origin and seq is refused as an equivocation")
    func equivocationRefused() async throws {
        let berlin = try await Berlin()
        try await berlin.till1.store.receiveStock(1, of: "milk", in: "berlin")
        try await berlin.hub.receive(try await berlin.till1.envelopes(for: berlin.hub, in: scope))
        let before = try berlin.hub.store.digest()
        // till-1's own key signs another delta under seq 1: a faulty or malicious device.
        var other = RetailState()
        _ = other.updateStock("berlin") { $0.receive(1_000, of: "milk", at: "till-1") }
        let header = EnvelopeHeader(
            tenant: "acme", scope: scope, origin: "till-1", seq: 1, epoch: 1, hlc: TestTenant.now << 16,
            certificate: berlin.till1.identity.certificate.id)
        let forged = Envelope(
            header: header, deltas: other.deltasByScope.filter { $0.scope == scope },
            key: try berlin.chain.admin.root.scopeKey(for: scope, epoch: 1), author: berlin.till1.identity.signing)
        await #expect(throws: StoreError.equivocation(scope: scope, origin: "till-1", seq: 1)) {
            try await berlin.hub.receive([forged])
        }
        #expect(try berlin.hub.store.digest() == before)
    }

    @Test("a batch with one envelope from a revoked device is refused whole: nothing of it is applied")
    func revokedDeviceRefusesTheBatch() async throws {
        let berlin = try await Berlin()
        try await berlin.till1.store.receiveStock(2, of: "milk", in: "berlin")
        try await berlin.till2.store.receiveStock(3, of: "bread", in: "berlin")
        let good = try await berlin.till1.envelopes(for: berlin.hub, in: scope)
        let revoked = try await berlin.till2.envelopes(for: berlin.hub, in: scope)
        try berlin.hub.apply(
            RevocationList(
                tenant: "acme", revoked: [berlin.till2.identity.certificate.id], admin: berlin.chain.admin.signing))
        try await expectRefusedWhole(good + revoked, by: berlin.hub, at: "till-2", 1, .certificateRevoked("till-2"))
        try await berlin.hub.receive(good)
        #expect(try berlin.hub.store.stockLevel(of: "milk", in: "berlin").level == 2)
    }

    @Test("a catch-up batch is applied whole in order, or refused at its first bad envelope with nothing applied")
    func largeBatchRefusedAtFirstBadEnvelope() async throws {
        let berlin = try await Berlin()
        let envelopes = try await berlin.till1Receipts(12)
        #expect(envelopes.count == 12)
        // Signatures that no longer match in the first half and the second: seq 3 is the first.
        var tampered = envelopes
        for index in [9, 2] {
            let envelope = envelopes[index]
            tampered[index] = Envelope(
                header: envelope.header, nonce: envelope.nonce, ciphertext: envelope.ciphertext.reversed(),
                signature: envelope.signature)
        }
        try await expectRefusedWhole(tampered, by: berlin.hub, at: "till-1", 3, .badSignature)
        let outcomes = try await berlin.hub.receive(envelopes)
        #expect(outcomes == (1...12).map { .applied(origin: "till-1", seq: $0) })
        #expect(try berlin.hub.store.digest() == berlin.till1.store.digest())
    }

    @Test("of envelopes read back from a journal, those whose changes the node holds are left out unverified")
    func heldEnvelopesAreLeftOut() async throws {
        let berlin = try await Berlin()
        let envelopes = try await berlin.till1Receipts(3)
        try await berlin.hub.receive(Array(envelopes.prefix(2)))
        #expect(try berlin.hub.notHeld(envelopes).map(\.header.seq) == [3])
        #expect(try berlin.till2.notHeld(envelopes).map(\.header.seq) == [1, 2, 3])
    }

    @Test("envelopes delivered out of order are held until their dependencies arrive")
    func outOfOrderEnvelopesAreHeld() async throws {
        let berlin = try await Berlin()
        let envelopes = try await berlin.till1Receipts(3)
        try await berlin.hub.receive([envelopes[2], envelopes[1]])
        #expect(try berlin.hub.store.versionVector(of: scope)["till-1"] == 0)
        try await berlin.hub.receive([envelopes[0]])
        #expect(try berlin.hub.store.versionVector(of: scope)["till-1"] == 3)
        #expect(try berlin.hub.store.digest() == berlin.till1.store.digest())
    }

    @Test("an own change is logged already sealed, and the envelope kept is the one sent")
    func ownChangesSealedAsWritten() async throws {
        let berlin = try await Berlin()
        // As while a connection is open.
        berlin.till1.sealEachChangeAsWritten()
        try await berlin.till1.store.receiveStock(5, of: "milk", in: "berlin")
        let logged = try berlin.till1.store.changes(in: scope, missingFrom: VersionVector())
        let kept = try #require(logged.first?.envelope)
        let envelope = try Envelope(canonicalBytes: kept)
        #expect(envelope.header.origin == "till-1" && envelope.header.seq == 1)
        let sent = try await berlin.till1.envelopes(in: scope, missingFrom: VersionVector())
        #expect(sent.map(\.canonicalBytes) == [kept])
        #expect(try await berlin.hub.receive(sent) == [.applied(origin: "till-1", seq: 1)])
    }

    @Test("a node without a scope's key cannot seal its own change there, and says so")
    func sealingWithoutAKeyFails() async throws {
        let chain = try TestTenant()
        let phone = try chain.node("phone-anna", .mobile, [.exactly(.customer("anna"))], keys: [])
        try await phone.store.updateCart("c1", in: .customer("anna")) { cart, me, _ in
            try cart.add("milk", quantity: 1, at: me)
        }
        await #expect {
            try await phone.envelopes(in: .customer("anna"), missingFrom: VersionVector())
        } throws: { error in
            guard case NodeError.noKey(.customer("anna")) = error else { return false }
            return true
        }
    }
}
