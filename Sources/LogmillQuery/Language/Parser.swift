/// Parses Insights query text into a `Query`. Errors carry line, column and a hint.
public struct QueryParser {
    /// Commands logmill runs.
    static let commands = ["fields", "display", "filter", "where", "filterindex", "stats", "sort", "limit", "head", "parse", "dedup",
                           "unnest", "lookup", "source", "pattern", "unmask"]
    /// Commands of the language that logmill recognises but does not run (yet).
    static let unsupported = ["diff", "anomaly", "join", "logcompare",
                              "addtotals", "expand", "relevantfields", "autoregress", "filldown", "fillmissing", "cidrlookup",
                              "outlier", "accum", "appendcols", "sessionize", "countfrequent", "json", "tail"]

    /// How deeply parentheses, calls, `not`, unary minus and `^` may nest, counting each operator of
    /// an arithmetic chain such as `a + b + c` as a level too. Parsing recurses once per level of
    /// nesting, and compiling and evaluating once per level of the tree (which a chain deepens), so
    /// without a bound a long enough `((((…` or `1+1+1…` overflows the stack.
    static let maxNesting = 256

    private var tokens: [Token] = []
    private var p = 0
    private var depth = 0
    private let source: String
    private var lexer: Lexer

    public static func parse(_ text: String) throws -> Query {
        var parser = QueryParser(text)
        return try parser.parseQuery()
    }

    init(_ text: String) {
        source = text
        lexer = Lexer(text)
    }

    private var tok: Token { tokens[p] }
    private func peek(_ k: Int = 1) -> Token { tokens[min(p + k, tokens.count - 1)] }

    private func err(_ message: String, _ t: Token? = nil, hint: String? = nil) -> QueryError {
        QueryError(message, at: (t ?? tok).location, hint: hint, source: source)
    }

    private func isOp(_ s: String, _ t: Token? = nil) -> Bool {
        if case .op(let o) = (t ?? tok).kind { return o == s }
        return false
    }

    private func isKeyword(_ s: String, _ t: Token? = nil) -> Bool {
        let t = t ?? tok
        if !t.quoted, case .identifier(let n) = t.kind { return n.lowercased() == s }
        return false
    }

    private mutating func expectOp(_ s: String, hint: String? = nil) throws {
        guard isOp(s) else { throw err("expected '\(s)' but found \(describe(tok))", hint: hint) }
        p += 1
    }

    /// Enters one more level of nesting at `t`; the caller leaves it with `depth -= 1`.
    private mutating func enter(_ t: Token) throws {
        depth += 1
        if depth > QueryParser.maxNesting { throw tooDeep(t) }
    }

    @inline(never) private func tooDeep(_ t: Token) -> QueryError {
        err("the expression nests more than \(QueryParser.maxNesting) levels deep here", t, hint: "split it with 'fields' into named steps")
    }

    private func describe(_ t: Token) -> String {
        switch t.kind {
        case .identifier(let n): return "'\(n)'"
        case .string(let s): return "string \"\(s)\""
        case .regex(let r): return "regex /\(r)/"
        case .number(_, let s): return "number \(s)"
        case .period(let s): return "'\(s)'"
        case .op(let o): return "'\(o)'"
        case .end: return "the end of the query"
        }
    }

    private func text(_ start: Int, _ end: Int) -> String {
        String(decoding: lexer.text[start..<end], as: UTF8.self)
    }

    mutating func parseQuery() throws -> Query {
        // Checked before tokenizing, so a huge query costs nothing.
        if source.utf8.count > 10_000 {
            throw QueryError("query is \(source.utf8.count) characters long; Insights accepts at most 10,000", at: nil, source: source)
        }
        tokens = try lexer.tokenize()
        var commands: [Command] = []
        if isOp("|") { p += 1 }   // tolerate a leading pipe
        if case .end = tok.kind { throw err("the query is empty", hint: "start with a command such as 'fields' or 'filter'") }
        while true {
            commands.append(try parseCommand())
            if case .end = tok.kind { break }
            guard isOp("|") else {
                throw err("expected '|' or the end of the query but found \(describe(tok))",
                          hint: "separate commands with '|'")
            }
            p += 1
            if case .end = tok.kind { throw err("expected a command after '|'") }
        }
        return Query(commands: commands, source: source)
    }

    private mutating func parseCommand() throws -> Command {
        let t = tok
        guard case .identifier(let rawName) = t.kind, !t.quoted else {
            throw err("expected a command but found \(describe(t))", hint: "commands are: \(QueryParser.commands.joined(separator: ", "))")
        }
        let name = rawName.lowercased()
        p += 1
        let kind: CommandKind
        switch name {
        case "fields":
            kind = .fields(try parseNamedList(allowAlias: true))
        case "display":
            kind = .display(try parseNamedList(allowAlias: true))
        case "filter", "where", "filterindex":
            kind = .filter(try parseExpr())
        case "stats":
            kind = try parseStats()
        case "sort":
            if isKeyword("by") { p += 1 }
            var keys: [SortKey] = []
            repeat {
                if !keys.isEmpty { p += 1 }
                let e = try parseExpr()
                var desc = false
                if isKeyword("desc") { desc = true; p += 1 } else if isKeyword("asc") { p += 1 }
                keys.append(SortKey(expr: e, descending: desc))
            } while isOp(",")
            kind = .sort(keys)
        case "limit", "head":
            if isKeyword("any") { p += 1 }
            guard case .number(let v, let s) = tok.kind, v >= 0, v == v.rounded() else {
                throw err("limit needs a whole number of rows, found \(describe(tok))")
            }
            if v > 100_000 { throw err("limit \(s) is above the maximum of 100,000") }
            p += 1
            kind = .limit(Int(v))
        case "parse":
            kind = try parseParse()
        case "dedup":
            var keys: [Expr] = []
            repeat {
                if !keys.isEmpty { p += 1 }
                keys.append(try parseExpr())
            } while isOp(",")
            kind = .dedup(keys)
        case "unnest":
            let e = try parseExpr()
            guard isKeyword("into") else { throw err("expected 'into' after the unnest expression", hint: "unnest doc.items into item") }
            p += 1
            guard case .identifier(let n) = tok.kind else { throw err("expected a field name after 'into'") }
            p += 1
            kind = .unnest(e, into: n)
        case "lookup":
            guard case .identifier(let table) = tok.kind else { throw err("expected a lookup table name", hint: "lookup users id OUTPUT name") }
            p += 1
            var keys: [(String, String)] = []
            while true {
                guard case .identifier(let f) = tok.kind, !isKeyword("output") else { break }
                p += 1
                var logField = f
                if isKeyword("as") {
                    p += 1
                    guard case .identifier(let lf) = tok.kind else { throw err("expected a field name after 'as'") }
                    logField = lf
                    p += 1
                }
                keys.append((f, logField))
                if isOp(",") { p += 1 } else { break }
            }
            guard !keys.isEmpty else { throw err("lookup needs the table field to match on", hint: "lookup users id OUTPUT name") }
            guard isKeyword("output") else { throw err("expected OUTPUT and the table columns to add", hint: "lookup \(table) \(keys[0].0) OUTPUT column") }
            p += 1
            var outputs: [String] = []
            repeat {
                if !outputs.isEmpty { p += 1 }
                guard case .identifier(let o) = tok.kind else { throw err("expected a column name after OUTPUT") }
                outputs.append(o)
                p += 1
            } while isOp(",")
            kind = .lookup(table: table, keys: keys, outputs: outputs)
        case "source":
            kind = try parseSource(t)
        case "pattern":
            kind = .pattern(try parseExpr())
        case "unmask":
            // `unmask` as a command (the console also accepts it as a function): nothing is masked here.
            let e = try parseExpr()
            kind = .fields([NamedExpr(expr: e, alias: nil, name: text(e.start, e.end))])
        default:
            if QueryParser.unsupported.contains(name) {
                throw err("the '\(rawName)' command is not supported by logmill", t)
            }
            throw err("unknown command '\(rawName)'", t, hint: Suggest.nearest(name, in: QueryParser.commands).map { "did you mean '\($0)'?" })
        }
        return Command(kind: kind, name: name == "where" || name == "filterindex" ? "filter" : (name == "head" ? "limit" : name), location: t.location)
    }

    /// `SOURCE 'group'` (dashboard form) or `SOURCE logGroups(namePrefix: [...], accountIdentifiers: [...], class: [...])`.
    private mutating func parseSource(_ t: Token) throws -> CommandKind {
        if case .string(let g) = tok.kind {
            p += 1
            return .source(prefixes: [], exact: [g])
        }
        guard case .identifier(let fn) = tok.kind, fn.lowercased() == "loggroups" else {
            if case .identifier(let fn) = tok.kind, fn.lowercased() == "datasource" {
                throw err("SOURCE dataSource(...) is not supported by logmill; name the inputs on the command line")
            }
            throw err("expected a quoted log group or logGroups(...) after SOURCE", hint: "SOURCE logGroups(namePrefix: ['/aws/lambda/'])")
        }
        p += 1
        try expectOp("(")
        var prefixes: [String] = []
        while !isOp(")") {
            guard case .identifier(let key) = tok.kind else { throw err("expected namePrefix:, accountIdentifiers: or class:") }
            p += 1
            // `name:` — the lexer keeps ':' out of names, so accept it as unexpected-free syntax here.
            if !isOp(":") && !isOp("=") { throw err("expected ':' after \(key)") }
            p += 1
            try expectOp("[")
            var values: [String] = []
            while !isOp("]") {
                guard case .string(let v) = tok.kind else { throw err("expected a quoted value") }
                values.append(v)
                p += 1
                if isOp(",") { p += 1 }
            }
            p += 1
            switch key.lowercased() {
            case "nameprefix": prefixes += values
            case "accountidentifiers", "accountidentifier", "class", "loggroupclass": break   // one account and class locally
            default: throw err("unknown logGroups option '\(key)'", hint: "namePrefix, accountIdentifiers, class")
            }
            if isOp(",") { p += 1 }
        }
        p += 1
        return .source(prefixes: prefixes, exact: [])
    }

    private mutating func parseNamedList(allowAlias: Bool) throws -> [NamedExpr] {
        var items: [NamedExpr] = []
        repeat {
            if !items.isEmpty { p += 1 }
            items.append(try parseNamed())
        } while isOp(",")
        return items
    }

    private mutating func parseNamed() throws -> NamedExpr {
        let e = try parseExpr()
        var alias: String? = nil
        if isKeyword("as") {
            p += 1
            guard case .identifier(let a) = tok.kind else { throw err("expected a name after 'as' but found \(describe(tok))") }
            alias = a
            p += 1
        }
        let name: String
        if let alias { name = alias } else if case .field(let f) = e.kind { name = f } else { name = text(e.start, e.end) }
        return NamedExpr(expr: e, alias: alias, name: name)
    }

    private mutating func parseStats() throws -> CommandKind {
        var aggs: [NamedExpr] = []
        repeat {
            if !aggs.isEmpty { p += 1 }
            aggs.append(try parseNamed())
        } while isOp(",")
        var groups: [NamedExpr] = []
        if isKeyword("by") {
            p += 1
            repeat {
                if !groups.isEmpty { p += 1 }
                groups.append(try parseNamed())
            } while isOp(",")
        }
        return .stats(aggregates: aggs, groups: groups)
    }

    private mutating func parseParse() throws -> CommandKind {
        var sourceExpr = Expr(kind: .field("@message"), start: tok.start, end: tok.start, location: tok.location)
        if case .identifier = tok.kind {
            sourceExpr = try parsePrimary()
        }
        switch tok.kind {
        case .string(let pattern):
            let patTok = tok
            p += 1
            guard isKeyword("as") else { throw err("a glob pattern in parse needs 'as' and one name per '*'", hint: "parse @message \"[*] *\" as level, text") }
            p += 1
            var names: [String] = []
            repeat {
                if !names.isEmpty { p += 1 }
                guard case .identifier(let n) = tok.kind else { throw err("expected a field name but found \(describe(tok))") }
                names.append(n)
                p += 1
            } while isOp(",")
            let stars = pattern.filter { $0 == "*" }.count
            if stars != names.count {
                throw err("the pattern has \(stars) '*' but \(names.count) name\(names.count == 1 ? "" : "s") follow 'as'", patTok,
                          hint: "give exactly one name per '*'")
            }
            return .parse(source: sourceExpr, .glob(pattern, names: names))
        case .regex(let r):
            p += 1
            if isKeyword("as") { throw err("regex parse takes its names from named groups (?<name>...), not from 'as'") }
            return .parse(source: sourceExpr, .regex(r))
        default:
            throw err("parse expects a glob string or a /regex/ but found \(describe(tok))")
        }
    }

    // MARK: expressions, lowest precedence first

    mutating func parseExpr() throws -> Expr { try parseOr() }

    private func span(_ a: Expr, _ b: Expr, _ k: ExprKind) -> Expr {
        Expr(kind: k, start: a.start, end: b.end, location: a.location)
    }

    private mutating func parseOr() throws -> Expr {
        var operands = [try parseAnd()]
        while isKeyword("or") {
            p += 1
            operands.append(try parseAnd())
        }
        return balanced(operands[...], "or")
    }

    private mutating func parseAnd() throws -> Expr {
        var operands = [try parseNot()]
        while isKeyword("and") {
            p += 1
            operands.append(try parseNot())
        }
        return balanced(operands[...], "and")
    }

    /// `and` and `or` are associative (and short-circuit left to right either way), so a long chain
    /// such as a generated `a = 1 or a = 2 or …` becomes a balanced tree: as deep as the log of its
    /// length, where a left-leaning one would be as deep as the chain and overflow the stack when
    /// compiled or evaluated. Three operands keep the left-leaning shape `(a op b) op c`.
    private func balanced(_ xs: ArraySlice<Expr>, _ op: String) -> Expr {
        if xs.count == 1 { return xs[xs.startIndex] }
        let mid = xs.endIndex - xs.count / 2
        let l = balanced(xs[..<mid], op), r = balanced(xs[mid...], op)
        return span(l, r, .binary(op, l, r))
    }

    private mutating func parseNot() throws -> Expr {
        if isKeyword("not") {
            let t = tok
            try enter(t)
            defer { depth -= 1 }
            p += 1
            let e = try parseNot()
            return Expr(kind: .not(e), start: t.start, end: e.end, location: t.location)
        }
        return try parseComparison()
    }

    // Every function on the recursive path (parseExpr … parseAtom and back) keeps a small frame,
    // with cold paths and error messages out of line: a debug build's frames are large, and the
    // nesting bound must hold far below the stack's end.

    private mutating func parseComparison() throws -> Expr {
        let l = try parseAdditive()
        if let o = comparisonOperator() {
            p += 1
            let r = try parseAdditive()
            return span(l, r, .binary(o, l, r))
        }
        switch tok.kind {
        case .op, .identifier: return try parseMatch(l)
        default: return l
        }
    }

    @inline(never) private func comparisonOperator() -> String? {
        guard case .op(let o) = tok.kind, o == "=" || o == "!=" || o == "<" || o == "<=" || o == ">" || o == ">=" else { return nil }
        return o
    }

    /// `=~`, `like`, `not like`, `in`, `not in`.
    @inline(never) private mutating func parseMatch(_ l: Expr) throws -> Expr {
        if isOp("=~") {
            p += 1
            let r = try parsePrimary()
            return span(l, r, .like(l, r, negated: false))
        }
        var negated = false
        if isKeyword("not"), isKeyword("like", peek()) || isKeyword("in", peek()) { negated = true; p += 1 }
        if isKeyword("like") {
            p += 1
            let r = try parsePrimary()
            return span(l, r, .like(l, r, negated: negated))
        }
        if isKeyword("in") { return try parseInList(l, negated: negated) }
        return l
    }

    @inline(never) private mutating func parseInList(_ l: Expr, negated: Bool) throws -> Expr {
        p += 1
        let open = tok
        try expectOp("[", hint: "write a list: f in [\"a\", \"b\"]")
        var items: [Expr] = []
        if !isOp("]") {
            repeat {
                if !items.isEmpty { p += 1 }
                items.append(try parseAdditive())
            } while isOp(",")
        }
        let close = tok
        guard isOp("]") else { throw err("expected ']' to close the list opened at column \(open.location.column)") }
        p += 1
        return Expr(kind: .inList(l, items, negated: negated), start: l.start, end: close.end, location: l.location)
    }

    private mutating func parseAdditive() throws -> Expr {
        // `a + b - c …` builds a tree as deep as the chain (rounding makes it unsafe to rebalance):
        // each operator counts as a level of nesting.
        var l = try parseMultiplicative()
        let outer = depth
        while case .op(let o) = tok.kind, o == "+" || o == "-" {
            try enter(tok)
            p += 1
            let r = try parseMultiplicative()
            l = span(l, r, .binary(o, l, r))
        }
        depth = outer
        return l
    }

    private mutating func parseMultiplicative() throws -> Expr {
        var l = try parseUnary()
        let outer = depth
        while case .op(let o) = tok.kind, o == "*" || o == "/" || o == "%" {
            try enter(tok)
            p += 1
            let r = try parseUnary()
            l = span(l, r, .binary(o, l, r))
        }
        depth = outer
        return l
    }

    private mutating func parseUnary() throws -> Expr {
        if isOp("-") {
            let t = tok
            try enter(t)
            defer { depth -= 1 }
            p += 1
            let e = try parseUnary()
            if case .number(let v) = e.kind { return Expr(kind: .number(-v), start: t.start, end: e.end, location: t.location) }
            return Expr(kind: .negate(e), start: t.start, end: e.end, location: t.location)
        }
        return try parsePower()
    }

    private mutating func parsePower() throws -> Expr {
        let base = try parsePrimary()
        if isOp("^") {
            try enter(tok)
            defer { depth -= 1 }
            p += 1
            let e = try parseUnary()
            return span(base, e, .binary("^", base, e))
        }
        return base
    }

    private mutating func parsePrimary() throws -> Expr {
        let e = try parseAtom()
        if isOp(".") || isOp("[") { return try parsePostfix(e) }
        return e
    }

    /// Postfix map and list access: jsonParse(x).key, list[0], m.`a.b`.
    @inline(never) private mutating func parsePostfix(_ atom: Expr) throws -> Expr {
        var e = atom
        while true {
            if isOp(".") {
                p += 1
                guard case .identifier(let name) = tok.kind else { throw err("expected a key after '.'") }
                let steps: [AccessStep] = tok.quoted ? [.key(name)] : name.split(separator: ".").map { .key(String($0)) }
                e = Expr(kind: .access(e, steps), start: e.start, end: tok.end, location: e.location)
                p += 1
            } else if isOp("["), tok.start == e.end {
                p += 1
                guard case .number(let v, let s) = tok.kind, v >= 0, v == v.rounded() else { throw err("expected a list index") }
                guard v < 9.223372036854775807e18 else { throw err("list index \(s) is too large") }
                p += 1
                let close = tok
                try expectOp("]")
                e = Expr(kind: .access(e, [.index(Int(v))]), start: e.start, end: close.end, location: e.location)
            } else {
                return e
            }
        }
    }

    private mutating func parseAtom() throws -> Expr {
        let t = tok
        func make(_ k: ExprKind) -> Expr { Expr(kind: k, start: t.start, end: t.end, location: t.location) }
        switch t.kind {
        case .number(let v, _): p += 1; return make(.number(v))
        case .string(let s): p += 1; return make(.string(s))
        case .regex(let r): p += 1; return make(.regex(r))
        case .period(let s): p += 1; return make(.period(s))
        case .identifier(let name):
            p += 1
            if !t.quoted, isOp("(") { return try parseCall(t, name) }
            return try field(t, name)
        case .op("("):
            return try parseParenthesized(t)
        default:
            throw notAValue(t)
        }
    }

    @inline(never) private func notAValue(_ t: Token) -> QueryError {
        switch t.kind {
        case .op("["): return err("a list [...] may only follow 'in'")
        case .end: return err("the query ends where a value was expected")
        default: return err("expected a value but found \(describe(t))")
        }
    }

    @inline(never) private func field(_ t: Token, _ name: String) throws -> Expr {
        if !t.quoted, ["and", "or", "not", "like", "in", "as", "by", "asc", "desc"].contains(name.lowercased()) {
            throw err("expected a value but found the keyword '\(name)'", t)
        }
        return Expr(kind: .field(name), start: t.start, end: t.end, location: t.location)
    }

    @inline(never) private mutating func parseParenthesized(_ t: Token) throws -> Expr {
        try enter(t)
        p += 1
        let e = try parseExpr()
        guard isOp(")") else { throw unclosed(t) }
        depth -= 1
        let close = tok
        p += 1
        return Expr(kind: e.kind, start: t.start, end: close.end, location: t.location)
    }

    @inline(never) private func unclosed(_ t: Token) -> QueryError {
        err("expected ')' to close the '(' at column \(t.location.column), found \(describe(tok))")
    }

    @inline(never) private func unclosedCall(_ t: Token, _ name: String) -> QueryError {
        err("expected ')' to close the call to \(name)() opened at column \(t.location.column), found \(describe(tok))")
    }

    @inline(never) private mutating func parseCall(_ t: Token, _ name: String) throws -> Expr {
        try enter(t)
        p += 1
        var args: [Expr] = []
        if !isOp(")") {
            repeat {
                if !args.isEmpty { p += 1 }
                if isOp("*") {
                    let s = tok
                    p += 1
                    args.append(Expr(kind: .star, start: s.start, end: s.end, location: s.location))
                } else {
                    args.append(try parseExpr())
                }
            } while isOp(",")
        }
        let close = tok
        guard isOp(")") else { throw unclosedCall(t, name) }
        depth -= 1
        p += 1
        return Expr(kind: .call(name, args), start: t.start, end: close.end, location: t.location)
    }
}

/// Edit-distance suggestions for misspelled names.
enum Suggest {
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.lowercased()), y = Array(b.lowercased())
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev = Array(0...y.count)
        var cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            for j in 1...y.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[y.count]
    }

    static func nearest(_ word: String, in candidates: [String]) -> String? {
        var best: (String, Int)? = nil
        for c in candidates {
            let d = distance(word, c)
            if best == nil || d < best!.1 { best = (c, d) }
        }
        guard let b = best, b.1 <= max(2, word.count / 3) else { return nil }
        return b.0
    }
}
