public import AisleNode
public import AisleSync
import Foundation

/// `edge/edge.json`: the hub to sync with, the till API's address, the database and identity.
public struct EdgeConfiguration: Codable, Sendable {
    /// The hub's sync URL, such as "ws://127.0.0.1:8470/v1/sync".
    public var hub: String?
    /// The sync URLs of several hub processes serving one PostgreSQL database, tried in turn
    /// (instead of `hub`; docs/scale-out.md).
    public var hubs: [String]?
    /// The local API's address (127.0.0.1: only this machine's tills).
    public var host: String
    /// The local API's port (0 picks a free one and prints it).
    public var port: Int
    /// The edge's SQLite database, relative to the configuration file's directory.
    public var database: String
    /// The edge's identity directory, relative to the configuration file's directory.
    public var identity: String
    /// Sync URLs of the store's other terminals' edges (`ws://till-2:8480/v1/sync`), so the store
    /// keeps syncing internally while the hub is unreachable. List each pair once, on one side.
    public var peers: [String]?
    /// When to compact the log (optional; docs/sync.md).
    public var compaction: CompactionSettings?
    /// Seconds between the pings each sync link sends (default 15): a link whose hub answers no
    /// ping before the next is due ends and moves to the next hub (optional; docs/scale-out.md).
    public var keepalive: Double?

    /// A configuration that works on a laptop: the hub at `ws://127.0.0.1:8470/v1/sync`, the API
    /// on 127.0.0.1:8480, `edge.db` and the identity beside the file.
    public init(
        hub: String? = "ws://127.0.0.1:8470/v1/sync", host: String = "127.0.0.1", port: Int = 8480,
        database: String = "edge.db", identity: String = "."
    ) {
        self.hub = hub
        self.host = host
        self.port = port
        self.database = database
        self.identity = identity
    }

    /// The sync limits this configuration sets (``keepalive``).
    /// - Throws: ``EdgeConfigurationError/badKeepalive(_:)`` for a keepalive that is not a
    ///   positive number of seconds.
    public func syncLimits() throws(EdgeConfigurationError) -> SyncLimits {
        var limits = SyncLimits()
        if let keepalive {
            guard keepalive.isFinite, keepalive >= 0.1, keepalive <= 3_600 else { throw .badKeepalive(keepalive) }
            limits.pingInterval = UInt64((keepalive * 1_000).rounded())
        }
        return limits
    }

    /// The hubs to sync with, in order: `hubs`, or `hub`.
    /// - Throws: ``EdgeConfigurationError/noHub`` when the file names none.
    public func hubURLs() throws(EdgeConfigurationError) -> [String] {
        let urls = hubs ?? hub.map { [$0] } ?? []
        guard !urls.isEmpty else { throw .noHub }
        return urls
    }
}

/// What is wrong with an edge configuration.
public enum EdgeConfigurationError: Error, CustomStringConvertible {
    case noHub
    case badKeepalive(Double)

    public var description: String {
        switch self {
        case .noHub:
            "the edge configuration names no hub: set \"hub\": \"ws://HOST:PORT/v1/sync\" (or \"hubs\": [...])"
        case .badKeepalive(let seconds):
            "the edge configuration's \"keepalive\" is \(seconds): give the seconds between pings, from 0.1 to 3600"
        }
    }
}
