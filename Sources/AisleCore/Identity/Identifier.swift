/// What kind of thing an ``Identifier`` names; gives error messages their noun.
public protocol IdentifierKind: Sendable {
    /// A noun a person recognises, such as "SKU" or "replica id".
    static var noun: String { get }
}

/// A validated, typed identifier: 1 to 64 ASCII letters, digits, `-`, `_`, `.` or `:`.
///
/// Each kind of identifier is its own type (``ReplicaID``, ``SKU``, ``CartID`` …), so a SKU
/// can never be passed where a replica id is expected.
public struct Identifier<Kind: IdentifierKind>: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The identifier as text.
    public let rawValue: String

    /// The longest identifier accepted, in characters.
    public static var maximumLength: Int { 64 }

    /// Validates `rawValue`.
    ///
    /// - Throws: ``IdentifierError`` naming the kind and the offending text when it is empty,
    ///   too long, or holds a character outside `[A-Za-z0-9._:-]`.
    public init(_ rawValue: String) throws(IdentifierError) {
        guard !rawValue.isEmpty else {
            throw IdentifierError(noun: Kind.noun, text: rawValue, problem: "is empty")
        }
        guard rawValue.utf8.count <= Self.maximumLength else {
            throw IdentifierError(
                noun: Kind.noun, text: String(rawValue.prefix(16)) + "…",
                problem: "is longer than \(Self.maximumLength) characters")
        }
        for byte in rawValue.utf8 where !Self.isAllowed(byte) {
            throw IdentifierError(
                noun: Kind.noun, text: rawValue,
                problem: "contains a character other than letters, digits, '-', '_', '.' or ':'")
        }
        self.rawValue = rawValue
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
            UInt8(ascii: "."), UInt8(ascii: ":"):
            return true
        default:
            return false
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String { rawValue }
}

extension Identifier: ExpressibleByStringLiteral {
    /// A literal identifier in source code; an invalid literal is a programming error and traps.
    public init(stringLiteral value: String) {
        do {
            try self.init(value)
        } catch {
            preconditionFailure(error.description)
        }
    }
}

extension Identifier: CanonicalEncodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(rawValue == encoder.impliedName ? "" : rawValue)
    }
}

/// An identifier that failed validation.
public struct IdentifierError: Error, Equatable, CustomStringConvertible {
    /// The kind of identifier, such as "SKU".
    public let noun: String
    /// The rejected text (shortened when very long).
    public let text: String
    /// What is wrong with it.
    public let problem: String

    public var description: String { "\(noun) '\(text)' \(problem)" }
}

public enum ReplicaKind: IdentifierKind { public static var noun: String { "replica id" } }
public enum SKUKind: IdentifierKind { public static var noun: String { "SKU" } }
public enum CartKind: IdentifierKind { public static var noun: String { "cart id" } }
public enum CustomerKind: IdentifierKind { public static var noun: String { "customer id" } }
public enum StoreKind: IdentifierKind { public static var noun: String { "store id" } }
public enum OrderKind: IdentifierKind { public static var noun: String { "order id" } }
public enum PromotionKind: IdentifierKind { public static var noun: String { "promotion id" } }
public enum ReservationKind: IdentifierKind { public static var noun: String { "reservation id" } }
public enum CertificateKind: IdentifierKind { public static var noun: String { "certificate id" } }

/// One replica: a till, a kiosk, a phone or the hub. Ties between equal clock readings break by it.
public typealias ReplicaID = Identifier<ReplicaKind>
/// A stock-keeping unit: one sellable product.
public typealias SKU = Identifier<SKUKind>
/// One shopping cart.
public typealias CartID = Identifier<CartKind>
/// One customer (the owner of carts, a loyalty account and an order history).
public typealias CustomerID = Identifier<CustomerKind>
/// One physical store.
public typealias StoreID = Identifier<StoreKind>
/// One order, made at checkout.
public typealias OrderID = Identifier<OrderKind>
/// One promotion in the catalog.
public typealias PromotionID = Identifier<PromotionKind>
/// A click-and-collect reservation, minted by the hub that places it.
public typealias ReservationID = Identifier<ReservationKind>
/// A device certificate, as the catalog's revocations name it (``Revocation/catalogID(of:)``).
public typealias CertificateID = Identifier<CertificateKind>
