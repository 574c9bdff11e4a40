import LogmillDigest
import Foundation
import LogmillRecords
import LogmillRegex

/// Functions added to the Insights language in 2026 (reference §3, marked 2026).
///
/// Conventions: a null (or unusable) argument gives null, except that predicates (`isNumeric`,
/// the IP tests) give false, as the Tier 1 `isValidIp` family does. Booleans are `.bool`; the
/// functions the reference lists as "number 1/0" (`startsWith`, `endsWith`, `jsonArrayContains`)
/// give `.int(1)`/`.int(0)`. Both render as `1`/`0`. Whole-number results (`toInt`, `toLong`,
/// `hexToDec`, `parseDate`, `queryEndTime`, …) are `.int`, so they render without `.0`.
enum Functions2026 {
    static let all: [RegisteredFunction] = numeric + datetime + general + strings + json + ip

    // MARK: numeric (§3.2)

    static let numeric: [RegisteredFunction] = [
        RegisteredFunction(name: "round", arity: 1...2, usage: "round(x [, decimals])") { args, _ in
            guard let x = args[0].number else { return .null }
            let d = args.count > 1 ? (args[1].number ?? 0) : 0
            var p = 1.0
            for _ in 0..<Int(max(0, min(15, d))) { p *= 10 }
            return .number((x * p).rounded(.toNearestOrAwayFromZero) / p)
        },
        RegisteredFunction(name: "haversine", arity: 4...4, usage: "haversine(lat1, lon1, lat2, lon2)") { a, _ in
            guard let lat1 = a[0].number, let lon1 = a[1].number, let lat2 = a[2].number, let lon2 = a[3].number else { return .null }
            return .number(F26.haversine(lat1, lon1, lat2, lon2))
        },
        RegisteredFunction(name: "toNumber", arity: 1...1, usage: "toNumber(s)") { a, _ in F26.toNumber(a[0]) },
        RegisteredFunction(name: "toInt", arity: 1...1, usage: "toInt(v)") { a, _ in
            guard let i = F26.integer(a[0]), i >= Int64(Int32.min), i <= Int64(Int32.max) else { return .null }
            return .int(i)
        },
        RegisteredFunction(name: "toLong", arity: 1...1, usage: "toLong(v)") { a, _ in
            F26.integer(a[0]).map { .int($0) } ?? .null
        },
        RegisteredFunction(name: "toDouble", arity: 1...1, usage: "toDouble(v)") { a, _ in
            a[0].number.map { .number($0) } ?? .null
        },
    ]

    // MARK: datetime (§3.3)

    static let datetime: [RegisteredFunction] = [
        RegisteredFunction(name: "parseDate", arity: 2...3, usage: "parseDate(s, \"yyyy-MM-dd HH:mm:ss\" [, \"UTC\"])") { a, _ in
            guard let s = a[0].text, let f = a[1].text else { return .null }
            var zone = Zone.utc
            if a.count > 2 {
                guard let z = a[2].text, let parsed = Zone.named(z) else { return .null }
                zone = parsed
            }
            guard let pattern = JavaDatePattern.compiled(f) else { return .null }
            return pattern.parse(s, defaultZone: zone).map { .int($0) } ?? .null
        },
        formatDate("formatDate"),
        formatDate("strftime"),
    ]

    static func formatDate(_ name: String) -> RegisteredFunction {
        RegisteredFunction(name: name, arity: 2...3, usage: "\(name)(@timestamp, \"%Y-%m-%d %H:%M:%S\" [, \"UTC\"])") { a, _ in
            guard let t = Fn.timestamp(a[0]), let f = a[1].text else { return .null }
            var zone = Zone.utc
            if a.count > 2 {
                guard let z = a[2].text, let parsed = Zone.named(z) else { return .null }
                zone = parsed
            }
            return .string(Strftime.format(t, f, zone))
        }
    }

    // MARK: general (§3.4)

    static let general: [RegisteredFunction] = [
        // `case` and `if` receive evaluated arguments: the registry evaluates every argument before
        // the call, so both branches are computed. That is safe because no function has side effects;
        // only the cost of evaluating the unused branch is paid.
        RegisteredFunction(name: "case", arity: 2...21, usage: "case(cond1, value1, cond2, value2, … [, default]) (at most 10 conditions)") { a, _ in
            var i = 0
            while i + 1 < a.count {
                if a[i].isTrue { return a[i + 1] }
                i += 2
            }
            return a.count % 2 == 1 ? a[a.count - 1] : .null
        },
        RegisteredFunction(name: "if", arity: 3...3, usage: "if(condition, valueIfTrue, valueIfFalse)") { a, _ in
            a[0].isTrue ? a[1] : a[2]
        },
        RegisteredFunction(name: "isNumeric", arity: 1...1, usage: "isNumeric(x)") { a, _ in .bool(F26.isNumeric(a[0])) },
        RegisteredFunction(name: "messageSize", arity: 1...1, usage: "messageSize(@message)") { a, _ in
            a[0].withText { .int(Int64($0.count)) } ?? .null
        },
        // The query window: see `F26.window`.
        RegisteredFunction(name: "queryStartTime", arity: 0...0, usage: "queryStartTime()") { _, ctx in .int(F26.window(ctx).start) },
        RegisteredFunction(name: "queryEndTime", arity: 0...0, usage: "queryEndTime()") { _, ctx in .int(F26.window(ctx).end) },
        RegisteredFunction(name: "queryTimeRange", arity: 0...0, usage: "queryTimeRange()") { _, ctx in
            let w = F26.window(ctx)
            return .int(w.end - w.start)
        },
    ]

    // MARK: string (§3.5)

    static let strings: [RegisteredFunction] = [
        RegisteredFunction(name: "regexReplace", arity: 3...3, usage: "regexReplace(s, \"pattern\", \"replacement with $1\")") { a, _ in
            F26.regexReplace(a[0], a[1], a[2])
        },
        RegisteredFunction(name: "startsWith", arity: 2...2, usage: "startsWith(s, prefix)") { a, _ in F26.affix(a[0], a[1], prefix: true) },
        RegisteredFunction(name: "endsWith", arity: 2...2, usage: "endsWith(s, suffix)") { a, _ in F26.affix(a[0], a[1], prefix: false) },
        RegisteredFunction(name: "urlencode", arity: 1...1, usage: "urlencode(s)") { a, _ in
            a[0].withText { .string(F26.urlencode($0)) } ?? .null
        },
        RegisteredFunction(name: "urldecode", arity: 1...1, usage: "urldecode(s)") { a, _ in
            a[0].withText { .string(F26.urldecode($0)) } ?? .null
        },
        RegisteredFunction(name: "base64encode", arity: 1...1, usage: "base64encode(s)") { a, _ in
            a[0].withText { .string(F26.base64encode($0)) } ?? .null
        },
        RegisteredFunction(name: "base64decode", arity: 1...1, usage: "base64decode(s)") { a, _ in
            (a[0].withText { F26.base64decode($0) } ?? nil).map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null
        },
        // A list of strings (renders as its JSON text, works with `[i]`, `unnest` and the JSON functions).
        RegisteredFunction(name: "split", arity: 2...2, usage: "split(s, \",\")") { a, _ in
            guard let s = a[0].text, let d = a[1].text else { return .null }
            return .structure(.array(F26.split(s, d).map { .string($0) }))
        },
        RegisteredFunction(name: "hexToAscii", arity: 1...1, usage: "hexToAscii(\"48656c6c6f\")") { a, _ in
            (a[0].withText { F26.hexBytes($0) } ?? nil).map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null
        },
        RegisteredFunction(name: "hexToDec", arity: 1...1, usage: "hexToDec(\"0xff\")") { a, _ in
            a[0].withText { F26.hexToDec($0) } ?? .null
        },
        RegisteredFunction(name: "decToHex", arity: 1...1, usage: "decToHex(255)") { a, _ in
            guard let i = F26.integer(a[0]) else { return .null }
            return .string((i < 0 ? "-0x" : "0x") + String(i.magnitude, radix: 16))
        },
        RegisteredFunction(name: "md5", arity: 1...1, usage: "md5(s)") { a, _ in
            a[0].withText { .string(MD5.hex($0)) } ?? .null
        },
        RegisteredFunction(name: "sha256", arity: 1...1, usage: "sha256(s)") { a, _ in
            a[0].withText { .string(SHA256.hex(Array($0))) } ?? .null
        },
    ]

    // MARK: JSON (§3.6)

    static let json: [RegisteredFunction] = [
        RegisteredFunction(name: "jsonArraySize", arity: 1...1, usage: "jsonArraySize(s)") { a, _ in
            guard case .array(let items)? = F26.structure(a[0]) else { return .null }
            return .int(Int64(items.count))
        },
        RegisteredFunction(name: "jsonArrayContains", arity: 2...2, usage: "jsonArrayContains(s, value)") { a, _ in
            guard case .array(let items)? = F26.structure(a[0]), !a[1].isNull else { return .int(0) }
            return .int(items.contains { F26.element($0, matches: a[1]) } ? 1 : 0)
        },
    ]

    // MARK: IP (§3.7)

    static let ip: [RegisteredFunction] = [
        RegisteredFunction(name: "ipv4ToNumber", arity: 1...1, usage: "ipv4ToNumber(\"10.0.0.1\")") { a, _ in
            guard let t = a[0].text, let v = IP.v4(Substring(t)) else { return .null }
            return .int(Int64(v))
        },
        RegisteredFunction(name: "isPrivateIP", arity: 1...1, usage: "isPrivateIP(ip)") { a, _ in
            .bool(a[0].text.map { IPRanges.classify($0) == .privateRange } ?? false)
        },
        RegisteredFunction(name: "isPublicIP", arity: 1...1, usage: "isPublicIP(ip)") { a, _ in
            .bool(a[0].text.map { IPRanges.classify($0) == .publicRange } ?? false)
        },
        RegisteredFunction(name: "isReservedIP", arity: 1...1, usage: "isReservedIP(ip)") { a, _ in
            .bool(a[0].text.map { let c = IPRanges.classify($0); return c == .privateRange || c == .reserved } ?? false)
        },
    ]
}

// MARK: - Helpers

/// Implementations behind `Functions2026`.
enum F26 {
    /// Mean Earth radius in km (IUGG).
    static let earthRadiusKm = 6371.0

    static func haversine(_ lat1: Double, _ lon1: Double, _ lat2: Double, _ lon2: Double) -> Double {
        let r = Double.pi / 180
        let dLat = (lat2 - lat1) * r, dLon = (lon2 - lon1) * r
        let s1 = Foundation.sin(dLat / 2), s2 = Foundation.sin(dLon / 2)
        let h = s1 * s1 + Foundation.cos(lat1 * r) * Foundation.cos(lat2 * r) * s2 * s2
        return 2 * earthRadiusKm * Foundation.asin(Swift.min(1, h.squareRoot()))
    }

    static func trimmed(_ s: String) -> Substring {
        var t = Substring(s)
        while let f = t.first, f.isWhitespace { t.removeFirst() }
        while let l = t.last, l.isWhitespace { t.removeLast() }
        return t
    }

    /// `toNumber`: numbers pass through; text that is a whole integer becomes an integer (so it
    /// renders as `42`, not `42.0`), other decimal text a double; anything else null.
    static func toNumber(_ v: Value) -> Value {
        switch v {
        case .null: return .null
        case .number, .int: return v
        case .bool(let b): return .int(b ? 1 : 0)
        case .timestamp(let t): return .int(t)
        default:
            guard let s = v.text else { return .null }
            let t = trimmed(s)
            if let i = Int64(t) { return .int(i) }
            guard let d = v.number else { return .null }
            return .number(d)
        }
    }

    /// A 64-bit integer reading with truncation toward zero; nil when not a number or out of range.
    /// Integer text is read exactly (no detour through Double).
    static func integer(_ v: Value) -> Int64? {
        switch v {
        case .null: return nil
        case .int(let i): return i
        case .timestamp(let t): return t
        case .bool(let b): return b ? 1 : 0
        case .number(let d): return truncate(d)
        default:
            guard let s = v.text else { return nil }
            if let i = Int64(trimmed(s)) { return i }
            return v.number.flatMap(truncate)
        }
    }

    static func truncate(_ d: Double) -> Int64? {
        guard d.isFinite else { return nil }
        let t = d.rounded(.towardZero)
        guard t >= -9.223372036854775808e18, t < 9.223372036854775808e18 else { return nil }
        return Int64(t)
    }

    /// Numbers are numeric; text is when it is entirely a decimal number (sign, fraction and
    /// exponent allowed, surrounding spaces ignored). Timestamps, Booleans and null are not.
    static func isNumeric(_ v: Value) -> Bool {
        switch v {
        case .number, .int: return true
        case .bytes, .string: return v.withText { Value.parseNumber($0) != nil } ?? false
        default: return false
        }
    }

    /// The query window in epoch ms: `--from`/`--to` when given; otherwise from the epoch to the
    /// query's start time (local files have no window of their own).
    static func window(_ ctx: EvalContext) -> (start: Int64, end: Int64) {
        (ctx.windowStart ?? 0, ctx.windowEnd ?? Int64((ctx.now * 1000).rounded(.down)))
    }

    static func affix(_ s: Value, _ p: Value, prefix: Bool) -> Value {
        let r: Bool?? = s.withText { h in
            p.withText { n -> Bool in
                guard n.count <= h.count else { return false }
                if n.count == 0 { return true }
                let at = prefix ? 0 : h.count - n.count
                return memcmp(h.baseAddress! + at, n.baseAddress!, n.count) == 0
            }
        }
        guard let found = r ?? nil else { return .null }
        return .int(found ? 1 : 0)
    }

    // MARK: URL and Base64

    private static let hexUpper = Array("0123456789ABCDEF".utf8)

    /// Percent-encodes every byte except the RFC 3986 unreserved set (`A-Z a-z 0-9 - . _ ~`);
    /// a space becomes `%20`.
    static func urlencode(_ b: UnsafeRawBufferPointer) -> String {
        var out = [UInt8]()
        out.reserveCapacity(b.count)
        for c in b {
            switch c {
            case 0x41...0x5a, 0x61...0x7a, 0x30...0x39, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(c)
            default:
                out.append(UInt8(ascii: "%")); out.append(hexUpper[Int(c >> 4)]); out.append(hexUpper[Int(c & 15)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always) static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// Decodes `%XX` escapes and `+` as a space (form encoding). A `%` not followed by two hex
    /// digits is kept as it is.
    static func urldecode(_ b: UnsafeRawBufferPointer) -> String {
        var out = [UInt8]()
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "%"), i + 2 < b.count, let h = hexValue(b[i + 1]), let l = hexValue(b[i + 2]) {
                out.append(h << 4 | l)
                i += 3
                continue
            }
            out.append(c == UInt8(ascii: "+") ? 0x20 : c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let b64 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func base64encode(_ b: UnsafeRawBufferPointer) -> String {
        var out = [UInt8]()
        out.reserveCapacity((b.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= b.count {
            let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
            out.append(b64[Int(v >> 18 & 63)]); out.append(b64[Int(v >> 12 & 63)])
            out.append(b64[Int(v >> 6 & 63)]); out.append(b64[Int(v & 63)])
            i += 3
        }
        let rest = b.count - i
        if rest > 0 {
            let v = UInt32(b[i]) << 16 | (rest > 1 ? UInt32(b[i + 1]) << 8 : 0)
            out.append(b64[Int(v >> 18 & 63)]); out.append(b64[Int(v >> 12 & 63)])
            out.append(rest > 1 ? b64[Int(v >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Standard or URL-safe alphabet, padding optional, whitespace ignored; nil when malformed.
    static func base64decode(_ b: UnsafeRawBufferPointer) -> [UInt8]? {
        var out = [UInt8]()
        var acc: UInt32 = 0, n = 0
        var padding = 0
        for c in b {
            let v: UInt32
            switch c {
            case 0x41...0x5a: v = UInt32(c - 0x41)
            case 0x61...0x7a: v = UInt32(c - 0x61 + 26)
            case 0x30...0x39: v = UInt32(c - 0x30 + 52)
            case UInt8(ascii: "+"), UInt8(ascii: "-"): v = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): v = 63
            case UInt8(ascii: "="): padding += 1; continue
            default:
                if Bytes.isSpace(c) { continue }
                return nil
            }
            if padding > 0 { return nil }  // data after padding
            acc = acc << 6 | v
            n += 1
            if n == 4 {
                out.append(UInt8(acc >> 16 & 255)); out.append(UInt8(acc >> 8 & 255)); out.append(UInt8(acc & 255))
                acc = 0; n = 0
            }
        }
        switch n {
        case 0: guard padding == 0 else { return nil }
        case 2: out.append(UInt8(acc >> 4 & 255))
        case 3: out.append(UInt8(acc >> 10 & 255)); out.append(UInt8(acc >> 2 & 255))
        default: return nil
        }
        if n > 0, padding > 0, n + padding != 4 { return nil }
        return out
    }

    // MARK: split, hex

    /// Splits on every occurrence of the literal delimiter, keeping empty pieces (`"a,,b"` gives
    /// three). An empty delimiter splits into characters.
    static func split(_ s: String, _ d: String) -> [String] {
        if d.isEmpty { return s.map { String($0) } }
        return s.components(separatedBy: d)
    }

    /// Pairs of hex digits to bytes (an optional `0x` prefix is allowed); nil for odd length or a non-hex digit.
    static func hexBytes(_ b: UnsafeRawBufferPointer) -> [UInt8]? {
        var i = 0, e = b.count
        while i < e, Bytes.isSpace(b[i]) { i += 1 }
        while e > i, Bytes.isSpace(b[e - 1]) { e -= 1 }
        if e - i >= 2, b[i] == UInt8(ascii: "0"), b[i + 1] | 0x20 == UInt8(ascii: "x") { i += 2 }
        guard (e - i) % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity((e - i) / 2)
        while i < e {
            guard let h = hexValue(b[i]), let l = hexValue(b[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }

    /// `"0xff"`, `"FF"`, `"-0x10"` to an integer; values above Int64.max (up to 64 bits) become doubles.
    static func hexToDec(_ b: UnsafeRawBufferPointer) -> Value {
        var i = 0, e = b.count
        while i < e, Bytes.isSpace(b[i]) { i += 1 }
        while e > i, Bytes.isSpace(b[e - 1]) { e -= 1 }
        var negative = false
        if i < e, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { negative = b[i] == UInt8(ascii: "-"); i += 1 }
        if e - i >= 2, b[i] == UInt8(ascii: "0"), b[i + 1] | 0x20 == UInt8(ascii: "x") { i += 2 }
        guard i < e else { return .null }
        var v: UInt64 = 0
        while i < e {
            guard let d = hexValue(b[i]), v >> 60 == 0 else { return .null }
            v = v << 4 | UInt64(d)
            i += 1
        }
        if v <= UInt64(Int64.max) { return .int(negative ? -Int64(v) : Int64(v)) }
        if negative && v == UInt64(Int64.max) + 1 { return .int(Int64.min) }
        return .number(negative ? -Double(v) : Double(v))
    }

    // MARK: JSON arrays

    /// A list or map value, or JSON text parsed into one; nil otherwise.
    static func structure(_ v: Value) -> Structure? {
        if case .structure(let s) = v { return s }
        return v.withText { Structure.parse($0) } ?? nil
    }

    /// `jsonArrayContains` membership, case-sensitive: strings by bytes, numbers numerically (so
    /// the text `"42"` of a log field finds the number `42`, as `=` would), `true`/`false` by a
    /// Boolean or that word, maps and lists by their compact JSON text. `null` matches nothing.
    static func element(_ e: Structure, matches v: Value) -> Bool {
        switch e {
        case .null: return false
        case .bool(let b):
            if case .bool(let x) = v { return x == b }
            return v.text == (b ? "true" : "false")
        case .number(let n):
            if case .bool = v { return false }
            guard let d = Double(n), let x = v.number else { return false }
            return x == d
        case .string(let s):
            if case .bool = v { return false }
            return v.text == s
        case .object, .array:
            return v.text == e.json
        }
    }

    // MARK: regexReplace

    static let regexes = LockedCache<ByteRegex>(limit: 256)

    static func regexReplace(_ s: Value, _ p: Value, _ r: Value) -> Value {
        guard let pattern = p.text, let repl = r.text,
              let re = regexes.get(pattern, make: { try? ByteRegex($0) }) else { return .null }
        let template = Replacement(repl, groups: re.captureCount, names: re.captureNames)
        return s.withText { h -> Value in
            // RE2's GlobalReplace: non-overlapping matches left to right; an empty match that abuts
            // the previous match is skipped (one character is copied instead).
            var out = [UInt8]()
            out.reserveCapacity(h.count)
            var p = 0
            var lastEnd = -1
            while p <= h.count, let m = re.firstMatch(h, from: p) {
                let r = m.range
                out.append(contentsOf: h[p..<r.lowerBound])
                if r.isEmpty && r.lowerBound == lastEnd {
                    let n = utf8Length(h, at: r.lowerBound)
                    if r.lowerBound < h.count { out.append(contentsOf: h[r.lowerBound..<(r.lowerBound + n)]) }
                    p = r.lowerBound + n
                    continue
                }
                template.append(m, h, to: &out)
                p = r.upperBound
                lastEnd = p
            }
            if p < h.count { out.append(contentsOf: h[p...]) }
            return .string(String(decoding: out, as: UTF8.self))
        } ?? .null
    }

    /// Bytes in the UTF-8 sequence starting at `i` (1 for invalid lead bytes or at the end).
    static func utf8Length(_ h: UnsafeRawBufferPointer, at i: Int) -> Int {
        guard i < h.count else { return 1 }
        let c = h[i]
        let n = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4
        return Swift.min(n, h.count - i)
    }
}

/// A regexReplace replacement: `$1`…, `${1}`, `${name}`, `\1`…; `$$` is a dollar sign and a
/// backslash escapes the next character. Multi-digit references take as many digits as name an
/// existing group (Java's rule). A reference to a group that did not participate inserts nothing.
struct Replacement {
    enum Piece { case literal([UInt8]), group(Int) }
    var pieces: [Piece] = []

    init(_ text: String, groups: Int, names: [String?]) {
        let b = Array(text.utf8)
        var lit: [UInt8] = []
        func flush() { if !lit.isEmpty { pieces.append(.literal(lit)); lit = [] } }
        func number(_ i: inout Int) -> Int? {
            guard i < b.count, Bytes.isDigit(b[i]) else { return nil }
            var g = Int(b[i] - 0x30)
            i += 1
            while i < b.count, Bytes.isDigit(b[i]), g * 10 + Int(b[i] - 0x30) <= groups { g = g * 10 + Int(b[i] - 0x30); i += 1 }
            return g
        }
        var i = 0
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "$"), i + 1 < b.count {
                var j = i + 1
                if b[j] == UInt8(ascii: "$") { lit.append(c); i += 2; continue }
                if b[j] == UInt8(ascii: "{"), let close = b[(j + 1)...].firstIndex(of: UInt8(ascii: "}")) {
                    let name = String(decoding: b[(j + 1)..<close], as: UTF8.self)
                    var g: Int? = Int(name)
                    if g == nil, let k = names.firstIndex(where: { $0 == name }) { g = k + 1 }
                    if let g { flush(); pieces.append(.group(g)); i = close + 1; continue }
                }
                if let g = number(&j) { flush(); pieces.append(.group(g)); i = j; continue }
            } else if c == UInt8(ascii: "\\"), i + 1 < b.count {
                var j = i + 1
                if let g = number(&j) { flush(); pieces.append(.group(g)); i = j; continue }
                lit.append(b[i + 1])
                i += 2
                continue
            }
            lit.append(c)
            i += 1
        }
        flush()
    }

    func append(_ m: RegexMatch, _ h: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        for p in pieces {
            switch p {
            case .literal(let l): out.append(contentsOf: l)
            case .group(let g):
                if g < m.spans.count, let r = m.spans[g] { out.append(contentsOf: h[r]) }
            }
        }
    }
}

/// A small thread-safe memo keyed by string (compiled regexes, date patterns, time zones). Failed
/// builds are remembered too. When full it is simply emptied.
final class LockedCache<V>: @unchecked Sendable {
    private var entries: [String: V?] = [:]
    private let lock = NSLock()
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    func get(_ key: String, make: (String) -> V?) -> V? {
        lock.lock()
        if let hit = entries[key] { lock.unlock(); return hit }
        lock.unlock()
        let made = make(key)
        lock.lock()
        if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
        entries[key] = .some(made)
        lock.unlock()
        return made
    }
}

// MARK: - IP ranges

/// Address classes for `isPrivateIP`, `isPublicIP` and `isReservedIP`.
///
/// * private: RFC 1918 (10/8, 172.16/12, 192.168/16) and IPv6 unique-local fc00::/7;
/// * reserved: the other IANA special-purpose ranges (0/8, 100.64/10, 127/8, 169.254/16, 192.0.0/24,
///   192.0.2/24, 192.88.99/24, 198.18/15, 198.51.100/24, 203.0.113/24, 224/4, 240/4 including
///   255.255.255.255; IPv6 ::, ::1, fe80::/10, ff00::/8, 2001:db8::/32 and everything outside the
///   global-unicast block 2000::/3). `isReservedIP` is true for private addresses too;
/// * public: every other valid address.
/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are classified as their IPv4 address.
enum IPRanges {
    enum Class { case invalid, privateRange, reserved, publicRange }

    static let v4Private: [(UInt32, Int)] = [(0x0A00_0000, 8), (0xAC10_0000, 12), (0xC0A8_0000, 16)]
    static let v4Reserved: [(UInt32, Int)] = [
        (0x0000_0000, 8), (0x6440_0000, 10), (0x7F00_0000, 8), (0xA9FE_0000, 16), (0xC000_0000, 24), (0xC000_0200, 24),
        (0xC058_6300, 24), (0xC612_0000, 15), (0xC633_6400, 24), (0xCB00_7100, 24), (0xE000_0000, 4), (0xF000_0000, 4),
    ]

    static func inV4(_ a: UInt32, _ ranges: [(UInt32, Int)]) -> Bool {
        ranges.contains { net, bits in a & (bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)) == net }
    }

    static func inV6(_ a: [UInt8], _ prefix: [UInt8], _ bits: Int) -> Bool {
        for i in 0..<16 {
            let b = Swift.min(8, Swift.max(0, bits - i * 8))
            if b == 0 { break }
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - b))
            let p = i < prefix.count ? prefix[i] : 0
            if a[i] & mask != p & mask { return false }
        }
        return true
    }

    static func classify(_ text: String) -> Class {
        let s = Substring(text)
        if let a = IP.v4(s) { return classify(v4: a) }
        guard let a = IP.v6(s) else { return .invalid }
        if a[0..<10].allSatisfy({ $0 == 0 }), a[10] == 0xff, a[11] == 0xff {
            return classify(v4: UInt32(a[12]) << 24 | UInt32(a[13]) << 16 | UInt32(a[14]) << 8 | UInt32(a[15]))
        }
        if inV6(a, [0xfc], 7) { return .privateRange }
        if !inV6(a, [0x20], 3) || inV6(a, [0x20, 0x01, 0x0d, 0xb8], 32) { return .reserved }
        return .publicRange
    }

    static func classify(v4 a: UInt32) -> Class {
        if inV4(a, v4Private) { return .privateRange }
        if inV4(a, v4Reserved) { return .reserved }
        return .publicRange
    }
}

// MARK: - Time zones

/// A zone for parseDate/formatDate: a fixed offset or a named IANA zone (with daylight saving).
enum Zone: Sendable {
    case fixed(Int)  // seconds east of UTC
    case named(TimeZone)

    static let utc = Zone.fixed(0)
    private static let cache = LockedCache<Zone>(limit: 128)

    /// `UTC`, `GMT`, `Z`, an offset (`+02:00`, `-0800`, `+2`), `UTC+02:00`/`GMT-8`, or an IANA
    /// zone ID (`America/New_York`, resolved through Foundation's TimeZone). nil when unknown.
    static func named(_ text: String) -> Zone? {
        cache.get(text) { parse(String(F26.trimmed($0))) }
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

// MARK: - Calendar helpers

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
        guard n >= min, n > 0 else { return nil }
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

    static func format(_ utcMs: Int64, _ fmt: String, _ zone: Zone) -> String {
        let offset = zone.offset(utcMs: utcMs)
        let local = utcMs + Int64(offset) * 1000
        let days = Int(CalendarMath.floorDiv(local, 86_400_000))
        let msOfDay = Int(local - Int64(days) * 86_400_000)
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
