import CZlib
import Glibc
import CZlib

/// Small byte-level helpers shared by the hot paths. Nothing here allocates.
public enum Bytes {
    @inlinable public static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
    @inlinable public static func isHexDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 || (c | 0x20) &- 0x61 < 6 }
    @inlinable public static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0b || c == 0x0c }

    /// Index of the first `byte` in `buf[from..<to]`, or nil.
    @inlinable public static func find(_ byte: UInt8, in buf: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        guard from < to, let base = buf.baseAddress else { return nil }
        guard let p = memchr(base + from, Int32(byte), to - from) else { return nil }
        return UnsafeRawPointer(p) - base
    }

    /// Index of the last `byte` in `buf[from..<to]`, or nil.
    @inlinable public static func findLast(_ byte: UInt8, in buf: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        guard from < to, let base = buf.baseAddress else { return nil }
        guard let p = memrchr(base + from, Int32(byte), to - from) else { return nil }
        return UnsafeRawPointer(p) - base
    }

    /// Index of the first occurrence of `needle` in `buf[from..<to]`, or nil.
    @inlinable public static func find(_ needle: UnsafeRawBufferPointer, in buf: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        guard from < to, let base = buf.baseAddress, let nb = needle.baseAddress else { return nil }
        guard let p = memmem(base + from, to - from, nb, needle.count) else { return nil }
        return UnsafeRawPointer(p) - base
    }

    /// True when `buf[at...]` starts with `prefix`.
    @inlinable public static func hasPrefix(_ buf: UnsafeRawBufferPointer, at: Int = 0, _ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard buf.count - at >= n else { return false }
        return same(buf.baseAddress! + at, UnsafeRawPointer(prefix.utf8Start), n)
    }

    /// Whether `n` bytes at `a` and `b` are equal. Short runs (field names, literals being verified)
    /// are compared 8 bytes at a time in line, where a call to `memcmp` would cost more than they do.
    @inlinable public static func same(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
        if n > 32 || n < 8 { return memcmp(a, b, n) == 0 }
        var i = 0
        while i + 8 <= n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        // The last 8 bytes, overlapping those compared already.
        return i == n || a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    }

    /// Byte-wise equality of two buffers.
    @inlinable public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    /// Number of `\n` bytes in the buffer.
    public static func countNewlines(_ buf: UnsafeRawBufferPointer) -> Int { count(0x0a, in: buf) }

    /// Number of `byte`s in the buffer, 16 bytes per step (compare, then subtract the all-ones mask).
    public static func count(_ byte: UInt8, in buf: UnsafeRawBufferPointer) -> Int {
        guard let base = buf.baseAddress else { return 0 }
        let n = buf.count
        var count = 0
        var i = 0
        let target = SIMD16<Int8>(repeating: Int8(bitPattern: byte))
        // 64 bytes per step into four independent lane counters (each step adds at most 1 per lane).
        while i + 64 <= n {
            var l0 = SIMD16<Int8>(repeating: 0), l1 = l0, l2 = l0, l3 = l0
            var steps = 0
            while steps < 127 && i + 64 <= n {
                l0 &-= unsafeBitCast(base.loadUnaligned(fromByteOffset: i, as: SIMD16<Int8>.self) .== target, to: SIMD16<Int8>.self)
                l1 &-= unsafeBitCast(base.loadUnaligned(fromByteOffset: i + 16, as: SIMD16<Int8>.self) .== target, to: SIMD16<Int8>.self)
                l2 &-= unsafeBitCast(base.loadUnaligned(fromByteOffset: i + 32, as: SIMD16<Int8>.self) .== target, to: SIMD16<Int8>.self)
                l3 &-= unsafeBitCast(base.loadUnaligned(fromByteOffset: i + 48, as: SIMD16<Int8>.self) .== target, to: SIMD16<Int8>.self)
                i += 64
                steps += 1
            }
            count += Int(SIMD16<Int16>(truncatingIfNeeded: l0).wrappedSum()) + Int(SIMD16<Int16>(truncatingIfNeeded: l1).wrappedSum())
                + Int(SIMD16<Int16>(truncatingIfNeeded: l2).wrappedSum()) + Int(SIMD16<Int16>(truncatingIfNeeded: l3).wrappedSum())
        }
        while i + 16 <= n {
            // Lane counters hold at most 127 before they would overflow: fold them in every 127 steps.
            var lanes = SIMD16<Int8>(repeating: 0)
            var steps = 0
            while steps < 127 && i + 16 <= n {
                let v = base.loadUnaligned(fromByteOffset: i, as: SIMD16<Int8>.self)
                lanes &-= unsafeBitCast(v .== target, to: SIMD16<Int8>.self)
                i += 16
                steps += 1
            }
            count += Int(SIMD16<Int16>(truncatingIfNeeded: lanes).wrappedSum())
        }
        while i < n {
            if base.load(fromByteOffset: i, as: UInt8.self) == byte { count += 1 }
            i += 1
        }
        return count
    }

    /// Parses a decimal number (optional sign, digits, optional fraction, optional exponent) spanning the whole buffer.
    public static func parseDouble(_ buf: UnsafeRawBufferPointer) -> Double? {
        guard let r = parseDouble(buf, from: 0, to: buf.count), r.end == buf.count else { return nil }
        return r.value
    }

    /// Parses the longest decimal number starting at `from`; returns its value and end index.
    /// The common case of `parseDouble`, in one pass and in line: unsigned digits with an optional
    /// fraction, at most 15 digits (so the integer is exact) and no exponent; nil for anything else
    /// (which `parseDouble` reads the general way). Where it answers, it answers as `parseDouble`.
    @inline(__always) public static func parsePlainDecimal(_ buf: UnsafeRawBufferPointer, from: Int, to: Int) -> (value: Double, end: Int)? {
        guard let base = buf.baseAddress else { return nil }
        var k = from, mantissa: UInt64 = 0, digits = 0, fraction = 0
        while k < to {
            let d = base.load(fromByteOffset: k, as: UInt8.self) &- 0x30
            if d >= 10 { break }
            mantissa = mantissa &* 10 &+ UInt64(d)
            digits += 1
            k += 1
        }
        if k < to, base.load(fromByteOffset: k, as: UInt8.self) == UInt8(ascii: ".") {
            k += 1
            while k < to {
                let d = base.load(fromByteOffset: k, as: UInt8.self) &- 0x30
                if d >= 10 { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                digits += 1
                fraction += 1
                k += 1
            }
        }
        guard digits > 0 && digits <= 15 && (k == to || base.load(fromByteOffset: k, as: UInt8.self) | 0x20 != UInt8(ascii: "e")) else { return nil }
        let v = Double(mantissa)
        return (fraction == 0 ? v : v / pow10(fraction), k)
    }

    public static func parseDouble(_ buf: UnsafeRawBufferPointer, from: Int, to: Int) -> (value: Double, end: Int)? {
        if let plain = parsePlainDecimal(buf, from: from, to: to) { return plain }
        var i = from
        var negative = false
        if i < to {
            let c = buf[i]
            if c == UInt8(ascii: "-") { negative = true; i += 1 } else if c == UInt8(ascii: "+") { i += 1 }
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        var sawDigit = false
        var overflow = false
        while i < to, isDigit(buf[i]) {
            sawDigit = true
            if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(buf[i] &- 0x30); if mantissa != 0 { digits += 1 } } else { scale += 1; overflow = true }
            i += 1
        }
        if i < to, buf[i] == UInt8(ascii: ".") {
            var j = i + 1
            var fracDigit = false
            while j < to, isDigit(buf[j]) {
                fracDigit = true
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(buf[j] &- 0x30); if mantissa != 0 { digits += 1 }; scale -= 1 } else { overflow = true }
                j += 1
            }
            if fracDigit || sawDigit { sawDigit = sawDigit || fracDigit; i = j }
        }
        guard sawDigit else { return nil }
        var exp = 0
        if i < to, buf[i] | 0x20 == UInt8(ascii: "e") {
            var j = i + 1
            var eneg = false
            if j < to, buf[j] == UInt8(ascii: "-") || buf[j] == UInt8(ascii: "+") { eneg = buf[j] == UInt8(ascii: "-"); j += 1 }
            var e = 0
            var any = false
            while j < to, isDigit(buf[j]) { any = true; if e < 10000 { e = e * 10 + Int(buf[j] &- 0x30) }; j += 1 }
            if any { exp = eneg ? -e : e; i = j }
        }
        let totalScale = scale + exp
        var value: Double
        if !overflow && mantissa < (1 << 53) && totalScale >= -22 && totalScale <= 22 {
            // Both operands exact: one correctly rounded operation.
            value = Double(mantissa)
            if totalScale < 0 { value /= pow10(-totalScale) } else if totalScale > 0 { value *= pow10(totalScale) }
        } else {
            // Rare: defer to the C library for correct rounding.
            var tmp = [CChar](repeating: 0, count: i - from + 1)
            for k in from..<i { tmp[k - from] = CChar(bitPattern: buf[k]) }
            value = strtod(tmp, nil)
            return (value, i)
        }
        return (negative ? -value : value, i)
    }

    /// 10^e for 0 ≤ e ≤ 22 (exact in a Double). A switch rather than a global array: a global is
    /// checked for initialisation (`swift_once`) on every number parsed.
    @inline(__always) static func pow10(_ e: Int) -> Double {
        switch e {
        case 0: return 1e0
        case 1: return 1e1
        case 2: return 1e2
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        case 15: return 1e15
        case 16: return 1e16
        case 17: return 1e17
        case 18: return 1e18
        case 19: return 1e19
        case 20: return 1e20
        case 21: return 1e21
        case 22: return 1e22
        default: return 1
        }
    }
}

/// 128 bytes of nothing. Objects that each worker writes on every line (its decoder, evaluation
/// context, consumer and partial results) start and end with one, so two workers' objects, allocated
/// next to each other, never share a cache line: without it, how the allocator happened to place
/// them made the same scan up to a third slower from one build or run to the next.
public struct CacheLinePad {
    var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    public init() {}
}
