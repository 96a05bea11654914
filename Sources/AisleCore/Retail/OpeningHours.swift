/// A day of the week, Monday first (ISO 8601), as opening hours name it.
public enum Weekday: Int, CaseIterable, Comparable, Sendable, CustomStringConvertible {
    case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday

    /// The two letters opening-hours text uses: Mo Tu We Th Fr Sa Su.
    public var abbreviation: String {
        switch self {
        case .monday: "Mo"
        case .tuesday: "Tu"
        case .wednesday: "We"
        case .thursday: "Th"
        case .friday: "Fr"
        case .saturday: "Sa"
        case .sunday: "Su"
        }
    }

    /// The day `abbreviation` names (Mo … Su, any letter case); nil for anything else.
    public init?(abbreviation: String) {
        let lowered = abbreviation.lowercased()
        guard let day = Weekday.allCases.first(where: { $0.abbreviation.lowercased() == lowered }) else { return nil }
        self = day
    }

    /// The day after this one (Sunday is followed by Monday).
    public var next: Weekday { Weekday(rawValue: rawValue % 7 + 1)! }

    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { abbreviation }
}

/// A stretch of one day a store is open: from `opens` up to, not including, `closes`, in minutes
/// since local midnight (`closes` may be 1440, midnight at the end of the day).
public struct OpeningInterval: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Minutes since midnight the store opens, 0 ..< 1440.
    public let opens: Int
    /// Minutes since midnight the store closes, after `opens`, at most 1440.
    public let closes: Int

    /// The minutes in a day.
    public static let minutesPerDay = 1_440

    /// An interval; a store open past midnight is two intervals, one on each day.
    ///
    /// - Throws: ``OpeningHoursError`` when either end is outside the day or `closes` is not after `opens`.
    public init(opens: Int, closes: Int) throws(OpeningHoursError) {
        guard (0..<Self.minutesPerDay).contains(opens), (1...Self.minutesPerDay).contains(closes) else {
            throw .timeOutOfDay(Self.clock(opens) + "-" + Self.clock(closes))
        }
        guard closes > opens else { throw .closesBeforeOpening(Self.clock(opens) + "-" + Self.clock(closes)) }
        self.opens = opens
        self.closes = closes
    }

    /// Whether `minute` (since midnight) falls inside the interval.
    public func contains(_ minute: Int) -> Bool { opens <= minute && minute < closes }

    public static func < (lhs: OpeningInterval, rhs: OpeningInterval) -> Bool {
        (lhs.opens, lhs.closes) < (rhs.opens, rhs.closes)
    }

    /// The interval as `HH:MM-HH:MM`.
    public var description: String { Self.clock(opens) + "-" + Self.clock(closes) }

    /// `minutes` as `HH:MM` (a value outside the day is printed as it is, for error messages).
    static func clock(_ minutes: Int) -> String {
        guard minutes >= 0 else { return "\(minutes)" }
        let hours = minutes / 60
        let rest = minutes % 60
        return (hours < 10 ? "0" : "") + "\(hours):" + (rest < 10 ? "0" : "") + "\(rest)"
    }
}

/// A store's weekly opening hours: for each weekday, zero or more intervals in local time.
///
/// Written and read as text such as `Mo-Fr 08:00-20:00; Sa 09:00-18:00; Su closed`: rules
/// separated by `;`, each naming days (`Mo`, `Mo-Fr`, `Sa,Su`, `Fr-Mo`) and either intervals
/// (`08:00-12:00,14:00-18:00`) or `closed`. A day no rule names is closed; naming a day twice is
/// an error, so a typo cannot silently override a rule. Intervals that touch are joined, so one
/// schedule has one value and one text.
public struct OpeningHours: Hashable, Sendable, CanonicalEncodable, CustomStringConvertible {
    /// The intervals of each day, Monday first, each day's ascending and apart.
    private let days: [[OpeningInterval]]

    /// Opening hours from a schedule; days left out are closed.
    ///
    /// - Throws: ``OpeningHoursError`` when two intervals of one day overlap.
    public init(_ schedule: [Weekday: [OpeningInterval]]) throws(OpeningHoursError) {
        var days: [[OpeningInterval]] = []
        for day in Weekday.allCases {
            var merged: [OpeningInterval] = []
            for interval in (schedule[day] ?? []).sorted() {
                guard let last = merged.last, interval.opens <= last.closes else {
                    merged.append(interval)
                    continue
                }
                guard interval.opens == last.closes else { throw .overlapping(day, last, interval) }
                merged[merged.count - 1] = try OpeningInterval(opens: last.opens, closes: interval.closes)
            }
            days.append(merged)
        }
        self.days = days
    }

    /// The intervals the store is open on `day`, in order; empty when closed all day.
    public func intervals(on day: Weekday) -> [OpeningInterval] { days[day.rawValue - 1] }

    /// Whether the store is open on `weekday` at `minute` minutes after local midnight
    /// (0 ..< 1440; any other minute is not in the day, so closed).
    public func isOpen(weekday: Weekday, minute: Int) -> Bool {
        intervals(on: weekday).contains { $0.contains(minute) }
    }

    /// Whether the store is closed every day of the week.
    public var isAlwaysClosed: Bool { days.allSatisfy(\.isEmpty) }

    /// The hours as text, days with the same hours in a row grouped: `Mo-Fr 08:00-20:00; Sa
    /// 09:00-18:00; Su closed`. Every day is named, so the text says which days are closed.
    /// ``init(parsing:)`` reads it back to the same value.
    public var description: String {
        var rules: [String] = []
        var start = Weekday.monday
        for day in Weekday.allCases where day == .sunday || intervals(on: day) != intervals(on: day.next) {
            let names = start == day ? day.abbreviation : "\(start.abbreviation)-\(day.abbreviation)"
            let hours = intervals(on: day)
            rules.append(names + " " + (hours.isEmpty ? "closed" : hours.map(\.description).joined(separator: ",")))
            start = day.next
        }
        return rules.joined(separator: "; ")
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        for intervals in days {
            encoder.append(UInt64(intervals.count))
            for interval in intervals {
                encoder.append(UInt64(interval.opens))
                encoder.append(UInt64(interval.closes))
            }
        }
    }
}

/// Opening hours that could not be read or built, naming the part at fault and what to write instead.
public struct OpeningHoursError: Error, Equatable, Sendable, CustomStringConvertible {
    private enum Code: Equatable, Sendable {
        case empty
        case malformedRule(String)
        case unknownDay(String)
        case malformedTime(String)
        case timeOutOfDay(String)
        case closesBeforeOpening(String)
        case overlapping(Weekday, OpeningInterval, OpeningInterval)
        case dayNamedTwice(Weekday)
    }

    private let code: Code

    private init(_ code: Code) {
        self.code = code
    }

    /// No rule at all.
    public static var empty: Self { Self(.empty) }
    /// A rule that is not `DAYS HH:MM-HH:MM[,HH:MM-HH:MM…]` or `DAYS closed`.
    public static func malformedRule(_ rule: String) -> Self { Self(.malformedRule(rule)) }
    /// A day name other than Mo Tu We Th Fr Sa Su.
    public static func unknownDay(_ text: String) -> Self { Self(.unknownDay(text)) }
    /// A time that is not `HH:MM`.
    public static func malformedTime(_ text: String) -> Self { Self(.malformedTime(text)) }
    /// An interval with an end outside 00:00 … 24:00.
    public static func timeOutOfDay(_ interval: String) -> Self { Self(.timeOutOfDay(interval)) }
    /// An interval that closes at or before it opens.
    public static func closesBeforeOpening(_ interval: String) -> Self { Self(.closesBeforeOpening(interval)) }
    /// Two intervals of one day that overlap.
    public static func overlapping(_ day: Weekday, _ first: OpeningInterval, _ second: OpeningInterval) -> Self {
        Self(.overlapping(day, first, second))
    }
    /// A day named by two rules.
    public static func dayNamedTwice(_ day: Weekday) -> Self { Self(.dayNamedTwice(day)) }

    public var description: String {
        let example = "write hours like 'Mo-Fr 08:00-20:00; Sa 09:00-18:00; Su closed'"
        switch code {
        case .empty:
            return "no opening hours given: \(example)"
        case .malformedRule(let rule):
            return "'\(rule)' is not a rule of days and hours such as 'Mo-Fr 08:00-20:00' or 'Su closed'"
        case .unknownDay(let text):
            return "'\(text)' is not a day: use Mo Tu We Th Fr Sa Su, or a range such as Mo-Fr"
        case .malformedTime(let text):
            return "'\(text)' is not a time: write HH:MM, from 00:00 to 24:00"
        case .timeOutOfDay(let interval):
            return "'\(interval)' is outside the day: times run from 00:00 to 24:00"
        case .closesBeforeOpening(let interval):
            return
                "'\(interval)' closes before it opens: hours past midnight are two intervals, 'Fr 22:00-24:00; Sa 00:00-02:00'"
        case .overlapping(let day, let first, let second):
            return "\(day): \(first) and \(second) overlap: give each stretch once"
        case .dayNamedTwice(let day):
            return "\(day) is named by two rules: give each day's hours once"
        }
    }
}
