import AisleEdge
import AisleNode
import AisleStore
import Logging

/// One sync with the hub, as `aisle mobile sync` and `aisle admin catalog import --hub` run it:
/// connect, exchange until both sides hold everything, disconnect, printing progress as batches
/// arrive; then drop from the log what the hub has acknowledged.
enum OneShotSync {
    /// Syncs `node` with the hub at `hub` (`--hub`, a ``HubURL``) once; returns how long it took.
    ///
    /// - Throws: ``CommandFailure`` when `hub` is not a hub URL, or with the hub's or the
    ///   transport's reason.
    @discardableResult
    static func run(_ node: ReplicaNode, hub: String, timeout: Int) async throws -> Duration {
        let url = try HubURL.parse(hub).sync
        var logger = Logger(label: "aisle.sync")
        logger.logLevel = .warning
        let started = ContinuousClock.now
        let link = HubLink(node: node, url: url, logger: logger) { event in
            switch event {
            case .connected(let device, let role): print("connected to \(role) \(device)")
            case .applied(let scope, let count, let caughtUp):
                print("  \(scope): received \(count) changes\(caughtUp ? ", up to date" : "")")
            case .installed(let scope, let objects, let last):
                print("  \(scope): restored \(objects) objects from the hub's snapshot\(last ? ", complete" : "")")
            case .caughtUp(let scope): print("  \(scope): up to date")
            case .ended(let error): print("sync ended: \(error)")
            case .served: break
            }
        }
        do { try await link.syncOnce(timeout: .seconds(timeout)) } catch {
            throw CommandFailure("sync with \(url) failed: \(error)")
        }
        // What the hub has acknowledged need not stay in this node's log.
        let dropped = try await node.compact().values.reduce(0) { $0 + $1.dropped }
        if dropped > 0 { print("  compacted \(dropped) changes the hub holds") }
        return ContinuousClock.now - started
    }
}
