import Foundation
import LogmillRecords

/// Scalar functions usable in `fields`, `filter`, `display` and inside aggregates.
enum ScalarFunction: String, CaseIterable {
    // general
    case ispresent, coalesce, isempty, isblank, unmask
    // JSON structures (Tier 2)
    case jsonparse, jsonstringify
    // string
    case concat, ltrim, rtrim, trim, strlen, toupper, tolower, substr, replace, strcontains
    // numeric
    case abs, ceil, floor, greatest, least, log, sqrt
    // datetime
    case bin, datefloor, dateceil, frommillis, tomillis, now
    // IP
    case isvalidip, isvalidipv4, isvalidipv6, isipinsubnet, isipv4insubnet, isipv6insubnet

    var arity: ClosedRange<Int> {
        switch self {
        case .ispresent, .isempty, .isblank, .unmask, .jsonparse, .jsonstringify, .strlen, .toupper, .tolower, .abs, .ceil, .floor, .log, .sqrt,
             .frommillis, .tomillis, .isvalidip, .isvalidipv4, .isvalidipv6, .bin:
            return 1...1
        case .coalesce, .concat, .greatest, .least: return 1...100
        case .ltrim, .rtrim, .trim: return 1...2
        case .substr: return 2...3
        case .replace: return 3...3
        case .strcontains: return 2...3
        case .datefloor, .dateceil, .isipinsubnet, .isipv4insubnet, .isipv6insubnet: return 2...2
        case .now: return 0...0
        }
    }

    var usage: String {
        switch self {
        case .bin: return "bin(5m)"
        case .datefloor: return "datefloor(@timestamp, 1h)"
        case .dateceil: return "dateceil(@timestamp, 1h)"
        case .substr: return "substr(s, start [, length])"
        case .replace: return "replace(s, search, replacement)"
        case .strcontains: return "strcontains(s, search)"
        case .isipinsubnet: return "isIpInSubnet(ip, \"10.0.0.0/8\")"
        default: return "\(rawValue)(...)"
        }
    }
}

/// Aggregate functions usable only in `stats`.
enum AggregateFunction: String, CaseIterable {
    case count, count_distinct, sum, avg, min, max, stddev, pct, earliest, latest, sortsfirst, sortslast

    var arity: ClosedRange<Int> {
        switch self {
        case .count: return 0...1
        case .pct: return 2...2
        default: return 1...1
        }
    }
}

enum FunctionLibrary {
    static var allNames: [String] {
        ScalarFunction.allCases.map(\.rawValue) + AggregateFunction.allCases.map(\.rawValue) + FunctionRegistry.functions.map(\.name) +
            ["isValidIpV4", "isIpInSubnet", "fromMillis", "toMillis", "dateFloor", "sortsFirst", "sortsLast", "jsonParse", "jsonStringify"]
    }

    /// Names from other query languages, with what to write instead.
    static let foreign: [String: String] = [
        "percentile": "use pct(field, 95)", "median": "use pct(field, 50)", "lower": "use tolower(s)", "upper": "use toupper(s)",
        "substring": "use substr(s, start, length)", "len": "use strlen(s)", "length": "use strlen(s)",
        "parse_json": "use jsonParse(s)", "ifnull": "use coalesce(a, b)",
        "regex_extract": "use parse with a named group", "count_if": "use sum(strcontains(...)) or filter before stats",
    ]
}

// MARK: - implementations

enum Fn {
    @inline(__always) static func number(_ v: Value) -> Double? { v.number }

    static func strlen(_ v: Value) -> Value {
        guard let n = v.withText({ b -> Int in
            var count = 0
            for c in b where c & 0xC0 != 0x80 { count += 1 }
            return count
        }) else { return .null }
        return .int(Int64(n))
    }

    static func isBlank(_ v: Value, whitespace: Bool) -> Value {
        guard let r = v.withText({ b -> Bool in
            if b.count == 0 { return true }
            if !whitespace { return false }
            for c in b where !Bytes.isSpace(c) { return false }
            return true
        }) else { return .int(1) }
        return .int(r ? 1 : 0)
    }

    static func trim(_ v: Value, _ chars: Value?, left: Bool, right: Bool) -> Value {
        guard let s = v.text else { return .null }
        let set: Set<Character>? = chars.flatMap { $0.text }.map { Set($0) }
        func drop(_ c: Character) -> Bool { set.map { $0.contains(c) } ?? c.isWhitespace }
        var chars = Substring(s)
        if left { while let f = chars.first, drop(f) { chars.removeFirst() } }
        if right { while let l = chars.last, drop(l) { chars.removeLast() } }
        return .string(String(chars))
    }

    static func substr(_ v: Value, _ start: Value, _ len: Value?) -> Value {
        guard let s = v.text, let st = start.number else { return .null }
        let scalars = Array(s.unicodeScalars)
        var from = Int(st)
        if from < 0 { from = max(0, scalars.count + from) }
        guard from <= scalars.count else { return .string("") }
        var to = scalars.count
        if let l = len { guard let n = l.number else { return .null }; to = min(scalars.count, from + max(0, Int(n))) }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[from..<to])
        return .string(String(out))
    }

    static func replace(_ v: Value, _ search: Value, _ repl: Value) -> Value {
        guard let s = v.text, let f = search.text, let r = repl.text else { return .null }
        if f.isEmpty { return .string(s) }
        return .string(s.replacingOccurrences(of: f, with: r))
    }

    static func contains(_ v: Value, _ search: Value, caseInsensitive: Bool) -> Value {
        guard let s = search.text else { return .null }
        if caseInsensitive {
            guard let t = v.text else { return .null }
            return .int(t.lowercased().contains(s.lowercased()) ? 1 : 0)
        }
        var needle = s
        let r: Bool? = needle.withUTF8 { n in
            v.withText { h in n.count == 0 || Bytes.find(UnsafeRawBufferPointer(n), in: h, from: 0, to: h.count) != nil }
        }
        guard let found = r else { return .null }
        return .int(found ? 1 : 0)
    }

    static func concat(_ args: [Value]) -> Value {
        var out = ""
        for a in args {
            guard let t = a.text else { continue }
            out += t
        }
        return .string(out)
    }

    static func extreme(_ args: [Value], greatest: Bool) -> Value {
        var best: Double? = nil
        for a in args {
            guard let n = a.number else { continue }
            if best == nil || (greatest ? n > best! : n < best!) { best = n }
        }
        return best.map { .number($0) } ?? .null
    }

    static func timestamp(_ v: Value) -> Int64? {
        switch v {
        case .timestamp(let t): return t
        case .number(let d): return Int64(d)
        case .int(let i): return i
        case .bytes, .string:
            if let t = v.withText({ b -> Int64? in
                if let (ms, end) = Timestamps.parseISO8601(b), end == b.count { return ms }
                return nil
            }) ?? nil { return t }
            return v.number.map { Int64($0) }
        default: return nil
        }
    }
}

// MARK: - IP addresses

enum IP {
    /// Parses dotted-quad IPv4 text.
    static func v4(_ s: Substring) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), let n = UInt32(p), n <= 255 else { return nil }
            if p.count > 1 && p.first == "0" { return nil }
            v = v << 8 | n
        }
        return v
    }

    /// Parses IPv6 text (with `::` and an embedded IPv4 tail) into 16 bytes.
    static func v6(_ s: Substring) -> [UInt8]? {
        guard s.contains(":"), !s.isEmpty else { return nil }
        var head: [UInt16] = [], tail: [UInt16] = []
        let halves = s.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String, allowV4: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let items = part.split(separator: ":", omittingEmptySubsequences: false)
            for (k, item) in items.enumerated() {
                if k == items.count - 1, allowV4, item.contains("."), let v = v4(item) {
                    out.append(UInt16(v >> 16)); out.append(UInt16(v & 0xffff))
                    continue
                }
                guard !item.isEmpty, item.count <= 4, let g = UInt16(item, radix: 16) else { return nil }
                out.append(g)
            }
            return out
        }
        if halves.count == 2 {
            guard let h = groups(halves[0], allowV4: false), let t = groups(halves[1], allowV4: true), h.count + t.count < 8 else { return nil }
            head = h; tail = t
        } else {
            guard let h = groups(halves[0], allowV4: true), h.count == 8 else { return nil }
            head = h
        }
        let all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        var bytes: [UInt8] = []
        for g in all { bytes.append(UInt8(g >> 8)); bytes.append(UInt8(g & 0xff)) }
        return bytes
    }

    static func inSubnet(_ ipText: String, _ cidr: String, v4Only: Bool, v6Only: Bool) -> Bool {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let bits = Int(parts[1]) else { return false }
        let ip = Substring(ipText)
        if !v6Only, let a = v4(ip), let net = v4(parts[0]) {
            guard bits >= 0 && bits <= 32 else { return false }
            let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
            return a & mask == net & mask
        }
        if !v4Only, let a = v6(ip), let net = v6(parts[0]) {
            guard bits >= 0 && bits <= 128 else { return false }
            for i in 0..<16 {
                let b = min(8, max(0, bits - i * 8))
                let mask: UInt8 = b == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - b))
                if a[i] & mask != net[i] & mask { return false }
            }
            return true
        }
        return false
    }
}
