import LogmillRecords

/// Times: `bin`, `datefloor`, `dateceil`, `fromMillis`, `toMillis`, `now`, `parseDate`,
/// `formatDate`/`strftime` and the query window (`queryStartTime`, `queryEndTime`, `queryTimeRange`).
enum DateFunctions {
    static let registered: [RegisteredFunction] = [
        // `bin`, `datefloor` and `dateceil` are compiled to their own expressions (`CExpr.bin`, `.periodFloor`).
        RegisteredFunction(.bin, arity: 1...1, usage: "bin(5m)"),
        RegisteredFunction(.datefloor, arity: 2...2, usage: "datefloor(@timestamp, 1h)"),
        RegisteredFunction(.dateceil, arity: 2...2, usage: "dateceil(@timestamp, 1h)"),
        RegisteredFunction(.frommillis, arity: 1...1),
        RegisteredFunction(.tomillis, arity: 1...1),
        RegisteredFunction(.now, arity: 0...0),
        RegisteredFunction(name: "parseDate", arity: 2...3, usage: "parseDate(s, \"yyyy-MM-dd HH:mm:ss\" [, \"UTC\"])") { a, _ in
            guard let s = a[0].text, let f = a[1].text, let zone = DateFunctions.zone(a, at: 2) else { return .null }
            guard let pattern = JavaDatePattern.compiled(f) else { return .null }
            return pattern.parse(s, defaultZone: zone).map { .int($0) } ?? .null
        },
        formatDate("formatDate"),
        formatDate("strftime"),
        // The query window: see `window(_:)`.
        RegisteredFunction(name: "queryStartTime", arity: 0...0, usage: "queryStartTime()") { _, ctx in .int(DateFunctions.window(ctx).start) },
        RegisteredFunction(name: "queryEndTime", arity: 0...0, usage: "queryEndTime()") { _, ctx in .int(DateFunctions.window(ctx).end) },
        RegisteredFunction(name: "queryTimeRange", arity: 0...0, usage: "queryTimeRange()") { _, ctx in
            let w = DateFunctions.window(ctx)
            let (range, overflow) = w.end.subtractingReportingOverflow(w.start)
            return overflow ? .null : .int(range)
        },
    ]

    static func formatDate(_ name: String) -> RegisteredFunction {
        RegisteredFunction(name: name, arity: 2...3, usage: "\(name)(@timestamp, \"%Y-%m-%d %H:%M:%S\" [, \"UTC\"])") { a, _ in
            guard let t = DateFunctions.timestamp(a[0]), let f = a[1].text, let zone = DateFunctions.zone(a, at: 2) else { return .null }
            return Strftime.format(t, f, zone).map { .string($0) } ?? .null
        }
    }

    /// The optional zone argument at `i`: UTC when there is none, nil when it is not a known zone.
    static func zone(_ a: [Value], at i: Int) -> Zone? {
        guard a.count > i else { return .utc }
        return a[i].text.flatMap { Zone.named($0) }
    }

    /// Epoch ms of a timestamp, a number (truncated) or ISO 8601 or numeric text; nil when it is
    /// none of these or does not fit in 64 bits (`1e300`, infinity, NaN).
    static func timestamp(_ v: Value) -> Int64? {
        switch v {
        case .timestamp(let t): return t
        case .number(let d): return NumericFunctions.truncate(d)
        case .int(let i): return i
        case .bytes, .string:
            if let t = v.withText({ b -> Int64? in
                if let (ms, end) = Timestamps.parseISO8601(b), end == b.count { return ms }
                return nil
            }) ?? nil { return t }
            return v.number.flatMap(NumericFunctions.truncate)
        default: return nil
        }
    }

    /// The query window in epoch ms: `--from`/`--to` when given; otherwise from the epoch to the
    /// query's start time (local files have no window of their own).
    static func window(_ ctx: EvalContext) -> (start: Int64, end: Int64) {
        (ctx.windowStart ?? 0, ctx.windowEnd ?? NumericFunctions.truncate((ctx.now * 1000).rounded(.down)) ?? (ctx.now < 0 ? .min : .max))
    }
}
