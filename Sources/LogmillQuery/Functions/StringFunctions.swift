import Foundation
import LogmillRecords
import LogmillRegex

/// Text: `concat`, the trims, `strlen`, `toupper`/`tolower`, `substr`, `replace`, `strcontains`, `startsWith`,
/// `endsWith`, `regexReplace`, `split`, `messageSize` and `unmask`.
enum StringFunctions {
    static let registered: [RegisteredFunction] = [
        RegisteredFunction(.unmask, arity: 1...1),
        RegisteredFunction(.concat, arity: 1...100),
        RegisteredFunction(.ltrim, arity: 1...2),
        RegisteredFunction(.rtrim, arity: 1...2),
        RegisteredFunction(.trim, arity: 1...2),
        RegisteredFunction(.strlen, arity: 1...1),
        RegisteredFunction(.toupper, arity: 1...1),
        RegisteredFunction(.tolower, arity: 1...1),
        RegisteredFunction(.substr, arity: 2...3, usage: "substr(s, start [, length])"),
        RegisteredFunction(.replace, arity: 3...3, usage: "replace(s, search, replacement)"),
        RegisteredFunction(.strcontains, arity: 2...3, usage: "strcontains(s, search)"),
        RegisteredFunction(name: "regexReplace", arity: 3...3, usage: "regexReplace(s, \"pattern\", \"replacement with $1\")") { a, _ in
            StringFunctions.regexReplace(a[0], a[1], a[2])
        },
        RegisteredFunction(name: "startsWith", arity: 2...2, usage: "startsWith(s, prefix)") { a, _ in StringFunctions.affix(a[0], a[1], prefix: true) },
        RegisteredFunction(name: "endsWith", arity: 2...2, usage: "endsWith(s, suffix)") { a, _ in StringFunctions.affix(a[0], a[1], prefix: false) },
        // A list of strings (renders as its JSON text, works with `[i]`, `unnest` and the JSON functions).
        RegisteredFunction(name: "split", arity: 2...2, usage: "split(s, \",\")") { a, _ in
            guard let s = a[0].text, let d = a[1].text else { return .null }
            return .structure(.array(StringFunctions.split(s, d).map { .string($0) }))
        },
        RegisteredFunction(name: "messageSize", arity: 1...1, usage: "messageSize(@message)") { a, _ in
            a[0].withText { .int(Int64($0.count)) } ?? .null
        },
    ]

    static func strlen(_ v: Value) -> Value {
        guard let n = v.withText({ b -> Int in
            var count = 0
            for c in b where c & 0xC0 != 0x80 { count += 1 }
            return count
        }) else { return .null }
        return .int(Int64(n))
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

    static func trimmed(_ s: String) -> Substring {
        var t = Substring(s)
        while let f = t.first, f.isWhitespace { t.removeFirst() }
        while let l = t.last, l.isWhitespace { t.removeLast() }
        return t
    }

    /// A start or length that is not a number in 64 bits (`1e300`, infinity, NaN) gives null; within
    /// that range both are clamped to the string.
    static func substr(_ v: Value, _ start: Value, _ len: Value?) -> Value {
        guard let s = v.text, let st = start.number.flatMap(NumericFunctions.truncate) else { return .null }
        let scalars = Array(s.unicodeScalars)
        let count = scalars.count
        var from = Int(st)
        if from < 0 { from = from < -count ? 0 : count + from }
        guard from <= count else { return .string("") }
        var to = count
        if let l = len {
            guard let n = l.number.flatMap(NumericFunctions.truncate) else { return .null }
            to = n >= count - from ? count : from + max(0, Int(n))
        }
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

    /// Splits on every occurrence of the literal delimiter, keeping empty pieces (`"a,,b"` gives
    /// three). An empty delimiter splits into characters.
    static func split(_ s: String, _ d: String) -> [String] {
        if d.isEmpty { return s.map { String($0) } }
        return s.components(separatedBy: d)
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
