import Foundation

/// A zone for parseDate/formatDate: a fixed offset or a named IANA zone (with daylight saving).
enum Zone: Sendable {
    case fixed(Int)  // seconds east of UTC
    case named(TimeZone)

    static let utc = Zone.fixed(0)
    private static let cache = LockedCache<Zone>(limit: 128)

    /// `UTC`, `GMT`, `Z`, an offset (`+02:00`, `-0800`, `+2`), `UTC+02:00`/`GMT-8`, or an IANA
    /// zone ID (`America/New_York`, resolved through Foundation's TimeZone). nil when unknown.
    static func named(_ text: String) -> Zone? {
        cache.get(text) { parse(String(StringFunctions.trimmed($0))) }
    }

    private static func parse(_ t: String) -> Zone? {
        if t.isEmpty { return nil }
        let upper = t.uppercased()
        if ["UTC", "GMT", "UT", "Z", "ZULU"].contains(upper) { return .utc }
        for p in ["UTC", "GMT", "UT"] where upper.hasPrefix(p) {
            let rest = upper.dropFirst(p.count)
            if let f = rest.first, f == "+" || f == "-", let o = offset(rest) { return .fixed(o) }
        }
        if let f = t.first, f == "+" || f == "-" { return offset(Substring(t)).map { .fixed($0) } }
        if let tz = TimeZone(identifier: t) { return .named(tz) }
        return nil
    }

    /// `±H`, `±HH`, `±HHMM`, `±HH:MM`, `±HH:MM:SS`, `±HHMMSS` to seconds (at most ±18 hours).
    static func offset(_ s: Substring) -> Int? {
        guard let f = s.first, f == "+" || f == "-" else { return nil }
        let body = s.dropFirst()
        let parts: [Substring]
        if body.contains(":") {
            parts = body.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 3, parts.allSatisfy({ !$0.isEmpty && $0.count <= 2 }), parts.dropFirst().allSatisfy({ $0.count == 2 }) else { return nil }
        } else {
            switch body.count {
            case 1, 2: parts = [body]
            case 4: parts = [body.prefix(2), body.dropFirst(2)]
            case 6: parts = [body.prefix(2), body.dropFirst(2).prefix(2), body.dropFirst(4)]
            default: return nil
            }
        }
        var values: [Int] = []
        for p in parts {
            guard p.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(p) else { return nil }
            values.append(v)
        }
        let h = values[0], m = values.count > 1 ? values[1] : 0, sec = values.count > 2 ? values[2] : 0
        guard h <= 18, m < 60, sec < 60 else { return nil }
        let total = h * 3600 + m * 60 + sec
        guard total <= 18 * 3600 else { return nil }
        return f == "-" ? -total : total
    }

    /// Seconds east of UTC at the instant `utcMs`.
    func offset(utcMs: Int64) -> Int {
        switch self {
        case .fixed(let s): return s
        case .named(let tz): return tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(utcMs) / 1000))
        }
    }

    /// Seconds east of UTC for a local wall-clock time (given as ms since the epoch, as if UTC).
    /// In a gap or overlap the offset before the transition wins.
    func offset(localMs: Int64) -> Int {
        switch self {
        case .fixed(let s): return s
        case .named:
            let first = offset(utcMs: localMs)
            let second = offset(utcMs: localMs - Int64(first) * 1000)
            if second == first { return first }
            let third = offset(utcMs: localMs - Int64(second) * 1000)
            return third == second ? second : Swift.max(first, second)
        }
    }

    /// The name `%Z` prints: `UTC`, `UTC+02:00` for other fixed offsets, the abbreviation of a named zone.
    func abbreviation(utcMs: Int64) -> String {
        switch self {
        case .fixed(0): return "UTC"
        case .fixed(let s): return "UTC" + Strftime.offsetText(s, colon: true)
        case .named(let tz):
            return tz.abbreviation(for: Date(timeIntervalSince1970: Double(utcMs) / 1000)) ?? tz.identifier
        }
    }
}
