/// The largest numbers one edit takes: far above any real sale or delivery, and far enough
/// below `Int64.max` that the sums a counter keeps of many such edits never wrap (a counter's
/// arithmetic is modular: one receipt of 2⁶³ units would turn a store's stock negative on every
/// replica).
public enum RetailLimits {
    /// Units one stock receipt, sale or transfer of rights moves, and points one earning or
    /// redemption books: a billion.
    public static let maxUnits: UInt64 = 1_000_000_000
    /// Units one cart line holds: a million.
    public static let maxLineQuantity: Int64 = 1_000_000

    /// - Throws: ``AmountOutOfRange`` unless `amount` is 1 to ``maxUnits``.
    public static func check(_ amount: UInt64, _ what: AmountOutOfRange.What) throws(AmountOutOfRange) {
        guard amount >= 1, amount <= maxUnits else { throw AmountOutOfRange(amount: amount, what: what) }
    }
}

/// An edit of stock or points refused for its size (``RetailLimits/maxUnits``).
public struct AmountOutOfRange: Error, Equatable, CustomStringConvertible {
    /// What the amount counts.
    public enum What: String, Sendable {
        case units
        case points
    }

    public let amount: UInt64
    public let what: What

    public init(amount: UInt64, what: What) {
        self.amount = amount
        self.what = what
    }

    public var description: String {
        Self.describe(amount, what)
    }

    /// What is wrong with `amount` (of any integer type, as a request gave it).
    public static func describe(_ amount: some BinaryInteger, _ what: What) -> String {
        "\(amount) \(what.rawValue) is out of range: one edit takes 1 to \(RetailLimits.maxUnits) \(what.rawValue)"
    }
}
