import Glibc
import LogmillTime

/// UTC calendar arithmetic and ISO-8601 parsing on bytes, without Foundation dates.
public enum Timestamps {
    /// The times logmill reads from logs: 0000-01-01T00:00:00.000Z through 9999-12-31T23:59:59.999Z,
    /// in epoch milliseconds. A time read from a record outside it (`1e30`, twenty digits, a year
    /// past 9999 after its offset) is no time: the record is read without one and counted as a parse failure.
    public static let validRange: ClosedRange<Int64> = -62_167_219_200_000 ... 253_402_300_799_999

    /// `ms` when it is a time logmill reads (`validRange`), else nil.
    @inlinable public static func checked(_ ms: Int64) -> Int64? { validRange.contains(ms) ? ms : nil }

    /// Epoch milliseconds from a number of seconds (`unit` 1000) or milliseconds (`unit` 1) read from a
    /// log, or nil when it is not finite or falls outside `validRange`. Never traps, whatever `value`.
    @inlinable public static func fromEpoch(_ value: Double, unit: Double) -> Int64? {
        let ms = value * unit
        guard ms >= Double(validRange.lowerBound), ms <= Double(validRange.upperBound) else { return nil }   // false for NaN too
        return Int64(ms)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    @inlinable public static func daysFromCivil(_ y: Int, _ m: Int, _ d: Int) -> Int { CivilCalendar.daysFromCivil(y, m, d) }
    /// The date of a day count since the epoch.
    @inlinable public static func civilFromDays(_ z: Int) -> (year: Int, month: Int, day: Int) { CivilCalendar.civilFromDays(z) }

    @inline(__always) static func digits(_ b: UnsafeRawBufferPointer, _ at: Int, _ n: Int) -> Int? {
        var v = 0
        for i in at..<(at + n) {
            let c = b[i] &- 0x30
            if c > 9 { return nil }
            v = v * 10 + Int(c)
        }
        return v
    }

    /// Parses `YYYY-MM-DD[T ]HH:MM:SS[.fff…][Z|±HH:MM|±HHMM]` at `from`.
    /// Returns epoch milliseconds and the index after the timestamp. A missing zone means UTC.
    public static func parseISO8601(_ b: UnsafeRawBufferPointer, from: Int = 0) -> (ms: Int64, end: Int)? {
        let n = b.count
        guard n - from >= 19 else { return nil }
        guard b[from + 4] == UInt8(ascii: "-"), b[from + 7] == UInt8(ascii: "-"),
              b[from + 10] == UInt8(ascii: "T") || b[from + 10] == UInt8(ascii: " "),
              b[from + 13] == UInt8(ascii: ":"), b[from + 16] == UInt8(ascii: ":"),
              let y = digits(b, from, 4), let mo = digits(b, from + 5, 2), let d = digits(b, from + 8, 2),
              let h = digits(b, from + 11, 2), let mi = digits(b, from + 14, 2), let s = digits(b, from + 17, 2),
              mo >= 1, mo <= 12, d >= 1, d <= 31, h <= 23, mi <= 59, s <= 60 else { return nil }
        var i = from + 19
        var ms = 0
        if i < n, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
            i += 1
            var scale = 100
            let start = i
            while i < n, Bytes.isDigit(b[i]) {
                ms += Int(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            if i == start { return nil }
        }
        var offsetMinutes = 0
        if i < n {
            let c = b[i]
            if c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") {
                i += 1
            } else if (c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && n - i >= 3, let oh = digits(b, i + 1, 2) {
                var om = 0
                var j = i + 3
                if j < n, b[j] == UInt8(ascii: ":"), n - j >= 3, let v = digits(b, j + 1, 2) { om = v; j += 3 }
                else if n - j >= 2, let v = digits(b, j, 2) { om = v; j += 2 }
                offsetMinutes = (oh * 60 + om) * (c == UInt8(ascii: "-") ? -1 : 1)
                i = j
            }
        }
        // Four-digit years and two-digit offsets keep this arithmetic far from overflow; the offset
        // can still move 0000-01-01 or 9999-12-31 outside the range.
        let days = daysFromCivil(y, mo, d)
        let secs = ((days * 24 + h) * 60 + mi) * 60 + s - offsetMinutes * 60
        guard let t = checked(Int64(secs) * 1000 + Int64(ms)) else { return nil }
        return (t, i)
    }

    /// Parses an ISO-8601 timestamp held in a String (tests, command-line options).
    public static func parseISO8601(_ s: String) -> Int64? {
        var s = s
        return s.withUTF8 { u in
            let b = UnsafeRawBufferPointer(u)
            guard let r = parseISO8601(b) else {
                // A bare date is midnight UTC.
                if b.count == 10, let y = digits(b, 0, 4), b[4] == UInt8(ascii: "-"), let m = digits(b, 5, 2),
                   b[7] == UInt8(ascii: "-"), let d = digits(b, 8, 2) {
                    return Int64(daysFromCivil(y, m, d)) * 86_400_000
                }
                return nil
            }
            return r.end == b.count ? r.ms : nil
        }
    }

    /// Renders epoch milliseconds as Insights does: `YYYY-MM-DD HH:MM:SS.mmm` in UTC (years outside
    /// 0000–9999 with a sign, as `CivilCalendar.render` writes them).
    public static func render(_ ms: Int64) -> String {
        CivilCalendar.render(ms, dateTimeSeparator: 0x20, alwaysMilliseconds: true, zone: false)
    }

    /// Renders epoch milliseconds as RFC 3339 (`2026-11-01T00:05:00.000Z`).
    public static func renderISO(_ ms: Int64) -> String {
        CivilCalendar.render(ms, dateTimeSeparator: UInt8(ascii: "T"), alwaysMilliseconds: true, zone: true)
    }
}

/// `@timestamp` of a JSON line from a top-level key (`timestamp`, `@timestamp`, `time`, `ts`, or the
/// key `--timestamp-field` names). The key is found by a byte search for `"key"`, then confirmed to
/// be at the top level by walking only the object's keys before it: no flattening.
public enum JSONTime {
    public enum Found: Equatable { case absent, time(Int64), unreadable }

    /// Looks for the first of `keys` (needles `"key"`, in order of preference) at the top level of the
    /// object starting at `object` in `line`. One pass, 16 bytes a step, finds every quote followed by a
    /// key's first letter; only those are compared with the keys, and only a match is checked for being
    /// a top-level key. A line without any of the keys costs about as much as counting its newlines.
    public static func find(_ line: UnsafeRawBufferPointer, object: Int, keys: [[UInt8]]) -> Found {
        guard let base = line.baseAddress, !keys.isEmpty else { return .absent }
        let n = line.count
        var best = keys.count, bestEnd = 0
        func candidate(_ p: Int) -> Bool {
            for k in 0..<best where n - p >= keys[k].count {
                let key = keys[k]
                guard key.withUnsafeBytes({ memcmp(base + p, $0.baseAddress!, key.count) == 0 }) else { continue }
                var c = JSONCursor(line, from: p + key.count)
                c.skipSpace()
                guard c.peek() == UInt8(ascii: ":"), isTopLevelKey(line, object: object, at: p) else { return false }
                best = k
                bestEnd = c.i + 1
                return k == 0
            }
            return false
        }
        // The first letters of the keys (the byte after the quote), at most four (the default keys have two).
        var letters: [UInt8] = []
        for key in keys where key.count > 1 && !letters.contains(key[1]) { letters.append(key[1]) }
        if letters.count > 4 {
            var p = object
            while let q = Bytes.find(UInt8(ascii: "\""), in: line, from: p, to: n) { if candidate(q) { break }; p = q + 1 }
        } else {
            while letters.count < 4 { letters.append(letters[0]) }
            let quote = SIMD16<UInt8>(repeating: UInt8(ascii: "\""))
            let l0 = SIMD16<UInt8>(repeating: letters[0]), l1 = SIMD16<UInt8>(repeating: letters[1])
            let l2 = SIMD16<UInt8>(repeating: letters[2]), l3 = SIMD16<UInt8>(repeating: letters[3])
            var i = object
            scan: while i + 17 <= n {
                let a = base.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
                let b = base.loadUnaligned(fromByteOffset: i + 1, as: SIMD16<UInt8>.self)
                let hits = (a .== quote) .& ((b .== l0) .| (b .== l1) .| (b .== l2) .| (b .== l3))
                if any(hits) {
                    for lane in 0..<16 where hits[lane] { if candidate(i + lane) { break scan } }
                }
                i += 16
            }
            if best != 0 {
                while i + 1 < n {
                    if line[i] == UInt8(ascii: "\""), letters.contains(line[i + 1]), candidate(i) { break }
                    i += 1
                }
            }
        }
        guard best < keys.count else { return .absent }
        var c = JSONCursor(line, from: bestEnd)
        c.skipSpace()
        return value(&c)
    }

    /// Whether a key starts at `at` among the top-level members of the object at `object`.
    static func isTopLevelKey(_ line: UnsafeRawBufferPointer, object: Int, at: Int) -> Bool {
        var c = JSONCursor(line, from: object + 1)
        while true {
            c.skipSpace()
            if c.i >= at { return c.i == at }
            guard c.scanString() != nil else { return false }
            c.skipSpace()
            guard c.peek() == UInt8(ascii: ":") else { return false }
            c.i += 1
            guard c.skipValue() else { return false }
            c.skipSpace()
            guard c.peek() == UInt8(ascii: ",") else { return false }
            c.i += 1
        }
    }

    static func value(_ c: inout JSONCursor) -> Found {
        guard let b = c.peek() else { return .unreadable }
        let v: UnsafeRawBufferPointer
        if b == UInt8(ascii: "\"") {
            guard let (r, escaped) = c.scanString(), !escaped else { return .unreadable }
            v = UnsafeRawBufferPointer(rebasing: c.buf[r])
        } else {
            let s = c.i
            guard c.skipValue() else { return .unreadable }
            v = UnsafeRawBufferPointer(rebasing: c.buf[s..<c.i])
            if v.count == 4 && Bytes.hasPrefix(v, "null") { return .absent }
        }
        return readTime(v).map { .time($0) } ?? .unreadable
    }

    /// An ISO-8601 time (`Z` or an offset, with or without a fraction), epoch seconds (10 digits, with
    /// or without a fraction) or epoch milliseconds (13 digits); nil for anything else or out of range.
    public static func readTime(_ v: UnsafeRawBufferPointer) -> Int64? {
        if let (ms, end) = Timestamps.parseISO8601(v), end == v.count { return ms }
        var i = 0
        var whole: Int64 = 0
        while i < v.count, i < 13, Bytes.isDigit(v[i]) { whole = whole * 10 + Int64(v[i] - 0x30); i += 1 }
        let digits = i
        guard digits == 10 || digits == 13 else { return nil }
        var fraction: Int64 = 0, scale: Int64 = 100
        if i < v.count, v[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < v.count, Bytes.isDigit(v[i]) { fraction += Int64(v[i] - 0x30) * scale; scale /= 10; i += 1 }
            guard i > start else { return nil }
        }
        guard i == v.count else { return nil }
        return Timestamps.checked(digits == 10 ? whole * 1000 + fraction : whole)
    }
}
