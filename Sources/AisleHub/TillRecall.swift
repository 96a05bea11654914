import AisleCore
import AisleNode
import AisleStore
import AisleSync
import Logging

/// The hub's rights recall (``RightsRecall``): asks the tills of a store connected now, the one
/// holding most of what is missing first, one at a time, for what the hub still lacks, until the
/// deadline. What a till hands in arrives with its answer and is applied on its connection.
struct TillRecall: RightsRecall {
    let node: ReplicaNode
    let registry: ConnectionRegistry
    let logger: Logger

    func recall(_ lines: [SKU: UInt64], at store: StoreID, until deadline: ContinuousClock.Instant) async -> UInt64 {
        let hub = node.store.replica
        let before = rights(of: hub, in: lines.keys, at: store)
        var missing = lines
        var handed: UInt64 = 0
        let tills = await registry.tillConnections(of: store)
        let holding = tills.map { till in (till, rights(of: till.device, in: lines.keys, at: store).values.reduce(0, +))
        }
        for ((device, connection), held) in holding.sorted(by: { ($1.1, $0.0.device) < ($0.1, $1.0.device) }) {
            let left = deadline - ContinuousClock.now
            guard held > 0, !missing.isEmpty, left > .zero else { continue }
            do {
                let reply = try await connection.ask(.recall(store: store, lines: missing), timeout: left)
                guard case .granted(let units, _) = reply else { continue }
                handed += units
                logger.debug(
                    "rights bank: recalled",
                    metadata: ["store": "\(store)", "device": "\(device)", "units": "\(units)"])
            } catch {
                logger.debug(
                    "rights bank: a till did not answer a recall",
                    metadata: ["store": "\(store)", "device": "\(device)", "reason": "\(error)"])
                continue
            }
            // What the hub gained since the recall began, per SKU, counts against what it lacked.
            let now = rights(of: hub, in: lines.keys, at: store)
            missing = [:]
            for (sku, units) in lines {
                let gained = UInt64(max(0, (now[sku] ?? 0) - (before[sku] ?? 0)))
                if units > gained { missing[sku] = units - gained }
            }
        }
        return handed
    }

    /// What `replica` holds of each SKU of `store` here now (0 where unreadable).
    private func rights(of replica: ReplicaID, in skus: some Sequence<SKU>, at store: StoreID) -> [SKU: Int64] {
        let skus = Array(skus)
        let keys = skus.map { ObjectKey.stock($0, at: store) }
        let counters = (try? node.store.counters(at: keys)) ?? [:]
        var rights: [SKU: Int64] = [:]
        for (sku, key) in zip(skus, keys) { rights[sku] = max(0, counters[key]?.rights(of: replica) ?? 0) }
        return rights
    }
}
