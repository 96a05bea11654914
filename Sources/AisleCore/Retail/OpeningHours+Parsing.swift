extension OpeningHours {
    /// Reads opening hours from text such as `Mo-Fr 08:00-20:00; Sa 09:00-18:00; Su closed`.
    ///
    /// Rules are separated by `;` (a trailing `;` is allowed). Each rule names days, one or a
    /// comma-separated list of `Mo` … `Su` or ranges such as `Mo-Fr` (a range may run over the
    /// weekend: `Fr-Mo`), then either `closed` (or `off`) or comma-separated intervals
    /// `HH:MM-HH:MM` (24:00 is the end of the day). Days no rule names are closed. Letter case
    /// and spaces around the parts do not matter.
    ///
    /// - Throws: ``OpeningHoursError`` naming the rule, day or time at fault.
    public init(parsing text: String) throws(OpeningHoursError) {
        let rules = text.split(separator: ";").map(Self.trimmed).filter { !$0.isEmpty }
        guard !rules.isEmpty else { throw .empty }
        var schedule: [Weekday: [OpeningInterval]] = [:]
        for rule in rules {
            let (days, intervals) = try Self.rule(rule)
            for day in days {
                guard schedule.updateValue(intervals, forKey: day) == nil else { throw .dayNamedTwice(day) }
            }
        }
        try self.init(schedule)
    }

    /// One rule: the days it names and their intervals (empty when closed).
    private static func rule(_ rule: String) throws(OpeningHoursError) -> ([Weekday], [OpeningInterval]) {
        // The days run up to the first digit or the word closed/off; the hours are the rest.
        var split = rule.startIndex
        while split < rule.endIndex {
            let rest = rule[split...].lowercased()
            if rule[split].isASCII && rule[split].isNumber || rest.hasPrefix("closed") || rest.hasPrefix("off") {
                break
            }
            split = rule.index(after: split)
        }
        let dayText = trimmed(rule[..<split])
        let hoursText = trimmed(rule[split...])
        guard !dayText.isEmpty, !hoursText.isEmpty else { throw .malformedRule(rule) }
        let days = try self.days(dayText)
        if ["closed", "off"].contains(hoursText.lowercased()) { return (days, []) }
        var intervals: [OpeningInterval] = []
        for part in hoursText.split(separator: ",", omittingEmptySubsequences: false) {
            let piece = trimmed(part)
            let ends = piece.split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count == 2 else { throw .malformedRule(rule) }
            intervals.append(try OpeningInterval(opens: minutes(trimmed(ends[0])), closes: minutes(trimmed(ends[1]))))
        }
        return (days, intervals)
    }

    /// The days of `text`: `Mo`, `Mo-Fr`, `Sa,Su`, `Mo-We,Fr`.
    private static func days(_ text: String) throws(OpeningHoursError) -> [Weekday] {
        var days: [Weekday] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = item.split(separator: "-", omittingEmptySubsequences: false).map(trimmed)
            guard ends.count <= 2 else { throw .unknownDay(trimmed(item)) }
            guard let first = Weekday(abbreviation: ends[0]) else { throw .unknownDay(ends[0]) }
            guard let last = ends.count == 2 ? Weekday(abbreviation: ends[1]) : first else {
                throw .unknownDay(ends[1])
            }
            var day = first
            days.append(day)
            while day != last {
                day = day.next
                days.append(day)
            }
        }
        return days
    }

    /// Minutes since midnight of `HH:MM` (or `H:MM`), 00:00 to 24:00.
    private static func minutes(_ text: String) throws(OpeningHoursError) -> Int {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let hours = Int(parts[0]), let minutes = Int(parts[1]), minutes < 60,
            hours < 24 || (hours == 24 && minutes == 0)
        else { throw .malformedTime(text) }
        return hours * 60 + minutes
    }

    private static func trimmed(_ text: some StringProtocol) -> String {
        var slice = Substring(text)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
