extension CanonicalDecoder {
    /// The version after a versioned layout's marker (a 0 byte where the first layout starts with a
    /// non-empty identifier's length); nil, reading nothing, when the value is in its first layout.
    mutating func readVersionMarker() throws(CanonicalDecodingError) -> UInt64? {
        guard peekByte() == 0 else { return nil }
        _ = try readUInt64()
        let version = try readUInt64()
        guard version >= 2 else { throw failure("version marker with version \(version)") }
        return version
    }

    /// A phase stored as its integer raw value; `noun` names it in the failure.
    mutating func readPhase<Phase: RawRepresentable>(_: Phase.Type, _ noun: String) throws(CanonicalDecodingError)
        -> Phase where Phase.RawValue == Int
    {
        let raw = try readUInt64()
        guard raw <= UInt64(Int.max), let phase = Phase(rawValue: Int(raw)) else {
            throw failure("unknown \(noun) \(raw)")
        }
        return phase
    }
}

extension CartPhase: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self = try decoder.readPhase(CartPhase.self, "cart phase")
    }
}

extension CartLine: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let quantity = try decoder.decode(DotFun<CounterEntry>.self)
        self.init(quantity: quantity, note: try decoder.decode(DotFun<LWWRegister<String>>.self))
    }
}

extension Cart: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let lines = try decoder.decode(Causal<DotMap<SKU, CartLine>>.self)
        let owner = try decoder.decode(LWWRegister<CustomerID>.self)
        let phase = try decoder.decode(MaxRegister<CartPhase>.self)
        self.init(
            lines: lines, owner: owner, phase: phase, sealed: try decoder.decode(Causal<DotMap<SKU, CartLine>>.self))
    }
}

extension Product: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let name = try decoder.readString()
        self.init(name: name, category: try decoder.readString())
    }
}

extension StoreInfo: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let name = try decoder.readString()
        let latitude = try decoder.readInt64()
        self.init(name: name, latitudeMicrodegrees: latitude, longitudeMicrodegrees: try decoder.readInt64())
    }
}

extension OpeningHours: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        var schedule: [Weekday: [OpeningInterval]] = [:]
        for day in Weekday.allCases {
            var intervals: [OpeningInterval] = []
            for _ in 0..<(try decoder.readCount(elementSize: 2)) {
                let opens = try decoder.readUInt64()
                let closes = try decoder.readUInt64()
                guard opens <= UInt64(OpeningInterval.minutesPerDay), closes <= UInt64(OpeningInterval.minutesPerDay)
                else { throw decoder.failure("opening time \(opens)-\(closes) is outside the day") }
                do { intervals.append(try OpeningInterval(opens: Int(opens), closes: Int(closes))) } catch {
                    throw decoder.failure(error.description)
                }
            }
            schedule[day] = intervals
        }
        let hours: OpeningHours
        do { hours = try OpeningHours(schedule) } catch { throw decoder.failure(error.description) }
        // One schedule has one encoding: intervals ascending, apart, touching ones joined.
        guard Weekday.allCases.allSatisfy({ hours.intervals(on: $0) == schedule[$0] }) else {
            throw decoder.failure("opening hours are not in canonical form (unsorted or touching intervals)")
        }
        self = hours
    }
}

extension Promotion: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        switch try decoder.readUInt64() {
        case 0:
            let sku = try decoder.decode(SKU.self)
            self = .percentOff(sku, basisPoints: try decoder.readInt64())
        case 1:
            let sku = try decoder.decode(SKU.self)
            self = .amountOff(sku, minorUnits: try decoder.readInt64())
        case 2:
            let sku = try decoder.decode(SKU.self)
            let buy = try decoder.readInt64()
            self = .buyXGetY(sku, buy: buy, free: try decoder.readInt64())
        case 3:
            let sku = try decoder.decodeOptional(SKU.self)
            self = .pointsMultiplier(sku, multiplier: try decoder.readInt64())
        case let tag:
            throw decoder.failure("unknown promotion kind \(tag)")
        }
    }
}

extension LoyaltyAccount: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self.init(points: try decoder.decode(BoundedCounter.self))
    }
}

extension StockLedger: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self.init(counters: try decoder.decode(LatticeMap<SKU, BoundedCounter>.self))
    }
}

extension PricedLine: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self.init(
            sku: try decoder.decode(SKU.self), quantity: try decoder.readInt64(), unitPrice: try decoder.readInt64(),
            gross: try decoder.readInt64(), discount: try decoder.readInt64(), net: try decoder.readInt64(),
            points: try decoder.readInt64(), promotions: try decoder.decodeArray(PromotionID.self))
    }
}

extension CartTotals: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let lines = try decoder.decodeArray(PricedLine.self)
        self.init(lines: lines, unpriced: try decoder.decodeArray(SKU.self))
    }
}

extension Order: CanonicalDecodable {
    /// Reads either layout (docs/encoding.md, "Orders"): the first, or a versioned one.
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let version = try decoder.readVersionMarker() ?? 1
        guard version == 1 || version == Order.pointsPaymentVersion else {
            throw decoder.failure("order format version \(version) is newer than this node: upgrade it")
        }
        let id = try decoder.decode(OrderID.self)
        let cart = try decoder.decode(CartID.self)
        let customer = try decoder.decodeOptional(CustomerID.self)
        let store = try decoder.decodeOptional(StoreID.self)
        let placedAt = try decoder.decode(HLCTimestamp.self)
        let totals = try decoder.decode(CartTotals.self)
        let catalogDigest = try decoder.decode(StateDigest.self)
        var payment: PointsPayment?
        if version == Order.pointsPaymentVersion {
            let points = try decoder.readUInt64()
            // One order has one encoding: an order without points is written in the first layout.
            guard points > 0 else { throw decoder.failure("an order of version 2 pays no points") }
            payment = PointsPayment(points: points, value: try decoder.readInt64())
        }
        self.init(
            id: id, cart: cart, customer: customer, store: store, placedAt: placedAt, totals: totals,
            catalogDigest: catalogDigest, pointsPayment: payment)
    }
}

extension ReservationPhase: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self = try decoder.readPhase(ReservationPhase.self, "reservation phase")
    }
}

extension Reservation.Custody: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let epoch = try decoder.readUInt64()
        self.init(epoch: epoch, holder: try decoder.decodeOptional(ReplicaID.self))
    }
}

extension Reservation.Terms: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let customer = try decoder.decode(CustomerID.self)
        let lines = try decoder.decodeReservedLines()
        let expiresAt = try decoder.readUInt64()
        self.init(
            customer: customer, lines: lines, expiresAt: expiresAt, placedAt: try decoder.decode(HLCTimestamp.self))
    }
}

extension Reservation: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let terms = try decoder.decodeOptional(Terms.self)
        let custody = try decoder.decode(MaxRegister<Custody>.self)
        self.init(terms: terms, custody: custody, phase: try decoder.decode(MaxRegister<ReservationPhase>.self))
    }
}

extension CanonicalDecoder {
    /// A reservation's (or a reservation note's) lines: units per SKU, at least one line, each of
    /// at least one unit.
    mutating func decodeReservedLines() throws(CanonicalDecodingError) -> [SKU: Int64] {
        let lines = try decodeMap(SKU.self, Int64.self)
        guard !lines.isEmpty, lines.values.allSatisfy({ $0 > 0 }) else {
            throw failure("a reservation needs at least one line of at least one unit")
        }
        return lines
    }
}
