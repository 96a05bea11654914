/// A place on Earth in whole millionths of a degree (about 11 cm), as stores are published.
///
/// Integers, so a location reads back exactly as it was written and every node holds the same
/// value; ``distance(to:)`` uses only IEEE-754 arithmetic and square roots, so every node
/// computes the same distance, bit for bit, on any platform.
public struct GeoPoint: Hashable, Sendable, CustomStringConvertible {
    /// Latitude in millionths of a degree, −90° … 90°.
    public let latitudeMicrodegrees: Int64
    /// Longitude in millionths of a degree, −180° … 180°.
    public let longitudeMicrodegrees: Int64

    /// The mean Earth radius (IUGG), in metres.
    public static let earthRadius = 6_371_008.8

    /// A point from microdegrees.
    ///
    /// - Throws: ``GeoPointError`` when the latitude or longitude is out of range.
    public init(latitudeMicrodegrees: Int64, longitudeMicrodegrees: Int64) throws(GeoPointError) {
        guard (-90_000_000...90_000_000).contains(latitudeMicrodegrees) else {
            throw .outOfRange("latitude", Self.degrees(latitudeMicrodegrees), "-90 to 90")
        }
        guard (-180_000_000...180_000_000).contains(longitudeMicrodegrees) else {
            throw .outOfRange("longitude", Self.degrees(longitudeMicrodegrees), "-180 to 180")
        }
        self.latitudeMicrodegrees = latitudeMicrodegrees
        self.longitudeMicrodegrees = longitudeMicrodegrees
    }

    /// A point from decimal degrees written as text (`52.520008`, `-0.1276`), converted exactly:
    /// at most six decimal places, so nothing is rounded away.
    ///
    /// - Throws: ``GeoPointError`` naming the text that is not a decimal number, has more than
    ///   six decimal places, or is out of range.
    public init(latitude: String, longitude: String) throws(GeoPointError) {
        try self.init(
            latitudeMicrodegrees: Self.microdegrees(latitude, "latitude"),
            longitudeMicrodegrees: Self.microdegrees(longitude, "longitude"))
    }

    /// A point from `latitude,longitude` in decimal degrees, such as `52.520008,13.404954`.
    public init(parsing text: String) throws(GeoPointError) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .notADecimal("location", text) }
        try self.init(latitude: String(parts[0]), longitude: String(parts[1]))
    }

    /// The great-circle distance to `other` in metres (haversine on a sphere of
    /// ``earthRadius``; within 0.5 % of the ellipsoid, enough to order stores by distance).
    public func distance(to other: GeoPoint) -> Double {
        let radiansPerMicrodegree = Double.pi / 180_000_000
        let latitude1 = Double(latitudeMicrodegrees) * radiansPerMicrodegree
        let latitude2 = Double(other.latitudeMicrodegrees) * radiansPerMicrodegree
        let halfLatitude = (latitude2 - latitude1) / 2
        let halfLongitude =
            Double(other.longitudeMicrodegrees - longitudeMicrodegrees) * radiansPerMicrodegree / 2
        let sinLatitude = Trigonometry.sine(halfLatitude)
        let sinLongitude = Trigonometry.sine(halfLongitude)
        let a =
            sinLatitude * sinLatitude
            + Trigonometry.cosine(latitude1) * Trigonometry.cosine(latitude2) * sinLongitude * sinLongitude
        let clamped = min(1, max(0, a))
        return Self.earthRadius * 2 * Trigonometry.arcTangent(clamped.squareRoot(), over: (1 - clamped).squareRoot())
    }

    /// The point as `latitude,longitude` in decimal degrees.
    public var description: String {
        Self.degrees(latitudeMicrodegrees) + "," + Self.degrees(longitudeMicrodegrees)
    }

    /// Microdegrees as decimal degrees, trailing zeros dropped: 52520008 → "52.520008", 48000000 → "48".
    public static func degrees(_ microdegrees: Int64) -> String {
        let sign = microdegrees < 0 ? "-" : ""
        let magnitude = microdegrees.magnitude
        var fraction = String(magnitude % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.last == "0" { fraction.removeLast() }
        return sign + String(magnitude / 1_000_000) + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// Exact microdegrees of a decimal number such as `-12.5`, `52.520008` or `5e-05`.
    static func microdegrees(_ raw: String, _ axis: String) throws(GeoPointError) -> Int64 {
        let text = raw.filter { !$0.isWhitespace }
        var digits: [Int64] = []
        var fractionDigits = 0
        var exponent = 0
        var negative = false
        var index = text.startIndex
        if index < text.endIndex, text[index] == "-" || text[index] == "+" {
            negative = text[index] == "-"
            index = text.index(after: index)
        }
        var seenPoint = false
        while index < text.endIndex {
            let character = text[index]
            if character == "." {
                guard !seenPoint else { throw .notADecimal(axis, raw) }
                seenPoint = true
            } else if character.isASCII, let digit = character.wholeNumberValue {
                digits.append(Int64(digit))
                if seenPoint { fractionDigits += 1 }
            } else {
                break
            }
            index = text.index(after: index)
        }
        if index < text.endIndex, text[index] == "e" || text[index] == "E" {
            guard let value = Int(text[text.index(after: index)...]), abs(value) <= 1_000 else {
                throw .notADecimal(axis, raw)
            }
            exponent = value
            index = text.endIndex
        }
        guard index == text.endIndex, !digits.isEmpty else { throw .notADecimal(axis, raw) }
        if digits.allSatisfy({ $0 == 0 }) { return 0 }
        // Leading and trailing zeros carry no value; what is left must fit six decimal places.
        while digits.count > 1, digits.first == 0 { digits.removeFirst() }
        var scale = 6 - fractionDigits + exponent
        while scale < 0, digits.last == 0, digits.count > 1 {
            digits.removeLast()
            scale += 1
        }
        guard scale >= 0 else { throw .tooPrecise(axis, raw) }
        guard digits.count + scale <= 12 else {
            throw .outOfRange(axis, raw, axis == "latitude" ? "-90 to 90" : "-180 to 180")
        }
        var value = digits.reduce(Int64(0)) { $0 * 10 + $1 }
        for _ in 0..<scale { value *= 10 }
        return negative ? -value : value
    }
}

/// A location that could not be read, naming the text and what to write instead.
public struct GeoPointError: Error, Equatable, Sendable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case notADecimal(String, String)
        case tooPrecise(String, String)
        case outOfRange(String, String, String)
    }

    private let code: Code

    private init(_ code: Code) {
        self.code = code
    }

    /// `text` given for `axis` is not a decimal number.
    public static func notADecimal(_ axis: String, _ text: String) -> Self { Self(.notADecimal(axis, text)) }
    /// `text` given for `axis` has more than six decimal places.
    public static func tooPrecise(_ axis: String, _ text: String) -> Self { Self(.tooPrecise(axis, text)) }
    /// `text` given for `axis` is outside `range` degrees.
    public static func outOfRange(_ axis: String, _ text: String, _ range: String) -> Self {
        Self(.outOfRange(axis, text, range))
    }

    public var description: String {
        switch code {
        case .notADecimal("location", let text):
            "'\(text)' is not a location: write latitude,longitude in decimal degrees, such as 52.520008,13.404954"
        case .notADecimal(let axis, let text):
            "\(axis) '\(text)' is not a number: write decimal degrees, such as 52.520008"
        case .tooPrecise(let axis, let text):
            "\(axis) '\(text)' has more than six decimal places: locations are kept in millionths of a degree"
        case .outOfRange(let axis, let text, let range):
            "\(axis) '\(text)' is outside \(range) degrees: check the order (latitude first) and the sign"
        }
    }
}

extension StoreInfo {
    /// Where the store is; nil when its coordinates are out of range.
    public var location: GeoPoint? {
        try? GeoPoint(latitudeMicrodegrees: latitudeMicrodegrees, longitudeMicrodegrees: longitudeMicrodegrees)
    }
}
