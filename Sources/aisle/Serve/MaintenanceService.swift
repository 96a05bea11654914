import AisleNode
import AisleStore
import Logging
import ServiceLifecycle

/// A serving node's background upkeep until graceful shutdown: checkpoints the WAL every few
/// seconds off the commit path (docs/durability.md), and compacts the change log by causal
/// stability (docs/sync.md).
struct MaintenanceService: Service {
    let node: ReplicaNode
    let compaction: CompactionSettings
    let logger: Logger
    var checkpointInterval: Duration = .seconds(2)

    func run() async throws {
        try? await cancelWhenGracefulShutdown { [node, compaction, logger, checkpointInterval] in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await node.store.runCheckpoints(every: checkpointInterval) }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: compaction.interval)
                        do {
                            let done = try await node.compact(peerRetention: compaction.peerRetention)
                            let dropped = done.values.reduce(0) { $0 + $1.dropped }
                            if dropped > 0 {
                                logger.info(
                                    "compacted the change log",
                                    metadata: ["changes": "\(dropped)", "scopes": "\(done.count)"])
                            }
                        } catch {
                            logger.warning("log compaction failed; retrying later", metadata: ["error": "\(error)"])
                        }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }
}
