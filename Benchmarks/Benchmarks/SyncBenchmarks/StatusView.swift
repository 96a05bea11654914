import AisleCore
import AisleCrypto
import AisleHub
import AisleNode
import AisleStore
import AisleTesting
import Benchmark
import BenchmarkSupport
import Foundation
import NIOCore

/// What one status view added to the process's peak resident memory (KB).
let statusViewPeakKB = BenchmarkMetric.custom("status view peak kb", polarity: .prefersSmaller, useScalingFactor: false)
/// What answering `GET /v1/status` with every device added to the peak resident memory (KB), as
/// the hub writes it (a part at a time), and encoded whole into one buffer (the baseline).
let statusAnswerPeakKB = BenchmarkMetric.custom(
    "status answer peak kb", polarity: .prefersSmaller, useScalingFactor: false)
let statusAnswerWholePeakKB = BenchmarkMetric.custom(
    "status answer whole peak kb", polarity: .prefersSmaller, useScalingFactor: false)
/// How many bytes of JSON that answer is.
let statusAnswerBytes = BenchmarkMetric.custom(
    "status answer bytes", polarity: .prefersSmaller, useScalingFactor: false)
/// How many devices the view listed.
let statusViewDevices = BenchmarkMetric.custom(
    "status view devices", polarity: .prefersSmaller, useScalingFactor: false)

/// A hub that has heard from `phones` phones: each one's certificate kept, a change in its
/// customer scope, and its reports of three scopes (its customer and loyalty scopes, and the
/// catalog), as a phone's syncs leave them. Every phone holds what the hub holds.
struct StatusViewWorkload: Sendable {
    let tenant: TestTenant
    let hub: ReplicaNode
    let phones: Int

    init(phones: Int) async throws {
        tenant = try TestTenant(prefix: "status-view-bench")
        self.phones = phones
        // The customer scopes' changes, written by a bare store on the hub's file (the hub's node
        // writes none of its own there).
        let path = tenant.directory.file("hub.db")
        let writer = try ReplicaStore(
            StoreConfiguration(path: path, durability: .off), replica: "hub", wallClock: { TestTenant.now })
        for index in 0..<phones {
            try await writer.addToWishlist("jam", of: KnownPhonesWorkload.customer(index), from: "app")
        }
        try writer.close()
        hub = try tenant.node("hub", .hub, [.allStores], keys: [], notAfter: .max)
        let signing = SigningKeyPair()
        for batch in stride(from: 0, to: phones, by: 1_000) {
            let range = batch..<min(phones, batch + 1_000)
            try await KnownPhonesWorkload.learnPhones(range, hub: hub, tenant: tenant, signing: signing)
            try await hub.store.recordAcknowledgements(
                range.flatMap { index in
                    let customer = KnownPhonesWorkload.customer(index)
                    return [Scope.customer(customer), .loyalty(customer), .catalog].map { scope in
                        PeerAcknowledgement(
                            scope: scope, peer: KnownPhonesWorkload.phone(index),
                            vector: scope == .customer(customer) ? VersionVector(["hub": 1]) : VersionVector(),
                            at: TestTenant.now)
                    }
                })
        }
        _ = try hub.store.checkpoint()
    }

    /// The status view, as `GET /v1/status` makes it: how many devices it lists.
    func view() async throws -> Int {
        try await hub.syncStatus(connected: []).count
    }

    /// What one view adds to the process's peak resident memory, in KB (the peak is reset first).
    func viewPeakGrowth() async throws -> Int {
        try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        let before = KnownPhonesWorkload.residentKB()
        _ = try await view()
        return Self.peakKB() - before
    }

    /// What answering `GET /v1/status` with every device of `view` adds to the process's peak
    /// resident memory, in KB, and the answer's bytes: written a part at a time as the hub does,
    /// or (`whole`) encoded by `JSONEncoder` into one buffer.
    func answerPeakGrowth(_ view: [DeviceSyncStatus], whole: Bool) async throws -> (kb: Int, bytes: Int) {
        try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        let before = KnownPhonesWorkload.residentKB()
        var bytes = 0
        if whole {
            let status = HubStatus(hub: "hub", generatedAtMillis: TestTenant.now, total: view.count, devices: view)
            bytes = ByteBuffer(bytes: try JSONEncoder().encode(status)).readableBytes
        } else {
            try await HubStatus.writeJSON(
                hub: "hub", generatedAtMillis: TestTenant.now, total: view.count, answeredAtMillis: TestTenant.now,
                devices: view[...]
            ) { part in bytes += part.readableBytes }
        }
        return (Self.peakKB() - before, bytes)
    }

    /// VmHWM of this process, in KB.
    static func peakKB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// The least any view does: read every report once (decoded) and keep each device's latest
    /// contact. No lag, no certificate, no sorting.
    func readEveryReport() throws -> Int {
        var heard: [ReplicaID: UInt64] = [:]
        for report in try hub.store.acknowledgements() { heard[report.peer] = max(heard[report.peer] ?? 0, report.at) }
        return heard.count
    }
}
