/// The kinds of replicated object, each living in one kind of scope.
public enum ObjectKind: UInt8, CaseIterable, Comparable, Sendable, CustomStringConvertible {
    /// Catalog: a product description per SKU.
    case product = 1
    /// Catalog: a unit price per SKU.
    case price = 2
    /// Catalog: a promotion per promotion id.
    case promotion = 3
    /// Catalog: a store's name and location per store id.
    case storeInfo = 4
    /// Catalog: a store's weekly opening hours per store id.
    case storeHours = 5
    /// Catalog: a revoked device certificate per certificate id (``Revocation``).
    case revocation = 6
    /// Catalog: a device's renewed certificate per device id (``Renewal``).
    case renewal = 7
    /// Store: the bounded stock counter of one SKU.
    case stock = 10
    /// Store or customer: one cart.
    case cart = 11
    /// Store or customer: one order.
    case order = 12
    /// Store: one click-and-collect reservation.
    case reservation = 13
    /// Customer: the wishlist (one per scope; its id is empty).
    case wishlist = 14
    /// Customer: what the customer's phone keeps of one of its click-and-collect reservations.
    case reservationNote = 15
    /// Loyalty: the points account (one per scope; its id is empty).
    case account = 20

    /// Whether objects of this kind live in `scope`.
    public func belongs(in scope: Scope) -> Bool {
        switch (self, scope) {
        case (.product, .catalog), (.price, .catalog), (.promotion, .catalog), (.storeInfo, .catalog): true
        case (.storeHours, .catalog), (.revocation, .catalog), (.renewal, .catalog): true
        case (.stock, .store), (.cart, .store), (.order, .store), (.reservation, .store): true
        case (.cart, .customer), (.order, .customer), (.wishlist, .customer), (.reservationNote, .customer): true
        case (.account, .loyalty): true
        default: false
        }
    }

    public static func < (lhs: ObjectKind, rhs: ObjectKind) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .product: "product"
        case .price: "price"
        case .promotion: "promotion"
        case .storeInfo: "store"
        case .storeHours: "hours"
        case .revocation: "revocation"
        case .renewal: "renewal"
        case .stock: "stock"
        case .cart: "cart"
        case .order: "order"
        case .reservation: "reservation"
        case .wishlist: "wishlist"
        case .reservationNote: "reservation note"
        case .account: "account"
        }
    }
}

/// The address of one replicated object: its scope, its kind, and its id within them
/// (a SKU, a cart id, an order id …; empty for a scope's single loyalty account).
public struct ObjectKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let scope: Scope
    public let kind: ObjectKind
    public let id: String

    /// An object address.
    ///
    /// - Throws: ``ObjectError`` when the kind does not live in the scope or the id is not valid for the kind.
    public init(scope: Scope, kind: ObjectKind, id: String) throws(ObjectError) {
        guard kind.belongs(in: scope) else { throw .kindOutsideScope(kind, scope) }
        do {
            switch kind {
            case .product, .price, .stock: _ = try SKU(id)
            case .promotion: _ = try PromotionID(id)
            case .storeInfo, .storeHours: _ = try StoreID(id)
            case .revocation:
                guard Revocation.certificate(of: try CertificateID(id)) != nil else {
                    throw ObjectError.invalidID(kind, "a revocation's id is a certificate id: 32 lowercase hex digits")
                }
            case .renewal: _ = try ReplicaID(id)
            case .cart: _ = try CartID(id)
            case .order: _ = try OrderID(id)
            case .reservation, .reservationNote: _ = try ReservationID(id)
            case .account, .wishlist:
                guard id.isEmpty else { throw ObjectError.invalidID(kind, "\(kind) ids are empty") }
            }
        } catch let error as IdentifierError {
            throw .invalidID(kind, error.description)
        } catch let error as ObjectError {
            throw error
        } catch {
            throw .invalidID(kind, "\(error)")
        }
        self.scope = scope
        self.kind = kind
        self.id = id
    }

    init(unchecked scope: Scope, _ kind: ObjectKind, _ id: String) {
        self.scope = scope
        self.kind = kind
        self.id = id
    }

    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.scope, lhs.kind, lhs.id) < (rhs.scope, rhs.kind, rhs.id)
    }

    public var description: String { "\(scope)/\(kind)/\(id)" }
}

extension ObjectKey {
    /// The stock counter of `sku` in `store`'s scope (typed ids are valid, so nothing to check).
    public static func stock(_ sku: SKU, at store: StoreID) -> ObjectKey {
        ObjectKey(unchecked: .store(store), .stock, sku.rawValue)
    }

    /// The catalog's price of `sku`.
    public static func price(of sku: SKU) -> ObjectKey {
        ObjectKey(unchecked: .catalog, .price, sku.rawValue)
    }

    /// `customer`'s points account, in the customer's loyalty scope.
    public static func account(of customer: CustomerID) -> ObjectKey {
        ObjectKey(unchecked: .loyalty(customer), .account, "")
    }

    /// Reservation `id` in `store`'s scope.
    public static func reservation(_ id: ReservationID, at store: StoreID) -> ObjectKey {
        ObjectKey(unchecked: .store(store), .reservation, id.rawValue)
    }

    /// `customer`'s note of reservation `id` (what the phone asked for), in the customer's scope.
    public static func reservationNote(_ id: ReservationID, of customer: CustomerID) -> ObjectKey {
        ObjectKey(unchecked: .customer(customer), .reservationNote, id.rawValue)
    }

    /// `customer`'s wishlist, in the customer's scope.
    public static func wishlist(of customer: CustomerID) -> ObjectKey {
        ObjectKey(unchecked: .customer(customer), .wishlist, "")
    }
}

/// An object that cannot be placed.
public enum ObjectError: Error, Equatable, CustomStringConvertible {
    case kindOutsideScope(ObjectKind, Scope)
    case invalidID(ObjectKind, String)
    case valueKindMismatch(ObjectKind, ObjectKind)
    case notACounter(ObjectKind)

    public var description: String {
        switch self {
        case .kindOutsideScope(let kind, let scope): "a \(kind) object cannot live in scope \(scope)"
        case .invalidID(let kind, let problem): "invalid \(kind) id: \(problem)"
        case .valueKindMismatch(let key, let value): "a \(value) value cannot be stored under a \(key) key"
        case .notACounter(let kind): "a \(kind) holds no rights: only stock and points accounts do"
        }
    }
}
