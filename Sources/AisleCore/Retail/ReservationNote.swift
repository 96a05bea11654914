/// What a customer's phone keeps of one of its click-and-collect reservations, in the customer's
/// own scope (end-to-end encrypted, so the hub never reads it; docs/semantics.md, "The phone's
/// reservations").
///
/// The reservation itself lives in the store's scope, which a phone may not hold. The phone writes
/// the terms the hub answered when it placed the reservation, and afterwards the stage the hub
/// reports at each sync; the stage only moves up (reserved < picked < collected | released), so
/// two phones of one customer that report different stages converge on the later one.
public struct ReservationNote: Lattice, CanonicalEncodable {
    /// Where and what was reserved, and until when: written once, by the phone the hub answered.
    public struct Terms: Hashable, Sendable, CanonicalEncodable {
        public let store: StoreID
        /// Units per SKU, each at least 1.
        public let lines: [SKU: Int64]
        /// Wall-clock milliseconds after which the store releases it if not collected.
        public let expiresAt: UInt64

        public init(store: StoreID, lines: [SKU: Int64], expiresAt: UInt64) {
            self.store = store
            self.lines = lines
            self.expiresAt = expiresAt
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.append(store)
            encoder.append(map: lines)
            encoder.append(expiresAt)
        }
    }

    /// The terms, nil in a delta that only moves the stage. Two different terms under one id
    /// (never written by a correct phone) merge deterministically: the larger canonical bytes.
    public private(set) var terms: Terms?
    /// The latest stage the hub reported.
    public private(set) var phase: MaxRegister<ReservationPhase>

    public init() {
        terms = nil
        phase = .bottom
    }

    init(terms: Terms?, phase: MaxRegister<ReservationPhase>) {
        self.terms = terms
        self.phase = phase
    }

    public static var bottom: ReservationNote { ReservationNote() }

    /// A note of a reservation the hub has just placed; the whole value is its delta.
    public static func placed(_ terms: Terms) -> ReservationNote {
        ReservationNote(terms: terms, phase: MaxRegister(.reserved))
    }

    /// Records that the reservation has reached `stage` (nothing when it had already); returns the delta.
    @discardableResult
    public mutating func advance(to stage: ReservationPhase) -> ReservationNote {
        ReservationNote(terms: nil, phase: phase.raise(to: stage))
    }

    /// How the customer reads it at wall-clock time `now`: an open reservation past its deadline
    /// is expired even before the store has released it.
    public func status(at now: UInt64) -> ReservationStatus {
        switch phase.value {
        case .reserved, .picked:
            if let terms, terms.expiresAt <= now { return .expired }
            return phase.value == .reserved ? .placed : .picked
        case .collected: return .collected
        case .released: return (terms.map { $0.expiresAt <= now } ?? false) ? .expired : .released
        }
    }

    public func joined(with other: ReservationNote) -> ReservationNote {
        var result = self
        result.join(other)
        return result
    }

    public mutating func join(_ other: ReservationNote) {
        switch (terms, other.terms) {
        case (nil, let theirs): terms = theirs
        case (let mine?, let theirs?) where mine.canonicalBytes.lexicographicallyPrecedes(theirs.canonicalBytes):
            terms = theirs
        default: break
        }
        phase.join(other.phase)
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.append(terms)
        encoder.append(phase)
    }
}

/// Where a reservation stands, as the customer reads it.
public enum ReservationStatus: String, Sendable, CaseIterable {
    /// The units are set aside at the store.
    case placed
    /// The store has the goods ready.
    case picked
    /// Handed over.
    case collected
    /// Not collected before its deadline: the units went, or go, back on sale.
    case expired
    /// Cancelled before its deadline: the units went back on sale.
    case released
}

extension ReservationNote.Terms: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let store = try decoder.decode(StoreID.self)
        let lines = try decoder.decodeReservedLines()
        self.init(store: store, lines: lines, expiresAt: try decoder.readUInt64())
    }
}

extension ReservationNote: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let terms = try decoder.decodeOptional(Terms.self)
        self.init(terms: terms, phase: try decoder.decode(MaxRegister<ReservationPhase>.self))
    }
}
