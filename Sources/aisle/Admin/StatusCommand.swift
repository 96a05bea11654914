import AisleHub
import AisleNode
import ArgumentParser
import Foundation

/// `aisle admin status`: the sync-lag view of every store and device, worst first.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every store's devices with their last contact and sync lag, worst first.",
        discussion: """
            Asks the hub's GET /v1/status. Lag is what the hub holds in a device's scopes that the \
            device has not acknowledged: how many changes, and the age of the oldest. Devices on \
            several hubs sharing one PostgreSQL database are all listed, whichever hub you ask \
            (their reports reach PostgreSQL within a few seconds). Stores are listed by their \
            worst device. CERTIFICATE says when each device's certificate expires, RENEW within 30 \
            days (`aisle admin renew`).
            """)

    @OptionGroup var hub: HubHTTPOptions

    @Flag(name: .long, help: "Print the hub's answer as JSON.")
    var json = false

    @Option(
        name: .long, parsing: .unconditional,
        help: "Show only the worst this many devices (a hub may know a million phones).")
    var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let status = try await hub.client().status(limit: limit)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
            return
        }
        print(Self.render(status))
    }

    /// The view as a person reads it: stores worst first, then each store's devices worst first.
    /// A view the hub answered with a second or more after making it (it reuses a large one for a
    /// while) says how old it was, by the hub's clock.
    static func render(_ status: HubStatus) -> String {
        let now = status.generatedAtMillis
        let total = status.total ?? status.devices.count
        let shown = total > status.devices.count ? " (the worst \(status.devices.count) shown)" : ""
        let answered = status.answeredAtMillis ?? now
        let age = answered >= now + 1_000 ? ", as of \(ago(answered - now))" : ""
        var lines = ["hub \(status.hub): \(total) devices, worst first\(shown)\(age)"]
        guard !status.devices.isEmpty else { return lines[0] + "\n(no device has synced with this hub yet)" }
        // The devices arrive worst first: a store's first device is its worst.
        var stores: [String] = []
        var devices: [String: [DeviceSyncStatus]] = [:]
        for device in status.devices {
            let store = device.stores.first ?? "(no store)"
            if devices[store] == nil { stores.append(store) }
            devices[store, default: []].append(device)
        }
        let header = ["DEVICE", "ROLE", "CONNECTED", "LAST CONTACT", "LAG (CHANGES)", "OLDEST LACKING", "CERTIFICATE"]
        for store in stores {
            lines.append("")
            lines.append("store \(store)")
            var rows = [header]
            for device in devices[store] ?? [] {
                rows.append([
                    device.device, device.role ?? "?",
                    device.revoked == true ? "revoked" : device.connected ? "yes" : "no",
                    device.connected ? "now" : ago(now > device.lastContactMillis ? now - device.lastContactMillis : 0),
                    "\(device.lagChanges)", device.lagChanges == 0 ? "-" : ago(UInt64(device.lagSeconds * 1_000)),
                    expiry(device.certificateExpiresMillis, now: now),
                ])
            }
            let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                lines.append(
                    "  "
                        + zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                        .joined(separator: "  "))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// "expires in 12 d" (RENEW within 30 days), "EXPIRED 2 d ago", or "?" when unknown.
    static func expiry(_ millis: UInt64?, now: UInt64) -> String {
        guard let millis else { return "?" }
        guard millis > now else { return "EXPIRED " + ago(now - millis) }
        let days = (millis - now) / 86_400_000
        return days < 30 ? "RENEW: expires in \(days) d" : "expires in \(days) d"
    }

    /// "4 s ago", "12 min ago", "3 h ago", "2 d ago".
    static func ago(_ millis: UInt64) -> String {
        let seconds = millis / 1_000
        switch seconds {
        case ..<120: return "\(seconds) s ago"
        case ..<7_200: return "\(seconds / 60) min ago"
        case ..<172_800: return "\(seconds / 3_600) h ago"
        default: return "\(seconds / 86_400) d ago"
        }
    }
}
