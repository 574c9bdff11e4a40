/// An aggregate that a caller (a job's metric mapping) adds to a query's `stats`.
public struct HiddenAggregate: Sendable {
    public var function: String
    public var field: String
    public var alias: String
    public init(function: String, field: String, alias: String) {
        self.function = function
        self.field = field
        self.alias = alias
    }
}

extension Query {
    /// The query with `aggregates` added to its first `stats`; when it has none, a
    /// `stats … by bin(period), groupFields…` is appended.
    public func addingAggregates(_ aggregates: [HiddenAggregate], period: String, groupFields: [String]) -> Query {
        guard !aggregates.isEmpty else { return self }
        let loc = SourceLocation(offset: 0, line: 1, column: 1)
        func expr(_ k: ExprKind) -> Expr { Expr(kind: k, start: 0, end: 0, location: loc) }
        let items = aggregates.map {
            NamedExpr(expr: expr(.call($0.function, [expr(.field($0.field))])), alias: $0.alias, name: $0.alias)
        }
        var copy = self
        if let i = commands.firstIndex(where: { if case .stats = $0.kind { return true }; return false }),
           case .stats(let aggs, let groups) = commands[i].kind {
            copy.commands[i].kind = .stats(aggregates: aggs + items, groups: groups)
        } else {
            var groups = [NamedExpr(expr: expr(.call("bin", [expr(.period(period))])), alias: nil, name: "bin(\(period))")]
            for f in groupFields { groups.append(NamedExpr(expr: expr(.field(f)), alias: nil, name: f)) }
            copy.commands.append(Command(kind: .stats(aggregates: items, groups: groups), name: "stats", location: loc))
        }
        return copy
    }
}
