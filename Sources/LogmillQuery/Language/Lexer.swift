/// A position in the query text, 1-based.
public struct SourceLocation: Sendable, Equatable {
    public var offset: Int
    public var line: Int
    public var column: Int
    public init(offset: Int, line: Int, column: Int) {
        self.offset = offset
        self.line = line
        self.column = column
    }
}

enum TokenKind: Equatable {
    case identifier(String)      // field names, keywords, function names; backticks removed
    case string(String)
    case regex(String)
    case number(Double, String)
    case period(String)          // 5m, 1h, 100ms
    case op(String)              // | , ( ) [ ] = != < <= > >= =~ + - * / % ^
    case end
}

struct Token {
    let kind: TokenKind
    let start: Int               // byte offset in the query
    let end: Int
    let location: SourceLocation
    /// True for identifiers written with backticks: never keywords.
    var quoted = false
}

/// Splits query text into tokens. `#` starts a comment outside literals; `/` starts a regex literal
/// wherever a value is expected, and means division after a value.
struct Lexer {
    let text: [UInt8]
    let source: String
    var i = 0
    var line = 1
    var lineStart = 0
    var tokens: [Token] = []

    init(_ source: String) {
        self.source = source
        text = Array(source.utf8)
    }

    func location(_ offset: Int) -> SourceLocation {
        var l = 1, ls = 0
        for k in 0..<min(offset, text.count) where text[k] == 0x0a { l += 1; ls = k + 1 }
        // Columns count characters, not bytes.
        let col = String(decoding: text[ls..<min(offset, text.count)], as: UTF8.self).count + 1
        return SourceLocation(offset: offset, line: l, column: col)
    }

    func error(_ message: String, at offset: Int, hint: String? = nil) -> QueryError {
        QueryError(message, at: location(offset), hint: hint, source: source)
    }

    static func isIdentStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x40 || c >= 0x80
    }
    static func isIdentChar(_ c: UInt8) -> Bool { isIdentStart(c) || (c >= 0x30 && c <= 0x39) || c == 0x2e }

    private var regexAllowed: Bool {
        guard let last = tokens.last else { return true }
        switch last.kind {
        case .identifier(let name):
            if last.quoted { return false }
            let lower = name.lowercased()
            if ["like", "and", "or", "not", "in", "filter", "where", "by", "as", "parse"].contains(lower) { return true }
            // `parse @message /re/`: an identifier right after `parse` is the source field.
            if tokens.count >= 2, case .identifier(let p) = tokens[tokens.count - 2].kind, p.lowercased() == "parse" { return true }
            return false
        case .number, .string, .regex, .period: return false
        case .op(let o): return !(o == ")" || o == "]")
        case .end: return true
        }
    }

    mutating func tokenize() throws -> [Token] {
        while true {
            // Whitespace and comments.
            while i < text.count {
                let c = text[i]
                if c == 0x0a { i += 1; line += 1; lineStart = i; continue }
                if c == 0x20 || c == 0x09 || c == 0x0d { i += 1; continue }
                if c == UInt8(ascii: "#") {
                    while i < text.count && text[i] != 0x0a { i += 1 }
                    continue
                }
                break
            }
            guard i < text.count else {
                tokens.append(Token(kind: .end, start: i, end: i, location: location(i)))
                return tokens
            }
            let start = i
            let c = text[i]
            let loc = location(start)
            func push(_ k: TokenKind, quoted: Bool = false) {
                tokens.append(Token(kind: k, start: start, end: i, location: loc, quoted: quoted))
            }
            if c == UInt8(ascii: "."), let last = tokens.last, last.end == i, i + 1 < text.count,
               Lexer.isIdentStart(text[i + 1]) || text[i + 1] == UInt8(ascii: "`") {
                // Member access right after a name, a call or an index: jsonParse(x).key, m.`a.b`.
                var isAccess = false
                switch last.kind {
                case .identifier: isAccess = true
                case .op(let o): isAccess = o == ")" || o == "]"
                default: break
                }
                if isAccess {
                    i += 1
                    push(.op("."))
                    continue
                }
            }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                push(.string(try readQuoted(c)))
            } else if c == UInt8(ascii: "`") {
                push(.identifier(try readQuoted(c, escapes: false)), quoted: true)
            } else if c == UInt8(ascii: "/") && regexAllowed {
                push(.regex(try readRegex()))
            } else if c >= 0x30 && c <= 0x39 || (c == UInt8(ascii: ".") && i + 1 < text.count && text[i + 1] >= 0x30 && text[i + 1] <= 0x39) {
                while i < text.count, (text[i] >= 0x30 && text[i] <= 0x39) || text[i] == UInt8(ascii: ".") { i += 1 }
                if i < text.count, Lexer.isIdentStart(text[i]) && text[i] != 0x40 {
                    // A number with a unit: a time period such as 5m or 100ms.
                    while i < text.count, (text[i] >= 0x41 && text[i] <= 0x5a) || (text[i] >= 0x61 && text[i] <= 0x7a) { i += 1 }
                    push(.period(String(decoding: text[start..<i], as: UTF8.self)))
                } else {
                    let s = String(decoding: text[start..<i], as: UTF8.self)
                    guard let v = Double(s) else { throw error("malformed number '\(s)'", at: start) }
                    // Whole numbers must fit in 64 bits and decimals in a double: anything larger
                    // would silently become infinity or lose its last digits.
                    guard v.isFinite, s.contains(".") || Int64(s) != nil else {
                        throw error("the number \(s) is too large", at: start, hint: "whole numbers go up to 9223372036854775807")
                    }
                    push(.number(v, s))
                }
            } else if Lexer.isIdentStart(c) {
                while i < text.count, Lexer.isIdentChar(text[i]) { i += 1 }
                // `@` followed by a backtick-quoted name: @`aws.tag:x`.
                if i == start + 1 && c == 0x40 && i < text.count && text[i] == UInt8(ascii: "`") {
                    let q = try readQuoted(UInt8(ascii: "`"), escapes: false)
                    push(.identifier("@" + q), quoted: true)
                } else {
                    var name = String(decoding: text[start..<i], as: UTF8.self)
                    // A trailing dot is not part of a name.
                    while name.hasSuffix(".") { name.removeLast(); i -= 1 }
                    push(.identifier(name))
                }
            } else {
                let two = i + 1 < text.count ? String(decoding: text[i...(i + 1)], as: UTF8.self) : ""
                if ["!=", "<=", ">=", "=~", "==", "&&", "||"].contains(two) {
                    i += 2
                    if two == "&&" || two == "||" {
                        throw error("'\(two)' is not an Insights operator", at: start, hint: two == "&&" ? "write 'and'" : "write 'or'")
                    }
                    push(.op(two == "==" ? "=" : two))
                } else if "|,()[]=<>+-*/%^:".utf8.contains(c) {
                    i += 1
                    push(.op(String(UnicodeScalar(c))))
                } else if c == UInt8(ascii: "!") {
                    throw error("unexpected '!'", at: start, hint: "use 'not' for negation and '!=' for inequality")
                } else {
                    throw error("unexpected character '\(String(decoding: [c], as: UTF8.self))'", at: start)
                }
            }
        }
    }

    private mutating func readQuoted(_ q: UInt8, escapes: Bool = true) throws -> String {
        let start = i
        i += 1
        var out: [UInt8] = []
        while i < text.count {
            let c = text[i]
            if c == q { i += 1; return String(decoding: out, as: UTF8.self) }
            if c == 0x5c && escapes && i + 1 < text.count {
                let n = text[i + 1]
                switch n {
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0d)
                default: out.append(n)
                }
                i += 2
                continue
            }
            if c == 0x0a { line += 1; lineStart = i + 1 }
            out.append(c)
            i += 1
        }
        let what = q == UInt8(ascii: "`") ? "backtick-quoted name" : "string"
        throw error("unterminated \(what)", at: start, hint: "close it with \(String(UnicodeScalar(q)))")
    }

    private mutating func readRegex() throws -> String {
        let start = i
        i += 1
        var out: [UInt8] = []
        while i < text.count {
            let c = text[i]
            if c == UInt8(ascii: "/") { i += 1; return String(decoding: out, as: UTF8.self) }
            if c == 0x0a { break }
            if c == 0x5c && i + 1 < text.count {
                if text[i + 1] == UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) } else { out.append(c); out.append(text[i + 1]) }
                i += 2
                continue
            }
            out.append(c)
            i += 1
        }
        throw error("unterminated regular expression", at: start, hint: "close it with / (write \\/ for a literal slash)")
    }
}
