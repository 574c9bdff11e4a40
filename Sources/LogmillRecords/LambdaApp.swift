/// Application lines written by Lambda's managed runtimes in the default text format:
/// Node.js and most runtimes `<ISO time>\t<request id>\t<LEVEL>\t<message>`, Python
/// `[<LEVEL>]\t<ISO time>\t<request id>\t<message>`.
public enum LambdaApp {
    static let levels: [[UInt8]] = ["TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"].map { Array($0.utf8) }

    /// The request ID and level of an application line, as ranges of the message.
    public static func parse(_ m: UnsafeRawBufferPointer) -> (requestId: Range<Int>, level: Range<Int>)? {
        guard m.count > 20 else { return nil }
        var fields: (Range<Int>, Range<Int>, Range<Int>) = (0..<0, 0..<0, 0..<0)
        var found = 0
        var s = 0
        while found < 3, let tab = Bytes.find(0x09, in: m, from: s, to: min(m.count, s + 200)) {
            switch found {
            case 0: fields.0 = s..<tab
            case 1: fields.1 = s..<tab
            default: fields.2 = s..<tab
            }
            found += 1
            s = tab + 1
        }
        guard found == 3 else { return nil }
        if m[0] == UInt8(ascii: "[") {
            let f0 = fields.0
            guard f0.count > 2, m[f0.upperBound - 1] == UInt8(ascii: "]"), isLevel(m, (f0.lowerBound + 1)..<(f0.upperBound - 1)),
                  isRequestId(m, fields.2) else { return nil }
            return (fields.2, (f0.lowerBound + 1)..<(f0.upperBound - 1))
        }
        guard Timestamps.parseISO8601(UnsafeRawBufferPointer(rebasing: m[fields.0])) != nil, isLevel(m, fields.2),
              isRequestId(m, fields.1) else { return nil }
        return (fields.1, fields.2)
    }

    static func isLevel(_ m: UnsafeRawBufferPointer, _ r: Range<Int>) -> Bool {
        let text = UnsafeRawBufferPointer(rebasing: m[r])
        return levels.contains { level in level.withUnsafeBytes { Bytes.equal(text, $0) } }
    }

    /// 8 to 64 characters, each a hexadecimal digit or '-' (a digit may be a fullwidth form, U+FF10–19,
    /// U+FF21–26, U+FF41–46, three bytes that count as one character), read on the bytes.
    static func isRequestId(_ m: UnsafeRawBufferPointer, _ r: Range<Int>) -> Bool {
        var characters = 0
        var i = r.lowerBound
        while i < r.upperBound {
            let c = m[i]
            if Bytes.isHexDigit(c) || c == UInt8(ascii: "-") {
                i += 1
            } else if c == 0xEF, i + 2 < r.upperBound, isFullwidthHexDigit(m[i + 1], m[i + 2]) {
                i += 3
            } else {
                return false
            }
            characters += 1
        }
        return characters >= 8 && characters <= 64
    }

    @inline(__always) static func isFullwidthHexDigit(_ b1: UInt8, _ b2: UInt8) -> Bool {
        (b1 == 0xBC && ((0x90...0x99).contains(b2) || (0xA1...0xA6).contains(b2))) || (b1 == 0xBD && (0x81...0x86).contains(b2))
    }

    /// The start of the first JSON object in an application line, if the line is one.
    public static func embeddedJSON(_ m: UnsafeRawBufferPointer) -> Int? {
        guard let tab = Bytes.find(0x09, in: m, from: 0, to: min(m.count, 64)), tab > 0,
              let brace = Bytes.find(UInt8(ascii: "{"), in: m, from: tab, to: m.count) else { return nil }
        return brace
    }
}
