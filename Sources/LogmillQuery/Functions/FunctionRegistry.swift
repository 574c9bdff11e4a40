/// The scalar functions of the query language, usable in `fields`, `filter`, `display` and inside
/// aggregates: one table from name (matched case-insensitively) to arity, usage line and
/// implementation. Each family file (`StringFunctions.swift`, `DateFunctions.swift`, …) registers
/// its functions here; aggregates (`AggregateFunction`) are only valid in `stats` and live apart.
///
/// Conventions: a null (or unusable) argument gives null, except that predicates (`isNumeric`,
/// the IP tests) give false. Booleans are `.bool`; the functions the reference lists as "number
/// 1/0" (`startsWith`, `endsWith`, `jsonArrayContains`) give `.int(1)`/`.int(0)`. Both render as
/// `1`/`0`. Whole-number results (`toInt`, `toLong`, `hexToDec`, `parseDate`, `queryEndTime`, …)
/// are `.int`, so they render without `.0`.
enum FunctionRegistry {
    static let functions: [RegisteredFunction] =
        NumericFunctions.registered + DateFunctions.registered + ConditionalFunctions.registered + StringFunctions.registered +
        EncodingFunctions.registered + HashFunctions.registered + JSONFunctions.registered + IPFunctions.registered

    /// Lower-cased name → index in `functions`.
    static let index: [String: Int] = {
        var out: [String: Int] = [:]
        for (i, f) in functions.enumerated() { out[f.name.lowercased()] = i }
        return out
    }()
}

/// One entry of `FunctionRegistry`.
struct RegisteredFunction: Sendable {
    enum Implementation: Sendable {
        /// Run in line by the evaluator (`EvalContext.call`): arguments are evaluated only when
        /// read and no argument array is built, which keeps the common functions cheap per row.
        case inline(InlineFunction)
        /// Called with every argument evaluated.
        case evaluated(@Sendable ([Value], EvalContext) -> Value)
    }

    let name: String
    let arity: ClosedRange<Int>
    let usage: String
    let implementation: Implementation

    init(name: String, arity: ClosedRange<Int>, usage: String, evaluate: @escaping @Sendable ([Value], EvalContext) -> Value) {
        self.name = name
        self.arity = arity
        self.usage = usage
        self.implementation = .evaluated(evaluate)
    }

    init(_ function: InlineFunction, arity: ClosedRange<Int>, usage: String? = nil) {
        self.name = function.rawValue
        self.arity = arity
        self.usage = usage ?? "\(function.rawValue)(...)"
        self.implementation = .inline(function)
    }
}

/// The functions `EvalContext.call` evaluates in line, by their lower-case name. Each is registered
/// (with its arity and usage) by its family.
enum InlineFunction: String, CaseIterable, Sendable {
    case ispresent, coalesce, isempty, isblank, unmask
    case jsonparse, jsonstringify
    case concat, ltrim, rtrim, trim, strlen, toupper, tolower, substr, replace, strcontains
    case abs, ceil, floor, greatest, least, log, sqrt
    case bin, datefloor, dateceil, frommillis, tomillis, now
    case isvalidip, isvalidipv4, isvalidipv6, isipinsubnet, isipv4insubnet, isipv6insubnet
}

enum FunctionLibrary {
    /// Every name a function answers to, for "did you mean" suggestions. Of two names as near, the
    /// one listed first is offered: functions evaluated in line, aggregates, then the others in
    /// registry order (the order suggestions have always been made in).
    static let allNames: [String] =
        InlineFunction.allCases.map(\.rawValue) + AggregateFunction.allCases.map(\.rawValue) +
        FunctionRegistry.functions.compactMap { f -> String? in
            if case .evaluated = f.implementation { return f.name }
            return nil
        } +
        ["isValidIpV4", "isIpInSubnet", "fromMillis", "toMillis", "dateFloor", "sortsFirst", "sortsLast", "jsonParse", "jsonStringify"]

    /// Names from other query languages, with what to write instead.
    static let foreign: [String: String] = [
        "percentile": "use pct(field, 95)", "median": "use pct(field, 50)", "lower": "use tolower(s)", "upper": "use toupper(s)",
        "substring": "use substr(s, start, length)", "len": "use strlen(s)", "length": "use strlen(s)",
        "parse_json": "use jsonParse(s)", "ifnull": "use coalesce(a, b)",
        "regex_extract": "use parse with a named group", "count_if": "use sum(strcontains(...)) or filter before stats",
    ]
}
