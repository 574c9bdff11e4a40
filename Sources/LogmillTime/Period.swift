/// A time period from a literal such as `5m`, `1h` or `1mo`: fixed milliseconds, or a calendar unit.
public struct Period: Sendable, Hashable, CustomStringConvertible {
    public enum Unit: Sendable { case fixed, week, month, quarter, year }
    public let unit: Unit
    /// Milliseconds for fixed units; the count of weeks, months, quarters or years otherwise.
    public let amount: Int64

    public init(unit: Unit, amount: Int64) {
        self.unit = unit
        self.amount = amount
    }

    /// Parses `<integer><unit>` with every unit spelling `bin()` accepts.
    public static func parse(_ text: String) -> Period? {
        let digits = text.prefix { $0.isNumber }
        guard let n = Int64(digits), n > 0 else { return nil }
        var unit = text.dropFirst(digits.count).lowercased()
        let ms: Int64
        func strip(_ words: [String]) -> Bool {
            if words.contains(unit) { return true }
            if unit.count > 1, unit.hasSuffix("s"), words.contains(String(unit.dropLast())), unit.dropLast().count > 1 { unit.removeLast(); return true }
            return false
        }
        guard n <= 1_000_000_000 else { return nil }
        if strip(["ms", "msec", "millisecond"]) { ms = 1 }
        else if strip(["s", "sec", "second"]) { ms = 1000 }
        else if strip(["m", "min", "minute"]) { ms = 60_000 }
        else if strip(["h", "hr", "hour"]) { ms = 3_600_000 }
        else if strip(["d", "day"]) { ms = 86_400_000 }
        else if strip(["w", "week"]) { return Period(unit: .week, amount: n) }
        else if strip(["mo", "mon", "month"]) { return Period(unit: .month, amount: n) }
        else if strip(["q", "qtr", "quarter"]) { return Period(unit: .quarter, amount: n) }
        else if strip(["y", "yr", "year"]) { return Period(unit: .year, amount: n) }
        else { return nil }
        let (total, overflow) = n.multipliedReportingOverflow(by: ms)
        guard !overflow, total <= 10_000 * 366 * 86_400_000 else { return nil }   // at most ten thousand years
        return Period(unit: .fixed, amount: total)
    }

    /// The start of the period that holds `t` (epoch ms). Fixed units align to the epoch; weeks start on
    /// Monday; months, quarters and years on calendar boundaries, all in UTC.
    @inline(__always) public func floor(_ t: Int64) -> Int64 {
        switch unit {
        case .fixed:
            let r = t % amount
            return r < 0 ? t - r - amount : t - r
        case .week:
            let day: Int64 = 86_400_000
            let days = t >= 0 ? t / day : (t - day + 1) / day
            let weekIndex = (days + 3)   // 1970-01-01 was a Thursday; day 0 + 3 is a Monday-based count
            let w = 7 * amount
            let r = weekIndex % w
            let start = weekIndex - (r < 0 ? r + w : r) - 3
            return start * day
        case .month, .quarter, .year:
            let day: Int64 = 86_400_000
            let days = t >= 0 ? t / day : (t - day + 1) / day
            let (y, m, _) = CivilCalendar.civilFromDays(Int(days))
            let months = unit == .month ? amount : (unit == .quarter ? amount * 3 : amount * 12)
            var index = Int64(y) * 12 + Int64(m - 1)
            let r = index % months
            index -= r < 0 ? r + months : r
            let yy = Int(index / 12), mm = Int(index % 12) + 1
            return Int64(CivilCalendar.daysFromCivil(yy, mm, 1)) * day
        }
    }

    /// The smallest period boundary at or after `t`.
    public func ceil(_ t: Int64) -> Int64 {
        let f = floor(t)
        if f == t { return t }
        switch unit {
        case .fixed: return f + amount
        default:
            // Step past the end of this period and floor again.
            var probe = f + 86_400_000 * 7 * (unit == .week ? amount : 1)
            if unit != .week { probe = f + 86_400_000 * 32 * (unit == .month ? amount : (unit == .quarter ? amount * 3 : amount * 12)) }
            return floor(probe) > t ? floor(probe) : probe
        }
    }
}

extension Period {
    /// Milliseconds of a fixed period; nil for months, quarters and years, whose length varies.
    public var fixedMilliseconds: Int64? {
        switch unit {
        case .fixed: return amount
        case .week: return amount * 7 * 86_400_000
        default: return nil
        }
    }

    /// The shortest literal that parses back to this period (`5m`, `1h`, `2w`, `1mo`).
    public var description: String {
        switch unit {
        case .week: return "\(amount)w"
        case .month: return "\(amount)mo"
        case .quarter: return "\(amount)q"
        case .year: return "\(amount)y"
        case .fixed:
            for (ms, suffix) in [(Int64(86_400_000), "d"), (3_600_000, "h"), (60_000, "m"), (1000, "s")] where amount % ms == 0 {
                return "\(amount / ms)\(suffix)"
            }
            return "\(amount)ms"
        }
    }
}
