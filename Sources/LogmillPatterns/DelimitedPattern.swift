/// `[ip, user, ..., status = 5*, bytes > 1000]`: positional fields of a space-delimited event.
///
/// Events split on runs of spaces (inferred: tabs too); a field starting with `"` runs to the next
/// `"`, one starting with `[` to the next `]`, and the value is what lies between them.
///
/// Field counts: with `...` (at most once) the names before it take the first fields, the names
/// after it the last ones, and the event needs at least as many fields as names. Without `...`,
/// the reference says the counts must be equal. The service differs: the guide's `[w1=ERROR, w2]`
/// "returns log events where the first word is ERROR", with its note that the trailing `w2` is
/// required, and the console's predefined Lambda format `[timestamp=*Z, request_id="*-*", event]`
/// matches Lambda lines whose messages hold any number of words. So the last name takes the rest
/// of the event, as written from its first field on; an event with fewer fields than names does
/// not match. (The guide's 2020 edition lists matches for `[w1=ERROR || w1=WARN, w2]` that leave
/// out a three-word event, but in the same paragraph has `[w1!=ERROR&&w1!=WARN, w2]` matching
/// `ERROR WARN message`, which no reading allows; it is not followed.)
struct DelimitedPattern: Sendable {
    struct Slot: Sendable {
        /// nil for `...` and for an unnamed field (`[..., status = 4*,]`: the guide's example).
        let name: String?
        /// Conditions on the slot's own field; nil: any value.
        let expr: Expr?
        let isEllipsis: Bool
        /// `$name`, as a match reports it.
        let key: String
        init(name: String?, expr: Expr?, isEllipsis: Bool = false) {
            self.name = name
            self.expr = expr
            self.isEllipsis = isEllipsis
            key = name.map { "$" + $0 } ?? ""
        }
    }
    let slots: [Slot]
    let ellipsis: Int?

    static func parse(_ src: PatternSource, from: Int, to: Int) throws(FilterPatternError) -> DelimitedPattern {
        let tokens = try src.tokens(from: from, to: to)
        var slots: [Slot] = []
        var ellipsis: Int? = nil
        var names = Set<String>()
        // Split at top-level commas.
        var parts: [(tokens: [Token], end: Int)] = []
        var current: [Token] = []
        var depth = 0
        for t in tokens {
            switch t.kind {
            case .comma where depth == 0:
                parts.append((current, t.start))
                current = []
                continue
            case .lparen: depth += 1
            case .rparen: depth -= 1
            default: break
            }
            current.append(t)
        }
        parts.append((current, to))
        if tokens.isEmpty { throw src.error(at: to, "expected a field name") }
        for (part, end) in parts {
            guard let head = part.first else {
                slots.append(Slot(name: nil, expr: nil))
                continue
            }
            // The slot's name: the first word (inside any opening parentheses).
            guard let nameToken = part.first(where: { if case .word = $0.kind { return true }; return false }),
                  case .word(let w) = nameToken.kind else { throw src.error(at: head.start, "expected a field name") }
            if w == Array("...".utf8) {
                guard part.count == 1 else { throw src.error(at: part[1].start, "'...' takes no condition") }
                guard ellipsis == nil else { throw src.error(at: head.start, "'...' may appear only once") }
                ellipsis = slots.count
                slots.append(Slot(name: nil, expr: nil, isEllipsis: true))
            } else {
                let name = String(decoding: w, as: UTF8.self)
                guard w.allSatisfy({ isWordByte($0) && $0 < 0x80 || $0 == UInt8(ascii: "-") }) else {
                    throw src.error(at: nameToken.start, "a field name holds letters, digits, '_' and '-'")
                }
                guard names.insert(name).inserted else { throw src.error(at: nameToken.start, "field '\(name)' is named twice") }
                var expr: Expr? = nil
                if part.count > 1 {
                    var parser = ExprParser(src: src, tokens: part, field: { (t: Token, other: [UInt8]) throws(FilterPatternError) -> Int in
                        // The service rejects a condition on another field inside this field's slot.
                        // Inferred: names compare ignoring case, as the guide's `[w1=ERROR || W1=WARNING, w2]`.
                        guard other.lazy.map({ $0 | 0x20 }).elementsEqual(w.lazy.map({ $0 | 0x20 })) else {
                            throw src.error(at: t.start, "a condition in field '\(name)' must test '\(name)', not '\(String(decoding: other, as: UTF8.self))'")
                        }
                        return 0
                    }, postfix: false, endOffset: end)
                    expr = try parser.parseAll()
                }
                slots.append(Slot(name: name, expr: expr))
            }
        }
        return DelimitedPattern(slots: slots, ellipsis: ellipsis)
    }

    /// Calls `body` with each field of the event: its value range and the start of its raw text.
    static func forEachField(_ line: UnsafeRawBufferPointer, _ body: (_ value: Range<Int>, _ rawStart: Int) -> Void) {
        var i = 0
        let n = line.count
        while true {
            while i < n, line[i] == 0x20 || line[i] == 0x09 { i += 1 }
            guard i < n else { return }
            let start = i
            let close: UInt8? = line[i] == UInt8(ascii: "\"") ? UInt8(ascii: "\"") : line[i] == UInt8(ascii: "[") ? UInt8(ascii: "]") : nil
            if let close {
                var j = i + 1
                while j < n, line[j] != close { j += 1 }
                if j < n {
                    body((i + 1)..<j, start)
                    i = j + 1
                    continue
                }
                // Inferred: an unclosed quote or bracket is an ordinary field.
            }
            while i < n, line[i] != 0x20, line[i] != 0x09 { i += 1 }
            body(start..<i, start)
        }
    }

    /// The match, with the fields' values when `collect` (else none, and nothing allocated).
    /// Every value is also reported by position (`$1`, `$7`: the guide's "numeric identifiers"),
    /// each field the ellipsis covers included.
    func extract(_ line: UnsafeRawBufferPointer, collect: Bool = true) -> PatternMatch? {
        var count = 0
        Self.forEachField(line) { _, _ in count += 1 }
        let fixed = slots.count - (ellipsis == nil ? 0 : 1)
        guard count >= fixed, count > 0 else { return nil }
        return withUnsafeTemporaryAllocation(of: (Range<Int>, Int).self, capacity: count) { fields -> PatternMatch? in
            var k = 0
            Self.forEachField(line) { v, raw in fields[k] = (v, raw); k += 1 }
            var named: [PatternMatch.Field] = []
            var positions: [Scalar] = []
            if collect { positions.reserveCapacity(count) }
            for (s, slot) in slots.enumerated() {
                if slot.isEllipsis {
                    if collect { for f in s..<(s + count - fixed) { positions.append(Scalar(range: fields[f].0, kind: .text)) } }
                    continue
                }
                let range: Range<Int>
                if let e = ellipsis, s > e {
                    range = fields[count - (slots.count - s)].0
                } else if ellipsis == nil, s == slots.count - 1, count > fixed {
                    var end = line.count
                    while end > 0, line[end - 1] == 0x20 || line[end - 1] == 0x09 { end -= 1 }
                    range = fields[s].1..<end
                } else {
                    range = fields[s].0
                }
                let value = Scalar(range: range, kind: .text)
                if let expr = slot.expr, !expr.evaluate(line, { _ in .scalar(value) }) { return nil }
                if collect {
                    positions.append(value)
                    if slot.name != nil { named.append(PatternMatch.Field(name: slot.key, value: value)) }
                }
            }
            return PatternMatch(fields: named, positions: positions)
        }
    }
}
