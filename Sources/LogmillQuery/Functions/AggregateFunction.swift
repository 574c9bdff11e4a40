/// Aggregate functions usable only in `stats`.
enum AggregateFunction: String, CaseIterable {
    case count, count_distinct, sum, avg, min, max, stddev, pct, earliest, latest, sortsfirst, sortslast

    var arity: ClosedRange<Int> {
        switch self {
        case .count: return 0...1
        case .pct: return 2...2
        default: return 1...1
        }
    }
}
