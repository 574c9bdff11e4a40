import LogmillRecords

/// A JSON selector: `$` then `.name` or `[index]` steps (`$.user.id`, `$.coordinates[0][1]`).
struct JSONSelector: Sendable {
    enum Step: Sendable, Equatable { case key([UInt8]), index(Int) }
    let text: String
    let steps: [Step]

    /// Names hold letters, digits, `-` and `_` (the reference); inferred: also `@` and `:`, which
    /// common log keys (`@timestamp`, `aws:region`) use.
    static func parse(_ w: [UInt8], at offset: Int, _ src: PatternSource) throws(FilterPatternError) -> JSONSelector {
        guard w.first == UInt8(ascii: "$") else { throw src.error(at: offset, "a JSON selector starts with '$'") }
        var steps: [Step] = []
        var i = 1
        while i < w.count {
            if w[i] == UInt8(ascii: ".") {
                var j = i + 1
                while j < w.count, isNameByte(w[j]) { j += 1 }
                guard j > i + 1 else { throw src.error(at: offset + i + 1, "expected a field name after '.'") }
                steps.append(.key(Array(w[(i + 1)..<j])))
                i = j
            } else if w[i] == UInt8(ascii: "[") {
                var j = i + 1
                var n = 0
                while j < w.count, Bytes.isDigit(w[j]) { n = n * 10 + Int(w[j] - 0x30); j += 1; if n > 1_000_000 { break } }
                guard j > i + 1, j < w.count, w[j] == UInt8(ascii: "]") else {
                    throw src.error(at: offset + i, "expected an array index: '[0]'")
                }
                steps.append(.index(n))
                i = j + 1
            } else {
                throw src.error(at: offset + i, "unexpected '\(Character(Unicode.Scalar(w[i])))' in a JSON selector")
            }
        }
        guard !steps.isEmpty else { throw src.error(at: offset, "a selector must name a field: '$.name'") }
        return JSONSelector(text: String(decoding: w, as: UTF8.self), steps: steps)
    }

    static func isNameByte(_ c: UInt8) -> Bool {
        isWordByte(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "@") || c == UInt8(ascii: ":")
    }

    /// Finds the value at this path in the JSON object `line[from..<to]` with a cursor: keys not
    /// on the path are skipped, never parsed. Inferred: with duplicate keys the first one counts.
    func lookup(_ line: UnsafeRawBufferPointer, from: Int, to: Int) -> Expr.Found {
        var c = JSONCursor(line, from: from, to: to)
        for step in steps {
            c.skipSpace()
            switch step {
            case .key(let name):
                guard c.peek() == UInt8(ascii: "{") else { return .missing }
                c.i += 1
                var found = false
                while !found {
                    c.skipSpace()
                    guard let key = c.scanString() else { return .missing }
                    c.skipSpace()
                    guard c.peek() == UInt8(ascii: ":") else { return .missing }
                    c.i += 1
                    if Self.keyEquals(line, key, name) {
                        found = true
                    } else {
                        guard c.skipValue() else { return .missing }
                        c.skipSpace()
                        guard c.peek() == UInt8(ascii: ",") else { return .missing }
                        c.i += 1
                    }
                }
            case .index(let n):
                guard c.peek() == UInt8(ascii: "[") else { return .missing }
                c.i += 1
                for _ in 0..<n {
                    guard c.skipValue() else { return .missing }
                    c.skipSpace()
                    guard c.peek() == UInt8(ascii: ",") else { return .missing }
                    c.i += 1
                }
                c.skipSpace()
                if c.peek() == UInt8(ascii: "]") { return .missing }
            }
        }
        c.skipSpace()
        guard let first = c.peek() else { return .missing }
        switch first {
        case UInt8(ascii: "{"), UInt8(ascii: "["): return .container
        case UInt8(ascii: "\""):
            guard let s = c.scanString() else { return .missing }
            return .scalar(Scalar(range: s.range, kind: .string(escaped: s.escaped)))
        default:
            let start = c.i
            guard c.skipValue() else { return .missing }
            let r = start..<c.i
            let kind: Scalar.Kind
            if Bytes.hasPrefix(line, at: start, "true") && r.count == 4 || Bytes.hasPrefix(line, at: start, "false") && r.count == 5 {
                kind = .bool
            } else if Bytes.hasPrefix(line, at: start, "null") && r.count == 4 {
                kind = .null
            } else {
                kind = .number
            }
            return .scalar(Scalar(range: r, kind: kind))
        }
    }

    static func keyEquals(_ line: UnsafeRawBufferPointer, _ key: (range: Range<Int>, escaped: Bool), _ name: [UInt8]) -> Bool {
        if !key.escaped {
            guard key.range.count == name.count else { return false }
            return name.withUnsafeBytes { Bytes.equal($0, UnsafeRawBufferPointer(rebasing: line[key.range])) }
        }
        var out: [UInt8] = []
        JSONCursor.unescape(line, key.range, into: &out)
        return out == name
    }
}

/// `{ expr }` over JSON events.
struct JSONPattern: Sendable {
    let selectors: [JSONSelector]
    let expr: Expr

    static func parse(_ src: PatternSource, from: Int, to: Int) throws(FilterPatternError) -> JSONPattern {
        let tokens = try src.tokens(from: from, to: to)
        var selectors: [JSONSelector] = []
        var parser = ExprParser(src: src, tokens: tokens, field: { (t: Token, w: [UInt8]) throws(FilterPatternError) -> Int in
            let s = try JSONSelector.parse(w, at: t.start, src)
            if let k = selectors.firstIndex(where: { $0.steps == s.steps }) { return k }
            selectors.append(s)
            return selectors.count - 1
        }, postfix: true, endOffset: to)
        let expr = try parser.parseAll()
        return JSONPattern(selectors: selectors, expr: expr)
    }

    /// The object's extent when the line is one JSON object (surrounding spaces allowed).
    /// Non-JSON events never match a JSON pattern.
    static func object(_ line: UnsafeRawBufferPointer) -> Range<Int>? {
        var c = JSONCursor(line)
        c.skipSpace()
        guard c.peek() == UInt8(ascii: "{") else { return nil }
        let start = c.i
        guard c.skipValue(), line[c.i - 1] == UInt8(ascii: "}") else { return nil }
        let end = c.i
        c.skipSpace()
        return c.i == line.count ? start..<end : nil
    }

    func matches(_ line: UnsafeRawBufferPointer) -> Bool {
        guard let r = Self.object(line) else { return false }
        return expr.evaluate(line) { selectors[$0].lookup(line, from: r.lowerBound, to: r.upperBound) }
    }

    func extract(_ line: UnsafeRawBufferPointer) -> PatternMatch? {
        guard let r = Self.object(line) else { return nil }
        guard expr.evaluate(line, { selectors[$0].lookup(line, from: r.lowerBound, to: r.upperBound) }) else { return nil }
        var fields: [PatternMatch.Field] = []
        for s in selectors {
            if case .scalar(let v) = s.lookup(line, from: r.lowerBound, to: r.upperBound) {
                fields.append(PatternMatch.Field(name: s.text, value: v))
            }
        }
        return PatternMatch(fields: fields)
    }
}
