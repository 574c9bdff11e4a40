import Glibc
import LogmillRecords

/// A value in a query row. `bytes` borrows from the record being evaluated and must be turned into
/// an owned value (`owned()`) before it outlives that record.
public enum Value {
    case null
    case number(Double)
    /// Counts and other whole results that render without a fraction.
    case int(Int64)
    case bytes(UnsafeRawBufferPointer)
    case string(String)
    /// Epoch milliseconds.
    case timestamp(Int64)
    case bool(Bool)
    /// A map or list from `jsonParse`. It compares false with everything and acts as null in functions.
    case structure(Structure)

    @inline(__always) public var isNull: Bool { if case .null = self { return true }; return false }

    /// A copy that does not borrow from a record.
    public func owned() -> Value {
        if case .bytes(let b) = self { return .string(String(decoding: b, as: UTF8.self)) }
        return self
    }

    /// The numeric reading: numbers, timestamps (ms), Booleans (1/0), and text that is a whole number literal.
    @inline(__always) public var number: Double? {
        switch self {
        case .number(let d): return d
        case .int(let i): return Double(i)
        case .timestamp(let t): return Double(t)
        case .bool(let b): return b ? 1 : 0
        case .structure: return nil
        case .bytes(let b): return Value.parseNumber(b)
        case .string(var s): return s.withUTF8 { Value.parseNumber(UnsafeRawBufferPointer($0)) }
        case .null: return nil
        }
    }

    /// The number a value counts as when values are told apart (`stats … by`, `dedup`,
    /// `count_distinct`): `number`, with -0 as 0 and every NaN as one, except text beyond 2^53 in
    /// magnitude, whose digits a double cannot keep apart (19-digit IDs): that stays text.
    @inline(__always) var keyNumber: Double? {
        guard let d = number else { return nil }
        if isText && Swift.abs(d) >= 9_007_199_254_740_992 { return nil }
        return d == 0 ? 0 : (d.isNaN ? .nan : d)
    }

    /// Parses text that is entirely a decimal number (optional sign, fraction and exponent, surrounding spaces allowed).
    @inline(__always) static func parseNumber(_ b: UnsafeRawBufferPointer) -> Double? {
        var s = 0, e = b.count
        while s < e, b[s] == 0x20 { s += 1 }
        while e > s, b[e - 1] == 0x20 { e -= 1 }
        guard s < e else { return nil }
        let c = b[s]
        guard Bytes.isDigit(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") else { return nil }
        guard let r = Bytes.parseDouble(b, from: s, to: e), r.end == e else { return nil }
        return r.value
    }

    /// Calls `body` with the UTF-8 text of a value (numbers and timestamps rendered as Insights shows them).
    @inline(__always) public func withText<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R? {
        switch self {
        case .bytes(let b): return body(b)
        case .string(var s): return s.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        case .null, .structure: return nil
        default:
            var s = render()!
            return s.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        }
    }

    /// The value as text, nil for null.
    public var text: String? {
        switch self {
        case .string(let s): return s
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        default: return render()
        }
    }

    /// Whether the value is text (as opposed to a number, timestamp or Boolean).
    @inline(__always) public var isText: Bool {
        switch self {
        case .bytes, .string: return true
        default: return false
        }
    }

    /// Renders as the Insights console and API do.
    public func render() -> String? {
        switch self {
        case .null: return nil
        case .number(let d): return formatJavaDouble(d)
        case .int(let i): return String(i)
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        case .string(let s): return s
        case .timestamp(let t): return Timestamps.render(t)
        case .bool(let b): return b ? "1" : "0"
        case .structure(let s): return s.json
        }
    }

    /// Truthiness in `filter`: Booleans, non-zero numbers; text is true when it is non-empty and not "0"/"false".
    @inline(__always) public var isTrue: Bool {
        switch self {
        case .bool(let b): return b
        case .number(let d): return d != 0 && !d.isNaN
        case .int(let i): return i != 0
        case .null: return false
        case .timestamp, .structure: return true
        case .bytes, .string:
            return withText { t in !(t.count == 0 || (t.count == 1 && t[0] == UInt8(ascii: "0")) || (t.count == 5 && Bytes.hasPrefix(t, "false"))) } ?? false
        }
    }
}

// MARK: - Comparison

extension Value {
    /// Three-way comparison for `=`, `<`, … : numeric when both sides read as numbers, otherwise
    /// by UTF-8 bytes (code point order). nil when either side is null.
    @inline(__always) public static func compare(_ a: Value, _ b: Value) -> Int? {
        if a.isNull || b.isNull { return nil }
        if case .structure = a { return nil }
        if case .structure = b { return nil }
        if case .timestamp(let x) = a, case .timestamp(let y) = b { return x < y ? -1 : (x > y ? 1 : 0) }
        if let x = a.number, let y = b.number {
            return x < y ? -1 : (x > y ? 1 : (x == y ? 0 : nil))
        }
        return compareText(a, b)
    }

    @inline(__always) static func compareText(_ a: Value, _ b: Value) -> Int? {
        a.withText { ta in b.withText { tb in compareBytes(ta, tb) } ?? 0 }
    }

    @inline(__always) public static func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        if n > 0 {
            let r = memcmp(a.baseAddress!, b.baseAddress!, n)
            if r != 0 { return r < 0 ? -1 : 1 }
        }
        return a.count < b.count ? -1 : (a.count > b.count ? 1 : 0)
    }

    /// Equality as `=` and `in` use it.
    @inline(__always) public static func equals(_ a: Value, _ b: Value) -> Bool? {
        guard let c = compare(a, b) else { return nil }
        return c == 0
    }
}

// MARK: - Number rendering

/// Formats a double as Java's `Double.toString` does, which is how Insights renders numbers:
/// `15.0`, `14.97`, `1.28E8`, `1.0E-4`.
public func formatJavaDouble(_ d: Double) -> String {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
    if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
    let a = abs(d)
    if a >= 1e-3 && a < 1e7 {
        let s = "\(d)"
        if s.contains("e") { return plainFromDigits(d) }
        return s
    }
    // Shortest round-trip digits from Swift, reassembled in Java's scientific form.
    let (digits, exponent) = shortestDigits(a)
    var out = d < 0 ? "-" : ""
    out.append(digits.first!)
    out.append(".")
    out.append(digits.count > 1 ? String(digits.dropFirst()) : "0")
    out.append("E")
    out.append(String(exponent))
    return out
}

/// Digits without leading/trailing zeros and the decimal exponent of the first digit.
func shortestDigits(_ a: Double) -> (String, Int) {
    let s = "\(a)"
    var mantissa = s
    var exp = 0
    if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = String(s[..<e])
        exp = Int(s[s.index(after: e)...]) ?? 0
    }
    let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
    let intPart = String(parts[0])
    let fracPart = parts.count > 1 ? String(parts[1]) : ""
    var all = intPart + fracPart
    var pointPos = intPart.count + exp        // digits before the decimal point
    while all.hasPrefix("0") && all.count > 1 { all.removeFirst(); pointPos -= 1 }
    while all.hasSuffix("0") && all.count > 1 { all.removeLast() }
    return (all, pointPos - 1)
}

func plainFromDigits(_ d: Double) -> String {
    let (digits, e) = shortestDigits(abs(d))
    var out = d < 0 ? "-" : ""
    if e < 0 {
        out += "0." + String(repeating: "0", count: -e - 1) + digits
    } else if digits.count > e + 1 {
        out += String(digits.prefix(e + 1)) + "." + String(digits.dropFirst(e + 1))
    } else {
        out += digits + String(repeating: "0", count: e + 1 - digits.count) + ".0"
    }
    return out
}
