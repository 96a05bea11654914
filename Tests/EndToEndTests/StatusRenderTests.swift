import AisleHub
import AisleNode
import Testing

@testable import aisle

@Suite("aisle admin status's table")
struct StatusRenderTests {
    static func view(answeredAfter millis: UInt64?) -> HubStatus {
        HubStatus(
            hub: "hub-1", generatedAtMillis: 1_767_225_600_000, total: 1,
            answeredAtMillis: millis.map { 1_767_225_600_000 + $0 },
            devices: [
                DeviceSyncStatus(
                    device: "till-1", role: "pos", stores: ["berlin"], connected: false,
                    lastContactMillis: 1_767_225_540_000, lagChanges: 3, lagSeconds: 42, revoked: nil,
                    certificateExpiresMillis: nil)
            ])
    }

    @Test(
        "a view answered as it was made has no age in its header; one made a second or more before it was answered (reused by the hub) says how old it was, by the hub's clock",
        arguments: [(nil as UInt64?, ""), (0, ""), (999, ""), (1_000, ", as of 1 s ago"), (95_000, ", as of 95 s ago")])
    func headerSaysTheViewsAge(answeredAfter millis: UInt64?, age: String) {
        let table = StatusCommand.render(Self.view(answeredAfter: millis))
        #expect(table.hasPrefix("hub hub-1: 1 devices, worst first\(age)\n"), "\(table)")
        #expect(table.contains("till-1"), "\(table)")
        #expect(table.contains("60 s ago"), "last contact a minute before the view was made: \(table)")
    }
}
