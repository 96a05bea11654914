/// The payload of a causal CRDT: data tagged with the dots of the writes that made it.
///
/// A dot store is merged together with the causal contexts of both sides (see ``Causal``):
/// an entry survives if both sides hold it, or if one side holds it and the other side had
/// never seen its dot. An entry one side had seen and dropped stays dropped: that is removal
/// without tombstones.
public protocol DotStore: Sendable, Equatable, CanonicalEncodable {
    /// The empty store.
    static var bottom: Self { get }

    /// Whether the store holds nothing.
    var isBottom: Bool { get }

    /// Every dot the store holds.
    var dots: Set<Dot> { get }

    /// Whether the store holds any dot of `context`, that is, whether a merge with a side that
    /// saw `context` could remove anything from it.
    func holdsAnyDot(of context: CausalContext) -> Bool

    /// Merges two stores given what each side had seen.
    static func join(_ lhs: Self, seen lhsContext: CausalContext, _ rhs: Self, seen rhsContext: CausalContext) -> Self
}

/// A causal CRDT: a dot store together with the causal context of everything its replica has seen.
public struct Causal<Store: DotStore>: Lattice, CanonicalEncodable {
    /// The live data.
    public var store: Store
    /// Every dot seen, including the dots of data since removed.
    public var context: CausalContext

    public init(store: Store = .bottom, context: CausalContext = CausalContext()) {
        self.store = store
        self.context = context
    }

    public static var bottom: Causal { Causal() }

    /// Whether the context covers every dot in the store (a dot the context has not seen would
    /// be lost to the next merge); always true of states built through the mutators.
    public var contextCoversStore: Bool {
        store.dots.allSatisfy(context.contains)
    }

    /// Joins a local delta into `self`, checking the causal invariant when built with
    /// AISLE_INTERNAL_CHECKS (debug builds and `make test`).
    public mutating func apply(_ delta: Causal) {
        join(delta)
        #if AISLE_INTERNAL_CHECKS
            precondition(contextCoversStore, "causal context does not cover every dot in the store")
        #endif
    }

    public func joined(with other: Causal) -> Causal {
        Causal(
            store: Store.join(store, seen: context, other.store, seen: other.context),
            context: context.joined(with: other.context))
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(store)
        encoder.append(context)
    }
}

/// A map from dot to value: each write is its own entry, kept until a replica that saw it removes it.
public struct DotFun<Value: Lattice & Hashable & CanonicalEncodable>: DotStore, Hashable {
    /// The entries by dot.
    public private(set) var entries: [Dot: Value]

    public init(_ entries: [Dot: Value] = [:]) {
        self.entries = entries
    }

    public static var bottom: DotFun { DotFun() }
    public var isBottom: Bool { entries.isEmpty }
    public var dots: Set<Dot> { Set(entries.keys) }

    /// The values, ordered by dot.
    public var values: [Value] { entries.keys.sorted().map { entries[$0]! } }

    public func holdsAnyDot(of context: CausalContext) -> Bool {
        entries.keys.contains(where: context.contains)
    }

    public static func join(
        _ lhs: DotFun, seen lhsContext: CausalContext, _ rhs: DotFun, seen rhsContext: CausalContext
    )
        -> DotFun
    {
        // Joining with a small delta is the common case: skip rebuilding a side nothing removes from.
        if rhs.entries.isEmpty, !lhs.holdsAnyDot(of: rhsContext) { return lhs }
        if lhs.entries.isEmpty, !rhs.holdsAnyDot(of: lhsContext) { return rhs }
        var result: [Dot: Value] = [:]
        for (dot, value) in lhs.entries {
            if let other = rhs.entries[dot] {
                result[dot] = value.joined(with: other)
            } else if !rhsContext.contains(dot) {
                result[dot] = value
            }
        }
        for (dot, value) in rhs.entries where lhs.entries[dot] == nil && !lhsContext.contains(dot) {
            result[dot] = value
        }
        return DotFun(result)
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(map: entries)
    }
}

/// A map from key to a nested dot store; a key is present while its store holds any dot.
public struct DotMap<Key: Hashable & Comparable & Sendable & CanonicalEncodable, Value: DotStore>: DotStore {
    /// The entries; never holds an empty store.
    public private(set) var entries: [Key: Value]

    public init(_ entries: [Key: Value] = [:]) {
        self.entries = entries.filter { !$0.value.isBottom }
    }

    /// The nested store at `key`, bottom when absent.
    public subscript(key: Key) -> Value {
        get { entries[key] ?? .bottom }
        set { entries[key] = newValue.isBottom ? nil : newValue }
    }

    public static var bottom: DotMap { DotMap() }
    public var isBottom: Bool { entries.isEmpty }
    public var dots: Set<Dot> { entries.values.reduce(into: []) { $0.formUnion($1.dots) } }

    public func holdsAnyDot(of context: CausalContext) -> Bool {
        entries.values.contains { $0.holdsAnyDot(of: context) }
    }

    public static func join(
        _ lhs: DotMap, seen lhsContext: CausalContext, _ rhs: DotMap, seen rhsContext: CausalContext
    )
        -> DotMap
    {
        // Start from the left side and touch only the keys the merge can change: those the right
        // side holds, and those holding a dot the right side had seen (and may have removed).
        var result = lhs
        for (key, value) in rhs.entries {
            result[key] = Value.join(lhs[key], seen: lhsContext, value, seen: rhsContext)
        }
        for (key, value) in lhs.entries where rhs.entries[key] == nil && value.holdsAnyDot(of: rhsContext) {
            result[key] = Value.join(value, seen: lhsContext, .bottom, seen: rhsContext)
        }
        return result
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(map: entries)
    }
}
