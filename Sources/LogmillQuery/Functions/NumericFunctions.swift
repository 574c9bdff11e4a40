import Foundation

/// Arithmetic and number conversions: `abs`, `ceil`, `floor`, `greatest`, `least`, `log`, `sqrt`,
/// `round`, `haversine`, `toNumber`, `toInt`, `toLong`, `toDouble`, `isNumeric`.
enum NumericFunctions {
    static let registered: [RegisteredFunction] = [
        RegisteredFunction(.abs, arity: 1...1),
        RegisteredFunction(.ceil, arity: 1...1),
        RegisteredFunction(.floor, arity: 1...1),
        RegisteredFunction(.greatest, arity: 1...100),
        RegisteredFunction(.least, arity: 1...100),
        RegisteredFunction(.log, arity: 1...1),
        RegisteredFunction(.sqrt, arity: 1...1),
        RegisteredFunction(name: "round", arity: 1...2, usage: "round(x [, decimals])") { args, _ in
            guard let x = args[0].number else { return .null }
            let d = args.count > 1 ? (args[1].number ?? 0) : 0
            guard !d.isNaN else { return .null }
            var p = 1.0
            for _ in 0..<Int(max(0, min(15, d))) { p *= 10 }
            return .number((x * p).rounded(.toNearestOrAwayFromZero) / p)
        },
        RegisteredFunction(name: "haversine", arity: 4...4, usage: "haversine(lat1, lon1, lat2, lon2)") { a, _ in
            guard let lat1 = a[0].number, let lon1 = a[1].number, let lat2 = a[2].number, let lon2 = a[3].number else { return .null }
            return .number(NumericFunctions.haversine(lat1, lon1, lat2, lon2))
        },
        RegisteredFunction(name: "toNumber", arity: 1...1, usage: "toNumber(s)") { a, _ in NumericFunctions.toNumber(a[0]) },
        RegisteredFunction(name: "toInt", arity: 1...1, usage: "toInt(v)") { a, _ in
            guard let i = NumericFunctions.integer(a[0]), i >= Int64(Int32.min), i <= Int64(Int32.max) else { return .null }
            return .int(i)
        },
        RegisteredFunction(name: "toLong", arity: 1...1, usage: "toLong(v)") { a, _ in
            NumericFunctions.integer(a[0]).map { .int($0) } ?? .null
        },
        RegisteredFunction(name: "toDouble", arity: 1...1, usage: "toDouble(v)") { a, _ in
            a[0].number.map { .number($0) } ?? .null
        },
        RegisteredFunction(name: "isNumeric", arity: 1...1, usage: "isNumeric(x)") { a, _ in .bool(NumericFunctions.isNumeric(a[0])) },
    ]

    /// `greatest`/`least` of `count` arguments read by `argument(i)`: null as soon as one is
    /// missing or not a number (a function of a missing operand is missing), NaN if one is NaN.
    @inline(__always) static func extreme(_ count: Int, greatest: Bool, _ argument: (Int) -> Value) -> Value {
        var best = greatest ? -Double.infinity : Double.infinity
        for i in 0..<count {
            guard let n = argument(i).number else { return .null }
            if n.isNaN { return .number(n) }
            if greatest ? n > best : n < best { best = n }
        }
        return .number(best)
    }

    /// Mean Earth radius in km (IUGG).
    static let earthRadiusKm = 6371.0

    static func haversine(_ lat1: Double, _ lon1: Double, _ lat2: Double, _ lon2: Double) -> Double {
        let r = Double.pi / 180
        let dLat = (lat2 - lat1) * r, dLon = (lon2 - lon1) * r
        let s1 = Foundation.sin(dLat / 2), s2 = Foundation.sin(dLon / 2)
        let h = s1 * s1 + Foundation.cos(lat1 * r) * Foundation.cos(lat2 * r) * s2 * s2
        return 2 * earthRadiusKm * Foundation.asin(Swift.min(1, h.squareRoot()))
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
            let t = StringFunctions.trimmed(s)
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
            if let i = Int64(StringFunctions.trimmed(s)) { return i }
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
}
