import AisleCore
@_spi(Testing) import AisleCrypto
import Testing

/// Three sales by till-1 in Berlin (seq 4, 5, 6), the second made after it applied till-2's
/// change 7, as one run envelope.
struct ThreeSales {
    let tenant: Tenant
    let sales: [[UInt8]]
    let changes: [RunFollower]
    let header: EnvelopeHeader
    let envelope: Envelope

    /// Till-1's header of a run from seq 4 (nil where the changes cannot share one).
    static func header(_ changes: [RunFollower], certificate: [UInt8]) -> EnvelopeHeader? {
        EnvelopeHeader(
            tenant: "acme", scope: .store("berlin"), origin: "till-1", seq: 4, epoch: 1, certificate: certificate,
            run: changes)
    }

    func runHeader(_ changes: [RunFollower]) -> EnvelopeHeader? {
        Self.header(changes, certificate: tenant.till.id)
    }

    init() throws {
        tenant = try Tenant()
        sales = (1...3).map { units in
            Tenant.sale(by: "till-1", units: UInt64(units)).deltasByScope.filter { $0.scope == .store("berlin") }[0]
                .encoded
        }
        let stamp = Tenant.now << 16
        changes = [
            RunFollower(hlc: stamp, dependencies: VersionVector(["till-1": 3])),
            RunFollower(hlc: stamp + 1, dependencies: VersionVector(["till-1": 4, "till-2": 7])),
            RunFollower(hlc: stamp + 70_000, dependencies: VersionVector(["till-1": 5, "till-2": 7])),
        ]
        header = Self.header(changes, certificate: tenant.till.id)!
        envelope = Envelope(
            header: header, run: try sales.map { [try ObjectDelta(encoded: $0)] },
            key: tenant.scopeKeys[.store("berlin")]!,
            author: tenant.tillKeys)
    }
}

@Suite("Run envelopes: several changes of one origin sealed and signed once")
struct RunEnvelopeTests {
    @Test("a run opens to each change's deltas, clock reading and dependencies, in order")
    func runRoundTrip() throws {
        let run = try ThreeSales()
        let decoded = try Envelope(canonicalBytes: run.envelope.canonicalBytes)
        #expect(decoded == run.envelope)
        #expect(decoded.header.changes == run.changes)
        #expect(decoded.header.count == 3)
        #expect(decoded.header.lastSeq == 6)
        let opened = try run.tenant.trust.openRun(decoded, now: Tenant.now)
        #expect(opened.map { $0.map(\.encoded) } == run.sales.map { [$0] })
        // A run is not one change: the single-change opener refuses it.
        #expect(throws: EnvelopeRefusal.self) { try run.tenant.trust.openDeltas(decoded, now: Tenant.now) }
    }

    @Test("one change keeps the v1 form byte for byte, and opens as a run of one")
    func singleChangeIsV1() throws {
        let run = try ThreeSales()
        let single = run.runHeader([run.changes[0]])!
        let legacy = EnvelopeHeader(
            tenant: "acme", scope: .store("berlin"), origin: "till-1", seq: 4, epoch: 1, hlc: run.changes[0].hlc,
            certificate: run.tenant.till.id, dependencies: run.changes[0].dependencies)
        #expect(single.canonicalBytes == legacy.canonicalBytes)
        let envelope = Envelope(
            header: legacy, encodedDeltas: [run.sales[0]], key: run.tenant.scopeKeys[.store("berlin")]!,
            author: run.tenant.tillKeys)
        let opened = try run.tenant.trust.openRun(envelope, now: Tenant.now)
        #expect(opened.map { $0.map(\.encoded) } == [[run.sales[0]]])
    }

    @Test("a follower's clock reading and grown dependencies cost a few bytes, not a header")
    func followersAreSmall() throws {
        let run = try ThreeSales()
        let first = run.runHeader([run.changes[0]])!
        // The follower count (1 byte); the second change: +1 tick (1), one grown entry (1),
        // till-2 (7) at 7 (1); the third: +70,000 ticks (3), nothing grown (1).
        #expect(run.header.canonicalBytes.count - first.canonicalBytes.count == 1 + (1 + 1 + 7 + 1) + (3 + 1))
    }

    @Test("changes that cannot share a header are refused when the run is made")
    func unrunnableChangesRefused() throws {
        let run = try ThreeSales()
        let header = run.runHeader
        #expect(header([]) == nil)
        // Clock going back, dependencies shrinking, a follower not depending on the change before it.
        #expect(header([run.changes[1], run.changes[0]]) == nil)
        #expect(
            header([run.changes[1], RunFollower(hlc: run.changes[2].hlc, dependencies: VersionVector(["till-1": 4]))])
                == nil)
        #expect(
            header([run.changes[0], RunFollower(hlc: run.changes[1].hlc, dependencies: VersionVector(["till-1": 9]))])
                == nil)
    }

    @Test("any change to a follower's listing, or a payload of another length, is refused")
    func tamperedRunsRefused() throws {
        let run = try ThreeSales()
        let key = run.tenant.scopeKeys[.store("berlin")]!
        // The header re-listing the third change a tick later: the signature no longer holds.
        var moved = run.changes
        moved[2] = RunFollower(hlc: moved[2].hlc + 1, dependencies: moved[2].dependencies)
        let forged = Envelope(
            header: run.runHeader(moved)!,
            nonce: run.envelope.nonce, ciphertext: run.envelope.ciphertext, signature: run.envelope.signature)
        #expect(throws: EnvelopeRefusal.badSignature) { try run.tenant.trust.openRun(forged, now: Tenant.now) }
        // Sealed honestly, but two changes' deltas under a header of three.
        let short = Envelope(
            header: run.header, payload: Envelope.payload(of: run.sales.prefix(2).map { [$0] }), key: key,
            author: run.tenant.tillKeys)
        #expect(throws: EnvelopeRefusal.self) { try run.tenant.trust.openRun(short, now: Tenant.now) }
    }

    @Test("a run is judged by its last change's clock: one too far ahead is refused")
    func runClockDriftJudgedAtItsEnd() throws {
        let run = try ThreeSales()
        let ahead = run.changes[0].hlc + (HybridLogicalClock.defaultMaxDrift + 1_000) << 16
        let header = run.runHeader([run.changes[0], RunFollower(hlc: ahead, dependencies: run.changes[1].dependencies)]
        )!
        let envelope = Envelope(
            header: header, run: try run.sales.prefix(2).map { [try ObjectDelta(encoded: $0)] },
            key: run.tenant.scopeKeys[.store("berlin")]!,
            author: run.tenant.tillKeys)
        #expect(throws: EnvelopeRefusal.self) { try run.tenant.trust.openRun(envelope, now: Tenant.now) }
    }

    @Test("a follower listing that claims more than the header holds does not decode")
    func overlongFollowersRefused() throws {
        let run = try ThreeSales()
        var bytes = run.header.canonicalBytes
        // The last byte is the third change's count of grown dependencies (0): claim one more.
        bytes[bytes.count - 1] = 1
        #expect(throws: CanonicalDecodingError.self) { try EnvelopeHeader(canonicalBytes: bytes) }
    }
}
