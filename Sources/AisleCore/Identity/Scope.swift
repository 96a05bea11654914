/// The unit of replication, encryption and authorization (DESIGN.md "Scopes").
///
/// Written as text: `catalog`, `store:<store id>`, `customer:<customer id>`, `loyalty:<customer id>`.
public enum Scope: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Products, prices, promotions, stores: written by head office, readable by all.
    case catalog
    /// One store's stock ledger, walk-in carts and the orders placed there.
    case store(StoreID)
    /// One customer's carts and order history: end-to-end encrypted, unreadable by the hub.
    case customer(CustomerID)
    /// One customer's points account.
    case loyalty(CustomerID)

    /// Parses the text form.
    ///
    /// - Throws: ``ScopeError`` naming the text and the forms accepted.
    public init(_ text: String) throws(ScopeError) {
        if text == "catalog" {
            self = .catalog
            return
        }
        guard let colon = text.firstIndex(of: ":") else { throw ScopeError(text: text) }
        let id = String(text[text.index(after: colon)...])
        do {
            switch text[..<colon] {
            case "store": self = .store(try StoreID(id))
            case "customer": self = .customer(try CustomerID(id))
            case "loyalty": self = .loyalty(try CustomerID(id))
            default: throw ScopeError(text: text)
            }
        } catch let error as IdentifierError {
            throw ScopeError(text: text, detail: error.description)
        } catch {
            throw ScopeError(text: text)
        }
    }

    public var description: String {
        switch self {
        case .catalog: "catalog"
        case .store(let id): "store:\(id)"
        case .customer(let id): "customer:\(id)"
        case .loyalty(let id): "loyalty:\(id)"
        }
    }

    public static func < (lhs: Scope, rhs: Scope) -> Bool {
        lhs.description < rhs.description
    }
}

extension Scope {
    /// The scopes that name a store or a customer, by the word their text form starts with.
    public enum Kind: String, Sendable {
        case store, customer, loyalty

        /// What every text form of this kind starts with (`store:`).
        public var textPrefix: String { "\(rawValue):" }

        /// Every text form of this kind lies in `lower..<upper` (`store:` up to `store;`, as `;`
        /// follows `:`): for a range scan over an index of scope text ordered bytewise.
        public var textRange: (lower: String, upper: String) { (textPrefix, "\(rawValue);") }
    }
}

extension Scope: CanonicalEncodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(description)
    }
}

/// Scope text that is not one of the four forms.
public struct ScopeError: Error, Equatable, CustomStringConvertible {
    public let text: String
    public var detail: String? = nil

    public var description: String {
        "scope '\(text)' is not catalog, store:<id>, customer:<id> or loyalty:<id>"
            + (detail.map { ": \($0)" } ?? "")
    }
}

/// Where a cart lives: a store's walk-in carts, or a customer's own carts (which follow them from
/// phone to till).
public enum CartHome: Hashable, Sendable, CustomStringConvertible {
    case store(StoreID)
    case customer(CustomerID)

    /// The scope that replicates carts of this home.
    public var scope: Scope {
        switch self {
        case .store(let id): .store(id)
        case .customer(let id): .customer(id)
        }
    }

    /// The customer whose own carts these are; nil for a store's walk-in carts.
    public var customer: CustomerID? {
        if case .customer(let id) = self { return id }
        return nil
    }

    public var description: String { scope.description }
}
