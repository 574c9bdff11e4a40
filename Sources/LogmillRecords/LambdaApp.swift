/// Application lines written by Lambda's managed runtimes in the default text format:
/// Node.js and most runtimes `<ISO time>\t<request id>\t<LEVEL>\t<message>`, Python
/// `[<LEVEL>]\t<ISO time>\t<request id>\t<message>`.
public enum LambdaApp {
    static let levels: Set<String> = ["TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"]

    /// The request ID and level of an application line, as ranges of the message.
    public static func parse(_ m: UnsafeRawBufferPointer) -> (requestId: Range<Int>, level: Range<Int>)? {
        guard m.count > 20 else { return nil }
        var fields: [Range<Int>] = []
        var s = 0
        while fields.count < 3, let tab = Bytes.find(0x09, in: m, from: s, to: min(m.count, s + 200)) {
            fields.append(s..<tab)
            s = tab + 1
        }
        guard fields.count == 3 else { return nil }
        func text(_ r: Range<Int>) -> String { String(decoding: m[r], as: UTF8.self) }
        if m[0] == UInt8(ascii: "[") {
            let f0 = fields[0]
            guard f0.count > 2, m[f0.upperBound - 1] == UInt8(ascii: "]"), levels.contains(text((f0.lowerBound + 1)..<(f0.upperBound - 1))),
                  isRequestId(text(fields[2])) else { return nil }
            return (fields[2], (f0.lowerBound + 1)..<(f0.upperBound - 1))
        }
        guard Timestamps.parseISO8601(UnsafeRawBufferPointer(rebasing: m[fields[0]])) != nil, levels.contains(text(fields[2])),
              isRequestId(text(fields[1])) else { return nil }
        return (fields[1], fields[2])
    }

    static func isRequestId(_ s: String) -> Bool {
        s.count >= 8 && s.count <= 64 && s != "undefined" && s.allSatisfy { $0.isHexDigit || $0 == "-" }
    }

    /// The start of the first JSON object in an application line, if the line is one.
    public static func embeddedJSON(_ m: UnsafeRawBufferPointer) -> Int? {
        guard let tab = Bytes.find(0x09, in: m, from: 0, to: min(m.count, 64)), tab > 0,
              let brace = Bytes.find(UInt8(ascii: "{"), in: m, from: tab, to: m.count) else { return nil }
        return brace
    }
}
