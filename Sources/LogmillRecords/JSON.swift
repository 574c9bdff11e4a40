import Glibc
/// A minimal JSON reader over bytes: enough to frame values, unescape strings and flatten objects into fields.
/// It never builds a tree and never allocates unless a string holds escapes.
public struct JSONCursor {
    public let buf: UnsafeRawBufferPointer
    public var i: Int
    public let end: Int

    public init(_ buf: UnsafeRawBufferPointer, from: Int = 0, to: Int? = nil) {
        self.buf = buf
        i = from
        end = to ?? buf.count
    }

    @inline(__always) public mutating func skipSpace() {
        while i < end, Bytes.isSpace(buf[i]) { i += 1 }
    }

    @inline(__always) public func peek() -> UInt8? { i < end ? buf[i] : nil }

    /// The deepest nesting of objects and arrays logmill walks (flattening, documents); a record
    /// nested deeper is counted as malformed and read as a plain message, and no walk recurses past it.
    public static let maxDepth = 512

    /// Whether `b`, when it is JSON (starts with `{` or `[`), nests deeper than `maxDepth`. Only a
    /// message holding more than `maxDepth` opening brackets is walked, so ordinary lines cost a count.
    public static func tooDeep(_ b: UnsafeRawBufferPointer) -> Bool {
        guard b.count > maxDepth else { return false }
        var i = 0
        while i < b.count, Bytes.isSpace(b[i]) { i += 1 }
        guard i < b.count, b[i] == UInt8(ascii: "{") || b[i] == UInt8(ascii: "["),
              Bytes.count(UInt8(ascii: "{"), in: b) + Bytes.count(UInt8(ascii: "["), in: b) > maxDepth else { return false }
        var depth = 0
        var deep = false
        forEachBracket(b, from: i, to: b.count) { _, opens in
            depth += opens ? 1 : -1
            deep = depth > maxDepth
            return !deep
        }
        return deep
    }

    /// Calls `body` with the index of every `{`, `[`, `}` and `]` outside strings in `b[from..<to]` and
    /// whether it opens; stops when `body` returns false. Iterative, so any nesting is safe.
    @inline(__always)
    public static func forEachBracket(_ b: UnsafeRawBufferPointer, from: Int, to: Int, _ body: (Int, Bool) -> Bool) {
        var i = from
        var inString = false
        while i < to {
            let c = b[i]
            if inString {
                if c == 0x5c { i += 2; continue }
                if c == UInt8(ascii: "\"") { inString = false }
            } else if c == UInt8(ascii: "\"") {
                inString = true
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                if !body(i, true) { return }
            } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                if !body(i, false) { return }
            }
            i += 1
        }
    }

    /// Scans a string starting at the opening quote. Returns the content range and whether it holds escapes.
    public mutating func scanString() -> (range: Range<Int>, escaped: Bool)? {
        guard i < end, buf[i] == UInt8(ascii: "\"") else { return nil }
        let start = i + 1
        var j = start
        var escaped = false
        while j < end {
            // Jump to the next quote or backslash.
            let c = buf[j]
            if c == UInt8(ascii: "\"") {
                i = j + 1
                return (start..<j, escaped)
            }
            if c == UInt8(ascii: "\\") { escaped = true; j += 2; continue }
            j += 1
        }
        return nil
    }

    /// Skips one value of any kind. Returns false on malformed input.
    public mutating func skipValue() -> Bool {
        skipSpace()
        guard i < end else { return false }
        switch buf[i] {
        case UInt8(ascii: "\""):
            return scanString() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while i < end {
                let c = buf[i]
                if c == UInt8(ascii: "\"") { if scanString() == nil { return false }; continue }
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
                else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { i += 1; return true }
                }
                i += 1
            }
            return false
        default:
            let start = i
            while i < end {
                let c = buf[i]
                if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || Bytes.isSpace(c) { break }
                i += 1
            }
            return i > start
        }
    }

    /// Appends the unescaped UTF-8 bytes of a string's content (as returned by `scanString`) to `out`.
    public static func unescape(_ buf: UnsafeRawBufferPointer, _ range: Range<Int>, into out: inout [UInt8]) {
        var j = range.lowerBound
        let e = range.upperBound
        while j < e {
            let c = buf[j]
            if c != UInt8(ascii: "\\") { out.append(c); j += 1; continue }
            j += 1
            guard j < e else { break }
            let x = buf[j]
            j += 1
            switch x {
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0c)
            case UInt8(ascii: "u"):
                guard var cp = hex4(buf, j, e) else { out.append(UInt8(ascii: "?")); continue }
                j += 4
                if cp >= 0xD800 && cp < 0xDC00, j + 6 <= e, buf[j] == UInt8(ascii: "\\"), buf[j + 1] == UInt8(ascii: "u"),
                   let lo = hex4(buf, j + 2, e), lo >= 0xDC00 && lo < 0xE000 {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                    j += 6
                } else if cp >= 0xD800 && cp < 0xE000 {
                    cp = 0xFFFD
                }
                appendUTF8(UInt32(cp), to: &out)
            default: out.append(x)
            }
        }
    }

    static func hex4(_ b: UnsafeRawBufferPointer, _ at: Int, _ e: Int) -> Int? {
        guard at + 4 <= e else { return nil }
        var v = 0
        for k in at..<(at + 4) {
            let c = b[k]
            let d: Int
            switch c {
            case 0x30...0x39: d = Int(c - 0x30)
            case 0x41...0x46: d = Int(c - 0x41 + 10)
            case 0x61...0x66: d = Int(c - 0x61 + 10)
            default: return nil
            }
            v = v * 16 + d
        }
        return v
    }

    public static func appendUTF8(_ cp: UInt32, to out: inout [UInt8]) {
        switch cp {
        case 0..<0x80: out.append(UInt8(cp))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (cp >> 6))); out.append(UInt8(0x80 | (cp & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (cp >> 12))); out.append(UInt8(0x80 | ((cp >> 6) & 0x3F))); out.append(UInt8(0x80 | (cp & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (cp >> 18))); out.append(UInt8(0x80 | ((cp >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((cp >> 6) & 0x3F))); out.append(UInt8(0x80 | (cp & 0x3F)))
        }
    }
}

/// The kind of a discovered field's value.
public enum FieldKind: UInt8, Sendable {
    /// Text; for JSON strings the unescaped content.
    case string
    /// A JSON number, kept as its source text so it renders as written.
    case number
    case boolTrue
    case boolFalse
}

/// Fields discovered in one record, stored without per-field allocation: names and unescaped
/// strings live in a reused arena, other values point into the record's bytes.
public final class FieldTable {
    public struct Entry {
        // Offsets into the arena as Int: a record may be larger than Int32 counts (--max-record-size up to 16g).
        var nameStart: Int
        var nameCount: Int
        var valueStart: Int
        var valueCount: Int
        var inArena: Bool
        public var kind: FieldKind
    }
    public private(set) var entries: [Entry] = []
    var arena: [UInt8] = []
    var source = UnsafeRawBufferPointer(start: nil, count: 0)
    /// Insights discovers at most this many fields per event.
    public static let fieldLimit = 200
    public private(set) var truncated = false

    public init() {
        entries.reserveCapacity(64)
        arena.reserveCapacity(4096)
    }

    public func reset(source: UnsafeRawBufferPointer) {
        entries.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: true)
        self.source = source
        truncated = false
    }

    public var count: Int { entries.count }

    /// Calls `body` with the field's name and value bytes; the buffers are valid only inside `body`.
    @inline(__always)
    public func withEntry<R>(_ index: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, FieldKind) -> R) -> R {
        let e = entries[index]
        return arena.withUnsafeBytes { a in
            let name = UnsafeRawBufferPointer(rebasing: a[e.nameStart..<(e.nameStart + e.nameCount)])
            let value = e.inArena ? UnsafeRawBufferPointer(rebasing: a[e.valueStart..<(e.valueStart + e.valueCount)])
                                  : UnsafeRawBufferPointer(rebasing: source[e.valueStart..<(e.valueStart + e.valueCount)])
            return body(name, value, e.kind)
        }
    }

    /// Finds a field by name and calls `body` with its value; nil when absent.
    @inline(__always)
    public func lookup<R>(_ name: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, FieldKind) -> R) -> R? {
        for idx in entries.indices {
            let e = entries[idx]
            guard e.nameCount == name.count else { continue }
            let hit: R? = arena.withUnsafeBytes { a in
                guard name.count == 0 || memcmp(a.baseAddress! + e.nameStart, name.baseAddress!, name.count) == 0 else { return nil }
                let value = e.inArena ? UnsafeRawBufferPointer(rebasing: a[e.valueStart..<(e.valueStart + e.valueCount)])
                                      : UnsafeRawBufferPointer(rebasing: source[e.valueStart..<(e.valueStart + e.valueCount)])
                return body(value, e.kind)
            }
            if let hit { return hit }
        }
        return nil
    }

    /// Flattens the JSON object that starts at `from` in `source` into dotted fields (`a.b`, `list.0.x`).
    /// Returns false when the text is not a well-formed object.
    @discardableResult
    public func flattenObject(from: Int, to: Int) -> Bool {
        var cur = JSONCursor(source, from: from, to: to)
        var path: [UInt8] = []
        path.reserveCapacity(128)
        cur.skipSpace()
        guard cur.peek() == UInt8(ascii: "{") else { return false }
        return flattenValue(&cur, &path, depth: 0, topLevel: true)
    }

    /// Adds a field whose value is `source[range]`, as text.
    public func addBorrowed(name: [UInt8], range: Range<Int>) {
        addEntry(name, valueStart: range.lowerBound, valueCount: range.count, inArena: false, kind: .string)
    }

    private func addEntry(_ path: [UInt8], valueStart: Int, valueCount: Int, inArena: Bool, kind: FieldKind) {
        if entries.count >= FieldTable.fieldLimit { truncated = true; return }
        let ns = arena.count
        arena.append(contentsOf: path)
        entries.append(Entry(nameStart: ns, nameCount: path.count, valueStart: valueStart, valueCount: valueCount, inArena: inArena, kind: kind))
    }

    private func flattenValue(_ cur: inout JSONCursor, _ path: inout [UInt8], depth: Int, topLevel: Bool = false) -> Bool {
        cur.skipSpace()
        guard let c = cur.peek() else { return false }
        if (c == UInt8(ascii: "{") || c == UInt8(ascii: "[")) && depth >= JSONCursor.maxDepth { return false }   // bounded recursion
        switch c {
        case UInt8(ascii: "{"):
            cur.i += 1
            cur.skipSpace()
            if cur.peek() == UInt8(ascii: "}") { cur.i += 1; return true }
            while true {
                cur.skipSpace()
                guard let (krange, kesc) = cur.scanString() else { return false }
                let saved = path.count
                if !path.isEmpty { path.append(UInt8(ascii: ".")) }
                else if topLevel && krange.count > 0 && cur.buf[krange.lowerBound] == UInt8(ascii: "@") { path.append(UInt8(ascii: "@")) }
                if kesc { JSONCursor.unescape(cur.buf, krange, into: &path) }
                else { path.append(contentsOf: UnsafeRawBufferPointer(rebasing: cur.buf[krange])) }
                cur.skipSpace()
                guard cur.peek() == UInt8(ascii: ":") else { return false }
                cur.i += 1
                guard flattenValue(&cur, &path, depth: depth + 1) else { return false }
                path.removeSubrange(saved...)
                cur.skipSpace()
                guard let d = cur.peek() else { return false }
                cur.i += 1
                if d == UInt8(ascii: "}") { return true }
                if d != UInt8(ascii: ",") { return false }
            }
        case UInt8(ascii: "["):
            cur.i += 1
            cur.skipSpace()
            if cur.peek() == UInt8(ascii: "]") { cur.i += 1; return true }
            var index = 0
            while true {
                let saved = path.count
                if !path.isEmpty { path.append(UInt8(ascii: ".")) }
                path.append(contentsOf: String(index).utf8)
                guard flattenValue(&cur, &path, depth: depth + 1) else { return false }
                path.removeSubrange(saved...)
                index += 1
                cur.skipSpace()
                guard let d = cur.peek() else { return false }
                cur.i += 1
                if d == UInt8(ascii: "]") { return true }
                if d != UInt8(ascii: ",") { return false }
            }
        case UInt8(ascii: "\""):
            guard let (r, esc) = cur.scanString() else { return false }
            if esc {
                let start = arena.count
                JSONCursor.unescape(cur.buf, r, into: &arena)
                let n = arena.count - start
                // The name goes after the value in the arena; that is fine, both are addressed by offset.
                addEntry(path, valueStart: start, valueCount: n, inArena: true, kind: .string)
            } else {
                addEntry(path, valueStart: r.lowerBound, valueCount: r.count, inArena: false, kind: .string)
            }
            return true
        default:
            let start = cur.i
            guard cur.skipValue() else { return false }
            let n = cur.i - start
            let b = cur.buf
            if n == 4 && b[start] == UInt8(ascii: "t") { addEntry(path, valueStart: start, valueCount: n, inArena: false, kind: .boolTrue) }
            else if n == 5 && b[start] == UInt8(ascii: "f") { addEntry(path, valueStart: start, valueCount: n, inArena: false, kind: .boolFalse) }
            else if n == 4 && b[start] == UInt8(ascii: "n") { /* null: missing */ }
            else { addEntry(path, valueStart: start, valueCount: n, inArena: false, kind: .number) }
            return true
        }
    }
}
