import LogmillTime

extension AlarmRule {
    /// PutMetricAlarm's limits on `Period × EvaluationPeriods` (protocols.md 5.1 and 16.3: the current
    /// API reference allows 7 days, and 1 day while the period is under an hour).
    public static let maximumSpanSeconds: Int64 = 604_800
    public static let maximumShortPeriodSpanSeconds: Int64 = 86_400

    /// Parses what follows `alarm:` in a job file:
    /// `NAME = METRIC [STATISTIC] OP THRESHOLD for M of N [missing TREATMENT] [renotify 1h]`,
    /// e.g. `ErrorSpike = Errors > 5 for 2 of 3 missing notBreaching`. Operators need no spaces
    /// around them (`Errors>5`). Keywords and statistic names are matched without regard to case.
    public static func parse(_ text: String, period: Period) throws -> AlarmRule {
        var tokens = AlarmTokens(text)
        let name = try tokens.word("an alarm name")
        try tokens.expect("=")
        let metric = try tokens.word("a metric name")
        var statistic: AlarmStatistic?
        if let t = tokens.peek, !t.isOperator {
            guard let s = AlarmStatistic.allCases.first(where: { $0.rawValue.lowercased() == t.text.lowercased() }) else {
                throw AlarmRuleError(column: t.column, message: "unknown statistic '\(t.text)' (expected one of SampleCount, Average, Sum, Minimum, Maximum, then >, >=, < or <=)")
            }
            statistic = s
            tokens.advance()
        }
        guard let comparison = tokens.next().flatMap({ AlarmComparison(rawValue: $0.text) }) else {
            throw tokens.error(at: tokens.lastColumn, "expected a comparison: >, >=, < or <=")
        }
        let thresholdToken = try tokens.token("a threshold")
        guard let threshold = Double(thresholdToken.text), threshold.isFinite else {
            throw AlarmRuleError(column: thresholdToken.column, message: "bad number '\(thresholdToken.text)' for the threshold")
        }
        try tokens.keyword("for")
        let (m, _) = try tokens.count("M, the datapoints to alarm")
        try tokens.keyword("of")
        let (n, nColumn) = try tokens.count("N, the evaluation periods")
        guard m <= n else {
            throw AlarmRuleError(column: nColumn, message: "\(m) of \(n): the datapoints to alarm (M) must not exceed the evaluation periods (N)")
        }
        var treatment = TreatMissingData.missing
        var renotify: Period?
        var seen: Set<String> = []
        while let t = tokens.next() {
            let key = t.text.lowercased()
            guard key == "missing" || key == "renotify" else {
                throw AlarmRuleError(column: t.column, message: "unexpected '\(t.text)' (expected 'missing TREATMENT' or 'renotify PERIOD')")
            }
            guard seen.insert(key).inserted else { throw AlarmRuleError(column: t.column, message: "'\(key)' given twice") }
            let value = try tokens.word(key == "missing" ? "a treatment: missing, ignore, breaching or notBreaching" : "a period such as 1h")
            if key == "missing" {
                guard let tr = TreatMissingData.allCases.first(where: { $0.rawValue.lowercased() == value.lowercased() }) else {
                    throw AlarmRuleError(column: tokens.lastColumn, message: "unknown treatment '\(value)' (expected missing, ignore, breaching or notBreaching)")
                }
                treatment = tr
            } else {
                guard let p = Period.parse(value), p.fixedMilliseconds != nil, (p.fixedMilliseconds ?? 0) >= 1000 else {
                    throw AlarmRuleError(column: tokens.lastColumn, message: "bad re-notify interval '\(value)' (a fixed period of at least 1s, such as 30m or 1h)")
                }
                renotify = p
            }
        }
        try checkPeriod(period, evaluationPeriods: n, column: nColumn)
        return AlarmRule(name: name, metricName: metric, statistic: statistic, comparison: comparison, threshold: threshold,
                         datapointsToAlarm: m, evaluationPeriods: n, treatMissingData: treatment, period: period, renotify: renotify)
    }

    /// The service's period rules: 10, 20 or 30 s, or a multiple of 60 s; N × period within the limits.
    static func checkPeriod(_ period: Period, evaluationPeriods n: Int, column: Int) throws {
        guard let ms = period.fixedMilliseconds, ms % 1000 == 0 else {
            throw AlarmRuleError(column: column, message: "an alarm needs a fixed period of whole seconds; the job's period is \(period)")
        }
        let seconds = ms / 1000
        guard [10, 20, 30].contains(seconds) || seconds % 60 == 0 else {
            throw AlarmRuleError(column: column, message: "an alarm's period must be 10s, 20s, 30s or a multiple of 1m; the job's period is \(period)")
        }
        let (span, overflow) = seconds.multipliedReportingOverflow(by: Int64(n))
        let limit = seconds < 3600 ? maximumShortPeriodSpanSeconds : maximumSpanSeconds
        guard !overflow, span <= limit else {
            throw AlarmRuleError(column: column, message: "\(n) periods of \(period) span more than \(limit == maximumSpanSeconds ? "7 days" : "1 day, the limit for periods under 1h")")
        }
    }
}

/// Words and operators (`=`, `>`, `>=`, `<`, `<=`, and any other run of `=<>!`) with 1-based columns.
struct AlarmTokens {
    struct Token { let text: String; let column: Int; let isOperator: Bool }
    private var tokens: [Token] = []
    private var index = 0
    private let endColumn: Int
    private(set) var lastColumn = 1

    init(_ text: String) {
        let chars = Array(text)
        endColumn = chars.count + 1
        var i = 0
        func isOp(_ c: Character) -> Bool { c == "=" || c == "<" || c == ">" || c == "!" }
        while i < chars.count {
            if chars[i].isWhitespace { i += 1; continue }
            let start = i
            let op = isOp(chars[i])
            while i < chars.count, !chars[i].isWhitespace, isOp(chars[i]) == op { i += 1 }
            tokens.append(Token(text: String(chars[start..<i]), column: start + 1, isOperator: op))
        }
    }

    var peek: Token? { index < tokens.count ? tokens[index] : nil }
    mutating func advance() { lastColumn = tokens[index].column; index += 1 }
    mutating func next() -> Token? {
        guard let t = peek else { lastColumn = endColumn; return nil }
        advance()
        return t
    }
    func error(at column: Int, _ message: String) -> AlarmRuleError { AlarmRuleError(column: column, message: message) }

    mutating func token(_ what: String) throws -> Token {
        guard let t = next() else { throw error(at: endColumn, "expected \(what) at the end") }
        return t
    }
    mutating func word(_ what: String) throws -> String {
        let t = try token(what)
        guard !t.isOperator else { throw error(at: t.column, "expected \(what), found '\(t.text)'") }
        return t.text
    }
    mutating func expect(_ op: String) throws {
        let t = try token("'\(op)'")
        guard t.text == op else { throw error(at: t.column, "expected '\(op)', found '\(t.text)'") }
    }
    mutating func keyword(_ word: String) throws {
        let t = try token("'\(word)'")
        guard t.text.lowercased() == word else { throw error(at: t.column, "expected '\(word)', found '\(t.text)'") }
    }
    mutating func count(_ what: String) throws -> (Int, Int) {
        let t = try token(what)
        guard let n = Int(t.text), n >= 1, n <= 100_000 else { throw error(at: t.column, "bad number '\(t.text)' for \(what) (a whole number of at least 1)") }
        return (n, t.column)
    }
}
