import AisleCrypto
import AisleEdge
import AisleHub
import AisleNode
import ArgumentParser
import Foundation

/// What `aisle hub serve` and `aisle edge serve` check before they start: a value that cannot
/// work is refused with where it was given, the value, and what is accepted, instead of being
/// wrapped, capped or retried forever.
enum ServeChecks {
    /// The ports a service can listen on (0: any free port, printed at start).
    static let ports = 0...65_535

    /// Refuses a port outside ``ports``; `setting` says where it was given (`--port`, or a
    /// configuration file's `"port"`).
    static func check(port: Int, setting: String) throws(SettingRefusal) {
        guard ports.contains(port) else {
            throw SettingRefusal(setting, "\(port)", accepted: "give a TCP port from 0 to 65535 (0: any free port)")
        }
    }

    /// A `--port` flag, in a command's `validate()`.
    static func validate(port: Int?) throws {
        guard let port else { return }
        do { try check(port: port, setting: "--port") } catch { throw ValidationError(error.description) }
    }

    /// Refuses compaction settings that cannot work (intervals under a second, negative retention).
    static func check(_ compaction: CompactionSettings?, in file: String) throws(SettingRefusal) {
        guard let compaction else { return }
        let seconds = "give whole seconds, at least 1"
        for (key, value) in [
            ("everySeconds", compaction.everySeconds), ("journalEverySeconds", compaction.journalEverySeconds),
        ] {
            if let value, value < 1 { throw SettingRefusal(file, "compaction.\(key)", value, accepted: seconds) }
        }
        if let days = compaction.peerRetentionDays, !(0...36_500).contains(days) {
            throw SettingRefusal(
                file, "compaction.peerRetentionDays", days, accepted: "give the days to keep, from 0 to 36500")
        }
        if let changes = compaction.journalMinimumChanges, changes < 1 {
            throw SettingRefusal(
                file, "compaction.journalMinimumChanges", changes, accepted: "give a number of changes, at least 1")
        }
    }

    /// The identity directory `directory`, given as `"identity"` in `file`, refused unless its
    /// certificate is for one of `roles`: a hub must not start as a till, nor a till as the hub or
    /// a phone.
    static func identity(
        _ directory: DeviceDirectory, roles: Set<Role>, for service: String, file: String
    ) throws -> DeviceDirectory {
        let role = try directory.load().0.certificate.body.role
        guard roles.contains(role) else {
            let names = roles.map(\.rawValue).sorted().joined(separator: " or ")
            throw CommandFailure(
                "\(file): \"identity\" is \(directory.path), a \(role) device's (its certificate's role): "
                    + "\(service) needs a \(names) identity")
        }
        return directory
    }
}

extension HubConfiguration {
    /// Refuses what cannot work in this configuration, read from `file`.
    func check(file: String) throws {
        do {
            try ServeChecks.check(port: port, setting: "\(file): \"port\"")
            try ServeChecks.check(compaction, in: file)
            if let maxConnections, maxConnections < 1 {
                throw SettingRefusal(file, "maxConnections", maxConnections, accepted: "give at least 1")
            }
        } catch { throw CommandFailure("\(error)") }
    }
}

extension EdgeConfiguration {
    /// The hubs to sync with, `flags` (`--hub`) or the file's: refuses a URL that names no hub,
    /// and what else cannot work in this configuration, read from `file`.
    func checkedHubs(file: String, flags: [String]) throws -> [String] {
        do {
            try ServeChecks.check(port: port, setting: "\(file): \"port\"")
            try ServeChecks.check(compaction, in: file)
        } catch { throw CommandFailure("\(error)") }
        do { _ = try syncLimits() } catch { throw CommandFailure("\(file): \(error)") }
        let given: [(setting: String, url: String)]
        if flags.isEmpty {
            do { given = try hubURLs().map { (hubs == nil ? "\(file): \"hub\":" : "\(file): \"hubs\":", $0) } } catch {
                throw CommandFailure("\(file): \(error)")
            }
        } else {
            given = flags.map { ("--hub", $0) }
        }
        for peer in peers ?? [] { _ = try HubURL.parse(peer, option: "\(file): \"peers\":") }
        return try given.map { try HubURL.parse($0.url, option: $0.setting).sync }
    }
}

/// A setting refused: where it was given, the value, and what is accepted.
struct SettingRefusal: Error, CustomStringConvertible {
    let description: String

    init(_ setting: String, _ value: String, accepted: String) {
        description = "\(setting) is \(value): \(accepted)"
    }

    /// A key of the configuration file `file`.
    init(_ file: String, _ key: String, _ value: Int, accepted: String) {
        self.init("\(file): \"\(key)\"", "\(value)", accepted: accepted)
    }
}
