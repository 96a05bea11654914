import ArgumentParser
import Foundation

/// A hub's address as a command or a configuration file gives it, checked where it is given: its
/// sync URL (`ws://HOST:PORT/v1/sync`, `wss://…` behind TLS) or its HTTP base (`http://HOST:PORT`,
/// `https://…`); either names the other, on the same host and port.
struct HubURL: Sendable, Equatable, CustomStringConvertible {
    /// The WebSocket sync endpoint, such as `ws://127.0.0.1:8470/v1/sync` (`/v1/sync` when the
    /// address given has no path).
    let sync: String
    /// The HTTP API's base, such as `http://127.0.0.1:8470`.
    let http: URL

    /// What a hub URL looks like, for the messages that refuse one.
    static let accepted = "write it like ws://127.0.0.1:8470/v1/sync (wss:// behind TLS) or http://127.0.0.1:8470"

    /// Parses `text`.
    /// - Throws: ``HubURLError`` with the reason `text` names no hub.
    init(_ text: String) throws(HubURLError) {
        guard let parsed = URLComponents(string: text), let scheme = parsed.scheme?.lowercased() else {
            throw HubURLError(text: text, reason: "not a URL")
        }
        guard ["ws", "wss", "http", "https"].contains(scheme) else {
            throw HubURLError(text: text, reason: "\(scheme):// is not a hub's scheme")
        }
        guard let host = parsed.host, !host.isEmpty else { throw HubURLError(text: text, reason: "no host") }
        if let port = parsed.port, !(1...65_535).contains(port) {
            throw HubURLError(text: text, reason: "port \(port) is not from 1 to 65535")
        }
        let secure = scheme == "wss" || scheme == "https"
        var sync = parsed
        sync.scheme = secure ? "wss" : "ws"
        if sync.path.isEmpty || sync.path == "/" { sync.path = "/v1/sync" }
        var http = parsed
        http.scheme = secure ? "https" : "http"
        http.path = ""
        http.query = nil
        http.fragment = nil
        guard let syncURL = sync.string, let httpURL = http.url else {
            throw HubURLError(text: text, reason: "not a URL")
        }
        self.sync = syncURL
        self.http = httpURL
    }

    var description: String { sync }

    /// `text`, given as `option`; refused with a ``CommandFailure`` naming the option.
    static func parse(_ text: String, option: String = "--hub") throws -> HubURL {
        do { return try HubURL(text) } catch { throw CommandFailure("\(option) \(error)") }
    }

    /// Checks a command's `--hub` (or the option named `option`) and `--timeout` (seconds) in its
    /// `validate()`, so a mistake is told with the command's usage before anything starts.
    static func validate(_ text: String, option: String = "--hub", timeout: Int? = nil) throws {
        do { _ = try HubURL(text) } catch { throw ValidationError("\(option) \(error)") }
        if let timeout, timeout < 1 {
            throw ValidationError("--timeout is \(timeout): give the seconds to wait, at least 1")
        }
    }
}

/// A hub URL refused, and why.
struct HubURLError: Error, CustomStringConvertible {
    /// The text given.
    let text: String
    /// What is wrong with it, such as "no host".
    let reason: String

    var description: String { "'\(text)' is not a hub URL (\(reason)): \(HubURL.accepted)" }
}
