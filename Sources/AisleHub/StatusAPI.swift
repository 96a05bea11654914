import AisleCore
import AisleCrypto
public import AisleNode
import AisleStore
import Foundation
import Hummingbird

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
    /// Every device the hub has heard from, listed or not (absent from hubs before it was added).
    public let total: Int?
    /// The devices, worst first: all of them, or the worst `limit`.
    public let devices: [DeviceSyncStatus]
}

extension SyncServer {
    func addStatusRoute(to router: Router<BasicRequestContext>) {
        router.get("/v1/status") { request, _ in
            var limit = Int.max
            if let asked = request.uri.queryParameters.get("limit") {
                guard let value = Int(asked), value >= 1 else {
                    throw HTTPError(.badRequest, message: "limit must be a positive integer, not '\(asked)'")
                }
                limit = value
            }
            let (devices, at) = try await self.statusViews.value { [registry = self.registry, node = self.node] in
                let at = node.store.wallClock()
                return (try await node.syncStatus(connected: await registry.peers()), at)
            }
            let status = HubStatus(
                hub: self.node.store.replica.rawValue, generatedAtMillis: at, total: devices.count,
                devices: Array(devices.prefix(limit)))
            return try Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: Array(JSONEncoder().encode(status)))))
        }
    }
}
