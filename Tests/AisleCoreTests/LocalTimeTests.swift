import AisleCore
import Foundation
import PropertyBased
import Testing

@Suite("Local wall-clock time, for opening hours")
struct LocalTimeTests {
    @Test(
        "a local date and time is read, and prints back without seconds",
        arguments: [
            ("2025-06-03T14:30", "2025-06-03T14:30", Weekday.tuesday, 870),
            ("2025-06-08 09:05", "2025-06-08T09:05", .sunday, 545),
            ("2024-02-29T00:00:59", "2024-02-29T00:00", .thursday, 0),
            ("2000-01-01T23:59", "2000-01-01T23:59", .saturday, 1_439),
            ("1970-01-01T12:00", "1970-01-01T12:00", .thursday, 720),
        ])
    func parses(text: String, printed: String, weekday: Weekday, minute: Int) throws {
        let time = try LocalTime(parsing: text)
        #expect(time.description == printed)
        #expect(time.weekday == weekday)
        #expect(time.minute == minute)
    }

    @Test(
        "text that is not a local time is refused, saying why",
        arguments: [
            ("", LocalTimeError.malformed("")),
            ("14:30", .malformed("14:30")),
            ("2025-6-3T14:30", .malformed("2025-6-3T14:30")),
            ("2025-06-03T14:30Z", .hasTimeZone("2025-06-03T14:30Z")),
            ("2025-06-03T14:30:00+02:00", .hasTimeZone("2025-06-03T14:30:00+02:00")),
            ("2025-06-03T14:30 Berlin", .malformed("2025-06-03T14:30 Berlin")),
            ("2025-02-29T10:00", .noSuchDate("2025-02-29T10:00")),
            ("2025-13-01T10:00", .noSuchDate("2025-13-01T10:00")),
            ("2025-06-03T24:00", .noSuchTime("2025-06-03T24:00")),
            ("2025-06-03T12:60", .noSuchTime("2025-06-03T12:60")),
            ("2025-06-03T12:00:61", .noSuchTime("2025-06-03T12:00:61")),
        ])
    func refusals(text: String, expected: LocalTimeError) {
        #expect(throws: expected) { try LocalTime(parsing: text) }
    }

    @Test("the weekday agrees with Foundation's Gregorian calendar on any date from 1601 to 9999")
    func weekdayMatchesCalendar() async {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        await propertyCheck(count: 2_000, input: Gen.uint64()) { word in
            // Days since 1601-01-01 (a Monday), up to 9999-12-31.
            let days = Int(word % 3_067_671)
            let date = Date(timeIntervalSince1970: Double(days - 134_774) * 86_400)
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: date)
            let time = try! LocalTime(year: parts.year!, month: parts.month!, day: parts.day!, hour: 12, minute: 0)
            // Foundation counts Sunday as 1; Weekday counts Monday as 1.
            #expect(time.weekday.rawValue == (parts.weekday! + 5) % 7 + 1, "\(time)")
        }
    }

    @Test("a store is open at a local time inside its hours of that weekday, and closed at its closing minute")
    func openingHoursAtLocalTime() throws {
        let hours = try OpeningHours(parsing: "Mo-Sa 08:30-21:30; Su 09:00-13:00")
        #expect(hours.isOpen(at: try LocalTime(parsing: "2025-06-03T08:30")))
        #expect(!hours.isOpen(at: try LocalTime(parsing: "2025-06-03T21:30")))
        #expect(hours.isOpen(at: try LocalTime(parsing: "2025-06-08T12:59")))
        #expect(!hours.isOpen(at: try LocalTime(parsing: "2025-06-08T13:00")))
    }
}
