import LogmillRegex
import LogmillRecords

/// The pattern's bytes, with columns for errors.
struct PatternSource {
    let bytes: [UInt8]
    init(_ text: String) { bytes = Array(text.utf8) }

    /// 1-based character column of byte offset `at`.
    func error(at: Int, _ message: String) -> FilterPatternError {
        var column = 1
        for b in bytes[0..<min(at, bytes.count)] where b & 0xC0 != 0x80 { column += 1 }
        return FilterPatternError(column: column, message: message)
    }

    /// Compiles the body of `%…%` at `from..<to`. The service accepts letters, digits, `: _ # = @ / ; , -`
    /// and the operators `^ $ ? [ ] { } | \ * + .`; no parentheses, no multi-byte characters.
    /// The service differs from its documentation in one point: the AWS CDK's own integration test
    /// deploys `%bind: address already in use%`, so spaces are accepted here. Inferred: any ASCII
    /// character may follow a backslash except a parenthesis.
    func compileRegex(from: Int, to: Int) throws(FilterPatternError) -> ByteRegex {
        guard from < to else { throw error(at: from, "empty regular expression") }
        var i = from
        while i < to {
            let c = bytes[i]
            if c >= 0x80 { throw error(at: i, "multi-byte characters are not supported in a regular expression") }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < to else { throw error(at: i, "a regular expression cannot end with '\\'") }
                let n = bytes[i + 1]
                if n >= 0x80 || n == UInt8(ascii: "(") || n == UInt8(ascii: ")") { throw error(at: i + 1, "unsupported escape in a regular expression") }
                i += 2
                continue
            }
            if c == UInt8(ascii: "(") || c == UInt8(ascii: ")") {
                throw error(at: i, "parentheses are not supported in a regular expression")
            }
            guard Self.regexAllowed[Int(c)] else {
                throw error(at: i, "'\(Character(Unicode.Scalar(c)))' is not allowed in a regular expression")
            }
            i += 1
        }
        do {
            return try ByteRegex(String(decoding: bytes[from..<to], as: UTF8.self))
        } catch let e as RegexError {
            throw error(at: from + max(0, e.column - 1), "bad regular expression: \(e.message)")
        } catch {
            throw self.error(at: from, "bad regular expression")
        }
    }

    static let regexAllowed: [Bool] = (0..<256).map { b in
        guard b < 0x80 else { return false }
        let c = UInt8(b)
        if isWordByte(c) { return true }
        return Array(":_#=@/;,- ^$?[]{}|\\*+.".utf8).contains(c)
    }
}

/// ASCII letters, digits and underscore.
@inline(__always) func isWordByte(_ c: UInt8) -> Bool {
    (c &- 0x30 < 10) || ((c | 0x20) &- 0x61 < 26) || c == UInt8(ascii: "_")
}

// MARK: Tokens of JSON and space-delimited patterns

enum Op: Sendable { case eq, ne, lt, gt, le, ge }

struct Token {
    enum Kind {
        case lparen, rparen, and, or, comma, op(Op)
        /// A quoted string's content, unescaped.
        case string([UInt8])
        case regex(ByteRegex)
        case word([UInt8])
    }
    let kind: Kind
    let start: Int
    let end: Int
}

extension PatternSource {
    /// Splits `from..<to` into tokens. Words run to a space or one of `( ) , = ! < > & | " %`.
    func tokens(from: Int, to: Int) throws(FilterPatternError) -> [Token] {
        var out: [Token] = []
        var regexes = 0
        var i = from
        while i < to {
            let c = bytes[i]
            func next(_ b: UInt8) -> Bool { i + 1 < to && bytes[i + 1] == b }
            switch c {
            case 0x20, 0x09, 0x0a, 0x0d:
                i += 1
                continue
            case UInt8(ascii: "("): out.append(Token(kind: .lparen, start: i, end: i + 1)); i += 1
            case UInt8(ascii: ")"): out.append(Token(kind: .rparen, start: i, end: i + 1)); i += 1
            case UInt8(ascii: ","): out.append(Token(kind: .comma, start: i, end: i + 1)); i += 1
            case UInt8(ascii: "&"):
                guard next(UInt8(ascii: "&")) else { throw error(at: i, "expected '&&'") }
                out.append(Token(kind: .and, start: i, end: i + 2)); i += 2
            case UInt8(ascii: "|"):
                guard next(UInt8(ascii: "|")) else { throw error(at: i, "expected '||'") }
                out.append(Token(kind: .or, start: i, end: i + 2)); i += 2
            case UInt8(ascii: "="): out.append(Token(kind: .op(.eq), start: i, end: i + 1)); i += 1
            case UInt8(ascii: "!"):
                guard next(UInt8(ascii: "=")) else { throw error(at: i, "expected '!='") }
                out.append(Token(kind: .op(.ne), start: i, end: i + 2)); i += 2
            case UInt8(ascii: "<"), UInt8(ascii: ">"):
                let eq = next(UInt8(ascii: "="))
                let op: Op = c == UInt8(ascii: "<") ? (eq ? .le : .lt) : (eq ? .ge : .gt)
                out.append(Token(kind: .op(op), start: i, end: i + (eq ? 2 : 1))); i += eq ? 2 : 1
            case UInt8(ascii: "\""):
                let (content, end) = try quoted(at: i, to: to)
                out.append(Token(kind: .string(content), start: i, end: end)); i = end
            case UInt8(ascii: "%"):
                var j = i + 1
                while j < to, bytes[j] != UInt8(ascii: "%") { j += 1 }
                guard j < to else { throw error(at: i, "unterminated regular expression (no closing '%')") }
                regexes += 1
                if regexes > FilterPattern.maxRegexesInStructuredPattern {
                    throw error(at: i, "at most \(FilterPattern.maxRegexesInStructuredPattern) regular expressions in one pattern")
                }
                out.append(Token(kind: .regex(try compileRegex(from: i + 1, to: j)), start: i, end: j + 1)); i = j + 1
            default:
                var j = i
                while j < to, !Self.wordStop[Int(bytes[j])] { j += 1 }
                out.append(Token(kind: .word(Array(bytes[i..<j])), start: i, end: j)); i = j
            }
        }
        return out
    }

    /// A double-quoted string at `at`: its content with `\"` and `\\` unescaped, and the index after it.
    func quoted(at: Int, to: Int) throws(FilterPatternError) -> ([UInt8], Int) {
        var content: [UInt8] = []
        var j = at + 1
        while j < to {
            let b = bytes[j]
            if b == UInt8(ascii: "\\"), j + 1 < to { content.append(bytes[j + 1]); j += 2; continue }
            if b == UInt8(ascii: "\"") { return (content, j + 1) }
            content.append(b)
            j += 1
        }
        throw error(at: at, "unterminated quoted string")
    }

    static let wordStop: [Bool] = (0..<256).map { b in
        Array(" \t\r\n(),=!<>&|\"%".utf8).contains(UInt8(truncatingIfNeeded: b))
    }
}

// MARK: Comparisons

/// What a field is compared with.
enum Operand: Sendable {
    /// A bare number: numeric comparison with numbers, text comparison (as written) otherwise.
    case number(Double, [UInt8])
    /// A quoted string or bare word. A `*` at its start or end matches any run of bytes; the
    /// service's guide (2020): "`*Event` will match PutEvent and GetEvent. `Event*` will match
    /// EventId and EventName. `Ev*ent` will only match the actual string `Ev*ent`".
    case text(Wildcard)
    case regex(ByteRegex)
}

struct Condition: Sendable {
    let op: Op
    let operand: Operand

    /// Parses the value token after `op`.
    static func parse(op: Op, opToken: Token, value: Token?, _ src: PatternSource) throws(FilterPatternError) -> Condition {
        guard let value else { throw src.error(at: opToken.end, "expected a value after the comparison") }
        let operand: Operand
        switch value.kind {
        case .string(let s): operand = .text(Wildcard(s))
        case .regex(let r): operand = .regex(r)
        case .word(let w):
            if let d = w.withUnsafeBytes({ Bytes.parseDouble($0) }) {
                operand = .number(d, w)
            } else {
                operand = .text(Wildcard(w))
            }
        default: throw src.error(at: value.start, "expected a value after the comparison")
        }
        if op != .eq && op != .ne {
            guard case .number = operand else {
                throw src.error(at: value.start, "'<', '>', '<=' and '>=' compare numbers only")
            }
        }
        return Condition(op: op, operand: operand)
    }

    /// Whether scalar `s` of `line` satisfies the condition.
    func test(_ s: Scalar, _ line: UnsafeRawBufferPointer) -> Bool {
        switch op {
        case .eq: return equals(s, line)
        case .ne: return !equals(s, line)
        case .lt, .gt, .le, .ge:
            // The reference: a comparison against a non-numeric field does not match. Inferred: a
            // JSON string holding digits is not numeric; a space-delimited field (always text) is.
            guard case .number(let rhs, _) = operand else { return false }
            switch s.kind {
            case .number, .text: break
            default: return false
            }
            guard let lhs = s.number(in: line) else { return false }
            switch op {
            case .lt: return lhs < rhs
            case .gt: return lhs > rhs
            case .le: return lhs <= rhs
            default: return lhs >= rhs
            }
        }
    }

    private func equals(_ s: Scalar, _ line: UnsafeRawBufferPointer) -> Bool {
        switch operand {
        case .regex(let r):
            return s.withBytes(line) { r.isMatch($0) }
        case .text(let w):
            return s.withBytes(line) { w.matches($0) }
        case .number(let d, let written):
            // Inferred: numbers compare by value (`= 500` matches 500.0 and 5e2); other scalars
            // (strings, booleans) compare as text with the number as written.
            if s.kind == .number || s.kind == .text, let v = s.number(in: line) { return v == d }
            return s.withBytes(line) { v in written.withUnsafeBytes { Bytes.equal($0, v) } }
        }
    }
}

/// A text value with an optional `*` at either end.
struct Wildcard: Sendable {
    let core: [UInt8]
    let anyPrefix: Bool
    let anySuffix: Bool

    init(_ text: [UInt8]) {
        var t = text[...]
        let star = UInt8(ascii: "*")
        anyPrefix = t.first == star
        if anyPrefix { t = t.dropFirst() }
        anySuffix = t.last == star
        if anySuffix { t = t.dropLast() }
        core = Array(t)
    }

    func matches(_ v: UnsafeRawBufferPointer) -> Bool {
        core.withUnsafeBytes { c in
            switch (anyPrefix, anySuffix) {
            case (false, false): return Bytes.equal(c, v)
            case (true, true): return c.isEmpty || Bytes.find(c, in: v, from: 0, to: v.count) != nil
            case (false, true): return v.count >= c.count && Bytes.equal(c, UnsafeRawBufferPointer(rebasing: v[0..<c.count]))
            case (true, false): return v.count >= c.count && Bytes.equal(c, UnsafeRawBufferPointer(rebasing: v[(v.count - c.count)...]))
            }
        }
    }
}

// MARK: Boolean expressions over fields

/// `&&`, `||` and parentheses over tests of fields; `field` indexes the pattern's field list.
indirect enum Expr: Sendable {
    case and([Expr]), or([Expr])
    case test(field: Int, Condition)
    case isTrue(field: Int), isFalse(field: Int), isNull(field: Int), notExists(field: Int)

    /// What a lookup of a field found.
    enum Found { case missing, container, scalar(Scalar) }

    func evaluate(_ line: UnsafeRawBufferPointer, _ lookup: (Int) -> Found) -> Bool {
        switch self {
        case .and(let es):
            for e in es where !e.evaluate(line, lookup) { return false }
            return true
        case .or(let es):
            for e in es where e.evaluate(line, lookup) { return true }
            return false
        case .test(let f, let c):
            // A missing field or one holding an object or array fails every comparison, `!=` included (inferred for `!=`).
            guard case .scalar(let s) = lookup(f) else { return false }
            return c.test(s, line)
        case .isTrue(let f): return literal(f, line, lookup, "true")
        case .isFalse(let f): return literal(f, line, lookup, "false")
        case .isNull(let f):
            guard case .scalar(let s) = lookup(f) else { return false }
            return s.kind == .null
        case .notExists(let f):
            if case .missing = lookup(f) { return true }
            return false
        }
    }

    private func literal(_ f: Int, _ line: UnsafeRawBufferPointer, _ lookup: (Int) -> Found, _ word: StaticString) -> Bool {
        guard case .scalar(let s) = lookup(f), s.kind == .bool else { return false }
        return Bytes.hasPrefix(line, at: s.range.lowerBound, word)
    }
}

/// Recursive descent over tokens: `expr := and { "||" and }`, `and := term { "&&" term }`,
/// `term := "(" expr ")" | field op value | field IS TRUE|FALSE|NULL | field NOT EXISTS`.
struct ExprParser {
    let src: PatternSource
    let tokens: [Token]
    var pos = 0
    /// Turns a field word into a field index (JSON: a selector; space-delimited: the slot's own name).
    let field: (Token, [UInt8]) throws(FilterPatternError) -> Int
    /// Whether `IS …` and `NOT EXISTS` are allowed (JSON only).
    let postfix: Bool
    /// Where the expression ends, for errors.
    let endOffset: Int

    var peek: Token? { pos < tokens.count ? tokens[pos] : nil }

    mutating func parseAll() throws(FilterPatternError) -> Expr {
        guard !tokens.isEmpty else { throw src.error(at: endOffset, "empty expression") }
        let e = try parseOr()
        if let t = peek {
            if case .rparen = t.kind { throw src.error(at: t.start, "unbalanced ')'") }
            throw src.error(at: t.start, "expected '&&', '||' or the end of the pattern")
        }
        return e
    }

    mutating func parseOr() throws(FilterPatternError) -> Expr {
        var parts = [try parseAnd()]
        while let t = peek, case .or = t.kind { pos += 1; parts.append(try parseAnd()) }
        return parts.count == 1 ? parts[0] : .or(parts)
    }

    mutating func parseAnd() throws(FilterPatternError) -> Expr {
        var parts = [try parseTerm()]
        while let t = peek, case .and = t.kind { pos += 1; parts.append(try parseTerm()) }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    mutating func parseTerm() throws(FilterPatternError) -> Expr {
        guard let t = peek else { throw src.error(at: endOffset, "expected a comparison") }
        pos += 1
        switch t.kind {
        case .lparen:
            let e = try parseOr()
            guard let close = peek, case .rparen = close.kind else { throw src.error(at: t.start, "unbalanced '('") }
            pos += 1
            return e
        case .word(let w):
            let f = try field(t, w)
            guard let next = peek else { throw src.error(at: endOffset, "expected a comparison after the field") }
            switch next.kind {
            case .op(let op):
                pos += 1
                let value = peek
                pos += 1
                return .test(field: f, try Condition.parse(op: op, opToken: next, value: value, src))
            case .word(let kw) where postfix && (kw == Array("IS".utf8) || kw == Array("NOT".utf8)):
                pos += 1
                guard let arg = peek, case .word(let a) = arg.kind else { throw src.error(at: next.end, "expected TRUE, FALSE, NULL or EXISTS") }
                pos += 1
                switch (kw == Array("IS".utf8), String(decoding: a, as: UTF8.self)) {
                case (true, "TRUE"): return .isTrue(field: f)
                case (true, "FALSE"): return .isFalse(field: f)
                case (true, "NULL"): return .isNull(field: f)
                case (false, "EXISTS"): return .notExists(field: f)
                default:
                    // `IS NOT …` and `EXISTS` are not supported by the service.
                    throw src.error(at: arg.start, kw == Array("IS".utf8) ? "expected TRUE, FALSE or NULL after IS" : "expected EXISTS after NOT")
                }
            default:
                throw src.error(at: next.start, postfix ? "expected a comparison operator, IS or NOT EXISTS" : "expected a comparison operator")
            }
        default:
            throw src.error(at: t.start, "expected a field")
        }
    }
}
