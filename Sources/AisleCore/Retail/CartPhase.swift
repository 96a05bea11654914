/// Where a cart is in its life. It only moves forward: open < checkingOut < abandoned < checkedOut.
///
/// `abandoned` and `checkedOut` are both final. Should one device abandon a cart while another
/// checks it out, the checkout wins: a sale that was paid for is a fact, an abandonment is not.
public enum CartPhase: Int, TotallyOrderedValue, CaseIterable, CustomStringConvertible {
    /// Being filled.
    case open = 0
    /// Payment is in progress on some device; lines can still change.
    case checkingOut = 1
    /// Given up; no more edits.
    case abandoned = 2
    /// Paid; the lines are sealed into an order.
    case checkedOut = 3

    public static var minimum: CartPhase { .open }

    public static func < (lhs: CartPhase, rhs: CartPhase) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Whether the cart no longer accepts edits.
    public var isFinal: Bool { self >= .abandoned }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(UInt64(rawValue))
    }

    public var description: String {
        switch self {
        case .open: "open"
        case .checkingOut: "checking out"
        case .abandoned: "abandoned"
        case .checkedOut: "checked out"
        }
    }
}
