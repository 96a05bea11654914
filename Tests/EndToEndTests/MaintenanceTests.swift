import AisleCore
import AisleCrypto
import AisleHub
import AisleNode
import AisleStore
import AisleTesting
import Foundation
import Logging
import Synchronization
import Testing

@testable import aisle

@Suite("A serving node's upkeep")
struct MaintenanceTests {
    struct CheckpointFailed: Error {}

    @Test(
        "a checkpoint that fails is logged and tried again at the next turn; the service, and the hub with it, runs on")
    func failedCheckpointDoesNotEndTheService() async throws {
        let chain = try TestTenant()
        let hub = try chain.node("hub", .hub, [.allStores], keys: [])
        let calls = Atomic(0)
        let service = MaintenanceService(
            node: hub, compaction: .init(), logger: Logger(label: "test"), checkpointInterval: .milliseconds(5),
            checkpoint: {
                // The first three fail, as one meeting another process's checkpoint would.
                if calls.add(1, ordering: .relaxed).newValue <= 3 { throw CheckpointFailed() }
                _ = try hub.store.checkpoint()
            })
        let finished = Atomic(false)
        let running = Task {
            try await service.run()
            finished.store(true, ordering: .relaxed)
        }
        defer { running.cancel() }
        // Generous: on a loaded machine (the simulations running beside it) the turns come late,
        // but a service that ended after the first failure never makes more than one.
        #expect(try await eventually(timeout: .seconds(180)) { calls.load(ordering: .relaxed) >= 6 })
        let ended = finished.load(ordering: .relaxed)
        #expect(!ended, "the service ended after \(calls.load(ordering: .relaxed)) checkpoints")
    }
}
