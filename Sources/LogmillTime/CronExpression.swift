/// A six-field EventBridge cron expression, `cron(minutes hours day-of-month month day-of-week year)`,
/// evaluated in UTC at minute resolution.
///
/// Accepted exactly as the EventBridge user guide writes it: `,` lists, `a-b` ranges, `*`, `a/n` and
/// `a-b/n` steps (`*/n` is accepted as `<lowest>/n`, an undocumented form found in deployed configs),
/// `?` in exactly one of the two day fields, `L` (last day of the month; alone in day-of-week,
/// Saturday), `nW` (weekday nearest to day n without leaving the month), `nL` (last weekday n of the
/// month), `d#k` (k-th weekday d of the month), month names `JAN`–`DEC` and day names `SUN`–`SAT` in
/// any case, days of the week numbered 1 = SUN … 7 = SAT, years 1970–2199.
/// Rejected: `LW` and `L-n` (Quartz extensions EventBridge does not document), wrap-around ranges
/// such as `50-10`, and 0 in day-of-week.
///
/// `nW` and plain days beyond a month's length (`31`, `31W` in April) do not fire in that month.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    // Bit i set = value i allowed.
    let minutes: UInt64
    let hours: UInt64
    let months: UInt64
    /// Years 1970–2199, bit (year − 1970) of the four words.
    let years: [UInt64]
    let dayOfMonth: DayOfMonth?
    let dayOfWeek: DayOfWeek?
    /// The fields as given, normalised (upper case, `*/n` written `low/n`).
    let fields: [String]

    struct DayOfMonth: Sendable, Hashable {
        var days: UInt64 = 0
        var last = false
        var nearestWeekday: UInt64 = 0
    }

    struct DayOfWeek: Sendable, Hashable {
        var days: UInt64 = 0
        /// Bit d: the last weekday d of the month (`dL`).
        var last: UInt64 = 0
        /// Bit (d * 8 + k): the k-th weekday d of the month (`d#k`).
        var nth: UInt64 = 0
    }

    static let firstYear = 1970
    static let lastYear = 2199

    public var description: String { "cron(" + fields.joined(separator: " ") + ")" }

    // MARK: - Evaluation

    func hasYear(_ y: Int) -> Bool {
        guard y >= Self.firstYear, y <= Self.lastYear else { return false }
        let i = y - Self.firstYear
        return years[i >> 6] >> UInt64(i & 63) & 1 == 1
    }

    func matchesDay(year: Int, month: Int, day: Int, dayCount: Int) -> Bool {
        let length = CivilCalendar.daysInMonth(year: year, month: month)
        let weekday = CivilCalendar.weekday(ofDay: dayCount)
        if let dom = dayOfMonth {
            if dom.days >> UInt64(day) & 1 == 1 { return true }
            if dom.last && day == length { return true }
            guard dom.nearestWeekday != 0, weekday >= 2, weekday <= 6 else { return false }
            // A weekday matches `nW` for n = itself, and for a weekend day n it stands in for.
            func wants(_ n: Int) -> Bool { n >= 1 && n <= length && dom.nearestWeekday >> UInt64(n) & 1 == 1 }
            return wants(day)
                || (weekday == 6 && wants(day + 1))                       // Friday for Saturday (never the 1st)
                || (weekday == 2 && wants(day - 1))                       // Monday for Sunday (never the last)
                || (weekday == 2 && day == 3 && wants(1))                 // Monday the 3rd for Saturday the 1st
                || (weekday == 6 && day == length - 2 && wants(length))   // Friday for Sunday the last
        }
        guard let dow = dayOfWeek else { return false }
        if dow.days >> UInt64(weekday) & 1 == 1 { return true }
        if dow.last >> UInt64(weekday) & 1 == 1 && day + 7 > length { return true }
        if dow.nth != 0 && dow.nth >> UInt64(weekday * 8 + (day - 1) / 7 + 1) & 1 == 1 { return true }
        return false
    }

    /// Whether the expression fires in minute `minute` since the epoch: the plain predicate that
    /// `next` and `previous` search for without visiting every minute.
    func fires(atMinute minute: Int64) -> Bool {
        let day = Int(CivilCalendar.floorDiv(minute, 1440))
        let m = Int(minute - Int64(day) * 1440)
        let (y, mo, d) = CivilCalendar.civilFromDays(day)
        return hasYear(y) && months >> UInt64(mo) & 1 == 1 && matchesDay(year: y, month: mo, day: d, dayCount: day)
            && hours >> UInt64(m / 60) & 1 == 1 && minutes >> UInt64(m % 60) & 1 == 1
    }

    /// The first minute of the day at or after `minuteOfDay` that fires, if any.
    func firstTime(atOrAfter minuteOfDay: Int) -> Int? {
        var h = minuteOfDay / 60, m = minuteOfDay % 60
        while h < 24 {
            if hours >> UInt64(h) & 1 == 1 {
                let rest = minutes >> UInt64(m)
                if rest != 0 { return h * 60 + m + rest.trailingZeroBitCount }
            }
            h += 1; m = 0
        }
        return nil
    }

    /// The last minute of the day at or before `minuteOfDay` that fires, if any.
    func lastTime(atOrBefore minuteOfDay: Int) -> Int? {
        var h = minuteOfDay / 60, m = minuteOfDay % 60
        while h >= 0 {
            if hours >> UInt64(h) & 1 == 1 {
                let upTo = minutes & (m >= 63 ? ~0 : (UInt64(1) << UInt64(m + 1)) - 1)
                if upTo != 0 { return h * 60 + 63 - upTo.leadingZeroBitCount }
            }
            h -= 1; m = 59
        }
        return nil
    }

    /// The first fire strictly after `t` (epoch ms), or nil if there is none before the end of 2199.
    /// Steps a day at a time, and a month or year at a time through months and years that never fire.
    public func next(after t: Int64) -> Int64? {
        let minute = max(CivilCalendar.floorDiv(t, 60_000) + 1, 0)
        var day = Int(CivilCalendar.floorDiv(minute, 1440))
        var from = Int(minute - Int64(day) * 1440)
        while true {
            let (y, mo, d) = CivilCalendar.civilFromDays(day)
            if y > Self.lastYear { return nil }
            if !hasYear(y) {
                guard let ny = (y + 1...Self.lastYear + 1).first(where: { hasYear($0) || $0 > Self.lastYear }),
                      ny <= Self.lastYear else { return nil }
                day = CivilCalendar.daysFromCivil(ny, 1, 1); from = 0
                continue
            }
            if months >> UInt64(mo) & 1 == 0 {
                day = mo == 12 ? CivilCalendar.daysFromCivil(y + 1, 1, 1) : CivilCalendar.daysFromCivil(y, mo + 1, 1)
                from = 0
                continue
            }
            if matchesDay(year: y, month: mo, day: d, dayCount: day), let at = firstTime(atOrAfter: from) {
                return (Int64(day) * 1440 + Int64(at)) * 60_000
            }
            day += 1; from = 0
        }
    }

    /// The last fire at or before `t` (epoch ms), or nil if there is none since 1970.
    public func previous(atOrBefore t: Int64) -> Int64? {
        let minute = CivilCalendar.floorDiv(t, 60_000)
        guard minute >= 0 else { return nil }
        let lastMinute = Int64(CivilCalendar.daysFromCivil(Self.lastYear + 1, 1, 1)) * 1440 - 1
        let start = min(minute, lastMinute)
        var day = Int(CivilCalendar.floorDiv(start, 1440))
        var upTo = Int(start - Int64(day) * 1440)
        while true {
            let (y, mo, d) = CivilCalendar.civilFromDays(day)
            if y < Self.firstYear { return nil }
            if !hasYear(y) {
                guard let py = stride(from: y - 1, through: Self.firstYear, by: -1).first(where: { hasYear($0) }) else { return nil }
                day = CivilCalendar.daysFromCivil(py, 12, 31); upTo = 1439
                continue
            }
            if months >> UInt64(mo) & 1 == 0 {
                day = CivilCalendar.daysFromCivil(y, mo, 1) - 1; upTo = 1439
                continue
            }
            if matchesDay(year: y, month: mo, day: d, dayCount: day), let at = lastTime(atOrBefore: upTo) {
                return (Int64(day) * 1440 + Int64(at)) * 60_000
            }
            day -= 1; upTo = 1439
        }
    }

    /// The spacing of the fires when they are evenly spaced around every day, the wrap to the next
    /// day's first fire included (`0/5 * * * ? *` → 5m, `0 * * * ? *` → 1h, `0 10 * * ? *` → 1d), and
    /// the expression fires on every day of every month and year. Nil otherwise (`0/5 8-17 …`,
    /// `MON-FRI`, `1`, `L`…).
    public var evenSpacing: Period? {
        let allDays: Bool
        if let dom = dayOfMonth { allDays = dom.days & 0xFFFF_FFFE == 0xFFFF_FFFE }
        else if let dow = dayOfWeek { allDays = dow.days & 0xFE == 0xFE }
        else { allDays = false }
        let allYears = (Self.firstYear...Self.lastYear).allSatisfy(hasYear)
        guard allDays, allYears, months & 0x1FFE == 0x1FFE else { return nil }
        var times: [Int] = []
        for h in 0..<24 where hours >> UInt64(h) & 1 == 1 {
            for m in 0..<60 where minutes >> UInt64(m) & 1 == 1 { times.append(h * 60 + m) }
        }
        guard !times.isEmpty, 1440 % times.count == 0 else { return nil }
        let step = 1440 / times.count
        for i in 1..<times.count where times[i] - times[i - 1] != step { return nil }
        return Period(unit: .fixed, amount: Int64(step) * 60_000)
    }
}

// MARK: - Parsing

extension CronExpression {
    private enum Field: Int, CaseIterable {
        case minutes, hours, dayOfMonth, month, dayOfWeek, year

        var name: String { ["minutes", "hours", "day-of-month", "month", "day-of-week", "year"][rawValue] }
        var range: ClosedRange<Int> { [0...59, 0...23, 1...31, 1...12, 1...7, 1970...2199][rawValue] }
        var names: [String] {
            switch self {
            case .month: return ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
            case .dayOfWeek: return ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
            default: return []
            }
        }
    }

    /// Parses the text between `cron(` and `)`; `column` is the 1-based column of its first character.
    static func parse(fields text: [Character], column: Int) throws -> CronExpression {
        var tokens: [(text: String, column: Int)] = []
        var i = 0
        while i < text.count {
            if text[i] == " " || text[i] == "\t" { i += 1; continue }
            let start = i
            while i < text.count, text[i] != " ", text[i] != "\t" { i += 1 }
            tokens.append((String(text[start..<i]), column + start))
        }
        guard tokens.count == 6 else {
            let at = tokens.count > 6 ? tokens[6].column : column + text.count
            throw ScheduleError(column: at, message: "cron needs six fields (minutes hours day-of-month month day-of-week year), found \(tokens.count)")
        }
        var masks: [UInt64] = []
        var years = [UInt64](repeating: 0, count: 4)
        var dom: DayOfMonth?
        var dow: DayOfWeek?
        var normalised: [String] = []
        for field in Field.allCases {
            let (token, col) = tokens[field.rawValue]
            let upper = token.uppercased()
            if upper == "?" {
                guard field == .dayOfMonth || field == .dayOfWeek else {
                    throw ScheduleError(column: col, message: "`?` is allowed only in day-of-month or day-of-week")
                }
                normalised.append("?")
                continue
            }
            var mask: UInt64 = 0
            var parts: [String] = []
            var special = DayOfWeek()
            var domSpecial = DayOfMonth()
            var offset = 0
            for item in upper.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                let itemColumn = col + offset
                offset += item.count + 1
                guard !item.isEmpty else { throw ScheduleError(column: itemColumn, message: "empty item in \(field.name) list") }
                parts.append(try parseItem(item, field: field, column: itemColumn) { value in
                    if field == .year {
                        let i = value - Self.firstYear
                        years[i >> 6] |= UInt64(1) << UInt64(i & 63)
                    } else {
                        mask |= UInt64(1) << UInt64(value)
                    }
                } special: { kind, value, k in
                    switch kind {
                    case "L" where field == .dayOfMonth: domSpecial.last = true
                    case "W": domSpecial.nearestWeekday |= UInt64(1) << UInt64(value)
                    case "L": special.last |= UInt64(1) << UInt64(value)
                    default: special.nth |= UInt64(1) << UInt64(value * 8 + k)
                    }
                })
            }
            switch field {
            case .dayOfMonth: domSpecial.days = mask; dom = domSpecial
            case .dayOfWeek: special.days = mask; dow = special
            default: masks.append(mask)
            }
            normalised.append(parts.joined(separator: ","))
        }
        if (dom == nil) == (dow == nil) {
            throw ScheduleError(column: tokens[4].column, message: "cron: set exactly one of day-of-month and day-of-week to `?`")
        }
        return CronExpression(minutes: masks[0], hours: masks[1], months: masks[2], years: years,
                              dayOfMonth: dom, dayOfWeek: dow, fields: normalised)
    }

    /// Parses one list item, calling `add` for every plain value and `special` for `L`, `nW`, `nL`
    /// and `d#k`; returns the item's normalised text.
    private static func parseItem(_ item: String, field: Field, column: Int,
                                  add: (Int) -> Void, special: (Character, Int, Int) -> Void) throws -> String {
        func fail(_ message: String, at offset: Int = 0) -> ScheduleError {
            ScheduleError(column: column + offset, message: "\(field.name): \(message)")
        }
        func value(_ text: Substring, at offset: Int) throws -> Int {
            let v: Int
            if let n = Int(text), text.allSatisfy(\.isNumber) { v = n }
            else if let idx = field.names.firstIndex(of: String(text)) { v = idx + 1 }
            else if text.isEmpty { throw fail("a value is missing in `\(item)`", at: offset) }
            else { throw fail("`\(text)` is not a valid value (\(field.range.lowerBound)–\(field.range.upperBound)\(field.names.isEmpty ? "" : " or \(field.names.first!)–\(field.names.last!)"))", at: offset) }
            if field == .dayOfWeek && v == 0 { throw fail("0 is not a day: EventBridge numbers days 1 (SUN) to 7 (SAT)", at: offset) }
            guard field.range.contains(v) else {
                throw fail("\(v) is out of range \(field.range.lowerBound)–\(field.range.upperBound)", at: offset)
            }
            return v
        }
        let range = field.range
        if field == .dayOfMonth {
            if item == "LW" { throw fail("`LW` is not documented by EventBridge") }
            if item.hasPrefix("L-") { throw fail("`L-n` is not documented by EventBridge") }
            if item == "L" { special("L", 0, 0); return item }
            if item.count > 1, item.hasSuffix("W") {
                let n = try value(item.dropLast(), at: 0)
                special("W", n, 0)
                return item
            }
        }
        if field == .dayOfWeek {
            if item == "L" { add(7); return item }
            if item.count > 1, item.hasSuffix("L") {
                special("L", try value(item.dropLast(), at: 0), 0)
                return item
            }
            if let hash = item.firstIndex(of: "#") {
                let d = try value(item[..<hash], at: 0)
                let kText = item[item.index(after: hash)...]
                let kOffset = item.distance(from: item.startIndex, to: hash) + 1
                guard let k = Int(kText), kText.allSatisfy(\.isNumber), (1...5).contains(k) else {
                    throw fail("`#` needs an occurrence 1–5 after it, as in 3#2 (the second Tuesday)", at: kOffset)
                }
                special("#", d, k)
                return item
            }
        }
        if item.contains("W") && field != .dayOfMonth { throw fail("`W` is allowed only in day-of-month") }
        if item.contains("#") && field != .dayOfWeek { throw fail("`#` is allowed only in day-of-week") }
        if item.contains("?") { throw fail("`?` must stand alone in the field") }
        var base = Substring(item)
        var step = 1
        var text = item
        if let slash = item.firstIndex(of: "/") {
            guard field != .dayOfWeek else { throw fail("`/` is not allowed in day-of-week") }
            base = item[..<slash]
            let stepText = item[item.index(after: slash)...]
            let stepOffset = item.distance(from: item.startIndex, to: slash) + 1
            guard let s = Int(stepText), stepText.allSatisfy(\.isNumber), s >= 1 else {
                throw fail("the step after `/` must be a positive integer", at: stepOffset)
            }
            step = s
            if base == "*" { text = "\(range.lowerBound)/\(s)" }
        }
        var low = range.lowerBound, high = range.upperBound
        if base != "*" {
            if let dash = base.firstIndex(of: "-") {
                low = try value(base[..<dash], at: 0)
                high = try value(base[base.index(after: dash)...], at: base.distance(from: base.startIndex, to: dash) + 1)
                guard low <= high else { throw fail("the range \(base) wraps around; write it as two ranges") }
            } else {
                low = try value(base, at: 0)
                if step == 1 && !item.contains("/") { high = low }
            }
        }
        for v in stride(from: low, through: high, by: step) { add(v) }
        return text
    }
}
