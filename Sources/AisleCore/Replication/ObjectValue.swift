/// The lattice state of one replicated object.
///
/// The large values are boxed (`indirect`): copying a value (into a delta's dictionary, the
/// writer's memo) then costs one reference, not the fields of the largest case. The stock
/// counter, the commonest and small, and the price register are kept inline.
public enum ObjectValue: Equatable, Sendable {
    indirect case product(LWWRegister<Product?>)
    case price(LWWRegister<Int64?>)
    indirect case promotion(LWWRegister<Promotion?>)
    indirect case storeInfo(LWWRegister<StoreInfo?>)
    indirect case storeHours(LWWRegister<OpeningHours?>)
    case revocation(Revocation)
    indirect case renewal(Renewal)
    case stock(BoundedCounter)
    indirect case cart(Cart)
    indirect case order(Order)
    indirect case reservation(Reservation)
    indirect case wishlist(Wishlist)
    indirect case reservationNote(ReservationNote)
    indirect case account(LoyaltyAccount)

    /// The kind of object this value belongs to.
    public var kind: ObjectKind {
        switch self {
        case .product: .product
        case .price: .price
        case .promotion: .promotion
        case .storeInfo: .storeInfo
        case .storeHours: .storeHours
        case .revocation: .revocation
        case .renewal: .renewal
        case .stock: .stock
        case .cart: .cart
        case .order: .order
        case .reservation: .reservation
        case .wishlist: .wishlist
        case .reservationNote: .reservationNote
        case .account: .account
        }
    }

    /// The join of two values of one kind; nil when the kinds differ.
    public func joined(with other: ObjectValue) -> ObjectValue? {
        switch (self, other) {
        case (.product(let a), .product(let b)): .product(a.joined(with: b))
        case (.price(let a), .price(let b)): .price(a.joined(with: b))
        case (.promotion(let a), .promotion(let b)): .promotion(a.joined(with: b))
        case (.storeInfo(let a), .storeInfo(let b)): .storeInfo(a.joined(with: b))
        case (.storeHours(let a), .storeHours(let b)): .storeHours(a.joined(with: b))
        case (.revocation(let a), .revocation(let b)): .revocation(a.joined(with: b))
        case (.renewal(let a), .renewal(let b)): .renewal(a.joined(with: b))
        case (.stock(let a), .stock(let b)): .stock(a.joined(with: b))
        case (.cart(let a), .cart(let b)): .cart(a.joined(with: b))
        case (.order(let a), .order(let b)):
            .order(a.canonicalBytes.lexicographicallyPrecedes(b.canonicalBytes) ? b : a)
        case (.reservation(let a), .reservation(let b)): .reservation(a.joined(with: b))
        case (.wishlist(let a), .wishlist(let b)): .wishlist(a.joined(with: b))
        case (.reservationNote(let a), .reservationNote(let b)): .reservationNote(a.joined(with: b))
        case (.account(let a), .account(let b)): .account(a.joined(with: b))
        default: nil
        }
    }

    /// Reads a value of `kind` from its canonical bytes.
    public static func decode(_ kind: ObjectKind, from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError)
        -> ObjectValue
    {
        switch kind {
        case .product: .product(try decoder.decode())
        case .price: .price(try decoder.decode())
        case .promotion: .promotion(try decoder.decode())
        case .storeInfo: .storeInfo(try decoder.decode())
        case .storeHours: .storeHours(try decoder.decode())
        case .revocation: .revocation(try decoder.decode())
        case .renewal: .renewal(try decoder.decode())
        case .stock: .stock(try decoder.decode())
        case .cart: .cart(try decoder.decode())
        case .order: .order(try decoder.decode())
        case .reservation: .reservation(try decoder.decode())
        case .wishlist: .wishlist(try decoder.decode())
        case .reservationNote: .reservationNote(try decoder.decode())
        case .account: .account(try decoder.decode())
        }
    }

    /// Reads a complete value of `kind` from `bytes`.
    public init(_ kind: ObjectKind, canonicalBytes bytes: [UInt8]) throws(CanonicalDecodingError) {
        var decoder = CanonicalDecoder(bytes)
        self = try Self.decode(kind, from: &decoder)
        try decoder.finish()
    }
}

extension ObjectValue: CanonicalEncodable {
    public func encode(to encoder: inout CanonicalEncoder) {
        switch self {
        case .product(let value): encoder.append(value)
        case .price(let value): encoder.append(value)
        case .promotion(let value): encoder.append(value)
        case .storeInfo(let value): encoder.append(value)
        case .storeHours(let value): encoder.append(value)
        case .revocation(let value): encoder.append(value)
        case .renewal(let value): encoder.append(value)
        case .stock(let value): encoder.append(value)
        case .cart(let value): encoder.append(value)
        case .order(let value): encoder.append(value)
        case .reservation(let value): encoder.append(value)
        case .wishlist(let value): encoder.append(value)
        case .reservationNote(let value): encoder.append(value)
        case .account(let value): encoder.append(value)
        }
    }
}
