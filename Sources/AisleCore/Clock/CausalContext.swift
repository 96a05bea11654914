/// The set of dots a replica has seen, stored compactly.
///
/// A contiguous prefix per replica is a version vector; dots seen out of order wait in a small
/// "cloud" until the gap before them fills. The representation is kept canonical (no cloud dot
/// is covered by, or adjacent to, the vector), so equal sets of dots compare equal.
public struct CausalContext: Hashable, Sendable {
    /// The contiguous part: every dot up to each entry has been seen.
    public private(set) var compact: VersionVector
    /// Dots seen beyond the contiguous part.
    public private(set) var cloud: Set<Dot>

    /// An empty context: no dot seen.
    public init() {
        compact = VersionVector()
        cloud = []
    }

    /// A context holding exactly `dots`.
    public init(dots: some Sequence<Dot>) {
        self.init()
        for dot in dots { cloud.insert(dot) }
        normalize()
    }

    /// A context from its two parts, normalized (used when decoding).
    init(compact: VersionVector, cloud: Set<Dot>) {
        self.compact = compact
        self.cloud = cloud
        normalize()
    }

    /// Whether `dot` has been seen.
    public func contains(_ dot: Dot) -> Bool {
        compact.contains(dot) || cloud.contains(dot)
    }

    /// Records `dot` as seen.
    public mutating func insert(_ dot: Dot) {
        guard !contains(dot) else { return }
        cloud.insert(dot)
        normalize()
    }

    /// The next unused dot for `replica`: one past the highest counter seen from it.
    public func nextDot(for replica: ReplicaID) -> Dot {
        var highest = compact[replica]
        for dot in cloud where dot.replica == replica && dot.counter > highest {
            highest = dot.counter
        }
        return Dot(replica, highest + 1)
    }

    /// Whether no dot has been seen.
    public var isEmpty: Bool { compact.entries.isEmpty && cloud.isEmpty }

    // Folds cloud dots into the vector while they extend it, and drops covered ones.
    private mutating func normalize() {
        guard !cloud.isEmpty else { return }
        var progressed = true
        while progressed {
            progressed = false
            for dot in cloud {
                if compact.contains(dot) {
                    cloud.remove(dot)
                } else if dot.counter == compact[dot.replica] + 1 {
                    compact.advance(dot.replica, to: dot.counter)
                    cloud.remove(dot)
                    progressed = true
                }
            }
        }
    }
}

extension CausalContext: Lattice {
    public static var bottom: CausalContext { CausalContext() }

    public func joined(with other: CausalContext) -> CausalContext {
        var result = self
        result.join(other)
        return result
    }

    public mutating func join(_ other: CausalContext) {
        compact.join(other.compact)
        cloud.formUnion(other.cloud)
        normalize()
    }
}

extension CausalContext: CanonicalEncodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(compact)
        encoder.append(set: cloud)
    }
}
