import AisleStore
import ServiceLifecycle

/// Checkpoints a node's WAL every few seconds off the commit path (docs/durability.md), until
/// graceful shutdown.
struct CheckpointService: Service {
    let store: ReplicaStore
    let interval: Duration

    init(store: ReplicaStore, interval: Duration = .seconds(2)) {
        self.store = store
        self.interval = interval
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown { [store, interval] in try await store.runCheckpoints(every: interval) }
    }
}
