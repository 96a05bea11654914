import AisleCrypto
import AisleNode
import Hummingbird
import Metrics

/// The hub's connection gauge (docs/operations.md).
extension SyncServer {
    /// Samples the devices connected now, by role, into `aisle_connected_devices` (every role is
    /// reported, 0 when none is connected). Run it every few seconds.
    public func sampleConnections() async {
        var counts: [Role: Int] = [:]
        for peer in await registry.peers() { counts[peer.body.role, default: 0] += 1 }
        for role in Role.allCases {
            Gauge(label: HubMetrics.connectedDevices, dimensions: [("role", role.rawValue)]).record(counts[role] ?? 0)
        }
    }
}

/// The names of the metrics the hub's own code reports (the node's are in `NodeMetrics`).
public enum HubMetrics {
    public static let connectedDevices = "aisle_connected_devices"
}
