/// A time argument that is not one of the accepted forms.
public struct TimeArgumentError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// The one parser for times given on the command line (`--from`, `--to`, `--now`, backfills).
public enum TimeArgument {
    static let forms = "use ISO-8601 (2026-11-01T00:00:00Z, 2026-11-01T00:00Z, 2026-11-01 00:00, 2026-11-01 = midnight UTC, offsets like +02:00), now, now-2d, now+5m, -1h, or epoch seconds (10 digits) or milliseconds (13 digits)"

    /// Epoch milliseconds for `text`:
    /// * ISO-8601 dates and times, with or without seconds, fraction and zone (no zone = UTC; a date
    ///   alone is its midnight UTC; `T` or a space between date and time; `Z`, `+02:00`, `+0200`, `+02`);
    /// * `now`, `now-2d`, `now+5m`, and `-1h`/`+30m` relative to `now`, with fixed periods (ms, s, m, h,
    ///   d, w; not months, quarters or years, whose length varies);
    /// * digits only: 13 digits are epoch milliseconds, 10 digits epoch seconds.
    public static func parse(_ text: String, now: Int64) throws -> Int64 {
        let t = text.trimmingWhitespace()
        func fail(_ why: String) -> TimeArgumentError { TimeArgumentError(message: "not a time: `\(text)`\(why); \(forms)") }
        guard !t.isEmpty else { throw fail("") }
        let lower = t.lowercased()
        if lower == "now" { return now }
        if lower.hasPrefix("now") || t.first == "-" || t.first == "+" {
            let rest = lower.hasPrefix("now") ? lower.dropFirst(3) : Substring(lower)
            guard let sign = rest.first, sign == "-" || sign == "+" else { throw fail("") }
            let literal = String(rest.dropFirst())
            guard let period = Period.parse(literal) else { throw fail(" (`\(literal)` is not a period such as 30m, 1h, 2d)") }
            guard period.unit == .fixed || period.unit == .week, let ms = period.fixedMilliseconds else {
                throw fail(" (relative times take fixed units: ms, s, m, h, d, w)")
            }
            return sign == "-" ? now - ms : now + ms
        }
        if t.allSatisfy({ $0.isASCII && $0.isNumber }) {
            switch t.count {
            case 13: return Int64(t)!
            case 10: return Int64(t)! * 1000
            default: throw fail(" (epoch times have 10 digits for seconds or 13 for milliseconds)")
            }
        }
        guard let ms = iso8601(Array(t.utf8)) else { throw fail("") }
        return ms
    }

    /// `YYYY-MM-DD[(T| )HH:MM[:SS[.fff…]]][Z|±HH[:MM]|±HHMM]`; nil if malformed or out of range.
    static func iso8601(_ b: [UInt8]) -> Int64? {
        var i = 0
        func number(_ width: Int) -> Int? {
            guard i + width <= b.count else { return nil }
            var v = 0
            for k in i..<(i + width) {
                guard b[k] >= 48, b[k] <= 57 else { return nil }
                v = v * 10 + Int(b[k] - 48)
            }
            i += width
            return v
        }
        func expect(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let y = number(4), expect("-"), let mo = number(2), expect("-"), let d = number(2),
              (1...12).contains(mo), d >= 1, d <= CivilCalendar.daysInMonth(year: y, month: mo) else { return nil }
        var ms = Int64(CivilCalendar.daysFromCivil(y, mo, d)) * CivilCalendar.millisecondsPerDay
        guard i < b.count else { return ms }
        guard expect("T") || expect("t") || expect(" ") else { return nil }
        guard let h = number(2), expect(":"), let mi = number(2), h <= 23, mi <= 59 else { return nil }
        ms += Int64(h * 3600 + mi * 60) * 1000
        if expect(":") {
            guard let s = number(2), s <= 59 else { return nil }
            ms += Int64(s) * 1000
            if expect(".") || expect(",") {
                var digits = 0, fraction = 0
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if digits < 3 { fraction = fraction * 10 + Int(b[i] - 48) }
                    digits += 1; i += 1
                }
                guard (1...9).contains(digits) else { return nil }
                if digits < 3 { for _ in digits..<3 { fraction *= 10 } }
                ms += Int64(fraction)
            }
        }
        guard i < b.count else { return ms }
        if expect("Z") || expect("z") { return i == b.count ? ms : nil }
        let sign: Int64
        if expect("+") { sign = 1 } else if expect("-") { sign = -1 } else { return nil }
        guard let oh = number(2), oh <= 23 else { return nil }
        var om = 0
        if i < b.count {
            _ = expect(":")
            guard let m = number(2), m <= 59 else { return nil }
            om = m
        }
        guard i == b.count else { return nil }
        return ms - sign * Int64(oh * 3600 + om * 60) * 1000
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let chars = Array(self)
        var s = 0, e = chars.count
        while s < e, chars[s].isWhitespace { s += 1 }
        while e > s, chars[e - 1].isWhitespace { e -= 1 }
        return String(chars[s..<e])
    }
}
