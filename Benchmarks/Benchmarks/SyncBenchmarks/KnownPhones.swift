import AisleCore
import AisleCrypto
import AisleNode
import AisleStore
import AisleTesting
import Benchmark
import BenchmarkSupport
import Foundation

/// glibc's `malloc_trim` (malloc.h, which the Glibc module does not export): returns the heap's
/// free memory to the system.
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32

/// Custom single-value metric of hub_start_known_phones: the certificates a started hub holds in
/// memory (scripts/bench reads it at p50).
let heldCertificates = BenchmarkMetric.custom("held certificates", polarity: .prefersSmaller, useScalingFactor: false)
/// What a start added to the process's resident memory (KB), Aisle's and the baseline's.
let aisleStartKB = BenchmarkMetric.custom("aisle start kb", polarity: .prefersSmaller, useScalingFactor: false)
let rawStartKB = BenchmarkMetric.custom("raw start kb", polarity: .prefersSmaller, useScalingFactor: false)

/// A hub whose store keeps the certificates of `phones` phones (each learnt as a phone's first
/// sync would, in batches), for the start of another process on it.
struct KnownPhonesWorkload: Sendable {
    let tenant: TestTenant
    let hub: ReplicaNode
    let phones: Int

    init(phones: Int) async throws {
        tenant = try TestTenant(prefix: "known-phones-bench")
        hub = try tenant.node("hub", .hub, [.allStores], keys: [], notAfter: .max)
        self.phones = phones
        let signing = SigningKeyPair()
        for batch in stride(from: 0, to: phones, by: 1_000) {
            try await Self.learnPhones(batch..<min(phones, batch + 1_000), hub: hub, tenant: tenant, signing: signing)
        }
    }

    /// Phone `index`, of customer `customer-<index>`.
    static func phone(_ index: Int) -> ReplicaID { ReplicaID(stringLiteral: "phone-\(index)") }
    static func customer(_ index: Int) -> CustomerID { CustomerID(stringLiteral: "customer-\(index)") }

    /// `hub` learns and keeps the certificates of the phones `indices` (in one batch), as their
    /// first syncs would.
    static func learnPhones(_ indices: Range<Int>, hub: ReplicaNode, tenant: TestTenant, signing: SigningKeyPair)
        async throws
    {
        let certificates = indices.map { index in
            tenant.certificate(
                phone(index), .mobile, [.exactly(.customer(customer(index)))], signing, notAfter: .max)
        }
        _ = try await hub.learnKept(certificates.map(TrustedRecord.certificate))
    }

    /// The hub started again on its store: how many certificates it holds.
    func start() throws -> Int {
        try ReplicaNode(store: hub.store, identity: hub.identity, trust: tenant.trust(keys: [], certificates: []))
            .trustSnapshot.certificates.count
    }

    /// What a start (`start()` held, then `holdEvery()` held beside it) adds to the process's
    /// resident memory, in KB: Aisle's and the baseline's. The heap is trimmed first, so memory the
    /// setup freed is not reused unseen.
    func residentGrowth() throws -> (aisle: Int, raw: Int) {
        _ = mallocTrim(0)
        let before = Self.residentKB()
        let started = try ReplicaNode(
            store: hub.store, identity: hub.identity, trust: tenant.trust(keys: [], certificates: []))
        let afterStart = Self.residentKB()
        let every = try holdEveryKept()
        let afterEvery = Self.residentKB()
        withExtendedLifetime((started, every)) {}
        return (afterStart - before, afterEvery - afterStart)
    }

    /// VmRSS of this process, in KB.
    static func residentKB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// What a start that held every device did at least: read every certificate kept, decode it,
    /// and index it by id.
    func holdEvery() throws -> Int {
        try holdEveryKept().count
    }

    private func holdEveryKept() throws -> [[UInt8]: Certificate] {
        var held: [[UInt8]: Certificate] = [:]
        for bytes in try hub.store.trusted(kind: ReplicaNode.certificateKind) {
            let certificate = try Certificate(canonicalBytes: bytes)
            held[certificate.id] = certificate
        }
        return held
    }
}
