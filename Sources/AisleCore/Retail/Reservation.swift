/// A click-and-collect reservation: units of a store's stock set aside for a customer until a
/// deadline, in the store's scope.
///
/// The hub places it (spending its own stock rights, so the units leave what tills may sell) and
/// holds it. One replica at a time, its custodian, decides how it ends: collected by the customer,
/// or released back into stock. A till that picks the goods first takes custody from the hub
/// (which hands it over only while it holds it), so a pickup at the till and an expiry at the hub
/// can never both happen, even offline: whoever does not hold custody cannot decide.
public struct Reservation: Lattice, CanonicalEncodable {
    /// What was reserved, written once by the hub that placed it.
    public struct Terms: Hashable, Sendable, CanonicalEncodable {
        public let customer: CustomerID
        /// Units per SKU, each at least 1.
        public let lines: [SKU: Int64]
        /// Wall-clock milliseconds after which the custodian releases it if not collected.
        public let expiresAt: UInt64
        /// When and by which replica (the hub) it was placed.
        public let placedAt: HLCTimestamp

        public init(customer: CustomerID, lines: [SKU: Int64], expiresAt: UInt64, placedAt: HLCTimestamp) {
            self.customer = customer
            self.lines = lines
            self.expiresAt = expiresAt
            self.placedAt = placedAt
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.append(customer)
            encoder.append(map: lines)
            encoder.append(expiresAt)
            encoder.append(placedAt)
        }
    }

    /// Who decides the reservation's end: custody passes only from its holder, each time with a
    /// higher epoch, so at any moment at most one replica holds it.
    public struct Custody: TotallyOrderedValue {
        public let epoch: UInt64
        public let holder: ReplicaID?

        public init(epoch: UInt64, holder: ReplicaID?) {
            self.epoch = epoch
            self.holder = holder
        }

        public static var minimum: Custody { Custody(epoch: 0, holder: nil) }

        public static func < (lhs: Custody, rhs: Custody) -> Bool {
            (lhs.epoch, lhs.holder?.rawValue ?? "") < (rhs.epoch, rhs.holder?.rawValue ?? "")
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.append(epoch)
            encoder.append(holder)
        }
    }

    /// The terms, nil in a delta that does not carry them. Two different terms under one id mean a
    /// faulty hub; the merge keeps one deterministically (larger canonical bytes).
    public private(set) var terms: Terms?
    public private(set) var custody: MaxRegister<Custody>
    public private(set) var phase: MaxRegister<ReservationPhase>

    public init() {
        terms = nil
        custody = .bottom
        phase = .bottom
    }

    init(terms: Terms?, custody: MaxRegister<Custody>, phase: MaxRegister<ReservationPhase>) {
        self.terms = terms
        self.custody = custody
        self.phase = phase
    }

    public static var bottom: Reservation { Reservation() }

    /// The replica that decides how it ends now.
    public var custodian: ReplicaID? { custody.value.holder }

    public func joined(with other: Reservation) -> Reservation {
        var result = self
        result.join(other)
        return result
    }

    public mutating func join(_ other: Reservation) {
        switch (terms, other.terms) {
        case (nil, let theirs): terms = theirs
        case (let mine?, let theirs?) where mine.canonicalBytes.lexicographicallyPrecedes(theirs.canonicalBytes):
            terms = theirs
        default: break
        }
        custody.join(other.custody)
        phase.join(other.phase)
    }

    /// A new reservation placed and held by `hub`; the whole value is its delta.
    public static func placed(_ terms: Terms, by hub: ReplicaID) -> Reservation {
        Reservation(terms: terms, custody: MaxRegister(Custody(epoch: 1, holder: hub)), phase: MaxRegister(.reserved))
    }

    /// Hands custody from `replica` to `recipient`; returns the delta.
    /// - Throws: ``ReservationError`` unless `replica` holds it and it is still open.
    @discardableResult
    public mutating func handOver(from replica: ReplicaID, to recipient: ReplicaID) throws(ReservationError)
        -> Reservation
    {
        try requireOpen(heldBy: replica)
        var delta = Reservation()
        delta.custody = custody.raise(to: Custody(epoch: custody.value.epoch + 1, holder: recipient))
        return delta
    }

    /// Moves the reservation on to `next` (picked, collected or released) at its custodian `replica`.
    /// - Throws: ``ReservationError`` unless `replica` holds it and it is still open.
    @discardableResult
    public mutating func advance(to next: ReservationPhase, at replica: ReplicaID) throws(ReservationError)
        -> Reservation
    {
        try requireOpen(heldBy: replica)
        var delta = Reservation()
        delta.phase = phase.raise(to: next)
        return delta
    }

    private func requireOpen(heldBy replica: ReplicaID) throws(ReservationError) {
        guard phase.value.isOpen else { throw .closed(phase.value) }
        guard custodian == replica else { throw .notCustodian(holder: custodian) }
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(terms)
        encoder.append(custody)
        encoder.append(phase)
    }
}

/// Where a reservation stands; it only moves up.
public enum ReservationPhase: Int, TotallyOrderedValue, CaseIterable, CustomStringConvertible {
    /// Placed by the hub; the units are set aside.
    case reserved = 0
    /// A till has the goods ready for the customer.
    case picked = 1
    /// Handed to the customer: a sale.
    case collected = 2
    /// Expired or cancelled: the units went back into stock.
    case released = 3

    public static var minimum: ReservationPhase { .reserved }

    public static func < (lhs: ReservationPhase, rhs: ReservationPhase) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Whether it still holds units for the customer.
    public var isOpen: Bool { self == .reserved || self == .picked }

    public var description: String {
        switch self {
        case .reserved: "reserved"
        case .picked: "picked"
        case .collected: "collected"
        case .released: "released"
        }
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(UInt64(rawValue))
    }
}

/// A reservation step that was refused.
public enum ReservationError: Error, Equatable, CustomStringConvertible {
    /// Another replica decides this reservation now.
    case notCustodian(holder: ReplicaID?)
    /// It has ended already.
    case closed(ReservationPhase)
    /// No reservation under that id here.
    case unknown(ReservationID)
    /// Past its deadline: it can only be released.
    case expired(ReservationID)

    public var description: String {
        switch self {
        case .notCustodian(let holder):
            "this reservation is held by \(holder.map(\.rawValue) ?? "nobody"): "
                + (holder == nil ? "it was never placed" : "reconnect to the hub to take it over")
        case .closed(let phase): "this reservation is already \(phase)"
        case .unknown(let id): "no reservation \(id) at this store: check the id, or sync with the hub"
        case .expired(let id):
            "reservation \(id) has expired: its units go back on sale when it is released; sell them normally"
        }
    }
}
