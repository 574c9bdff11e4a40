import LogmillTestSupport

/// Insights queries from the language's grammar (commands, the registry's functions at their
/// arities, hostile literals, deep nesting, unicode, regexes), and mutations of valid queries.
struct QueryGenerator {
    var rng: SeededRandom

    /// Scalar functions and their arities, as `Sources/LogmillQuery/Functions` registers them.
    static let functions: [(String, ClosedRange<Int>)] = [
        ("abs", 1...1), ("bin", 1...1), ("ceil", 1...1), ("coalesce", 1...4), ("concat", 1...4), ("dateceil", 2...2),
        ("datefloor", 2...2), ("floor", 1...1), ("fromMillis", 1...1), ("greatest", 1...4), ("isblank", 1...1),
        ("isempty", 1...1), ("isIpInSubnet", 2...2), ("isIpv4InSubnet", 2...2), ("isIpv6InSubnet", 2...2),
        ("ispresent", 1...1), ("isValidIp", 1...1), ("isValidIpV4", 1...1), ("isValidIpV6", 1...1), ("jsonParse", 1...1),
        ("jsonStringify", 1...1), ("least", 1...4), ("log", 1...1), ("ltrim", 1...2), ("now", 0...0), ("replace", 3...3),
        ("rtrim", 1...2), ("sqrt", 1...1), ("strcontains", 2...3), ("strlen", 1...1), ("substr", 2...3), ("toMillis", 1...1),
        ("tolower", 1...1), ("toupper", 1...1), ("trim", 1...2), ("unmask", 1...1), ("base64decode", 1...1),
        ("base64encode", 1...1), ("case", 2...7), ("decToHex", 1...1), ("endsWith", 2...2), ("haversine", 4...4),
        ("hexToAscii", 1...1), ("hexToDec", 1...1), ("if", 3...3), ("ipv4ToNumber", 1...1), ("isNumeric", 1...1),
        ("isPrivateIP", 1...1), ("isPublicIP", 1...1), ("isReservedIP", 1...1), ("jsonArrayContains", 2...2),
        ("jsonArraySize", 1...1), ("md5", 1...1), ("messageSize", 1...1), ("formatDate", 2...3), ("strftime", 2...3),
        ("parseDate", 2...3), ("queryEndTime", 0...0), ("queryStartTime", 0...0), ("queryTimeRange", 0...0),
        ("regexReplace", 3...3), ("round", 1...2), ("sha256", 1...1), ("split", 2...2), ("startsWith", 2...2),
        ("toDouble", 1...1), ("toInt", 1...1), ("toLong", 1...1), ("toNumber", 1...1), ("urldecode", 1...1), ("urlencode", 1...1),
    ]
    static let aggregates: [(String, ClosedRange<Int>)] = [
        ("count", 0...1), ("count_distinct", 1...1), ("sum", 1...1), ("avg", 1...1), ("min", 1...1), ("max", 1...1),
        ("stddev", 1...1), ("pct", 2...2), ("earliest", 1...1), ("latest", 1...1), ("sortsFirst", 1...1), ("sortsLast", 1...1),
    ]
    static let fields = ["@message", "@timestamp", "@log", "@logStream", "@type", "@duration", "@maxMemoryUsed", "@memorySize",
                         "@requestId", "@level", "a.b", "items.0.id", "bytes", "srcAddr", "httpStatus", "elb_status_code",
                         "`odd name`", "missing", "x", "n", "é", "@ingestionTime", "operation", "level", "msg"]
    static let plainNumbers = ["0", "1", "2", "10", "0.5", "-3", "100", "1.5"]
    static let numbers = ["0", "-0", "1", "42", "1.5", "-1e300", "1e308", "1e309", "9223372036854775807", "9223372036854775808",
                          "-9223372036854775808", "99999999999999999999999", ".5", "1e-400", "0.000000000000000000001", "5", "100000", "100001"]
    static let strings = ["\"\"", "\"ERROR\"", "'REPORT'", "\"\\u0000\"", "\"é€😀\"", "\"\\\"\"", "\"1e999\"", "\"NaN\"", "\"[[[[\"",
                          "\"192.168.0.0/16\"", "\"::1\"", "\"10.0.0.1\"", "\"yyyy-MM-dd'T'HH:mm:ss\"", "\"%Y-%m-%d %H\"", "\"$1$2\"",
                          "\"{\\\"a\\\":[1,2,{\\\"b\\\":null}]}\"", "\"ff\"", "\"%zz\"", "\"////\"", "\" \\t\\n \""]
    static let regexes = ["/ERROR/", "/(?<f>\\d+)/", "/a*b*c*d*e*/", "/(a|aa)+$/", "/[\\x{10FFFF}-\\x{0}]/", "/(?i)report/", "/.*/",
                          "/\\//", "/(((((a)))))*/", "/(?<x>[^ ]+) (?<y>.*)/", "/\\bword\\b/", "/x{1000}/", "/(?P<n>é+)/", "/[[:alpha:]]+/",
                          "/(a)\\1/", "/(?=a)/", "/a{2,1}/", "/(/"]
    static let periods = ["1ms", "5s", "5m", "1h", "1d", "1w", "1mo", "1q", "1y", "90m", "0m", "-5m", "99999999999y", "10000y", "1000000000000s"]
    static let commands = ["fields", "filter", "stats", "sort", "limit", "parse", "dedup", "display", "unnest", "pattern",
                           "head", "where", "unmask", "SOURCE", "lookup", "diff", "filterIndex"]

    mutating func query() -> String {
        var parts: [String] = []
        for _ in 0..<(1 + rng.below(5)) { parts.append(command()) }
        // Only `limit` may follow `dedup`: mostly keep to that, so the query gets past the compiler.
        if rng.chance(90) { parts = parts.filter { !$0.hasPrefix("dedup") } + parts.filter { $0.hasPrefix("dedup") }.prefix(1) }
        return parts.joined(separator: rng.chance(10) ? "\n| " : " | ")
    }

    mutating func command() -> String {
        switch rng.pick(Self.commands) {
        case "fields", "display": return "\(rng.pick(["fields", "display"])) " + list(1...4) { g in g.aliased(g.expression(depth: 0)) }
        case "filter", "where": return "filter " + condition(depth: 0)
        case "stats":
            let aggs = list(1...3) { g in g.aliased(g.aggregate()) }
            if rng.chance(70) {
                return "stats \(aggs) by " + list(1...3) { g in g.rng.chance(40) ? "bin(\(g.rng.pick(Self.periods)))" : g.expression(depth: 1) }
            }
            return "stats \(aggs)"
        case "sort": return "sort " + list(1...3) { g in g.expression(depth: 2) + g.rng.pick(["", " asc", " desc"]) }
        case "limit", "head": return "\(rng.pick(["limit", "head"])) \(rng.chance(80) ? String(rng.below(200)) : rng.pick(Self.numbers))"
        case "parse":
            if rng.chance(50) { return "parse \(field()) \(rng.pick(Self.regexes))" }
            let (glob, names) = rng.pick([("\"* [*] *\"", "a, b, c"), ("'REPORT * Duration: * ms'", "a, b"), ("\"*\"", "a"), ("\"**\"", "a, b"),
                                          ("\"\"", "a"), ("\"*\\\"*\"", "a, b"), ("'é*😀*'", "a, b")])
            return "parse \(field()) \(glob) as \(names)"
        case "dedup": return "dedup " + list(1...2) { g in g.field() }
        case "unnest": return "unnest \(rng.chance(50) ? field() : "split(\(field()), \",\")") into u"
        case "pattern": return "pattern \(field())"
        case "SOURCE": return rng.pick(["SOURCE 'grp'", "SOURCE logGroups(namePrefix: ['/aws'])", "SOURCE dataSource('x')"])
        case "lookup": return "lookup \(rng.pick(["t", "nosuchtable"])) \(rng.pick(["k", "k as @message", "k as missing"])) OUTPUT \(rng.pick(["v", "v, k", "nosuchcolumn"]))"
        default: return rng.pick(Self.commands) + " " + expression(depth: 0)
        }
    }

    mutating func list(_ n: ClosedRange<Int>, _ item: (inout QueryGenerator) -> String) -> String {
        var out: [String] = []
        for _ in 0..<(n.lowerBound + rng.below(n.count)) { out.append(item(&self)) }
        return out.joined(separator: ", ")
    }

    mutating func aliased(_ e: String) -> String { rng.chance(50) ? e + " as " + rng.pick(["x", "n", "a", "é", "`w s`", "@message", "count"]) : e }
    mutating func field() -> String { rng.pick(Self.fields) }

    mutating func aggregate() -> String {
        let (name, arity) = rng.pick(Self.aggregates)
        if name == "count" && rng.chance(40) { return "count(*)" }
        var args: [String] = []
        for i in 0..<(arity.lowerBound + rng.below(arity.count)) { args.append(name == "pct" && i == 1 ? number() : expression(depth: 2)) }
        let call = "\(name)(\(args.joined(separator: ", ")))"
        return rng.chance(20) ? "\(call) \(rng.pick(["+", "/", "*", "-"])) \(rng.chance(50) ? aggregate() : number())" : call
    }

    mutating func condition(depth: Int) -> String {
        if depth > 4 { return "\(field()) = \(literal())" }
        switch rng.below(8) {
        case 0: return "\(condition(depth: depth + 1)) \(rng.pick(["and", "or"])) \(condition(depth: depth + 1))"
        case 1: return "not \(condition(depth: depth + 1))"
        case 2: return "\(expression(depth: depth)) \(rng.pick(["like", "not like", "=~"])) \(rng.chance(50) ? rng.pick(Self.regexes) : rng.pick(Self.strings))"
        case 3: return "\(expression(depth: depth)) \(rng.pick(["in", "not in"])) [\(list(0...3) { g in g.literal() })]"
        case 4: return "(\(condition(depth: depth + 1)))"
        default: return "\(expression(depth: depth)) \(rng.pick(["=", "!=", "<", "<=", ">", ">="])) \(expression(depth: depth + 1))"
        }
    }

    /// Mostly plain numbers, so most generated queries run; sometimes one the compiler must refuse or survive.
    mutating func number() -> String { rng.chance(75) ? rng.pick(Self.plainNumbers) : rng.pick(Self.numbers) }
    mutating func literal() -> String { rng.chance(50) ? number() : rng.pick(Self.strings) }

    mutating func expression(depth: Int) -> String {
        if rng.below(300) == 0 { return deep() }
        if depth > 3 { return rng.chance(60) ? field() : literal() }
        switch rng.below(9) {
        case 0, 1: return field()
        case 2: return literal()
        case 3, 4, 5:
            let (name, arity) = rng.pick(Self.functions)
            let n = rng.chance(5) ? rng.below(6) : arity.lowerBound + rng.below(arity.count)
            var args: [String] = []
            let periodAt = ["bin": 0, "datefloor": 1, "dateceil": 1][name]
            for i in 0..<n { args.append(i == periodAt && rng.chance(90) ? rng.pick(Self.periods) : expression(depth: depth + 1)) }
            return "\(name)(\(args.joined(separator: ", ")))"
        case 6: return "\(expression(depth: depth + 1)) \(rng.pick(["+", "-", "*", "/", "%", "^"])) \(expression(depth: depth + 1))"
        case 7: return "jsonParse(\(field()))\(rng.pick([".a", "[0]", ".`a.b`", "[1]", ".a.b.c[0]", rng.chance(10) ? "[99999999999]" : "[2]"]))"
        default: return "-\(expression(depth: depth + 1))"
        }
    }

    /// Nesting near and past the 256-level limit: parentheses, calls, `not`, unary minus, `^`, long chains.
    mutating func deep() -> String {
        let n = rng.pick([200, 255, 256, 257, 300, 2_000, 20_000])
        switch rng.below(5) {
        case 0: return String(repeating: "(", count: n) + "1" + String(repeating: ")", count: n)
        case 1: return String(repeating: "abs(", count: n) + "1" + String(repeating: ")", count: n)
        case 2: return String(repeating: "-", count: n) + "1"
        case 3: return Array(repeating: "2", count: n).joined(separator: " ^ ")
        default: return Array(repeating: "x", count: n).joined(separator: rng.pick([" + ", " and ", " * "]))
        }
    }

    /// A valid query changed: lexical tokens or bytes inserted, deleted or duplicated.
    mutating func mutate(_ query: String) -> [UInt8] {
        var bytes = Array(query.utf8)
        for _ in 0..<(1 + rng.below(4)) {
            let at = bytes.isEmpty ? 0 : rng.below(bytes.count + 1)
            switch rng.below(6) {
            case 0 where !bytes.isEmpty:
                let end = min(bytes.count, at + 1 + rng.below(8))
                if at < end { bytes.removeSubrange(at..<end) }
            case 1 where !bytes.isEmpty:
                let start = rng.below(bytes.count), end = min(bytes.count, start + 1 + rng.below(16))
                bytes.insert(contentsOf: bytes[start..<end], at: at)
            case 2: bytes.insert(contentsOf: Array(rng.pick(["|", "(", ")", "\"", "'", "/", "`", "\\", ",", "#", "\n", " by ", " as ",
                                                             "*", "[", "]", "\u{0}", "\u{FEFF}", "😀", "stats ", "bin(", "1e999"]).utf8), at: at)
            case 3: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
            case 4: bytes.insert(contentsOf: Array(command().utf8) + Array(" | ".utf8), at: at)
            default: if !bytes.isEmpty { bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            }
        }
        // The query reaches the binary as a file (-f), so any bytes are possible, invalid UTF-8 included.
        return bytes
    }
}
