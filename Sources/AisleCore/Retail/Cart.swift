/// A shopping cart shared by a customer's phone, a till after handoff, and the hub's relay.
///
/// Two devices adding the same item both count. Removing an item does not undo an addition the
/// remover had not seen. Setting a quantity replaces what the setter saw and keeps additions
/// made meanwhile on other devices. Once checked out, the lines are sealed: edits that arrive
/// afterwards are kept apart, not applied, and reported by ``lateEdits``.
public struct Cart: Lattice, CanonicalEncodable {
    /// Every line's writes, with the causal context of all cart edits seen.
    public private(set) var lines: Causal<DotMap<SKU, CartLine>>
    /// The customer the cart belongs to, if known.
    public private(set) var owner: LWWRegister<CustomerID>
    /// Where the cart is in its life.
    public private(set) var phase: MaxRegister<CartPhase>
    /// The lines as every checkout saw them (joined if two devices checked out concurrently).
    public private(set) var sealed: Causal<DotMap<SKU, CartLine>>

    public init() {
        lines = .bottom
        owner = .bottom
        phase = .bottom
        sealed = .bottom
    }

    init(
        lines: Causal<DotMap<SKU, CartLine>>, owner: LWWRegister<CustomerID>, phase: MaxRegister<CartPhase>,
        sealed: Causal<DotMap<SKU, CartLine>>
    ) {
        self.lines = lines
        self.owner = owner
        self.phase = phase
        self.sealed = sealed
    }

    public static var bottom: Cart { Cart() }

    public func joined(with other: Cart) -> Cart {
        var result = self
        result.join(other)
        return result
    }

    public mutating func join(_ other: Cart) {
        lines.join(other.lines)
        owner.join(other.owner)
        phase.join(other.phase)
        sealed.join(other.sealed)
    }

    // MARK: Reading

    /// The lines a person sees, by SKU: the sealed lines once checked out, otherwise the live ones.
    /// Lines whose quantity is zero or less (every unit removed on some device) are not shown.
    public var visibleLines: [CartLineView] {
        let source = phase.value == .checkedOut ? sealed.store : lines.store
        return source.entries.sorted { $0.key < $1.key }.compactMap { sku, line in
            let quantity = line.quantityValue
            guard quantity > 0 else { return nil }
            return CartLineView(sku: sku, quantity: quantity, note: line.noteValue)
        }
    }

    /// The SKUs whose lines changed after checkout: edits that reached this replica too late to
    /// be part of the order. Empty while the cart is not checked out.
    public var lateEdits: [SKU] {
        guard phase.value == .checkedOut else { return [] }
        let skus = Set(lines.store.entries.keys).union(sealed.store.entries.keys)
        return skus.sorted().filter { lines.store[$0] != sealed.store[$0] }
    }

    // MARK: Editing

    /// Adds `quantity` units of `sku` as an edit by `replica`; returns the delta.
    ///
    /// - Throws: ``CartError`` if the cart is closed, `quantity` is not positive, or the line
    ///   would hold more than ``RetailLimits/maxLineQuantity``.
    @discardableResult
    public mutating func add(_ sku: SKU, quantity: Int64, at replica: ReplicaID) throws(CartError) -> Cart {
        try requireEditable()
        let line = lines.store[sku]
        guard quantity > 0, quantity <= RetailLimits.maxLineQuantity - max(0, line.quantityValue) else {
            throw .invalidQuantity(quantity, sku: sku)
        }
        let delta = line.quantity.incrementDelta(by: quantity, at: replica, seen: lines.context)
        return applyLineDelta(sku, CartLine(quantity: delta.store), context: delta.context)
    }

    /// Sets the quantity of `sku` to `quantity`; zero removes the line. Returns the delta.
    ///
    /// Additions made concurrently on other devices are kept on top of `quantity`.
    /// - Throws: ``CartError`` if the cart is closed, or `quantity` is negative or more than
    ///   ``RetailLimits/maxLineQuantity``.
    @discardableResult
    public mutating func setQuantity(_ sku: SKU, to quantity: Int64, at stamp: HLCTimestamp) throws(CartError) -> Cart {
        try requireEditable()
        guard quantity >= 0, quantity <= RetailLimits.maxLineQuantity else {
            throw .invalidQuantity(quantity, sku: sku)
        }
        if quantity == 0 { return try remove(sku) }
        let line = lines.store[sku]
        let delta = line.quantity.assignDelta(to: quantity, at: stamp, seen: lines.context)
        return applyLineDelta(sku, CartLine(quantity: delta.store), context: delta.context)
    }

    /// Removes the line for `sku` as seen here; returns the delta.
    ///
    /// - Throws: ``CartError`` if the cart is closed.
    @discardableResult
    public mutating func remove(_ sku: SKU) throws(CartError) -> Cart {
        try requireEditable()
        return applyLineDelta(sku, .bottom, context: CausalContext(dots: lines.store[sku].dots))
    }

    /// Sets the note on the line for `sku`; returns the delta.
    ///
    /// - Throws: ``CartError`` if the cart is closed or has no line for `sku`.
    @discardableResult
    public mutating func setNote(_ sku: SKU, to note: String, at stamp: HLCTimestamp) throws(CartError) -> Cart {
        try requireEditable()
        let line = lines.store[sku]
        guard line.quantityValue > 0 else { throw .noSuchLine(sku) }
        let dot = lines.context.nextDot(for: stamp.replica)
        let store = CartLine(note: DotFun([dot: LWWRegister(note, at: stamp)]))
        return applyLineDelta(sku, store, context: CausalContext(dots: Array(line.note.dots) + [dot]))
    }

    /// Assigns the cart to `customer`; returns the delta.
    @discardableResult
    public mutating func setOwner(_ customer: CustomerID, at stamp: HLCTimestamp) throws(CartError) -> Cart {
        try requireEditable()
        var delta = Cart()
        delta.owner = owner.assign(customer, at: stamp)
        return delta
    }

    /// Marks payment as in progress; returns the delta.
    @discardableResult
    public mutating func beginCheckout() throws(CartError) -> Cart {
        try advance(to: .checkingOut)
    }

    /// Seals the lines as seen here and marks the cart checked out; returns the delta.
    ///
    /// - Throws: ``CartError`` if the cart is closed or has no lines.
    @discardableResult
    public mutating func checkOut() throws(CartError) -> Cart {
        try requireEditable()
        guard !visibleLines.isEmpty else { throw .empty }
        var delta = Cart()
        delta.sealed = lines
        delta.phase = MaxRegister(.checkedOut)
        join(delta)
        return delta
    }

    /// Gives the cart up; returns the delta.
    @discardableResult
    public mutating func abandon() throws(CartError) -> Cart {
        try advance(to: .abandoned)
    }

    private mutating func advance(to next: CartPhase) throws(CartError) -> Cart {
        try requireEditable()
        var delta = Cart()
        delta.phase = phase.raise(to: next)
        return delta
    }

    private func requireEditable() throws(CartError) {
        if phase.value.isFinal { throw .closed(phase.value) }
    }

    private mutating func applyLineDelta(_ sku: SKU, _ line: CartLine, context: CausalContext) -> Cart {
        var delta = Cart()
        delta.lines = Causal(store: DotMap([sku: line]), context: context)
        lines.apply(delta.lines)
        return delta
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(lines)
        encoder.append(owner)
        encoder.append(phase)
        encoder.append(sealed)
    }
}

/// A cart edit that was refused.
public enum CartError: Error, Equatable, CustomStringConvertible {
    /// The cart is checked out or abandoned.
    case closed(CartPhase)
    /// A quantity out of range for the edit.
    case invalidQuantity(Int64, sku: SKU)
    /// The cart has no line for this SKU.
    case noSuchLine(SKU)
    /// Checkout of a cart with no lines.
    case empty
    /// Checkout of a cart holding SKUs the catalog has no price for.
    case unpriced([SKU])

    public var description: String {
        switch self {
        case .closed(let phase):
            "the cart is \(phase) and takes no more edits: start a new cart"
        case .invalidQuantity(let quantity, let sku):
            "quantity \(quantity) for SKU \(sku) is out of range: add takes 1 or more, set takes 0 or more, "
                + "and a line holds at most \(RetailLimits.maxLineQuantity)"
        case .noSuchLine(let sku):
            "the cart has no line for SKU \(sku): add the item first"
        case .empty:
            "the cart is empty: add an item before checking out"
        case .unpriced(let skus):
            "no price in the catalog for SKU \(skus.map(\.rawValue).joined(separator: ", ")): "
                + "remove the line or publish a price"
        }
    }
}
