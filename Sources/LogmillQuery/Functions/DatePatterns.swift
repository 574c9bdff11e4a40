import Foundation
import LogmillRecords

// MARK: - Calendar helpers

/// Month and weekday names and the day arithmetic the date patterns and strftime share.
enum CalendarMath {
    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    /// Index 0 is Sunday.
    static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    @inline(__always) static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// 0 = Sunday.
    static func weekday(days: Int) -> Int { ((days % 7) + 11) % 7 }
}

// MARK: - parseDate: Java DateTimeFormatter patterns

/// A compiled Java `DateTimeFormatter` pattern, for parsing only.
///
/// Supported letters: `y`/`u` (year; `yy` is 2000–2099), `M`/`L` (`M`, `MM`, `MMM` = Jan, `MMMM` =
/// January), `d`, `D` (day of year), `H`, `k` (1–24), `h` (1–12), `K` (0–11), `m`, `s`, `S…`
/// (fraction of a second, kept to milliseconds), `a` (AM/PM), `E` (`EEE` = Mon, `EEEE` = Monday,
/// checked against the date), `X`/`x`/`Z` (offsets `Z`, `+HH`, `+HHMM`, `+HH:MM`) and `z`/`VV`/`O`
/// (a zone name such as `UTC`, `GMT+2` or `America/New_York`). `'quoted'` literals, `''` for a
/// quote, and `[optional]` sections work. Text is matched case-insensitively. Fields left out
/// default to 1970-01-01 00:00:00.000. A letter outside this set makes the pattern invalid (null).
/// The whole input must be consumed.
struct JavaDatePattern: Sendable {
    indirect enum Token: Sendable {
        case literal([UInt8])
        case field(UInt8, Int)
        case optional([Token])
    }

    let tokens: [Token]
    private static let cache = LockedCache<JavaDatePattern>(limit: 128)

    static func compiled(_ pattern: String) -> JavaDatePattern? {
        cache.get(pattern) { p in
            let b = Array(p.utf8)
            var i = 0
            guard let t = compile(b, &i, depth: 0), i == b.count else { return nil }
            return JavaDatePattern(tokens: t)
        }
    }

    private static let maxCount: [UInt8: Int] = [
        UInt8(ascii: "y"): 19, UInt8(ascii: "u"): 19, UInt8(ascii: "M"): 4, UInt8(ascii: "L"): 4, UInt8(ascii: "d"): 2,
        UInt8(ascii: "D"): 3, UInt8(ascii: "H"): 2, UInt8(ascii: "k"): 2, UInt8(ascii: "h"): 2, UInt8(ascii: "K"): 2,
        UInt8(ascii: "m"): 2, UInt8(ascii: "s"): 2, UInt8(ascii: "S"): 9, UInt8(ascii: "a"): 1, UInt8(ascii: "E"): 4,
        UInt8(ascii: "X"): 5, UInt8(ascii: "x"): 5, UInt8(ascii: "Z"): 5, UInt8(ascii: "z"): 4, UInt8(ascii: "V"): 2,
        UInt8(ascii: "O"): 4,
    ]

    private static func compile(_ b: [UInt8], _ i: inout Int, depth: Int) -> [Token]? {
        var out: [Token] = []
        var lit: [UInt8] = []
        func flush() { if !lit.isEmpty { out.append(.literal(lit)); lit = [] } }
        while i < b.count {
            let c = b[i]
            if (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) {
                var n = 0
                while i < b.count, b[i] == c { n += 1; i += 1 }
                guard let limit = maxCount[c], n <= limit else { return nil }
                if c == UInt8(ascii: "V"), n != 2 { return nil }
                flush()
                out.append(.field(c, n))
            } else if c == UInt8(ascii: "'") {
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "'") { lit.append(c); i += 1; continue }
                var closed = false
                while i < b.count {
                    if b[i] == UInt8(ascii: "'") {
                        if i + 1 < b.count, b[i + 1] == UInt8(ascii: "'") { lit.append(c); i += 2; continue }
                        i += 1
                        closed = true
                        break
                    }
                    lit.append(b[i])
                    i += 1
                }
                guard closed else { return nil }
            } else if c == UInt8(ascii: "[") {
                i += 1
                flush()
                guard depth < 8, let inner = compile(b, &i, depth: depth + 1), i < b.count, b[i] == UInt8(ascii: "]") else { return nil }
                i += 1
                out.append(.optional(inner))
            } else if c == UInt8(ascii: "]") {
                guard depth > 0 else { return nil }
                flush()
                return out
            } else if c == UInt8(ascii: "#") || c == UInt8(ascii: "{") || c == UInt8(ascii: "}") {
                return nil
            } else {
                lit.append(c)
                i += 1
            }
        }
        guard depth == 0 else { return nil }
        flush()
        return out
    }

    /// Parsed fields.
    struct State {
        var pos = 0
        var year: Int? = nil, month: Int? = nil, day: Int? = nil, dayOfYear: Int? = nil, weekday: Int? = nil
        var hour24: Int? = nil, hour12: Int? = nil, pm: Bool? = nil
        var minute = 0, second = 0, milli = 0
        var offset: Int? = nil
        var zone: Zone? = nil
    }

    static func isNumeric(_ t: Token) -> Bool {
        guard case .field(let c, let n) = t else { return false }
        switch c {
        case UInt8(ascii: "M"), UInt8(ascii: "L"): return n <= 2
        case UInt8(ascii: "y"), UInt8(ascii: "u"), UInt8(ascii: "d"), UInt8(ascii: "D"), UInt8(ascii: "H"), UInt8(ascii: "k"),
             UInt8(ascii: "h"), UInt8(ascii: "K"), UInt8(ascii: "m"), UInt8(ascii: "s"), UInt8(ascii: "S"): return true
        default: return false
        }
    }

    /// Minimum and maximum digits of a numeric field.
    static func width(_ c: UInt8, _ n: Int) -> (Int, Int) {
        switch c {
        case UInt8(ascii: "y"), UInt8(ascii: "u"): return n == 2 ? (2, 2) : (n, Swift.max(n, 9))
        case UInt8(ascii: "D"): return (n, 3)
        case UInt8(ascii: "S"): return (n, n)
        default: return n == 1 ? (1, 2) : (2, 2)
        }
    }

    /// Epoch ms, or nil when `text` does not match.
    func parse(_ text: String, defaultZone: Zone) -> Int64? {
        let b = Array(text.utf8)
        var st = State()
        guard JavaDatePattern.run(tokens, b, &st), st.pos == b.count else { return nil }
        return JavaDatePattern.resolve(st, defaultZone: defaultZone)
    }

    private static func run(_ tokens: [Token], _ b: [UInt8], _ st: inout State) -> Bool {
        for (k, t) in tokens.enumerated() {
            switch t {
            case .literal(let l):
                guard st.pos + l.count <= b.count else { return false }
                for (j, c) in l.enumerated() where !sameLetter(b[st.pos + j], c) { return false }
                st.pos += l.count
            case .optional(let inner):
                var trial = st
                if run(inner, b, &trial) { st = trial }
            case .field(let c, let n):
                // Java's adjacent value parsing: a variable-width field leaves room for the
                // fixed-width numeric fields that follow it directly.
                var reserved = 0
                if isNumeric(t) {
                    for next in tokens[(k + 1)...] {
                        guard isNumeric(next), case .field(let c2, let n2) = next else { break }
                        reserved += width(c2, n2).0
                    }
                }
                guard field(c, n, reserved: reserved, b, &st) else { return false }
            }
        }
        return true
    }

    @inline(__always) private static func sameLetter(_ a: UInt8, _ b: UInt8) -> Bool {
        if a == b { return true }
        let la = a | 0x20
        return la == b | 0x20 && la >= 0x61 && la <= 0x7a
    }

    private static func digits(_ b: [UInt8], _ st: inout State, min: Int, max: Int, reserved: Int) -> Int? {
        var avail = 0
        while st.pos + avail < b.count, Bytes.isDigit(b[st.pos + avail]) { avail += 1 }
        let n = Swift.min(max, avail - reserved)
        guard n >= min, n > 0, n <= 18 else { return nil }   // a pattern such as 30 S's must not overflow Int
        var v = 0
        for j in 0..<n { v = v * 10 + Int(b[st.pos + j] - 0x30) }
        st.pos += n
        return v
    }

    /// Matches one of `names` (case-insensitively) at the cursor, preferring the longest; returns its index.
    private static func word(_ b: [UInt8], _ st: inout State, _ names: [String]) -> Int? {
        var best: (Int, Int)? = nil
        for (k, name) in names.enumerated() {
            let u = Array(name.utf8)
            guard st.pos + u.count <= b.count else { continue }
            var ok = true
            for j in 0..<u.count where !sameLetter(b[st.pos + j], u[j]) { ok = false; break }
            if ok, best == nil || u.count > best!.1 { best = (k, u.count) }
        }
        guard let (k, n) = best else { return nil }
        st.pos += n
        return k
    }

    private static func field(_ c: UInt8, _ n: Int, reserved: Int, _ b: [UInt8], _ st: inout State) -> Bool {
        func num() -> Int? {
            let (lo, hi) = width(c, n)
            return digits(b, &st, min: lo, max: hi, reserved: reserved)
        }
        switch c {
        case UInt8(ascii: "y"), UInt8(ascii: "u"):
            guard let v = num() else { return false }
            st.year = n == 2 ? 2000 + v : v
        case UInt8(ascii: "M"), UInt8(ascii: "L"):
            if n >= 3 {
                let names = n == 3 ? CalendarMath.months.map { String($0.prefix(3)) } : CalendarMath.months
                guard let k = word(b, &st, names) else { return false }
                st.month = k + 1
            } else {
                guard let v = num(), v >= 1, v <= 12 else { return false }
                st.month = v
            }
        case UInt8(ascii: "d"):
            guard let v = num(), v >= 1, v <= 31 else { return false }
            st.day = v
        case UInt8(ascii: "D"):
            guard let v = num(), v >= 1, v <= 366 else { return false }
            st.dayOfYear = v
        case UInt8(ascii: "H"):
            guard let v = num(), v <= 23 else { return false }
            st.hour24 = v
        case UInt8(ascii: "k"):
            guard let v = num(), v >= 1, v <= 24 else { return false }
            st.hour24 = v % 24
        case UInt8(ascii: "h"):
            guard let v = num(), v >= 1, v <= 12 else { return false }
            st.hour12 = v % 12
        case UInt8(ascii: "K"):
            guard let v = num(), v <= 11 else { return false }
            st.hour12 = v
        case UInt8(ascii: "m"):
            guard let v = num(), v <= 59 else { return false }
            st.minute = v
        case UInt8(ascii: "s"):
            guard let v = num(), v <= 59 else { return false }
            st.second = v
        case UInt8(ascii: "S"):
            let start = st.pos
            guard num() != nil else { return false }
            var ms = 0
            for j in 0..<3 { ms = ms * 10 + (start + j < st.pos ? Int(b[start + j] - 0x30) : 0) }
            st.milli = ms
        case UInt8(ascii: "a"):
            guard let k = word(b, &st, ["AM", "PM"]) else { return false }
            st.pm = k == 1
        case UInt8(ascii: "E"):
            let names = n <= 3 ? CalendarMath.weekdays.map { String($0.prefix(3)) } : CalendarMath.weekdays
            guard let k = word(b, &st, names) else { return false }
            st.weekday = k
        case UInt8(ascii: "X"), UInt8(ascii: "x"), UInt8(ascii: "Z"), UInt8(ascii: "O"):
            guard let o = offsetField(b, &st) else { return false }
            st.offset = o
        default:  // z, V: a zone name or ID
            var e = st.pos
            while e < b.count {
                let ch = b[e]
                let ok = (ch >= 0x41 && ch <= 0x5a) || (ch >= 0x61 && ch <= 0x7a) || Bytes.isDigit(ch) ||
                    ch == UInt8(ascii: "_") || ch == UInt8(ascii: "/") || ch == UInt8(ascii: "+") || ch == UInt8(ascii: "-") || ch == UInt8(ascii: ":")
                if !ok { break }
                e += 1
            }
            let name = String(decoding: b[st.pos..<e], as: UTF8.self)
            if let z = Zone.named(name) {
                st.zone = z
            } else if let tz = TimeZone(abbreviation: name) {
                st.zone = .named(tz)
            } else {
                return false
            }
            st.pos = e
        }
        return true
    }

    /// `Z`, or an optional `GMT`/`UTC` followed by `±H[H][[:]MM[[:]SS]]`.
    private static func offsetField(_ b: [UInt8], _ st: inout State) -> Int? {
        guard st.pos < b.count else { return nil }
        if b[st.pos] == UInt8(ascii: "Z") || b[st.pos] == UInt8(ascii: "z") { st.pos += 1; return 0 }
        var prefixed = false
        if word(b, &st, ["GMT", "UTC", "UT"]) != nil { prefixed = true }
        guard st.pos < b.count, b[st.pos] == UInt8(ascii: "+") || b[st.pos] == UInt8(ascii: "-") else { return prefixed ? 0 : nil }
        let negative = b[st.pos] == UInt8(ascii: "-")
        var p = st.pos + 1
        func two() -> Int? {
            guard p + 2 <= b.count, Bytes.isDigit(b[p]), Bytes.isDigit(b[p + 1]) else { return nil }
            defer { p += 2 }
            return Int(b[p] - 0x30) * 10 + Int(b[p + 1] - 0x30)
        }
        var h: Int
        if let v = two() { h = v } else if p < b.count, Bytes.isDigit(b[p]) { h = Int(b[p] - 0x30); p += 1 } else { return nil }
        var m = 0, s = 0
        for k in 0..<2 {
            let save = p
            if p < b.count, b[p] == UInt8(ascii: ":") { p += 1 }
            guard let v = two() else { p = save; break }
            if k == 0 { m = v } else { s = v }
        }
        guard h <= 18, m < 60, s < 60 else { return nil }
        h = h * 3600 + m * 60 + s
        st.pos = p
        return negative ? -h : h
    }

    private static func resolve(_ st: State, defaultZone: Zone) -> Int64? {
        let year = st.year ?? 1970
        // Epoch ms reach ±292 million years; within ±200 million the arithmetic below cannot overflow.
        guard Swift.abs(year) <= 200_000_000 else { return nil }
        var month = st.month ?? 1, day = st.day ?? 1
        if let doy = st.dayOfYear {
            guard doy <= (CalendarMath.isLeap(year) ? 366 : 365) else { return nil }
            let date = CalendarMath.civil(days: Timestamps.daysFromCivil(year, 1, 1) + doy - 1)
            if st.month != nil && st.month != date.month { return nil }
            if st.day != nil && st.day != date.day { return nil }
            month = date.month; day = date.day
        }
        guard day <= CalendarMath.daysIn(year, month) else { return nil }
        let days = Timestamps.daysFromCivil(year, month, day)
        if let w = st.weekday, CalendarMath.weekday(days: days) != w { return nil }
        var hour = st.hour24 ?? 0
        if st.hour24 == nil, let h12 = st.hour12 { hour = h12 + (st.pm == true ? 12 : 0) }
        let local = ((Int64(days) * 24 + Int64(hour)) * 60 + Int64(st.minute)) * 60 + Int64(st.second)
        let localMs = local * 1000 + Int64(st.milli)
        let offset: Int
        if let o = st.offset { offset = o }
        else if let z = st.zone { offset = z.offset(localMs: localMs) }
        else { offset = defaultZone.offset(localMs: localMs) }
        return localMs - Int64(offset) * 1000
    }
}

extension CalendarMath {
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) { Timestamps.civilFromDays(days) }
}

// MARK: - formatDate / strftime

/// strftime formatting in a zone (UTC unless given).
///
/// Supported: `%Y %C %y %G %g %m %d %e %j %H %k %I %l %M %S %L` (ms, 3 digits) `%f` (µs, 6
/// digits) `%N` (ns, 9 digits) `%p %P %a %A %b %h %B %u %w %U %W %V %Z %z %:z %s %F %T %D %R %r %c
/// %x %X %n %t %%`. The flags `-` (no padding), `_` (pad with spaces) and `0` (pad with zeros) may
/// follow `%`. An unknown conversion is copied as it is. Names are English.
enum Strftime {
    static func offsetText(_ seconds: Int, colon: Bool) -> String {
        let a = abs(seconds)
        let h = a / 3600, m = a / 60 % 60
        return (seconds < 0 ? "-" : "+") + pad(h, 2, "0") + (colon ? ":" : "") + pad(m, 2, "0")
    }

    static func pad(_ v: Int, _ width: Int, _ fill: Character?) -> String {
        let s = String(abs(v))
        let body = (fill == nil || s.count >= width) ? s : String(repeating: fill!, count: width - s.count) + s
        return v < 0 ? "-" + body : body
    }

    /// ISO 8601 week-based year and week number.
    static func isoWeek(year: Int, dayOfYear: Int, weekday: Int) -> (Int, Int) {
        let wd = weekday == 0 ? 7 : weekday  // Monday = 1 … Sunday = 7
        let week = (dayOfYear - wd + 10) / 7
        func weeks(_ y: Int) -> Int {
            func p(_ y: Int) -> Int { (y + y / 4 - y / 100 + y / 400) % 7 }
            return p(y) == 4 || p(y - 1) == 3 ? 53 : 52
        }
        if week < 1 { return (year - 1, weeks(year - 1)) }
        if week > weeks(year) { return (year + 1, 1) }
        return (year, week)
    }

    /// nil when the local time does not fit in 64 bits (a time within hours of ±2^63 ms).
    static func format(_ utcMs: Int64, _ fmt: String, _ zone: Zone) -> String? {
        let offset = zone.offset(utcMs: utcMs)
        let (local, overflow) = utcMs.addingReportingOverflow(Int64(offset) * 1000)
        guard !overflow else { return nil }
        let days = Int(CalendarMath.floorDiv(local, 86_400_000))
        let rem = local % 86_400_000   // days * 86_400_000 may not fit near Int64.min
        let msOfDay = Int(rem < 0 ? rem + 86_400_000 : rem)
        let (y, mo, d) = Timestamps.civilFromDays(days)
        let h = msOfDay / 3_600_000, mi = msOfDay / 60_000 % 60, s = msOfDay / 1000 % 60, ms = msOfDay % 1000
        let wday = CalendarMath.weekday(days: days)
        let doy = days - Timestamps.daysFromCivil(y, 1, 1) + 1
        let h12 = h % 12 == 0 ? 12 : h % 12

        var out = ""
        let f = Array(fmt.unicodeScalars)
        var i = 0
        while i < f.count {
            let c = f[i]
            guard c == "%", i + 1 < f.count else { out.unicodeScalars.append(c); i += 1; continue }
            var j = i + 1
            var flag: Character? = nil
            if f[j] == "-" || f[j] == "_" || f[j] == "0", j + 1 < f.count { flag = Character(f[j]); j += 1 }
            var colon = false
            if f[j] == ":", j + 1 < f.count, f[j + 1] == "z" { colon = true; j += 1 }
            let k = f[j]
            func num(_ v: Int, _ width: Int, _ fill: Character = "0") -> String {
                switch flag {
                case "-": return String(v)
                case "_": return pad(v, width, " ")
                case "0": return pad(v, width, "0")
                default: return pad(v, width, fill)
                }
            }
            var piece: String
            switch k {
            case "Y": piece = num(y, 4)
            case "C": piece = num(y / 100, 2)
            case "y": piece = num(((y % 100) + 100) % 100, 2)
            case "G": piece = num(isoWeek(year: y, dayOfYear: doy, weekday: wday).0, 4)
            case "g": piece = num(((isoWeek(year: y, dayOfYear: doy, weekday: wday).0 % 100) + 100) % 100, 2)
            case "m": piece = num(mo, 2)
            case "d": piece = num(d, 2)
            case "e": piece = num(d, 2, " ")
            case "j": piece = num(doy, 3)
            case "H": piece = num(h, 2)
            case "k": piece = num(h, 2, " ")
            case "I": piece = num(h12, 2)
            case "l": piece = num(h12, 2, " ")
            case "M": piece = num(mi, 2)
            case "S": piece = num(s, 2)
            case "L": piece = pad(ms, 3, "0")
            case "f": piece = pad(ms, 3, "0") + "000"
            case "N": piece = pad(ms, 3, "0") + "000000"
            case "p": piece = h < 12 ? "AM" : "PM"
            case "P": piece = h < 12 ? "am" : "pm"
            case "a": piece = String(CalendarMath.weekdays[wday].prefix(3))
            case "A": piece = CalendarMath.weekdays[wday]
            case "b", "h": piece = String(CalendarMath.months[mo - 1].prefix(3))
            case "B": piece = CalendarMath.months[mo - 1]
            case "u": piece = String(wday == 0 ? 7 : wday)
            case "w": piece = String(wday)
            case "U": piece = num((doy - 1 + 7 - wday) / 7, 2)
            case "W": piece = num((doy - 1 + 7 - (wday + 6) % 7) / 7, 2)
            case "V": piece = num(isoWeek(year: y, dayOfYear: doy, weekday: wday).1, 2)
            case "Z": piece = zone.abbreviation(utcMs: utcMs)
            case "z": piece = offsetText(offset, colon: colon)
            case "s": piece = String(CalendarMath.floorDiv(utcMs, 1000))
            case "F": piece = pad(y, 4, "0") + "-" + pad(mo, 2, "0") + "-" + pad(d, 2, "0")
            case "T", "X": piece = pad(h, 2, "0") + ":" + pad(mi, 2, "0") + ":" + pad(s, 2, "0")
            case "R": piece = pad(h, 2, "0") + ":" + pad(mi, 2, "0")
            case "r": piece = pad(h12, 2, "0") + ":" + pad(mi, 2, "0") + ":" + pad(s, 2, "0") + " " + (h < 12 ? "AM" : "PM")
            case "D", "x": piece = pad(mo, 2, "0") + "/" + pad(d, 2, "0") + "/" + pad(((y % 100) + 100) % 100, 2, "0")
            case "c":
                piece = String(CalendarMath.weekdays[wday].prefix(3)) + " " + String(CalendarMath.months[mo - 1].prefix(3)) + " " +
                    pad(d, 2, " ") + " " + pad(h, 2, "0") + ":" + pad(mi, 2, "0") + ":" + pad(s, 2, "0") + " " + String(y)
            case "n": piece = "\n"
            case "t": piece = "\t"
            case "%": piece = "%"
            default:
                piece = String(String.UnicodeScalarView(f[i...j]))
            }
            out += piece
            i = j + 1
        }
        return out
    }
}
