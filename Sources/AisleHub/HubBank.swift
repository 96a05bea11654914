public import AisleCore
import AisleCrypto
public import AisleNode
import AisleStore
public import Logging

/// The hub's rights bank pushing stock rights to the tills, so they rarely need to ask: whenever
/// a store's stock moves (a till sold, handed in spare rights, or connected), each of the store's
/// tills connected now that holds less than half its share of a SKU is topped up from what the
/// hub holds (``RightsPolicy/topUps(_:hub:devices:)``). Requests a till makes are answered on its
/// connection (``ReplicaNode/serve(_:from:)``). On any node but the hub it does nothing.
public actor HubBank {
    let node: ReplicaNode
    let logger: Logger
    /// Stores being rebalanced now, and those that changed again meanwhile.
    private var running: Set<StoreID> = []
    private var again: Set<StoreID> = []

    public init(node: ReplicaNode, logger: Logger) {
        self.node = node
        self.logger = logger
    }

    /// Rebalances `store` among `tills` (the store's devices connected now); returns whether it
    /// wrote a change (push the store scope then). Calls for a store already being rebalanced
    /// make it run once more when it is done.
    public func storeChanged(_ store: StoreID, tills: @Sendable () async -> [ReplicaID]) async -> Bool {
        guard node.identity.certificate.body.role == .hub else { return false }
        guard running.insert(store).inserted else {
            again.insert(store)
            return false
        }
        defer { running.remove(store) }
        var wrote = false
        repeat {
            again.remove(store)
            do {
                wrote = try await topUp(store, tills: await tills()) || wrote
            } catch {
                logger.warning("rights bank: top-up failed", metadata: ["store": "\(store)", "reason": "\(error)"])
            }
        } while again.contains(store)
        return wrote
    }

    private func topUp(_ store: StoreID, tills: [ReplicaID]) async throws -> Bool {
        guard !tills.isEmpty else { return false }
        let hub = node.store.replica
        let policy = RightsPolicy.stock
        var wrote = false
        let keys = try node.store.skusHeld(in: store).map { ObjectKey.stock($0, at: store) }
        // One read for the whole store, not one per SKU (this runs after every change to it).
        let counters = try node.store.counters(at: keys)
        for key in keys {
            for (till, units) in policy.topUps(counters[key] ?? BoundedCounter(), hub: hub, devices: tills) {
                let granted = try await node.writeOwn { [node] in
                    let (granted, acknowledgements) = try await node.store.transferRights(of: key, to: till) {
                        policy.grant($0, asked: units, hub: hub)
                    }
                    return (granted, acknowledgements)
                }
                if granted > 0 {
                    NodeMetrics.granted(granted, of: .stock, trigger: .topUp)
                    wrote = true
                    logger.debug(
                        "rights bank: topped up",
                        metadata: ["key": "\(key)", "device": "\(till)", "units": "\(granted)"])
                }
            }
        }
        return wrote
    }
}
