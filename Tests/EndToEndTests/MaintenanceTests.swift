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

    /// What the service under test did: a checkpoint was tried (the count so far), or it ended.
    enum Event: Sendable {
        case checkpoint(Int)
        case ended
    }

    @Test(
        "a checkpoint that fails is logged and tried again at the next turn; the service, and the hub with it, runs on")
    func failedCheckpointDoesNotEndTheService() async throws {
        let chain = try TestTenant()
        let hub = try chain.node("hub", .hub, [.allStores], keys: [])
        let calls = Atomic(0)
        // No deadline: on a loaded machine the turns come late, and a service that ends says so.
        let (events, told) = AsyncStream<Event>.makeStream()
        let service = MaintenanceService(
            node: hub, compaction: .init(), logger: Logger(label: "test"), checkpointInterval: .milliseconds(5),
            checkpoint: {
                let count = calls.add(1, ordering: .relaxed).newValue
                told.yield(.checkpoint(count))
                // The first three fail, as one meeting another process's checkpoint would.
                if count <= 3 { throw CheckpointFailed() }
                _ = try hub.store.checkpoint()
            })
        let running = Task {
            try? await service.run()
            told.yield(.ended)
        }
        defer { running.cancel() }
        var tried = 0
        for await event in events {
            guard case .checkpoint(let count) = event else { break }
            tried = count
            if tried >= 6 { break }
        }
        #expect(tried >= 6, "the service ended after \(tried) checkpoints")
    }
}
