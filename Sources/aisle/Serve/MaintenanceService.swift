import AisleCore
import AisleHub
import AisleNode
import AisleStore
import Logging
import ServiceLifecycle

/// A serving node's background upkeep until graceful shutdown: checkpoints the WAL every few
/// seconds off the commit path (docs/durability.md), compacts the change log by causal stability
/// (docs/sync.md), releases the expired reservations it holds back into stock (every few
/// seconds; `released` is told the stores, to push the change), and ends the sync sessions of
/// `server`'s devices whose certificates have ended (every ``SyncServer/endSessionsEvery``).
struct MaintenanceService: Service {
    let node: ReplicaNode
    let compaction: CompactionSettings
    let logger: Logger
    var released: @Sendable (StoreID) async -> Void = { _ in }
    /// The sync server whose sessions end with their device's certificate.
    var server: SyncServer?
    var checkpointInterval: Duration = .seconds(2)
    var expiryInterval: Duration = .seconds(2)

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            [node, compaction, logger, checkpointInterval, expiryInterval, released, server] in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await node.store.runCheckpoints(every: checkpointInterval) }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: expiryInterval)
                        do {
                            let expired = try await node.releaseExpiredReservations()
                            for (store, id) in expired {
                                logger.info(
                                    "released an expired reservation", metadata: ["store": "\(store)", "id": "\(id)"])
                            }
                            for store in Set(expired.map(\.0)) { await released(store) }
                        } catch {
                            logger.warning("releasing expired reservations failed", metadata: ["error": "\(error)"])
                        }
                    }
                }
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
                if let server {
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: server.endSessionsEvery)
                            await server.endExpiredSessions()
                        }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }
}
