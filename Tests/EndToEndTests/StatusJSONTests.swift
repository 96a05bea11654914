import AisleHub
import AisleNode
import Foundation
import Hummingbird
import Testing

@Suite("The status view's JSON, written a part at a time")
struct StatusJSONTests {
    static func device(_ index: Int) -> DeviceSyncStatus {
        DeviceSyncStatus(
            device: "phone-\(index)", role: index.isMultiple(of: 3) ? nil : "mobile",
            stores: index.isMultiple(of: 2) ? [] : ["berlin", "köln \"süd\""], connected: index.isMultiple(of: 5),
            lastContactMillis: 1_767_225_600_000 + UInt64(index), lagChanges: index, lagSeconds: Double(index) / 8,
            revoked: index == 7 ? true : nil,
            certificateExpiresMillis: index.isMultiple(of: 4) ? nil : 1_800_000_000_000)
    }

    @Test(
        "the parts read back as the view JSONEncoder makes whole, for no device, one, and parts that end on and off a device count's edge",
        arguments: [(0, 3), (1, 3), (2, 3), (3, 3), (7, 3), (9, 1), (10, 1_000)])
    func partsReadBackAsTheWholeView(devices count: Int, perPart: Int) async throws {
        let devices = (0..<count).map(Self.device)
        var parts: [ByteBuffer] = []
        try await HubStatus.writeJSON(
            hub: "hub", generatedAtMillis: 42, total: count + 5, answeredAtMillis: 43, devices: devices[...],
            devicesPerPart: perPart
        ) { parts.append($0) }
        #expect(parts.count == 2 + (count + perPart - 1) / perPart)
        let text = parts.map { String(buffer: $0) }.joined()
        let view = try JSONDecoder().decode(HubStatus.self, from: Data(text.utf8))
        #expect(view.hub == "hub")
        #expect(view.generatedAtMillis == 42)
        #expect(view.total == count + 5)
        #expect(view.answeredAtMillis == 43)
        #expect(view.devices == devices)
        let whole = try JSONEncoder().encode(
            HubStatus(hub: "hub", generatedAtMillis: 42, total: count + 5, answeredAtMillis: 43, devices: devices))
        #expect(
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary
                == JSONSerialization.jsonObject(with: whole) as? NSDictionary)
    }
}
