/// An invalid schedule expression or time argument: the 1-based column of the offending token in
/// the text given, and what is wrong. Callers that know the file and line prefix them.
public struct ScheduleError: Error, Sendable, Hashable, CustomStringConvertible {
    public let column: Int
    public let message: String
    public init(column: Int, message: String) {
        self.column = column
        self.message = message
    }
    public var description: String { "column \(column): \(message)" }
}

/// When a job runs, from the text of a job file's `schedule:` line:
///
/// * `rate(5 minutes)`, `rate(1 hour)`, `rate(1 day)`: EventBridge's rate expressions (a positive
///   integer; units `minute`, `hour`, `day`, singular exactly when the value is 1, plural otherwise;
///   one or more spaces between value and unit). We accept all six spellings as the EventBridge API
///   model does (the Scheduler guide lists only the plurals).
/// * `cron(min hour dom month dow year)`: see `CronExpression`, always UTC.
/// * `every 5m`: logmill's own form, any `Period` literal (`30s`, `1h`, `1w`, `1mo`).
///
/// `rate()` and `every` schedules fire, and their windows are aligned, on multiples of the period
/// since 1970-01-01T00:00:00Z (weeks from Monday, months on the 1st), regardless of when an external
/// trigger actually fires: EventBridge runs `rate(5 minutes)` relative to the rule's creation time,
/// so a run at 22:17:43 still covers [22:10, 22:15). For a period that does not divide a day
/// (`rate(7 minutes)`) the boundaries do not land on the hour.
///
/// Everything is UTC, so daylight saving time never moves a fire or a window.
public struct Schedule: Sendable, Hashable, CustomStringConvertible {
    public enum RateUnit: String, Sendable, Hashable {
        case minute, hour, day
        var milliseconds: Int64 {
            switch self {
            case .minute: return 60_000
            case .hour: return 3_600_000
            case .day: return 86_400_000
            }
        }
    }

    public enum Kind: Sendable, Hashable {
        case rate(value: Int64, unit: RateUnit)
        case every(Period)
        case cron(CronExpression)
    }

    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .rate(let value, let unit): return "rate(\(value) \(unit.rawValue)\(value == 1 ? "" : "s"))"
        case .every(let period): return "every \(period)"
        case .cron(let cron): return cron.description
        }
    }

    /// The fixed period of `rate()` and `every` schedules; for cron, the spacing of its fires when they
    /// are evenly spaced around every day (`cron(0/5 * * * ? *)` → 5m, `cron(0 * * * ? *)` → 1h,
    /// `cron(0 10 * * ? *)` → 1d), else nil.
    public var period: Period? {
        switch kind {
        case .rate(let value, let unit): return Period(unit: .fixed, amount: value * unit.milliseconds)
        case .every(let period): return period
        case .cron(let cron): return cron.evenSpacing
        }
    }

    /// The first fire strictly after `t` (epoch ms), or nil when the schedule never fires again.
    /// Cron schedules fire on whole minutes; period schedules on the period's aligned boundaries.
    public func next(after t: Int64) -> Int64? {
        switch kind {
        case .cron(let cron): return cron.next(after: t)
        default:
            let p = period!
            return p.next(after: p.floor(t))
        }
    }

    /// The last fire at or before `t` (epoch ms), or nil when there is none (cron before 1970).
    public func previous(atOrBefore t: Int64) -> Int64? {
        switch kind {
        case .cron(let cron): return cron.previous(atOrBefore: t)
        default: return period!.floor(t)
        }
    }

    /// The half-open window a run fired at `fire` covers. With a period P (every `rate()` and `every`
    /// schedule, and evenly spaced cron) it is the last aligned window of P that has closed by `fire`:
    /// [fire − P, fire) floored to P since the epoch, whenever within the period the trigger came. For
    /// other cron expressions `fire` is first taken back to the scheduled fire at or before it (triggers
    /// arrive some seconds into the minute), and the window runs from the fire before that one to it.
    /// Nil when there is no earlier fire.
    public func window(endingAt fire: Int64) -> Window? {
        if let p = period {
            let end = p.floor(fire)
            return Window(start: p.floor(end - 1), end: end)
        }
        guard let end = previous(atOrBefore: fire), let start = previous(atOrBefore: end - 1) else { return nil }
        return Window(start: start, end: end)
    }
}

// MARK: - Parsing

extension Schedule {
    /// Parses `rate(…)`, `cron(…)` or `every <period>`. Surrounding spaces are ignored; columns in
    /// errors count from 1 at the first character of `text`.
    public static func parse(_ text: String) throws -> Schedule {
        let chars = Array(text)
        var start = 0, end = chars.count
        while start < end, chars[start].isWhitespace { start += 1 }
        while end > start, chars[end - 1].isWhitespace { end -= 1 }
        let body = chars[start..<end]
        let word = String(body.prefix { $0.isLetter })
        let expected = "expected rate(5 minutes), cron(0/5 * * * ? *) or every 5m"
        guard !body.isEmpty else { throw ScheduleError(column: start + 1, message: "empty schedule: \(expected)") }
        switch word {
        case "rate", "cron":
            let open = start + word.count
            guard open < end, chars[open] == "(" else {
                throw ScheduleError(column: open + 1, message: "expected `(` after `\(word)`")
            }
            guard let close = chars[(open + 1)..<end].firstIndex(of: ")") else {
                throw ScheduleError(column: end + 1, message: "expected `)` to close `\(word)(`")
            }
            if close != end - 1 {
                let extra = chars[(close + 1)..<end].firstIndex { !$0.isWhitespace } ?? close + 1
                throw ScheduleError(column: extra + 1, message: "unexpected text after `)`")
            }
            let inner = Array(chars[(open + 1)..<close])
            if word == "cron" { return Schedule(.cron(try CronExpression.parse(fields: inner, column: open + 2))) }
            return try parseRate(inner, column: open + 2)
        case "every":
            var i = start + word.count
            guard i < end, chars[i].isWhitespace else {
                throw ScheduleError(column: i + 1, message: "expected a period after `every`, as in every 5m")
            }
            while i < end, chars[i].isWhitespace { i += 1 }
            let literal = String(chars[i..<end])
            guard let period = Period.parse(literal) else {
                throw ScheduleError(column: i + 1, message: "`\(literal)` is not a period (5m, 1h, 1d, 1w, 1mo)")
            }
            return Schedule(.every(period))
        default:
            throw ScheduleError(column: start + 1, message: "unknown schedule `\(String(body))`: \(expected)")
        }
    }

    /// `value unit` inside `rate(…)`, `column` being that of its first character.
    private static func parseRate(_ inner: [Character], column: Int) throws -> Schedule {
        if inner.contains(where: { "*?/,#".contains($0) }) {
            let fields = String(inner)
            throw ScheduleError(column: column, message: "rate: `\(fields)` looks like cron fields; write cron(\(fields))")
        }
        var i = 0
        let digits = inner.prefix { $0.isASCII && $0.isNumber }
        i = digits.count
        guard !digits.isEmpty else {
            let message = inner.first == "-" ? "the value must be a positive integer" : "expected a positive integer value, as in rate(5 minutes)"
            throw ScheduleError(column: column, message: "rate: \(message)")
        }
        if i < inner.count, inner[i] == "." || inner[i] == "," {
            throw ScheduleError(column: column, message: "rate: the value must be an integer")
        }
        guard let value = Int64(String(digits)), value <= 1_000_000 else {
            throw ScheduleError(column: column, message: "rate: the value is too large")
        }
        guard value >= 1 else { throw ScheduleError(column: column, message: "rate: the value must be at least 1") }
        var spaces = 0
        while i < inner.count, inner[i] == " " || inner[i] == "\t" { i += 1; spaces += 1 }
        let unitColumn = column + i
        let unitText = String(inner[i...])
        let singular = unitText.hasSuffix("s") ? String(unitText.dropLast()) : unitText
        guard !unitText.isEmpty else {
            throw ScheduleError(column: unitColumn, message: "rate: expected a unit (minute(s), hour(s) or day(s))")
        }
        if singular == "second" || singular == "sec" {
            throw ScheduleError(column: unitColumn, message: "rate: the smallest unit is minute; sub-minute schedules do not exist")
        }
        guard let unit = RateUnit(rawValue: singular) else {
            throw ScheduleError(column: unitColumn, message: "rate: unknown unit `\(unitText)`: use minute(s), hour(s) or day(s)")
        }
        guard spaces > 0 else {
            throw ScheduleError(column: unitColumn, message: "rate: put a space between the value and the unit")
        }
        if value == 1 && unitText != singular {
            throw ScheduleError(column: unitColumn, message: "rate: use `\(singular)` for a value of 1")
        }
        if value != 1 && unitText == singular {
            throw ScheduleError(column: unitColumn, message: "rate: use `\(singular)s` for a value other than 1")
        }
        return Schedule(.rate(value: value, unit: unit))
    }
}
