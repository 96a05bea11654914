import AisleCore
import PropertyBased
import Testing

@Suite("Opening hours")
struct OpeningHoursTests {
    @Test("text is read into per-day intervals, and printed back with days of equal hours grouped")
    func parsesAndPrints() throws {
        let hours = try OpeningHours(parsing: "Mo-Fr 08:00-20:00; Sa 09:00-18:00; Su closed")
        #expect(hours.intervals(on: .wednesday) == [try OpeningInterval(opens: 480, closes: 1_200)])
        #expect(hours.intervals(on: .saturday) == [try OpeningInterval(opens: 540, closes: 1_080)])
        #expect(hours.intervals(on: .sunday).isEmpty)
        #expect(hours.description == "Mo-Fr 08:00-20:00; Sa 09:00-18:00; Su closed")
    }

    @Test(
        "equivalent spellings read to the same hours and print the same text",
        arguments: [
            ("mo,tu,we,th,fr 8:00-12:00,12:00-20:00 ; sa 09:00-18:00;", "Mo-Fr 08:00-20:00; Sa 09:00-18:00; Su closed"),
            ("Fr-Mo 10:00-14:00; Tu-Th off", "Mo 10:00-14:00; Tu-Th closed; Fr-Su 10:00-14:00"),
            ("Mo-Su 00:00-24:00", "Mo-Su 00:00-24:00"),
            ("Su closed", "Mo-Su closed"),
            ("We 14:00-18:00,08:00-12:00", "Mo-Tu closed; We 08:00-12:00,14:00-18:00; Th-Su closed"),
        ])
    func spellings(text: String, printed: String) throws {
        let hours = try OpeningHours(parsing: text)
        #expect(hours.description == printed)
        #expect(try OpeningHours(parsing: printed) == hours)
    }

    @Test(
        "bad text is refused with the part at fault",
        arguments: [
            ("", OpeningHoursError.empty),
            ("  ; ", .empty),
            ("Mo-Fr", .malformedRule("Mo-Fr")),
            ("08:00-20:00", .malformedRule("08:00-20:00")),
            ("Mo-Fr 08:00", .malformedRule("Mo-Fr 08:00")),
            ("Mx 08:00-20:00", .unknownDay("Mx")),
            ("Mo-Xy 08:00-20:00", .unknownDay("Xy")),
            ("Monday 08:00-20:00", .unknownDay("Monday")),
            ("Mo 8h-20h", .malformedTime("8h")),
            ("Mo 08:00-25:00", .malformedTime("25:00")),
            ("Mo 08:60-20:00", .malformedTime("08:60")),
            ("Mo 24:00-24:00", .timeOutOfDay("24:00-24:00")),
            ("Fr 22:00-02:00", .closesBeforeOpening("22:00-02:00")),
            ("Mo 09:00-09:00", .closesBeforeOpening("09:00-09:00")),
            ("Mo-Fr 08:00-20:00; We 08:00-13:00", .dayNamedTwice(.wednesday)),
        ])
    func refusals(text: String, expected: OpeningHoursError) {
        #expect(throws: expected) { try OpeningHours(parsing: text) }
    }

    @Test("overlapping intervals of one day are refused, naming the day and both intervals")
    func overlapRefused() throws {
        let error = #expect(throws: OpeningHoursError.self) { try OpeningHours(parsing: "Tu 08:00-13:00,12:00-18:00") }
        #expect(error?.description == "Tu: 08:00-13:00 and 12:00-18:00 overlap: give each stretch once")
    }

    @Test("every refusal says what to write instead")
    func refusalWords() {
        #expect(OpeningHoursError.closesBeforeOpening("22:00-02:00").description.contains("Sa 00:00-02:00"))
        #expect(OpeningHoursError.unknownDay("Mx").description.contains("Mo Tu We Th Fr Sa Su"))
        #expect(OpeningHoursError.empty.description.contains("Mo-Fr 08:00-20:00"))
    }

    @Test("isOpen holds from the opening minute up to, not including, the closing minute")
    func isOpen() throws {
        let hours = try OpeningHours(parsing: "Mo-Fr 08:00-12:30,14:00-20:00; Sa 09:00-24:00")
        #expect(!hours.isOpen(weekday: .monday, minute: 479))
        #expect(hours.isOpen(weekday: .monday, minute: 480))
        #expect(hours.isOpen(weekday: .friday, minute: 749))
        #expect(!hours.isOpen(weekday: .friday, minute: 750))
        #expect(hours.isOpen(weekday: .friday, minute: 14 * 60))
        #expect(!hours.isOpen(weekday: .friday, minute: 20 * 60))
        #expect(hours.isOpen(weekday: .saturday, minute: 1_439))
        #expect(!hours.isOpen(weekday: .sunday, minute: 600))
        #expect(!hours.isOpen(weekday: .saturday, minute: 1_440), "a minute outside the day is never open")
        #expect(!hours.isOpen(weekday: .saturday, minute: -1))
    }

    @Test("isOpen agrees with a minute-by-minute model of the week, for random schedules")
    func isOpenMatchesModel() async {
        await propertyCheck(count: 200, input: Gen.uint64().array(of: 7...7)) { words in
            var schedule: [Weekday: [OpeningInterval]] = [:]
            var open = Set<Int>()
            for (day, word) in zip(Weekday.allCases, words) {
                // Up to two apart intervals per day, from the word's bits.
                let first = Int(word % 600)
                let firstEnd = first + 1 + Int(word >> 10 % 300)
                let second = firstEnd + 1 + Int(word >> 20 % 200)
                let secondEnd = min(1_440, second + 1 + Int(word >> 30 % 400))
                var intervals = [try! OpeningInterval(opens: first, closes: firstEnd)]
                if word >> 40 % 2 == 0, second < secondEnd {
                    intervals.append(try! OpeningInterval(opens: second, closes: secondEnd))
                }
                schedule[day] = intervals
                for interval in intervals {
                    for minute in interval.opens..<interval.closes { open.insert(day.rawValue * 10_000 + minute) }
                }
            }
            let hours = try! OpeningHours(schedule)
            for day in Weekday.allCases {
                for minute in stride(from: 0, to: 1_440, by: 7) {
                    #expect(hours.isOpen(weekday: day, minute: minute) == open.contains(day.rawValue * 10_000 + minute))
                }
            }
            #expect(try! OpeningHours(parsing: hours.description) == hours, "text round trip")
        }
    }

    @Test("the canonical encoding round-trips, and refuses overlapping or unsorted intervals")
    func encoding() throws {
        let hours = try OpeningHours(parsing: "Mo-Fr 08:00-12:00,13:00-20:00; Sa 09:00-18:00")
        #expect(try OpeningHours(canonicalBytes: hours.canonicalBytes) == hours)
        let register = LWWRegister<OpeningHours?>(hours, at: HLCTimestamp(physical: 1, counter: 0, replica: "hq"))
        #expect(try LWWRegister<OpeningHours?>(canonicalBytes: register.canonicalBytes) == register)

        var unsorted = CanonicalEncoder()
        unsorted.append(UInt64(2))
        for value: UInt64 in [600, 700, 100, 200] { unsorted.append(value) }
        for _ in 1..<7 { unsorted.append(UInt64(0)) }
        #expect(throws: CanonicalDecodingError.self) { try OpeningHours(canonicalBytes: unsorted.bytes) }

        var outOfDay = CanonicalEncoder()
        outOfDay.append(UInt64(1))
        outOfDay.append(UInt64(600))
        outOfDay.append(UInt64(5_000))
        for _ in 1..<7 { outOfDay.append(UInt64(0)) }
        #expect(throws: CanonicalDecodingError.self) { try OpeningHours(canonicalBytes: outOfDay.bytes) }
        #expect(throws: CanonicalDecodingError.self) {
            try OpeningHours(canonicalBytes: Array(hours.canonicalBytes.dropLast()))
        }
    }

    @Test("opening hours are a catalog object of their own kind, written by head office like the rest")
    func catalogObject() throws {
        var state = RetailState()
        let stamp = HLCTimestamp(physical: 1, counter: 0, replica: "hq")
        let hours = try OpeningHours(parsing: "Mo-Sa 08:00-20:00")
        let delta = state.updateCatalog { $0.setHours("berlin", hours, at: stamp) }
        let objects = delta.objects(in: .catalog)
        let key = try ObjectKey(scope: .catalog, kind: .storeHours, id: "berlin")
        #expect(Array(objects.keys) == [key])
        #expect(key.description == "catalog/hours/berlin")
        #expect(state.catalog.hours["berlin"] == hours)
        let decoded = try ObjectDelta(encoded: ObjectDelta(scope: .catalog, objects: objects).encoded)
        var rebuilt = RetailState()
        rebuilt.join(decoded)
        #expect(rebuilt.catalog.hours["berlin"] == hours)
        #expect(throws: ObjectError.self) { try ObjectKey(scope: .store("berlin"), kind: .storeHours, id: "berlin") }
        #expect(throws: ObjectError.self) { try ObjectKey(scope: .catalog, kind: .storeHours, id: "not a store") }
    }
}
