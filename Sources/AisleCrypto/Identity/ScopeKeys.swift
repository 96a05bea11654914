public import AisleCore
import Synchronization

/// The kinds of scope, each with its own branch of the key hierarchy.
public enum ScopeKind: UInt64, CaseIterable, Sendable {
    case catalog = 1, store = 2, customer = 3, loyalty = 4

    public init(of scope: Scope) {
        switch scope {
        case .catalog: self = .catalog
        case .store: self = .store
        case .customer: self = .customer
        case .loyalty: self = .loyalty
        }
    }
}

/// The tenant's key hierarchy: root → (kind, epoch) branch key → scope key.
///
/// A device gets exact scope keys (a till: its store) or, for a wildcard grant, the branch key
/// from which it derives every scope key of that kind (the hub: all stores and all loyalty
/// accounts). Nobody but head office gets the customer branch. A new epoch is a new branch: a
/// device not given it cannot read what is sealed under it.
extension MasterKey {
    /// The branch key for every scope of `kind` at `epoch`.
    public func branchKey(for kind: ScopeKind, epoch: UInt64) throws(CryptoError) -> MasterKey {
        // Ids pack kind and epoch; epochs above 2^56 are not a practical concern.
        try MasterKey(deriveKey(id: kind.rawValue << 56 | (epoch & 0x00ff_ffff_ffff_ffff), context: "aislebrn"))
    }

    /// The key of `scope` from this branch key.
    public func scopeKey(for scope: Scope) throws(CryptoError) -> AEADKey {
        let digest = BLAKE2b.hash(Array(scope.description.utf8), length: 16)
        let id = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return try AEADKey(deriveKey(id: id, context: "aislescp"))
    }

    /// The key of `scope` at `epoch`, from the tenant root.
    public func scopeKey(for scope: Scope, epoch: UInt64) throws(CryptoError) -> AEADKey {
        try branchKey(for: ScopeKind(of: scope), epoch: epoch).scopeKey(for: scope)
    }
}

/// The scope keys one device holds: exact scope keys, and branch keys for wildcard grants.
///
/// A scope key derived from a branch key is kept (up to ``DerivedScopeKeys/capacity``): each
/// derivation is a guarded allocation (`sodium_malloc`: its own pages, guard pages, `mprotect`)
/// freed again with `munmap`, and a hub holding the store and loyalty branches derived one per
/// envelope it opened or sealed; the page-table changes and the cross-core TLB flushes they cause
/// were a quarter of a starting hub's CPU (docs/performance.md, [6/6] sixteenth session).
public struct ScopeKeyring: Sendable {
    private var exact: [Scope: [UInt64: AEADKey]] = [:]
    private var branches: [ScopeKind: [UInt64: MasterKey]] = [:]
    /// Keys derived from `branches`; replaced whenever a branch key is, so a copy of this keyring
    /// made before never sees a key derived from another branch key.
    private var derived = DerivedScopeKeys()

    public init() {}

    public mutating func hold(_ key: AEADKey, for scope: Scope, epoch: UInt64) {
        exact[scope, default: [:]][epoch] = key
    }

    public mutating func hold(branch key: MasterKey, for kind: ScopeKind, epoch: UInt64) {
        branches[kind, default: [:]][epoch] = key
        derived = DerivedScopeKeys()
    }

    /// The newest epoch of `scope` this device holds a key for (what it seals with), nil if none.
    public func newestEpoch(for scope: Scope) -> UInt64? {
        let epochs = Array(exact[scope]?.keys ?? [:].keys) + Array(branches[ScopeKind(of: scope)]?.keys ?? [:].keys)
        return epochs.max()
    }

    /// The key for `scope` at `epoch`, if this device was given it or its branch.
    public func key(for scope: Scope, epoch: UInt64) -> AEADKey? {
        if let key = exact[scope]?[epoch] { return key }
        guard let branch = branches[ScopeKind(of: scope)]?[epoch] else { return nil }
        return derived.key(for: scope, epoch: epoch) { try? branch.scopeKey(for: scope) }
    }
}

/// Scope keys derived from branch keys, shared by the copies of one keyring: at most
/// ``capacity``, an arbitrary one dropped to make room (each is a guarded allocation of a few
/// pages, so a hub relaying a million loyalty accounts must not keep them all).
final class DerivedScopeKeys: Sendable {
    static let capacity = 4_096

    private struct Name: Hashable {
        let scope: Scope
        let epoch: UInt64
    }

    private let keys = Mutex<[Name: AEADKey]>([:])

    /// The key of `scope` at `epoch`, derived by `derive` the first time.
    func key(for scope: Scope, epoch: UInt64, derive: () -> AEADKey?) -> AEADKey? {
        let name = Name(scope: scope, epoch: epoch)
        if let key = keys.withLock({ $0[name] }) { return key }
        guard let key = derive() else { return nil }
        keys.withLock { keys in
            if keys.count >= Self.capacity, let any = keys.keys.first { keys[any] = nil }
            keys[name] = key
        }
        return key
    }

    var count: Int { keys.withLock { $0.count } }
}

extension ScopeKeyring {
    /// How many scope keys derived from branch keys this keyring keeps now.
    @_spi(Testing) public var derivedKeyCount: Int { derived.count }
    /// The most it keeps.
    @_spi(Testing) public static var derivedKeyCapacity: Int { DerivedScopeKeys.capacity }
}
