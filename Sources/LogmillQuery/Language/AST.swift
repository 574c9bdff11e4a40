import LogmillPatterns

/// A parsed expression with the span of query text it came from (used to name output columns).
public indirect enum ExprKind: Sendable {
    case number(Double)
    case string(String)
    case regex(String)
    case period(String)
    case field(String)
    case star
    case list([Expr])
    case negate(Expr)
    case not(Expr)
    case binary(String, Expr, Expr)        // + - * / % ^ = != < <= > >= and or
    case like(Expr, Expr, negated: Bool)   // like, =~ and not like; the right side is a string or regex
    case inList(Expr, [Expr], negated: Bool)
    case call(String, [Expr])              // the name as written
    case access(Expr, [AccessStep])        // jsonParse(x).key, list[0]
}

public struct Expr: Sendable {
    public var kind: ExprKind
    public var start: Int
    public var end: Int
    public var location: SourceLocation
}

/// One output item: `expr [as alias]`.
public struct NamedExpr: Sendable {
    public var expr: Expr
    public var alias: String?
    /// The column name: the alias, or the expression's text as written.
    public var name: String
}

public struct SortKey: Sendable {
    public var expr: Expr
    public var descending: Bool
}

public enum ParseMode: Sendable {
    case glob(String, names: [String])
    case regex(String)
}

public enum CommandKind: Sendable {
    case fields([NamedExpr])
    case display([NamedExpr])
    case filter(Expr)
    case stats(aggregates: [NamedExpr], groups: [NamedExpr])
    case sort([SortKey])
    case limit(Int)
    case parse(source: Expr, ParseMode)
    case dedup([Expr])
    case unnest(Expr, into: String)
    /// `lookup table field [as logField], … OUTPUT col, …`
    case lookup(table: String, keys: [(tableField: String, logField: String)], outputs: [String])
    /// `SOURCE logGroups(namePrefix: [...])` or `SOURCE 'group'`: which log groups to read.
    case source(prefixes: [String], exact: [String])
    /// `pattern expr`: cluster values into templates.
    case pattern(Expr)
    /// A CloudWatch Logs metric filter (a job's `pattern:`): keeps the events its pattern matches
    /// and binds its metric value to the field `value` and each of its dimensions to the field named
    /// in `dimensions` (in the filter's order). Not written in queries: a job file builds it.
    case metricFilter(MetricFilter, value: String, dimensions: [String])
}

public struct Command: Sendable {
    public var kind: CommandKind
    public var name: String
    public var location: SourceLocation
    public init(kind: CommandKind, name: String, location: SourceLocation) {
        self.kind = kind
        self.name = name
        self.location = location
    }
}

/// A parsed query: its commands in pipeline order.
public struct Query: Sendable {
    public var commands: [Command]
    public var source: String
}
