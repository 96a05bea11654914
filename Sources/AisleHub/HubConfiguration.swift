public import AisleNode
import Foundation

/// `hub/hub.json`: where the hub listens, keeps its database and finds its identity.
public struct HubConfiguration: Codable, Sendable {
    /// The address to listen on, such as "127.0.0.1" or "0.0.0.0".
    public var host: String
    /// The TCP port (0 picks a free one and prints it).
    public var port: Int
    /// The hub's SQLite database, relative to the configuration file's directory.
    public var database: String
    /// The hub's identity directory (device.key, device.cert, device.bundle, tenant.json),
    /// relative to the configuration file's directory.
    public var identity: String
    /// When to compact the log (optional; docs/sync.md).
    public var compaction: CompactionSettings?
    /// Keep the hub's state in PostgreSQL at this URL instead of `database` (optional;
    /// docs/scale-out.md): `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
    public var storage: String?
    /// The most device connections to hold at once (optional; by default what the host's
    /// open-file limit and `vm.max_map_count` hold, docs/operations.md).
    public var maxConnections: Int?

    public init(
        host: String = "127.0.0.1", port: Int = 8470, database: String = "hub.db", identity: String = ".",
        compaction: CompactionSettings? = nil
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.identity = identity
        self.compaction = compaction
    }
}
