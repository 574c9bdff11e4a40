import LogmillRecords

/// A map or list made by `jsonParse` (Insights' only structured values), owned and immutable.
public indirect enum Structure: Sendable, Equatable {
    case object([(key: String, value: Structure)])
    case array([Structure])
    case string(String)
    /// A JSON number, kept as written.
    case number(String)
    case bool(Bool)
    case null

    public static func == (a: Structure, b: Structure) -> Bool { a.json == b.json }

    /// Parses JSON text; nil when it is not JSON.
    public static func parse(_ b: UnsafeRawBufferPointer) -> Structure? {
        var c = JSONCursor(b)
        guard let v = value(&c, depth: 0) else { return nil }
        c.skipSpace()
        return c.i == b.count ? v : nil
    }

    private static func value(_ c: inout JSONCursor, depth: Int) -> Structure? {
        c.skipSpace()
        guard let ch = c.peek(), depth < 128 else { return nil }
        switch ch {
        case UInt8(ascii: "{"):
            c.i += 1
            var items: [(String, Structure)] = []
            c.skipSpace()
            if c.peek() == UInt8(ascii: "}") { c.i += 1; return .object([]) }
            while true {
                c.skipSpace()
                guard let (r, esc) = c.scanString() else { return nil }
                let key = text(c.buf, r, esc)
                c.skipSpace()
                guard c.peek() == UInt8(ascii: ":") else { return nil }
                c.i += 1
                guard let v = value(&c, depth: depth + 1) else { return nil }
                items.append((key, v))
                c.skipSpace()
                guard let d = c.peek() else { return nil }
                c.i += 1
                if d == UInt8(ascii: "}") { return .object(items) }
                if d != UInt8(ascii: ",") { return nil }
            }
        case UInt8(ascii: "["):
            c.i += 1
            var items: [Structure] = []
            c.skipSpace()
            if c.peek() == UInt8(ascii: "]") { c.i += 1; return .array([]) }
            while true {
                guard let v = value(&c, depth: depth + 1) else { return nil }
                items.append(v)
                c.skipSpace()
                guard let d = c.peek() else { return nil }
                c.i += 1
                if d == UInt8(ascii: "]") { return .array(items) }
                if d != UInt8(ascii: ",") { return nil }
            }
        case UInt8(ascii: "\""):
            guard let (r, esc) = c.scanString() else { return nil }
            return .string(text(c.buf, r, esc))
        default:
            let s = c.i
            guard c.skipValue() else { return nil }
            let word = String(decoding: c.buf[s..<c.i], as: UTF8.self)
            switch word {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default: return Double(word) != nil ? .number(word) : nil
            }
        }
    }

    private static func text(_ b: UnsafeRawBufferPointer, _ r: Range<Int>, _ escaped: Bool) -> String {
        if !escaped { return String(decoding: b[r], as: UTF8.self) }
        var out: [UInt8] = []
        JSONCursor.unescape(b, r, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Compact JSON text (`jsonStringify`).
    public var json: String {
        switch self {
        case .object(let items): return "{" + items.map { ResultWriter.jsonString($0.key) + ":" + $0.value.json }.joined(separator: ",") + "}"
        case .array(let items): return "[" + items.map(\.json).joined(separator: ",") + "]"
        case .string(let s): return ResultWriter.jsonString(s)
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }

    /// The value as a query value: scalars become text, maps and lists stay structures.
    public var value: Value {
        switch self {
        case .object, .array: return .structure(self)
        case .string(let s): return .string(s)
        case .number(let n): return .string(n)
        case .bool(let b): return .string(b ? "true" : "false")
        case .null: return .null
        }
    }

    /// `m.key` and `list[i]`; nil when the step does not apply.
    public func step(_ s: AccessStep) -> Structure? {
        switch (self, s) {
        case (.object(let items), .key(let k)): return items.first { $0.key == k }?.value
        case (.array(let items), .index(let i)): return i >= 0 && i < items.count ? items[i] : nil
        case (.array(let items), .key(let k)): if let i = Int(k), i >= 0, i < items.count { return items[i] }; return nil
        default: return nil
        }
    }
}

/// One step of map or list access.
public enum AccessStep: Sendable, Equatable {
    case key(String)
    case index(Int)
}
