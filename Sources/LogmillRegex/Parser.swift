// Recursive-descent parser: pattern text -> `Node`.
// Syntax follows Python `re` (plus `(?<name>...)`, `\z`, `\x{...}`), minus backreferences,
// lookaround, atomic groups and possessive quantifiers, which are rejected with a `RegexError`.

struct ParsedRegex {
    var root: Node
    var captureNames: [String?]
}

struct Parser {
    struct Flags {
        var caseInsensitive = false
        var dotAll = false
        var multiline = false
    }

    static let maxRepeat = 1000

    private let chars: [Unicode.Scalar]
    private var pos = 0
    private var flags: Flags
    private var captureNames: [String?] = []

    init(_ pattern: String, options: RegexOptions) {
        chars = Array(pattern.unicodeScalars)
        flags = Flags(caseInsensitive: options.contains(.caseInsensitive),
                      dotAll: options.contains(.dotMatchesNewline),
                      multiline: options.contains(.multiline))
    }

    static func parse(_ pattern: String, options: RegexOptions) throws -> ParsedRegex {
        var p = Parser(pattern, options: options)
        let root = try p.parseAlternation(depth: 0)
        if p.pos < p.chars.count {
            // Only a stray ')' can stop the top-level alternation early.
            throw p.error("unbalanced parenthesis: unexpected ')'", at: p.pos)
        }
        return ParsedRegex(root: root, captureNames: p.captureNames)
    }

    // MARK: - Helpers

    private func error(_ message: String, at index: Int) -> RegexError {
        RegexError(message: message, column: index + 1)
    }

    private var atEnd: Bool { pos >= chars.count }
    private var peek: Unicode.Scalar? { pos < chars.count ? chars[pos] : nil }
    private func peek(_ offset: Int) -> Unicode.Scalar? {
        pos + offset < chars.count ? chars[pos + offset] : nil
    }

    private mutating func eat(_ c: Unicode.Scalar) -> Bool {
        if peek == c { pos += 1; return true }
        return false
    }

    // MARK: - Alternation and concatenation

    private mutating func parseAlternation(depth: Int) throws -> Node {
        if depth > 200 { throw error("pattern nested too deeply", at: pos) }
        let savedFlags = flags
        defer { flags = savedFlags }
        var branches: [Node] = [try parseConcat(depth: depth)]
        while eat("|") {
            branches.append(try parseConcat(depth: depth))
        }
        return branches.count == 1 ? branches[0] : .alternate(branches)
    }

    private mutating func parseConcat(depth: Int) throws -> Node {
        var items: [Node] = []
        // Whether the last item may take a quantifier (false for assertions / nothing).
        var lastRepeatable = false
        while let c = peek, c != "|", c != ")" {
            let start = pos
            switch c {
            case "*", "+", "?", "{":
                if c == "{", !looksLikeCountedRepeat() {
                    pos += 1
                    items.append(literal(c.value))
                    lastRepeatable = true
                    continue
                }
                guard lastRepeatable, let last = items.popLast() else {
                    throw error("nothing to repeat at '\(c)'", at: start)
                }
                items.append(try parseQuantifier(applyingTo: last))
            default:
                if let atom = try parseAtom(depth: depth) {
                    items.append(atom.node)
                    lastRepeatable = atom.repeatable
                } else {
                    // Flag group like (?i) or a comment: nothing to add; a following quantifier
                    // would have nothing to repeat.
                    lastRepeatable = false
                }
            }
        }
        switch items.count {
        case 0: return .empty
        case 1: return items[0]
        default: return .concat(items)
        }
    }

    // MARK: - Quantifiers

    /// `{` starts a counted repetition only in the forms {m}, {m,}, {,n}, {m,n}; otherwise it is a literal.
    private func looksLikeCountedRepeat() -> Bool {
        var i = pos + 1
        var sawDigit = false, sawComma = false
        while i < chars.count {
            let c = chars[i]
            if c == "}" { return sawDigit }
            if c == "," {
                if sawComma { return false }
                sawComma = true
            } else if ("0"..."9").contains(c) {
                sawDigit = true
            } else {
                return false
            }
            i += 1
        }
        return false
    }

    private mutating func parseNumber() -> (value: Int, overflow: Bool)? {
        var v = 0
        var any = false, overflow = false
        while let c = peek, ("0"..."9").contains(c) {
            v = v * 10 + Int(c.value - 48)
            if v > 1_000_000 { overflow = true; v = 1_000_000 }
            any = true
            pos += 1
        }
        return any ? (v, overflow) : nil
    }

    private mutating func parseQuantifier(applyingTo node: Node) throws -> Node {
        let start = pos
        let c = chars[pos]
        pos += 1
        var minCount = 0
        var maxCount: Int? = nil
        switch c {
        case "*": break
        case "+": minCount = 1
        case "?": maxCount = 1
        default: // "{"
            let lo = parseNumber()
            if eat(",") {
                let hi = parseNumber()
                minCount = lo?.value ?? 0
                maxCount = hi?.value
            } else {
                minCount = lo?.value ?? 0
                maxCount = minCount
            }
            _ = eat("}")
            if minCount > Parser.maxRepeat || (maxCount ?? 0) > Parser.maxRepeat {
                throw error("repetition count exceeds \(Parser.maxRepeat) in '\(String(String.UnicodeScalarView(chars[start..<pos])))'", at: start)
            }
            if let m = maxCount, m < minCount {
                throw error("min repeat greater than max repeat in '\(String(String.UnicodeScalarView(chars[start..<pos])))'", at: start)
            }
        }
        var greedy = true
        if eat("?") {
            greedy = false
        } else if peek == "+" {
            throw error("possessive quantifiers are not supported", at: pos)
        }
        return .repetition(node, min: minCount, max: maxCount, greedy: greedy)
    }

    // MARK: - Atoms

    private func literal(_ c: UInt32) -> Node {
        if flags.caseInsensitive {
            let folded = CodePointSet([c...c]).caseFolded()
            if folded.count > 1 { return .set(folded) }
        }
        return .char(c)
    }

    private func setNode(_ s: CodePointSet) -> Node {
        .set(flags.caseInsensitive ? s.caseFolded() : s)
    }

    /// Parses one atom. Returns nil for constructs that produce nothing (flag settings, comments).
    private mutating func parseAtom(depth: Int) throws -> (node: Node, repeatable: Bool)? {
        let start = pos
        let c = chars[pos]
        switch c {
        case "(":
            return try parseGroup(depth: depth)
        case "[":
            pos += 1
            return (.set(try parseClass(start: start)), true)
        case ".":
            pos += 1
            var s = CodePointSet([0...CodePointSet.maxScalar])
            if !flags.dotAll { s = CodePointSet([0...9, 11...CodePointSet.maxScalar]) }
            return (.set(s), true)
        case "^":
            pos += 1
            return (.assertion(flags.multiline ? .startLine : .startText), false)
        case "$":
            pos += 1
            return (.assertion(flags.multiline ? .endLine : .endTextOptionalNewline), false)
        case "\\":
            return try parseEscape()
        default:
            pos += 1
            return (literal(c.value), true)
        }
    }

    private mutating func parseGroup(depth: Int) throws -> (node: Node, repeatable: Bool)? {
        let start = pos
        pos += 1 // (
        var capture: Int? = nil
        var scopedFlags: Flags? = nil
        if eat("?") {
            guard let c = peek else { throw error("unbalanced parenthesis: missing ')'", at: start) }
            switch c {
            case ":":
                pos += 1
            case "P":
                if peek(1) == "<" {
                    pos += 2
                    capture = try parseGroupName(start: start)
                } else if peek(1) == "=" {
                    throw error("backreferences are not supported: '(?P='", at: start)
                } else if peek(1) == ">" {
                    throw error("recursion '(?P>' is not supported", at: start)
                } else {
                    throw error("unknown group extension '(?P'", at: start)
                }
            case "<":
                if peek(1) == "=" { throw error("lookbehind assertions are not supported: '(?<='", at: start) }
                if peek(1) == "!" { throw error("negative lookbehind assertions are not supported: '(?<!'", at: start) }
                pos += 1
                capture = try parseGroupName(start: start)
            case "=":
                throw error("lookahead assertions are not supported: '(?='", at: start)
            case "!":
                throw error("negative lookahead assertions are not supported: '(?!'", at: start)
            case ">":
                throw error("atomic groups are not supported: '(?>'", at: start)
            case "#":
                // Comment: skip to ')'.
                while let d = peek, d != ")" { pos += 1 }
                if !eat(")") { throw error("missing ')', unterminated comment", at: start) }
                return nil
            default:
                var f = flags
                var negate = false
                var any = false
                while let d = peek, d != ":" && d != ")" {
                    switch d {
                    case "i": f.caseInsensitive = !negate
                    case "s": f.dotAll = !negate
                    case "m": f.multiline = !negate
                    case "-":
                        if negate { throw error("bad inline flag '-'", at: pos) }
                        negate = true
                    case "u", "a", "L", "x":
                        throw error("inline flag '\(d)' is not supported", at: pos)
                    default:
                        throw error("unknown group extension or flag '(?\(d)'", at: pos)
                    }
                    any = true
                    pos += 1
                }
                if !any && peek == ")" { throw error("missing flag in '(?)'", at: start) }
                if eat(")") {
                    // (?i) applies from here to the end of the enclosing group.
                    flags = f
                    return nil
                }
                guard eat(":") else { throw error("unbalanced parenthesis: missing ')'", at: start) }
                scopedFlags = f
            }
        } else {
            captureNames.append(nil)
            capture = captureNames.count
        }
        let saved = flags
        if let f = scopedFlags { flags = f }
        let body = try parseAlternation(depth: depth + 1)
        flags = saved
        if !eat(")") { throw error("unbalanced parenthesis: missing ')'", at: start) }
        return (.group(body, capture: capture), true)
    }

    private mutating func parseGroupName(start: Int) throws -> Int {
        let nameStart = pos
        var name = ""
        while let c = peek, c != ">" {
            let ok = c == "_" || c.properties.isAlphabetic || (("0"..."9").contains(c) && !name.isEmpty)
            if !ok { throw error("bad character in group name", at: pos) }
            name.unicodeScalars.append(c)
            pos += 1
        }
        if !eat(">") { throw error("missing '>' in group name", at: nameStart) }
        if name.isEmpty { throw error("missing group name", at: nameStart) }
        if captureNames.contains(where: { $0 == name }) {
            throw error("redefinition of group name '\(name)'", at: nameStart)
        }
        captureNames.append(name)
        return captureNames.count
    }

    // MARK: - Escapes

    static let digit = CodePointSet([0x30...0x39])
    static let word = CodePointSet([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    static let space = CodePointSet([0x09...0x0D, 0x20...0x20])

    /// Class escapes shared by atoms and bracket classes.
    private func classEscape(_ c: Unicode.Scalar) -> CodePointSet? {
        switch c {
        case "d": return Parser.digit
        case "D": return Parser.digit.inverted()
        case "w": return Parser.word
        case "W": return Parser.word.inverted()
        case "s": return Parser.space
        case "S": return Parser.space.inverted()
        default: return nil
        }
    }

    private mutating func parseEscape() throws -> (node: Node, repeatable: Bool)? {
        let start = pos
        pos += 1 // backslash
        guard let c = peek else { throw error("pattern ends with a lone backslash", at: start) }
        if let s = classEscape(c) {
            pos += 1
            return (setNode(s), true)
        }
        switch c {
        case "b": pos += 1; return (.assertion(.wordBoundary), false)
        case "B": pos += 1; return (.assertion(.notWordBoundary), false)
        case "A": pos += 1; return (.assertion(.startText), false)
        case "z", "Z": pos += 1; return (.assertion(.endText), false)
        case "1"..."9":
            throw error("backreferences are not supported: '\\\(c)'", at: start)
        case "k", "g":
            throw error("backreferences are not supported: '\\\(c)'", at: start)
        default:
            let v = try parseCharEscape(start: start, inClass: false)
            return (literal(v), true)
        }
    }

    /// Escapes denoting a single character. `pos` is just after the backslash.
    private mutating func parseCharEscape(start: Int, inClass: Bool) throws -> UInt32 {
        let c = chars[pos]
        pos += 1
        switch c {
        case "t": return 0x09
        case "n": return 0x0A
        case "r": return 0x0D
        case "f": return 0x0C
        case "v": return 0x0B
        case "a": return 0x07
        case "0":
            // Octal escape \0, \0N, \0NN (Python).
            var v: UInt32 = 0
            var n = 0
            while n < 2, let d = peek, ("0"..."7").contains(d) { v = v * 8 + (d.value - 48); pos += 1; n += 1 }
            return v
        case "x":
            if eat("{") {
                let v = try parseHex(start: start, maxDigits: 8, exact: false)
                if !eat("}") { throw error("missing '}' in '\\x{...}' escape", at: start) }
                return v
            }
            return try parseHex(start: start, maxDigits: 2, exact: true)
        case "u":
            return try parseHex(start: start, maxDigits: 4, exact: true)
        case "U":
            return try parseHex(start: start, maxDigits: 8, exact: true)
        default:
            if c.value < 0x80 && !(c.properties.isAlphabetic || ("0"..."9").contains(c)) {
                return c.value // escaped punctuation / space
            }
            if inClass && c == "b" { return 0x08 }
            throw error("unknown escape '\\\(c)'", at: start)
        }
    }

    private mutating func parseHex(start: Int, maxDigits: Int, exact: Bool) throws -> UInt32 {
        var v: UInt32 = 0
        var n = 0
        while n < maxDigits, let d = peek, let h = hexValue(d) {
            v = v * 16 + h
            pos += 1
            n += 1
        }
        if n == 0 || (exact && n != maxDigits) {
            throw error("incomplete hexadecimal escape", at: start)
        }
        if v > CodePointSet.maxScalar { throw error("hexadecimal escape out of Unicode range", at: start) }
        return v
    }

    private func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c {
        case "0"..."9": return c.value - 48
        case "a"..."f": return c.value - 87
        case "A"..."F": return c.value - 55
        default: return nil
        }
    }

    // MARK: - Bracket classes

    /// Parses a class after `[`; `start` is the index of `[`.
    private mutating func parseClass(start: Int) throws -> CodePointSet {
        var set = CodePointSet()
        let negated = eat("^")
        var first = true
        while true {
            guard let c = peek else { throw error("unterminated character set", at: start) }
            if c == "]" && !first { pos += 1; break }
            first = false
            let itemStart = pos
            // One class item: either a class escape, or a single char possibly starting a range.
            var lo: UInt32
            if c == "\\" {
                pos += 1
                guard let e = peek else { throw error("unterminated character set", at: start) }
                if let s = classEscape(e) {
                    pos += 1
                    if peek == "-", let n = peek(1), n != "]" {
                        throw error("bad character range '\\\(e)-\(n)'", at: itemStart)
                    }
                    set.formUnion(s)
                    continue
                }
                if ("1"..."9").contains(e) { throw error("backreferences are not supported in a class", at: itemStart) }
                lo = try parseCharEscape(start: itemStart, inClass: true)
            } else {
                pos += 1
                lo = c.value
            }
            if peek == "-", let n = peek(1), n != "]" {
                pos += 1
                var hi: UInt32
                if n == "\\" {
                    pos += 1
                    guard let e = peek else { throw error("unterminated character set", at: start) }
                    if classEscape(e) != nil { throw error("bad character range", at: itemStart) }
                    hi = try parseCharEscape(start: pos - 1, inClass: true)
                } else {
                    pos += 1
                    hi = n.value
                }
                if hi < lo {
                    let text = String(String.UnicodeScalarView(chars[itemStart..<pos]))
                    throw error("bad character range '\(text)'", at: itemStart)
                }
                set.insert(lo...hi)
            } else {
                set.insert(lo)
            }
        }
        // Case folding is applied before negation (Python semantics: [^a] with (?i) excludes A too).
        if flags.caseInsensitive { set = set.caseFolded() }
        return negated ? set.inverted() : set
    }
}
