/// A wall-clock reading with no time zone, such as a clock on the wall near a store shows it:
/// a calendar date, an hour and a minute. Opening hours are kept in each store's local time and
/// the catalog holds no time zones, so "is it open now" is asked with the local time of whoever
/// stands near the store (the phone that asks), never with a server's clock.
///
/// Read and written as ISO 8601 without an offset: `2025-06-03T14:30` (seconds, if given, are
/// accepted and dropped).
public struct LocalTime: Hashable, Sendable, CustomStringConvertible {
    /// The year, 1 to 9999.
    public let year: Int
    /// The month, 1 to 12.
    public let month: Int
    /// The day of the month, 1 to 31 (as the month has).
    public let day: Int
    /// Minutes since midnight, 0 ..< 1440.
    public let minute: Int

    /// A local time from its parts.
    ///
    /// - Throws: ``LocalTimeError`` when the date does not exist or the time is outside 00:00 … 23:59.
    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int) throws(LocalTimeError) {
        let text = Self.text(year: year, month: month, day: day, hour: hour, minute: minute)
        guard (1...9_999).contains(year), (1...12).contains(month),
            (1...Self.days(inMonth: month, of: year)).contains(day)
        else { throw .noSuchDate(text) }
        guard (0..<24).contains(hour), (0..<60).contains(minute) else { throw .noSuchTime(text) }
        self.year = year
        self.month = month
        self.day = day
        self.minute = hour * 60 + minute
    }

    /// A local time from `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS` (a space may stand for `T`).
    ///
    /// - Throws: ``LocalTimeError`` naming the text when it has another form, carries a time zone
    ///   (`Z`, `+01:00`), or names a date or time that does not exist.
    public init(parsing text: String) throws(LocalTimeError) {
        let characters = Array(text)
        guard characters.count >= 16, characters[4] == "-", characters[7] == "-",
            characters[10] == "T" || characters[10] == " ", characters[13] == ":"
        else { throw .malformed(text) }
        func number(_ range: Range<Int>) throws(LocalTimeError) -> Int {
            let digits = characters[range]
            guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(String(digits)) else {
                throw .malformed(text)
            }
            return value
        }
        var rest = characters[16...]
        if rest.count >= 3, rest.first == ":" {
            guard try number(17..<19) < 60 else { throw .noSuchTime(text) }
            rest = rest.dropFirst(3)
        }
        if let first = rest.first {
            throw ["Z", "z", "+", "-"].contains(first) ? .hasTimeZone(text) : .malformed(text)
        }
        try self.init(
            year: number(0..<4), month: number(5..<7), day: number(8..<10), hour: number(11..<13),
            minute: number(14..<16))
    }

    /// The day of the week of the date (proleptic Gregorian calendar).
    public var weekday: Weekday {
        // Days since 1970-01-01 (a Thursday), by Howard Hinnant's days_from_civil.
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = shiftedYear / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        // 1970-01-01 is day 0 and a Thursday (raw value 4); Monday is 1.
        let offset = ((days + 3) % 7 + 7) % 7
        return Weekday(rawValue: offset + 1)!
    }

    /// The time as `YYYY-MM-DDTHH:MM`.
    public var description: String {
        Self.text(year: year, month: month, day: day, hour: minute / 60, minute: minute % 60)
    }

    static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The parts as `YYYY-MM-DDTHH:MM` (parts out of range are printed as they are, for error messages).
    private static func text(year: Int, month: Int, day: Int, hour: Int, minute: Int) -> String {
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value.magnitude)
            return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))T\(padded(hour, 2)):\(padded(minute, 2))"
    }
}

extension OpeningHours {
    /// Whether the store is open at `time`, read as the store's own local time.
    public func isOpen(at time: LocalTime) -> Bool {
        isOpen(weekday: time.weekday, minute: time.minute)
    }
}

/// A local time that could not be read, naming the text and what to write instead.
public struct LocalTimeError: Error, Equatable, Sendable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case malformed(String)
        case hasTimeZone(String)
        case noSuchDate(String)
        case noSuchTime(String)
    }

    private let code: Code

    private init(_ code: Code) {
        self.code = code
    }

    /// `text` is not `YYYY-MM-DDTHH:MM`.
    public static func malformed(_ text: String) -> Self { Self(.malformed(text)) }
    /// `text` ends with a time zone or offset.
    public static func hasTimeZone(_ text: String) -> Self { Self(.hasTimeZone(text)) }
    /// `text` names a date no calendar has (month 13, 30 February).
    public static func noSuchDate(_ text: String) -> Self { Self(.noSuchDate(text)) }
    /// `text` names a time outside 00:00 … 23:59.
    public static func noSuchTime(_ text: String) -> Self { Self(.noSuchTime(text)) }

    public var description: String {
        let example = "write the local date and time, such as 2025-06-03T14:30"
        switch code {
        case .malformed(let text):
            return "'\(text)' is not a local time: \(example)"
        case .hasTimeZone(let text):
            return "'\(text)' carries a time zone: give the wall-clock time near the stores, without one, such as "
                + "2025-06-03T14:30"
        case .noSuchDate(let text):
            return "'\(text)' names a date that does not exist: \(example)"
        case .noSuchTime(let text):
            return "'\(text)' names a time outside 00:00 to 23:59: \(example)"
        }
    }
}
