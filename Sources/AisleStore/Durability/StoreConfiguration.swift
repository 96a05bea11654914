/// How a replica's database is opened.
public struct StoreConfiguration: Sendable {
    /// What an acknowledged write survives; docs/durability.md has the table.
    public enum Durability: String, Sendable, CaseIterable, CustomStringConvertible {
        /// `synchronous=FULL` for the replica's own writes: survives process kill and power loss;
        /// one fsync per commit. Changes received from peers commit at NORMAL and are made durable
        /// by ``ReplicaStore/flush()`` before they are acknowledged (as at `.flushed`).
        case full
        /// `synchronous=NORMAL` on commit, made durable by ``ReplicaStore/flush()``: one
        /// `fdatasync` of the WAL shared by every commit before it. What is flushed survives
        /// process kill and power loss; a commit is visible (and may be forwarded) before that.
        /// For a hub: it relays a change at once and acknowledges it only once flushed.
        case flushed
        /// `synchronous=NORMAL` (WAL): survives process kill; after power loss the last commits
        /// since the previous checkpoint may be lost, never half applied.
        case normal
        /// `synchronous=OFF`: survives process kill only; power loss can corrupt. Tests only.
        case off

        var pragma: String {
            switch self {
            case .full: "FULL"
            case .normal, .flushed: "NORMAL"
            case .off: "OFF"
            }
        }

        public var description: String { rawValue }
    }

    /// The database file.
    public var path: String
    /// What an acknowledged write survives. Default: `.full`, because a till's sale must survive
    /// a power cut; `.normal` is the measured faster choice for phones.
    public var durability: Durability
    /// Wait this long for a lock held by another process before failing.
    public var busyTimeoutMilliseconds: Int
    /// How many decoded objects the writer keeps in memory between transactions, so a write to a
    /// recently used object skips reading and decoding its row. At about 300 bytes per stock
    /// object, the default of 200,000 costs about 60 MB when full; 0 turns the memo of objects off.
    public var memoObjects: Int = 200_000
    /// Whether this process serves the replica and no other may open it so while it does
    /// (``StoreError/inUse(path:by:)``): what a node opens; tools that only read leave it off.
    public var exclusive = false

    /// A configuration for the database at `path`.
    public init(
        path: String, durability: Durability = .full, busyTimeoutMilliseconds: Int = 5_000, exclusive: Bool = false
    ) {
        self.path = path
        self.durability = durability
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.exclusive = exclusive
    }
}
