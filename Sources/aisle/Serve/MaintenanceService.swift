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

    /// The WAL checkpoint (a parameter so a test can make it fail).
    var checkpoint: (@Sendable () throws -> Void)?

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            [node, compaction, logger, checkpointInterval, expiryInterval, released, server, checkpoint] in
            try await withThrowingTaskGroup(of: Void.self) { group in
                /// Runs `body` every `interval` until cancelled. A failure is logged and the next
                /// turn tries again: upkeep that fails once (a checkpoint that met another
                /// process's, a full disk) must not end the process, which serves on.
                func every(_ interval: Duration, _ task: String, _ body: @escaping @Sendable () async throws -> Void) {
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(for: interval)
                            do { try await body() } catch {
                                logger.warning("\(task) failed; trying again", metadata: ["error": "\(error)"])
                            }
                        }
                    }
                }
                every(checkpointInterval, "checkpoint") {
                    if let checkpoint { try checkpoint() } else { _ = try node.store.checkpoint() }
                }
                every(expiryInterval, "releasing expired reservations") {
                    let expired = try await node.releaseExpiredReservations()
                    for (store, id) in expired {
                        logger.info("released an expired reservation", metadata: ["store": "\(store)", "id": "\(id)"])
                    }
                    for store in Set(expired.map(\.0)) { await released(store) }
                }
                every(compaction.interval, "log compaction") {
                    let done = try await node.compact(peerRetention: compaction.peerRetention)
                    let dropped = done.values.reduce(0) { $0 + $1.dropped }
                    if dropped > 0 {
                        logger.info(
                            "compacted the change log", metadata: ["changes": "\(dropped)", "scopes": "\(done.count)"])
                    }
                }
                if let server {
                    every(server.endSessionsEvery, "ending expired sessions") { await server.endExpiredSessions() }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }
}
