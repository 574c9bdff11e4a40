import LogmillRecords

/// URL, Base64 and hexadecimal encodings: `urlencode`, `urldecode`, `base64encode`,
/// `base64decode`, `hexToAscii`, `hexToDec`, `decToHex`.
enum EncodingFunctions {
    static let registered: [RegisteredFunction] = [
        RegisteredFunction(name: "urlencode", arity: 1...1, usage: "urlencode(s)") { a, _ in
            a[0].withText { .string(EncodingFunctions.urlencode($0)) } ?? .null
        },
        RegisteredFunction(name: "urldecode", arity: 1...1, usage: "urldecode(s)") { a, _ in
            a[0].withText { .string(EncodingFunctions.urldecode($0)) } ?? .null
        },
        RegisteredFunction(name: "base64encode", arity: 1...1, usage: "base64encode(s)") { a, _ in
            a[0].withText { .string(EncodingFunctions.base64encode($0)) } ?? .null
        },
        RegisteredFunction(name: "base64decode", arity: 1...1, usage: "base64decode(s)") { a, _ in
            (a[0].withText { EncodingFunctions.base64decode($0) } ?? nil).map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null
        },
        RegisteredFunction(name: "hexToAscii", arity: 1...1, usage: "hexToAscii(\"48656c6c6f\")") { a, _ in
            (a[0].withText { EncodingFunctions.hexBytes($0) } ?? nil).map { .string(String(decoding: $0, as: UTF8.self)) } ?? .null
        },
        RegisteredFunction(name: "hexToDec", arity: 1...1, usage: "hexToDec(\"0xff\")") { a, _ in
            a[0].withText { EncodingFunctions.hexToDec($0) } ?? .null
        },
        RegisteredFunction(name: "decToHex", arity: 1...1, usage: "decToHex(255)") { a, _ in
            guard let i = NumericFunctions.integer(a[0]) else { return .null }
            return .string((i < 0 ? "-0x" : "0x") + String(i.magnitude, radix: 16))
        },
    ]

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
}
