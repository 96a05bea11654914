/// A join-semilattice: a state that only grows, where merging is order-insensitive.
///
/// `joined(with:)` is the least upper bound. It must be commutative, associative and idempotent,
/// so replicas converge whatever order, duplication or re-delivery their messages suffer.
/// Every lattice here also has a least element, ``bottom``, which is what an empty delta is.
public protocol Lattice: Sendable, Equatable {
    /// The least element: joining it changes nothing.
    static var bottom: Self { get }

    /// The least upper bound of `self` and `other`.
    func joined(with other: Self) -> Self

    /// Replaces `self` with the least upper bound of `self` and `other`.
    mutating func join(_ other: Self)
}

extension Lattice {
    public mutating func join(_ other: Self) {
        self = joined(with: other)
    }

    /// Whether `self` is below or equal to `other` in the lattice order (`self ⊔ other == other`).
    public func isBelowOrEqual(to other: Self) -> Bool {
        joined(with: other) == other
    }
}
