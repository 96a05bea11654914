public import AisleCore

/// What a device is, which decides what it may read and write (docs/security.md).
public enum Role: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Head office: publishes the catalog, may write anything.
    case hq
    /// The hub: relays everything, holds store and loyalty keys as the rights bank, never customer keys.
    case hub
    /// A till.
    case pos
    /// A self-service kiosk.
    case kiosk
    /// A customer's phone.
    case mobile

    /// Whether the role works in a store: a till or a kiosk, which sells its store's stock.
    public var isStoreTerminal: Bool { self == .pos || self == .kiosk }

    public var description: String { rawValue }
}

/// Which scopes a certificate covers: one scope, or every scope of a kind (`store:*`).
public enum ScopeGrant: Hashable, Sendable, CustomStringConvertible {
    case exactly(Scope)
    case allStores
    case allCustomers
    case allLoyalty

    /// Whether the grant covers `scope`.
    public func covers(_ scope: Scope) -> Bool {
        switch (self, scope) {
        case (.exactly(let granted), _): granted == scope
        case (.allStores, .store), (.allCustomers, .customer), (.allLoyalty, .loyalty): true
        default: false
        }
    }

    /// Parses `catalog`, `store:<id>`, `store:*`, `customer:*`, `loyalty:*` ….
    public init(_ text: String) throws(ScopeError) {
        switch text {
        case "store:*": self = .allStores
        case "customer:*": self = .allCustomers
        case "loyalty:*": self = .allLoyalty
        default: self = .exactly(try Scope(text))
        }
    }

    public var description: String {
        switch self {
        case .exactly(let scope): scope.description
        case .allStores: "store:*"
        case .allCustomers: "customer:*"
        case .allLoyalty: "loyalty:*"
        }
    }
}

extension ScopeGrant: CanonicalEncodable, CanonicalDecodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(description)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let text = try decoder.readString()
        do { try self.init(text) } catch { throw decoder.failure(error.description) }
    }
}

extension Role: CanonicalEncodable, CanonicalDecodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(rawValue)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let text = try decoder.readString()
        guard let role = Role(rawValue: text) else { throw decoder.failure("unknown role '\(text)'") }
        self = role
    }
}
