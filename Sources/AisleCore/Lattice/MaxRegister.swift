/// A value in a total order that has a least element.
public protocol TotallyOrderedValue: Comparable, Hashable, Sendable, CanonicalEncodable {
    /// The least value: the register's starting point.
    static var minimum: Self { get }
}

/// A register that only moves up a total order; merging keeps the larger value.
///
/// Serves as the monotonic phase lattice (a cart moves from open to checking out to checked out,
/// never back) and as the per-dot value of counters.
public struct MaxRegister<Value: TotallyOrderedValue>: Lattice, Hashable, CanonicalEncodable {
    /// The current value.
    public private(set) var value: Value

    public init(_ value: Value = .minimum) {
        self.value = value
    }

    public static var bottom: MaxRegister { MaxRegister() }

    public func joined(with other: MaxRegister) -> MaxRegister {
        MaxRegister(Swift.max(value, other.value))
    }

    /// Raises the value to `newValue` if that is higher; returns the delta (bottom when nothing changed).
    @discardableResult
    public mutating func raise(to newValue: Value) -> MaxRegister {
        guard newValue > value else { return .bottom }
        value = newValue
        return MaxRegister(newValue)
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(value)
    }
}

extension Int64: TotallyOrderedValue {
    public static var minimum: Int64 { .min }
}
