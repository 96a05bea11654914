import AisleCore
import AisleCrypto
public import AisleNode
import AisleStore
import Foundation
public import Hummingbird

/// `GET /v1/status`: every device the hub has heard from, with its last contact and how far
/// behind it is, worst first (docs/hub-api.yaml; `aisle admin status` prints it).
///
/// It names devices and stores, never customers or what they bought; serve the hub's HTTP port
/// to operators' networks only.
public struct HubStatus: Codable, Sendable {
    /// The hub's replica id.
    public let hub: String
    /// When this view was made (milliseconds since the Unix epoch).
    public let generatedAtMillis: UInt64
    public let devices: [DeviceSyncStatus]
}

extension SyncServer {
    func addStatusRoute(to router: Router<BasicRequestContext>) {
        router.get("/v1/status") { _, _ in
            let connected = await self.registry.peers()
            let status = HubStatus(
                hub: self.node.store.replica.rawValue, generatedAtMillis: self.node.store.wallClock(),
                devices: try await self.node.syncStatus(connected: connected))
            return try Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: Array(JSONEncoder().encode(status)))))
        }
    }
}
