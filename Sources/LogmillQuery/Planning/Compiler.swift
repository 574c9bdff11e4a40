import LogmillPatterns
import LogmillTime
import LogmillRecords
import LogmillRegex

/// Turns a parsed query into a `QueryPlan`: resolves names, compiles regexes, splits the pipeline into
/// the per-record phase and the table phase, and derives the scan prefilter.
struct Compiler {
    let query: Query
    var origin: String?

    // Record phase: names defined by fields/parse get slots.
    private var recordSlots: [String: Int] = [:]
    private var slotCount = 0
    // Table phase: names map to columns.
    private var tableColumns: [String: Int] = [:]
    private var tableNames: [String] = []
    private var inTable = false
    /// Names the query itself defined (fields, parse, stats, unnest, lookup), which may be
    /// structures reached with `name.key`.
    private var userDefined = Set<String>()
    /// Folders searched for `<table>.csv` by `lookup`.
    var lookupDirectories: [String] = [".", "lookups"]

    init(query: Query) { self.query = query }

    func error(_ message: String, at loc: SourceLocation?, hint: String? = nil) -> QueryError {
        var e = QueryError(message, at: loc, hint: hint, source: query.source)
        e.origin = origin
        return e
    }

    // MARK: names

    static func discoveredField(_ name: String) -> CExpr {
        switch name {
        case "@timestamp": return .system(.timestamp)
        case "@message": return .system(.message)
        case "@logStream": return .system(.logStream)
        case "@log": return .system(.log)
        case "@ingestionTime": return .system(.ingestionTime)
        case "@type": return .lambda(.type)
        case "@requestId": return .lambda(.requestId)
        case "@duration": return .lambda(.duration)
        case "@billedDuration": return .lambda(.billedDuration)
        case "@memorySize": return .lambda(.memorySize)
        case "@maxMemoryUsed": return .lambda(.maxMemoryUsed)
        case "@initDuration": return .lambda(.initDuration)
        case "@xrayTraceId": return .lambda(.xrayTraceId)
        case "@xraySegmentId": return .lambda(.xraySegmentId)
        case "@level": return .lambda(.level)
        default: return .discovered(Array(name.utf8))
        }
    }

    func resolve(_ name: String) -> CExpr {
        let scope = inTable ? tableColumns : recordSlots
        if userDefined.contains(name), let s = scope[name] { return .slot(s) }
        // `doc.items.0` where `doc` is a name the query defined: map and list access on it.
        if name.contains(".") {
            var parts = name.split(separator: ".").map(String.init)
            var rest: [String] = []
            while parts.count > 1 {
                rest.insert(parts.removeLast(), at: 0)
                let prefix = parts.joined(separator: ".")
                if userDefined.contains(prefix), let s = scope[prefix] {
                    return .access(.slot(s), rest.map { Int($0).map { AccessStep.index($0) } ?? .key($0) })
                }
            }
        }
        if let s = scope[name] { return .slot(s) }
        return inTable ? .constant(.null) : Compiler.discoveredField(name)
    }

    mutating func define(_ name: String) -> Int {
        userDefined.insert(name)
        if inTable {
            if let c = tableColumns[name] { return c }
            tableColumns[name] = tableNames.count
            tableNames.append(name)
            return tableNames.count - 1
        }
        if let s = recordSlots[name] { return s }
        recordSlots[name] = slotCount
        slotCount += 1
        return slotCount - 1
    }

    // MARK: expressions

    struct AggregateContext {
        var specs: [AggregateSpec] = []
        /// Earlier items' aliases and the group names, by output position.
        var outputNames: [String: Int] = [:]
    }

    func compile(_ e: Expr) throws -> CExpr {
        var none: AggregateContext? = nil
        return try compile(e, aggregates: &none)
    }

    func compile(_ e: Expr, aggregates: inout AggregateContext?) throws -> CExpr {
        switch e.kind {
        case .number(let d): return .constant(.number(d))
        case .string(let s): return .constant(.string(s))
        case .regex: throw error("a regular expression can only follow 'like', '=~' or 'parse'", at: e.location)
        case .period(let p): throw error("the period '\(p)' can only be used in bin(), datefloor() or dateceil()", at: e.location)
        case .star: throw error("'*' can only be used in count(*)", at: e.location)
        case .list: throw error("a list can only follow 'in'", at: e.location)
        case .field(let name):
            if aggregates != nil, let pos = aggregates!.outputNames[name] { return .slot(pos) }
            if aggregates != nil {
                throw error("'\(name)' must be inside an aggregate function here", at: e.location,
                            hint: "stats items are aggregates such as count(*), sum(\(name)) or max(\(name))")
            }
            return resolve(name)
        case .negate(let x): return .negate(try compile(x, aggregates: &aggregates))
        case .not(let x): return .not(try compile(x, aggregates: &aggregates))
        case .binary(let op, let a, let b):
            let l = try compile(a, aggregates: &aggregates), r = try compile(b, aggregates: &aggregates)
            switch op {
            case "and": return .and(l, r)
            case "or": return .or(l, r)
            case "+": return .arith(.add, l, r)
            case "-": return .arith(.sub, l, r)
            case "*": return .arith(.mul, l, r)
            case "/": return .arith(.div, l, r)
            case "%": return .arith(.mod, l, r)
            case "^": return .arith(.pow, l, r)
            case "=", "!=":
                if case .constant(.string(let s)) = r, Value.string(s).number == nil { return .equalsText(l, Array(s.utf8), negated: op == "!=") }
                if case .constant(.string(let s)) = l, Value.string(s).number == nil { return .equalsText(r, Array(s.utf8), negated: op == "!=") }
                return .compare(op == "=" ? .eq : .ne, l, r)
            case "<": return .compare(.lt, l, r)
            case "<=": return .compare(.le, l, r)
            case ">": return .compare(.gt, l, r)
            case ">=": return .compare(.ge, l, r)
            default: throw error("unknown operator '\(op)'", at: e.location)
            }
        case .like(let x, let pattern, let negated):
            let subject = try compile(x, aggregates: &aggregates)
            switch pattern.kind {
            case .string(let s): return .contains(subject, Array(s.utf8), negated: negated)
            case .regex(let r): return .matches(subject, try compileRegex(r, at: pattern.location), negated: negated)
            default: throw error("'like' needs a \"string\" or a /regex/ on its right", at: pattern.location)
            }
        case .inList(let x, let items, let negated):
            let subject = try compile(x, aggregates: &aggregates)
            var values: [Value] = []
            for item in items {
                guard case .constant(let v) = try compile(item) else {
                    throw error("list items must be literal strings or numbers", at: item.location)
                }
                values.append(v)
            }
            return .inList(subject, values, negated: negated)
        case .call(let rawName, let args):
            return try compileCall(rawName, args, e, aggregates: &aggregates)
        case .access(let base, let steps):
            return .access(try compile(base, aggregates: &aggregates), steps)
        }
    }

    func compileRegex(_ pattern: String, at loc: SourceLocation, options: RegexOptions = []) throws -> ByteRegex {
        do {
            return try ByteRegex(pattern, options: options)
        } catch let re as RegexError {
            var l = loc
            l.column += re.column      // the pattern starts one column after the opening '/'
            throw error("invalid regular expression: \(re.message)", at: l)
        }
    }

    func compileCall(_ rawName: String, _ args: [Expr], _ e: Expr, aggregates: inout AggregateContext?) throws -> CExpr {
        let name = rawName.lowercased()
        if let agg = AggregateFunction(rawValue: name) {
            guard aggregates != nil else {
                throw error("\(rawName)() is an aggregate function and can only be used in stats", at: e.location)
            }
            guard agg.arity.contains(args.count) else {
                throw error("\(rawName)() takes \(describe(agg.arity)) argument\(agg.arity.upperBound == 1 ? "" : "s"), not \(args.count)", at: e.location)
            }
            var argument: CExpr? = nil
            var parameter = 0.0
            if let first = args.first {
                if case .star = first.kind {
                    guard agg == .count else { throw error("'*' can only be used in count(*)", at: first.location) }
                } else {
                    var inner: AggregateContext? = nil
                    argument = try compile(first, aggregates: &inner)
                }
            } else if agg != .count {
                throw error("\(rawName)() needs a field", at: e.location)
            }
            if agg == .pct {
                guard case .number(let p) = args[1].kind, p >= 0, p <= 100 else {
                    throw error("pct() takes a percentile from 0 to 100 as a number", at: args[1].location, hint: "pct(@duration, 95)")
                }
                parameter = p
            }
            aggregates!.specs.append(AggregateSpec(function: agg, argument: argument, parameter: parameter))
            return .aggregate(aggregates!.specs.count - 1)
        }
        guard let index = FunctionRegistry.index[name] else {
            if let hint = FunctionLibrary.foreign[name] {
                throw error("unknown function '\(rawName)'", at: e.location, hint: hint)
            }
            let suggestion = Suggest.nearest(name, in: FunctionLibrary.allNames)
            throw error("unknown function '\(rawName)'", at: e.location, hint: suggestion.map { "did you mean '\($0)'?" })
        }
        let f = FunctionRegistry.functions[index]
        guard f.arity.contains(args.count) else {
            throw error("\(rawName)() takes \(describe(f.arity)) argument\(f.arity == 1...1 ? "" : "s"), not \(args.count)", at: e.location,
                        hint: "usage: \(f.usage)")
        }
        let fn: InlineFunction
        switch f.implementation {
        case .evaluated(let evaluate): return .evaluated(evaluate, try args.map { try compile($0, aggregates: &aggregates) })
        case .inline(let inline): fn = inline
        }
        switch fn {
        case .bin:
            let period = try periodArgument(args[0], function: rawName)
            if inTable { throw error("bin() reads @timestamp, which no longer exists after stats", at: e.location, hint: "carry the time forward with max(@timestamp) as t and use datefloor(t, 5m)") }
            return .bin(period)
        case .datefloor, .dateceil:
            let period = try periodArgument(args[1], function: rawName)
            return .periodFloor(try compile(args[0], aggregates: &aggregates), period, ceiling: fn == .dateceil)
        default:
            return .call(fn, try args.map { try compile($0, aggregates: &aggregates) })
        }
    }

    func periodArgument(_ e: Expr, function: String) throws -> Period {
        guard case .period(let text) = e.kind else {
            throw error("\(function)() needs a time period such as 5m, 1h or 1d", at: e.location)
        }
        guard let p = Period.parse(text) else {
            throw error("'\(text)' is not a time period", at: e.location, hint: "units: ms, s, m, h, d, w, mo, q, y (5m, 1h, 1d)")
        }
        return p
    }

    func describe(_ r: ClosedRange<Int>) -> String {
        r.lowerBound == r.upperBound ? "\(r.lowerBound)" : (r.upperBound >= 100 ? "at least \(r.lowerBound)" : "\(r.lowerBound) to \(r.upperBound)")
    }

    // MARK: commands

    mutating func compileParse(_ source: Expr, _ mode: ParseMode, at loc: SourceLocation) throws -> RowOp {
        let src = try compile(source)
        switch mode {
        case .glob(let pattern, let names):
            let re = try compileRegex(Compiler.globToRegex(pattern), at: loc)
            var slots: [Int?] = []
            for n in names { slots.append(define(n)) }
            return .parse(source: src, regex: re, slots: slots)
        case .regex(let pattern):
            let re = try compileRegex(pattern, at: loc)
            let named = re.captureNames.compactMap { $0 }
            if named.isEmpty {
                throw error("this parse regex has no named group, so it extracts nothing", at: loc, hint: "name a group: (?<status>\\d+)")
            }
            let slots = re.captureNames.map { name -> Int? in name.map { define($0) } }
            return .parse(source: src, regex: re, slots: slots)
        }
    }

    /// A glob with `*` as its only wildcard, as a regex: literal runs escaped, each interior `*` lazy,
    /// a trailing `*` greedy to the end of the value.
    static func globToRegex(_ glob: String) -> String {
        var out = "(?s)"
        let parts = glob.split(separator: "*", omittingEmptySubsequences: false)
        for (k, part) in parts.enumerated() {
            for ch in part.unicodeScalars {
                if "\\^$.|?*+()[]{}/".unicodeScalars.contains(ch) { out.append("\\") }
                out.unicodeScalars.append(ch)
            }
            if k < parts.count - 1 { out += (k == parts.count - 2 && parts.last!.isEmpty) ? "(.*)" : "(.*?)" }
        }
        return out
    }

    mutating func compileStats(_ aggregatesIn: [NamedExpr], _ groups: [NamedExpr], at loc: SourceLocation) throws -> StatsPlan {
        var groupExprs: [CExpr] = []
        var groupNames: [String] = []
        for g in groups {
            if case .call(let n, _) = g.expr.kind, AggregateFunction(rawValue: n.lowercased()) != nil {
                throw error("cannot group by an aggregate", at: g.expr.location)
            }
            groupExprs.append(try compile(g.expr))
            groupNames.append(g.name)
        }
        var ctx: AggregateContext? = AggregateContext()
        for (i, n) in groupNames.enumerated() { ctx!.outputNames[n] = i }
        var items: [CExpr] = []
        var itemNames: [String] = []
        for item in aggregatesIn {
            let before = ctx!.specs.count
            let c = try compile(item.expr, aggregates: &ctx)
            if ctx!.specs.count == before, case .slot = c {} else if ctx!.specs.count == before && !isConstantOrSlots(c) {
                throw error("a stats item needs an aggregate function such as count(*), sum(f) or avg(f)", at: item.expr.location)
            }
            items.append(c)
            itemNames.append(item.name)
            ctx!.outputNames[item.name] = groupNames.count + items.count - 1
        }
        return StatsPlan(groups: groupExprs, groupNames: groupNames, specs: ctx!.specs, items: items, itemNames: itemNames)
    }

    func isConstantOrSlots(_ e: CExpr) -> Bool {
        switch e {
        case .constant, .slot, .aggregate: return true
        case .arith(_, let a, let b): return isConstantOrSlots(a) && isConstantOrSlots(b)
        case .negate(let a): return isConstantOrSlots(a)
        case .call(_, let args), .evaluated(_, let args): return args.allSatisfy(isConstantOrSlots)
        default: return false
        }
    }

    /// Field names an expression reads.
    static func fieldNames(_ e: Expr, into out: inout [String]) {
        switch e.kind {
        case .field(let n): if !out.contains(n) { out.append(n) }
        case .negate(let x), .not(let x): fieldNames(x, into: &out)
        case .binary(_, let a, let b), .like(let a, let b, _): fieldNames(a, into: &out); fieldNames(b, into: &out)
        case .inList(let x, let items, _): fieldNames(x, into: &out); items.forEach { fieldNames($0, into: &out) }
        case .call(_, let args), .list(let args): args.forEach { fieldNames($0, into: &out) }
        case .access(let base, _): fieldNames(base, into: &out)
        default: break
        }
    }

    static func fieldNames(of command: Command) -> [String] {
        var out: [String] = []
        switch command.kind {
        case .fields(let items), .display(let items): items.forEach { fieldNames($0.expr, into: &out) }
        case .filter(let e): fieldNames(e, into: &out)
        case .stats(let a, let g): (a + g).forEach { fieldNames($0.expr, into: &out) }
        case .sort(let keys): keys.forEach { fieldNames($0.expr, into: &out) }
        case .parse(let s, _): fieldNames(s, into: &out)
        case .dedup(let keys): keys.forEach { fieldNames($0, into: &out) }
        case .unnest(let e, _), .pattern(let e): fieldNames(e, into: &out)
        case .lookup(_, let keys, _): for k in keys where !out.contains(k.logField) { out.append(k.logField) }
        case .limit, .source, .metricFilter: break
        }
        return out
    }

    mutating func plan() throws -> QueryPlan {
        let commands = query.commands
        // Validate the pipeline shape as the service does.
        var statsCount = 0
        for (k, c) in commands.enumerated() {
            if case .stats = c.kind {
                statsCount += 1
                if statsCount > 2 { throw error("a query may have at most two stats commands", at: c.location) }
                if statsCount == 2, let bad = commands[..<k].first(where: { if case .sort = $0.kind { return true }; if case .limit = $0.kind { return true }; return false }) {
                    throw error("'\(bad.name)' must come after the second stats command", at: bad.location)
                }
            }
            if case .source = c.kind, commands[..<k].contains(where: { if case .source = $0.kind { return false }; return true }) {
                throw error("SOURCE must come first in the query", at: c.location)
            }
            if case .dedup = c.kind, let next = commands[(k + 1)...].first(where: { if case .limit = $0.kind { return false }; return true }) {
                throw error("only 'limit' may follow 'dedup', not '\(next.name)'", at: next.location)
            }
        }
        let lastDisplay = commands.lastIndex { if case .display = $0.kind { return true }; return false }
        let firstBlocking = commands.firstIndex {
            switch $0.kind {
            case .stats, .sort, .limit, .dedup, .unnest, .pattern: return true
            default: return false
            }
        } ?? commands.count

        // Phase 1: per-record commands.
        var recordOps: [RowOp] = []
        var fieldsNames: [String] = []
        for c in commands[..<firstBlocking] {
            switch c.kind {
            case .filter(let e): recordOps.append(.filter(try compile(e)))
            case .fields(let items):
                var assigns: [(Int, CExpr)] = []
                for item in items {
                    let ce = try compile(item.expr)
                    let slot = define(item.name)
                    assigns.append((slot, ce))
                    if !fieldsNames.contains(item.name) { fieldsNames.append(item.name) }
                    // Later items in the same command see this one.
                    recordOps.append(.assign([(slot, ce)]))
                }
                _ = assigns
            case .parse(let src, let mode): recordOps.append(try compileParse(src, mode, at: c.location))
            case .metricFilter(let filter, let value, let dimensions):
                recordOps.append(.metricFilter(filter, value: define(value), dimensions: dimensions.map { define($0) }))
            case .display(let items):
                for item in items { _ = try compile(item.expr) }   // report errors early
            case .lookup(let table, let keys, let outputs):
                recordOps.append(try compileLookup(table, keys, outputs, at: c.location))
                // OUTPUT columns join the result, like the fields of a `fields` command.
                if !fieldsNames.isEmpty { for o in outputs where !fieldsNames.contains(o) { fieldsNames.append(o) } }
            case .source(let prefixes, let exact):
                recordOps.append(.source(prefixes: prefixes.map { Array($0.utf8) }, exact: exact.map { Array($0.utf8) }))
            default: break
            }
        }

        // The boundary.
        var boundary: Boundary
        var tableOps: [TableOp] = []
        var rest = Array(commands[firstBlocking...])
        var sawStats = false
        var sawPattern = false
        var needsDefaultOrder = false
        if let first = rest.first, case .stats(let aggs, let groups) = first.kind {
            let sp = try compileStats(aggs, groups, at: first.location)
            boundary = .stats(sp)
            enterTable(sp.columnNames)
            rest.removeFirst()
            sawStats = true
            fieldsNames = []
        } else {
            // Materialise every name the rest of the query and the output read.
            var names: [String] = []
            for n in fieldsNames where !names.contains(n) { names.append(n) }
            for c in rest { for n in Compiler.fieldNames(of: c) where !names.contains(n) { names.append(n) } }
            if let d = lastDisplay { for n in Compiler.fieldNames(of: commands[d]) where !names.contains(n) { names.append(n) } }
            for n in recordSlots.keys.sorted() where !names.contains(n) { names.append(n) }
            if fieldsNames.isEmpty && lastDisplay == nil && !rest.contains(where: { if case .fields = $0.kind { return true }; return false }) {
                for n in ["@timestamp", "@message"] where !names.contains(n) { names.append(n) }
            }
            let columns = names.map { resolve($0) }
            enterTable(names)
            // sort + limit, or limit alone, or nothing: keep only the rows that can be returned.
            var order: [(Int, Bool)] = []
            var limit: Int? = nil
            if rest.count >= 2, case .sort(let keys) = rest[0].kind, case .limit(let n) = rest[1].kind,
               let cols = try sortColumns(keys) {
                order = cols
                limit = n
                rest.removeFirst(2)
            } else if let first = rest.first, case .limit(let n) = first.kind {
                limit = n
                rest.removeFirst()
                order = []
            } else if rest.isEmpty {
                limit = 10_000
            }
            if order.isEmpty && limit == nil { needsDefaultOrder = true }
            boundary = .collect(columns: columns, names: names, order: order, limit: limit)
        }

        // Phase 2: table commands.
        for c in rest {
            switch c.kind {
            case .filter(let e): tableOps.append(.row(.filter(try compile(e))))
            case .fields(let items):
                for item in items {
                    let ce = try compile(item.expr)
                    let col = define(item.name)
                    tableOps.append(.widen(tableNames.count))
                    tableOps.append(.row(.assign([(col, ce)])))
                    if !fieldsNames.contains(item.name) { fieldsNames.append(item.name) }
                }
            case .parse(let src, let mode):
                let op = try compileParse(src, mode, at: c.location)
                tableOps.append(.widen(tableNames.count))
                tableOps.append(.row(op))
            case .sort(let keys):
                tableOps.append(.sort(try keys.map { (try compile($0.expr), $0.descending) }))
            case .limit(let n): tableOps.append(.limit(n))
            case .dedup(let keys): tableOps.append(.dedup(try keys.map { try compile($0) }))
            case .stats(let aggs, let groups):
                let sp = try compileStats(aggs, groups, at: c.location)
                tableOps.append(.stats(sp))
                enterTable(sp.columnNames)
                sawStats = true
                fieldsNames = []
            case .display, .source: break
            case .lookup(let table, let keys, let outputs):
                let op = try compileLookup(table, keys, outputs, at: c.location)
                tableOps.append(.widen(tableNames.count))
                tableOps.append(.row(op))
                if !fieldsNames.isEmpty { for o in outputs where !fieldsNames.contains(o) { fieldsNames.append(o) } }
            case .unnest(let e, let name):
                let ce = try compile(e)
                let col = define(name)
                tableOps.append(.widen(tableNames.count))
                tableOps.append(.unnest(ce, column: col))
            case .metricFilter:
                throw error("a metric filter pattern applies to log events, so it comes before stats, sort and limit", at: c.location)
            case .pattern(let e):
                tableOps.append(.pattern(try compile(e)))
                enterTable(Compiler.patternColumns)
                for n in Compiler.patternColumns { userDefined.insert(n) }
                sawPattern = true
            }
        }

        // The output columns.
        var projection: [(String, CExpr)] = []
        if let d = lastDisplay, case .display(let items) = commands[d].kind {
            for item in items { projection.append((item.name, try compile(item.expr))) }
        } else {
            var names: [String] = []
            if sawPattern {
                names = tableNames
            } else if sawStats {
                names = Array(tableNames.prefix { !fieldsNames.contains($0) })
                for n in fieldsNames where !names.contains(n) { names.append(n) }
                if names.isEmpty { names = tableNames }
            } else {
                names = fieldsNames.isEmpty ? ["@timestamp", "@message"] : fieldsNames
            }
            for n in names { projection.append((n, resolve(n))) }
        }

        return QueryPlan(query: query, recordOps: recordOps, boundary: boundary, tableOps: tableOps, projection: projection,
                         slotCount: slotCount, prefilter: derivePrefilter(recordOps), needsDefaultOrder: needsDefaultOrder)
    }

    /// Sort keys that are plain column references can be used while collecting.
    func sortColumns(_ keys: [SortKey]) throws -> [(Int, Bool)]? {
        var out: [(Int, Bool)] = []
        for k in keys {
            guard case .slot(let c) = try compile(k.expr) else { return nil }
            out.append((c, k.descending))
        }
        return out
    }

    static let patternColumns = ["@pattern", "@ratio", "@sampleCount"]

    mutating func compileLookup(_ table: String, _ keys: [(tableField: String, logField: String)], _ outputs: [String],
                                at loc: SourceLocation) throws -> RowOp {
        let t: LookupTable
        do {
            t = try LookupTable.load(named: table, in: lookupDirectories)
        } catch let e as LookupTable.LoadError {
            throw error(e.message, at: loc, hint: "lookup tables are CSV files with a header row, found as <name>.csv in: \(lookupDirectories.joined(separator: ", "))")
        }
        var keyExprs: [CExpr] = []
        var keyColumns: [Int] = []
        for k in keys {
            guard let col = t.columns.firstIndex(of: k.tableField) else {
                throw error("lookup table '\(table)' has no column '\(k.tableField)'; its columns are: \(t.columns.joined(separator: ", "))", at: loc)
            }
            keyColumns.append(col)
            keyExprs.append(resolve(k.logField))
        }
        var outputColumns: [Int] = []
        for o in outputs {
            guard let col = t.columns.firstIndex(of: o) else {
                throw error("lookup table '\(table)' has no column '\(o)'; its columns are: \(t.columns.joined(separator: ", "))", at: loc)
            }
            outputColumns.append(col)
        }
        t.buildIndex(keyColumns: keyColumns, outputColumns: outputColumns)
        let slots = outputs.map { define($0) }
        return .lookup(keys: keyExprs, table: t, slots: slots)
    }

    mutating func enterTable(_ names: [String]) {
        inTable = true
        tableNames = names
        tableColumns = [:]
        for (i, n) in names.enumerated() where tableColumns[n] == nil { tableColumns[n] = i }
    }

    // MARK: prefilter

    func derivePrefilter(_ ops: [RowOp]) -> Prefilter? {
        var best: [[UInt8]]? = nil
        var onFields = false
        for op in ops {
            guard case .filter(let e) = op, let lits = Compiler.requiredLiterals(e) else { continue }
            if best == nil || Compiler.strength(lits) > Compiler.strength(best!) { best = lits; onFields = e.readsDiscovered }
        }
        guard let lits = best, !lits.isEmpty, lits.count <= 4, lits.allSatisfy({ !$0.isEmpty }) else { return nil }
        let safe = lits.allSatisfy { $0.allSatisfy { $0 >= 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: "/") } }
        return Prefilter(literals: lits, jsonSafe: safe, onFields: onFields)
    }

    static func strength(_ lits: [[UInt8]]) -> Int { (lits.map(\.count).min() ?? 0) * 4 - lits.count }

    /// Literals one of which a record's line must contain for `e` to be true, or nil when none are implied.
    static func requiredLiterals(_ e: CExpr) -> [[UInt8]]? {
        switch e {
        case .equalsText(.lambda(.type), let lit, negated: false):
            switch String(decoding: lit, as: UTF8.self) {
            case "REPORT": return [Array("REPORT RequestId: ".utf8)]
            case "START": return [Array("START RequestId: ".utf8)]
            case "END": return [Array("END RequestId: ".utf8)]
            default: return nil
            }
        case .contains(.system(.message), let lit, negated: false):
            return lit.isEmpty ? nil : [lit]
        case .equalsText(.discovered, let lit, negated: false), .contains(.discovered, let lit, negated: false):
            // A field read from the record (JSON, positional, key=value) holds bytes of its line. In a
            // JSON string a printable ASCII literal without `"`, `\` or `/` appears as it is, unless the
            // writer spelled some of its characters as `\u` escapes: lines with one are read too.
            guard !lit.isEmpty, lit.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: "/") })
            else { return nil }
            return [lit, Array("\\u".utf8)]
        case .matches(.system(.message), let re, negated: false):
            return re.requiredLiterals
        case .compare(_, let a, let b):
            if case .lambda(let f) = a, f != .type, f != .requestId { return [Array("REPORT RequestId: ".utf8)] }
            if case .lambda(let f) = b, f != .type, f != .requestId { return [Array("REPORT RequestId: ".utf8)] }
            return nil
        case .and(let a, let b):
            let x = requiredLiterals(a), y = requiredLiterals(b)
            guard let x else { return y }
            guard let y else { return x }
            return strength(x) >= strength(y) ? x : y
        case .or(let a, let b):
            guard let x = requiredLiterals(a), let y = requiredLiterals(b) else { return nil }
            return x + y
        default:
            return nil
        }
    }
}
