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
    /// Monday; months, quarters and years on calendar boundaries, all in UTC. Near the ends of `Int64`
    /// a boundary that does not fit saturates to `Int64.min` or `Int64.max` instead of trapping.
    @inline(__always) public func floor(_ t: Int64) -> Int64 { boundary(t, after: 0) }

    /// The smallest period boundary at or after `t` (saturating like `floor`).
    public func ceil(_ t: Int64) -> Int64 {
        let f = floor(t)
        return f == t ? t : boundary(t, after: 1)
    }

    /// The start of the period `k` periods after the one holding `t`, with every step checked: `t`
    /// comes from logs and queries, so it may be anywhere in `Int64`.
    @inline(__always) func boundary(_ t: Int64, after k: Int64) -> Int64 {
        let day: Int64 = 86_400_000
        switch unit {
        case .fixed:
            let (index, overflow) = Period.floorDiv(t, amount).addingReportingOverflow(k)
            return overflow ? .max : Period.saturating(index, times: amount)
        case .week:
            // 1970-01-01 was a Thursday: day 0 + 3 counts from a Monday. |days| < 1.1e11, so no step overflows.
            let w = 7 * amount
            let start = (Period.floorDiv(Period.floorDiv(t, day) + 3, w) + k) * w - 3
            return Period.saturating(start, times: day)
        case .month, .quarter, .year:
            let (y, m, _) = CivilCalendar.civilFromDays(Int(Period.floorDiv(t, day)))
            let months = unit == .month ? amount : (unit == .quarter ? amount * 3 : amount * 12)
            let index = (Period.floorDiv(Int64(y) * 12 + Int64(m - 1), months) + k) * months
            let yy = Int(Period.floorDiv(index, 12)), mm = Int(index - Period.floorDiv(index, 12) * 12) + 1
            return Period.saturating(Int64(CivilCalendar.daysFromCivil(yy, mm, 1)), times: day)
        }
    }

    @inline(__always) static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    @inline(__always) static func saturating(_ a: Int64, times b: Int64) -> Int64 {
        let (v, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? ((a < 0) != (b < 0) ? .min : .max) : v
    }
}

extension Period {
    /// Milliseconds of a fixed period; nil for months, quarters and years, whose length varies.
    public var fixedMilliseconds: Int64? {
        switch unit {
        case .fixed: return amount
        case .week: return amount * 7 * 86_400_000   // amount ≤ 1e9 (see parse): fits
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
