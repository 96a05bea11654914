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
    /// Every device the hub has heard from, listed or not (absent from hubs before it was added).
    public let total: Int?
    /// When the hub answered, by its own clock (absent from hubs before it was added): the view is
    /// this much older than `generatedAtMillis` says when it was reused.
    public let answeredAtMillis: UInt64?
    /// The devices, worst first: all of them, or the worst `limit`.
    public let devices: [DeviceSyncStatus]

    public init(
        hub: String, generatedAtMillis: UInt64, total: Int?, answeredAtMillis: UInt64? = nil,
        devices: [DeviceSyncStatus]
    ) {
        self.hub = hub
        self.generatedAtMillis = generatedAtMillis
        self.total = total
        self.answeredAtMillis = answeredAtMillis
        self.devices = devices
    }
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
            let hub = self.node.store.replica.rawValue
            let listed = devices.prefix(limit)
            let answeredAt = self.node.store.wallClock()
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody { writer in
                    try await HubStatus.writeJSON(
                        hub: hub, generatedAtMillis: at, total: devices.count, answeredAtMillis: answeredAt,
                        devices: listed
                    ) { part in try await writer.write(part) }
                    try await writer.finish(nil)
                })
        }
    }
}

extension HubStatus {
    /// Writes a view as JSON a part at a time: the text `JSONEncoder` makes of a ``HubStatus``
    /// holding `devices`, with at most `devicesPerPart` devices' text held at once. A hub that
    /// has heard from a million phones answers with about 180 MB of it (`status_answer_peak_mb`).
    public static func writeJSON(
        hub: String, generatedAtMillis: UInt64, total: Int, answeredAtMillis: UInt64,
        devices: ArraySlice<DeviceSyncStatus>,
        devicesPerPart: Int = 1_000, to write: (ByteBuffer) async throws -> Void
    ) async throws {
        precondition(devicesPerPart > 0, "a part holds at least one device")
        let encoder = JSONEncoder()
        // `{"hub":…,"generatedAtMillis":…,"total":…,"answeredAtMillis":…` then the devices, each
        // part's array without its brackets.
        let head = Head(
            hub: hub, generatedAtMillis: generatedAtMillis, total: total, answeredAtMillis: answeredAtMillis)
        var buffer = ByteBuffer(bytes: try encoder.encode(head).dropLast())
        buffer.writeString(#","devices":["#)
        try await write(buffer)
        var start = devices.startIndex
        while start < devices.endIndex {
            let end = min(start + devicesPerPart, devices.endIndex)
            var part = ByteBuffer(string: start == devices.startIndex ? "" : ",")
            part.writeBytes(try encoder.encode(Array(devices[start..<end])).dropFirst().dropLast())
            try await write(part)
            start = end
        }
        try await write(ByteBuffer(string: "]}"))
    }

    /// A view's fields but its devices.
    private struct Head: Encodable {
        let hub: String
        let generatedAtMillis: UInt64
        let total: Int
        let answeredAtMillis: UInt64
    }
}
