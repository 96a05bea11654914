/// One replicated change: a delta from `origin`, its `seq`-th, with what it had seen.
///
/// `dependencies` is the origin's delivered version vector when it made the change. Delivering a
/// change only after its dependencies keeps every replica's state a causally closed cut, which
/// is what lets bounded counters promise "never below zero" at every replica, not only at the end.
public struct Change<Delta: Sendable & Equatable>: Sendable, Equatable {
    public let origin: ReplicaID
    /// The origin's sequence number for this change, from 1, without gaps.
    public let seq: UInt64
    /// When the origin made it.
    public let stamp: HLCTimestamp
    /// What the origin had delivered when it made it (its own entry is `seq − 1`).
    public let dependencies: VersionVector
    public let delta: Delta

    public init(origin: ReplicaID, seq: UInt64, stamp: HLCTimestamp, dependencies: VersionVector, delta: Delta) {
        self.origin = origin
        self.seq = seq
        self.stamp = stamp
        self.dependencies = dependencies
        self.delta = delta
    }
}
