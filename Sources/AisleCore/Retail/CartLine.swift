/// One cart line's causal state: its quantity writes and its note writes.
///
/// The line is present while it holds any write. Removing the line removes the writes the
/// remover had seen, so an addition made concurrently elsewhere keeps the line (add wins).
public struct CartLine: DotStore, Hashable {
    /// Quantity writes: additions and "set to" assignments.
    public var quantity: DotFun<CounterEntry>
    /// Note writes; the latest by hybrid clock is shown.
    public var note: DotFun<LWWRegister<String>>

    public init(quantity: DotFun<CounterEntry> = .bottom, note: DotFun<LWWRegister<String>> = .bottom) {
        self.quantity = quantity
        self.note = note
    }

    public static var bottom: CartLine { CartLine() }
    public var isBottom: Bool { quantity.isBottom && note.isBottom }
    public var dots: Set<Dot> { quantity.dots.union(note.dots) }

    public func holdsAnyDot(of context: CausalContext) -> Bool {
        quantity.holdsAnyDot(of: context) || note.holdsAnyDot(of: context)
    }

    /// The quantity: the latest assignment plus additions it had not seen.
    public var quantityValue: Int64 { quantity.total }

    /// The latest note, nil when none.
    public var noteValue: String? {
        note.values.reduce(LWWRegister<String>.bottom) { $0.joined(with: $1) }.value
    }

    public static func join(
        _ lhs: CartLine, seen lhsContext: CausalContext, _ rhs: CartLine, seen rhsContext: CausalContext
    )
        -> CartLine
    {
        CartLine(
            quantity: .join(lhs.quantity, seen: lhsContext, rhs.quantity, seen: rhsContext),
            note: .join(lhs.note, seen: lhsContext, rhs.note, seen: rhsContext))
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(quantity)
        encoder.append(note)
    }
}

/// What a person sees of a cart line.
public struct CartLineView: Hashable, Sendable {
    public let sku: SKU
    public let quantity: Int64
    public let note: String?

    public init(sku: SKU, quantity: Int64, note: String? = nil) {
        self.sku = sku
        self.quantity = quantity
        self.note = note
    }
}
