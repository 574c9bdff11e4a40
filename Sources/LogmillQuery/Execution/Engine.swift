import LogmillRecords
import LogmillScan
import LogmillSources
import LogmillTime

/// Options for running a query.
public struct QueryOptions: Sendable {
    /// Only records with `@timestamp` in `[from, to]` (epoch ms, both inclusive) are read.
    public var from: Int64? = nil
    public var to: Int64? = nil
    public var scan = ScanOptions()
    /// Where `now()` and timings come from.
    public var clock: any Clock = SystemClock()
    /// The query's start time (epoch seconds) for `now()`; nil reads the clock when the run starts.
    public var now: Double? = nil
    /// Above this many held rows a query that must keep every row says so in its warnings.
    public var holdWarningRows = 1_000_000
    /// Folders searched for lookup tables (`<name>.csv`).
    public var lookupDirectories: [String] = [".", "lookups"]
    public init() {}
}

/// What a query did, as the Insights console reports it.
public struct QueryStatistics: Sendable {
    public var recordsScanned = 0
    public var recordsMatched = 0
    public var bytesRead = 0
    public var bytesDecompressed = 0
    public var objects = 0
    /// Lines that did not fit their input's format (still queried as plain messages).
    public var parseFailures = 0
    /// Where the first few parse failures were, as `object: byte offset: what`.
    public var failureSamples: [String] = []
    /// Matched records that carry no time, so no window could hold them (windowed scans only).
    public var untimedRecords = 0
    public var rowsHeld = 0
    public var seconds = 0.0
    public init() {}

    public mutating func merge(_ o: QueryStatistics) {
        recordsScanned += o.recordsScanned
        recordsMatched += o.recordsMatched
        bytesRead += o.bytesRead
        bytesDecompressed += o.bytesDecompressed
        objects += o.objects
        parseFailures += o.parseFailures
        failureSamples = Array((failureSamples + o.failureSamples).prefix(5))
        untimedRecords += o.untimedRecords
        rowsHeld += o.rowsHeld
        seconds += o.seconds
    }
}

/// A query's result: column names and rendered-ready rows.
public struct QueryResult {
    public var columns: [String]
    public var rows: [[Value]]
    public var statistics: QueryStatistics
    /// Problems met while reading (corrupt gzip, unreadable files) and notes about the run.
    public var warnings: [String]
    /// Facts worth telling that are not problems (they never change an exit status).
    public var notices: [String] = []
}

/// What a scan produced before the table phase: one partial for the whole scan, or one per window.
public struct QueryScan {
    /// Partials by window, when the scan was windowed (windows that received no record are absent).
    public var windows: [Window: QueryPartial]
    /// The partial of an unwindowed scan.
    public var whole: QueryPartial?
    public var statistics: QueryStatistics
    /// Problems that stopped reading part of an input.
    public var warnings: [String]
}

/// Compiles Insights queries and runs them: a plan, consumers that turn records into mergeable
/// partial results (per window when asked), and the table phase that finishes a partial into rows.
public final class QueryEngine {
    public let plan: QueryPlan
    public let options: QueryOptions
    private let origin: String?

    /// Parses and plans `text`. Throws `QueryError` with line and column.
    public convenience init(text: String, origin: String? = nil, options: QueryOptions = QueryOptions()) throws {
        do {
            try self.init(query: try QueryParser.parse(text), origin: origin, options: options)
        } catch var e as QueryError {
            e.origin = origin
            throw e
        }
    }

    /// Plans an already parsed (possibly rewritten) query.
    public init(query: Query, origin: String? = nil, options: QueryOptions = QueryOptions()) throws {
        do {
            plan = try QueryEngine.compile(query, origin: origin, lookups: options.lookupDirectories)
        } catch var e as QueryError {
            e.origin = origin
            throw e
        }
        self.origin = origin
        self.options = options
    }

    static func compile(_ query: Query, origin: String?, lookups: [String]) throws -> QueryPlan {
        var compiler = Compiler(query: query)
        compiler.origin = origin
        compiler.lookupDirectories = lookups
        return try compiler.plan()
    }

    /// An empty partial of this query (to merge others into).
    public func emptyPartial() -> QueryPartial { QueryPartial(plan: plan) }

    /// Reads a partial stored with `QueryPartial.encoded()` by this same query.
    public func partial(from bytes: [UInt8]) throws -> QueryPartial { try QueryPartial(plan: plan, bytes: bytes) }

    /// Reads `objects` once. With `windows`, every matched record goes to the partial of the aligned
    /// window of that period holding its `@timestamp` (records without a time are counted, not placed);
    /// without, to one partial for the whole scan.
    public func scan(_ objects: [SourceObject], windows period: Period? = nil) -> QueryScan {
        let clock = options.clock
        let started = clock.milliseconds()
        let now = options.now ?? clock.seconds()
        let driver = ScanDriver(options: options.scan)
        // Each worker gets its own compiled plan: sharing one object graph between threads makes
        // every retain and release of it contend for the same cache lines. Each worker's plan has
        // the same signature, so their partials merge.
        let workers = (0..<driver.maxWorkers).map { k in
            Worker(plan: k == 0 ? plan : (try? QueryEngine.compile(plan.query, origin: origin, lookups: options.lookupDirectories)) ?? plan,
                   options: options, now: now, windows: period)
        }
        let report = driver.scan(objects, consumers: workers)
        var stats = QueryStatistics()
        stats.bytesRead = report.bytesRead
        stats.bytesDecompressed = report.bytesDecompressed
        stats.objects = report.objects
        for w in workers {
            stats.recordsScanned += w.scanned
            stats.recordsMatched += w.matched
            stats.parseFailures += w.failures
            stats.untimedRecords += w.untimed
            stats.failureSamples += w.failureSamples
        }
        stats.failureSamples = Array(stats.failureSamples.prefix(5))
        var warnings = report.errors
        if report.cancelled { warnings.append("the scan was cancelled before it read everything") }
        var result = QueryScan(windows: [:], whole: nil, statistics: stats, warnings: warnings)
        if let period {
            for w in workers {
                for (start, partial) in w.partials {
                    let window = period.window(containing: start)
                    if let mine = result.windows[window] { mine.merge(partial) } else { result.windows[window] = partial }
                }
            }
        } else {
            let whole = workers[0].whole!
            for w in workers.dropFirst() { whole.merge(w.whole!) }
            result.whole = whole
        }
        result.statistics.seconds = Double(clock.milliseconds() - started) / 1000
        return result
    }

    /// Runs the table phase on a partial and projects the output columns. `window` is the time range
    /// the query functions that ask for the query's window see (defaults to `--from`/`--to`).
    public func finish(_ partial: QueryPartial, window: Window? = nil, statistics: QueryStatistics = QueryStatistics(),
                       warnings: [String] = []) -> QueryResult {
        let now = options.now ?? options.clock.seconds()
        var stats = statistics
        var notices: [String] = []
        var rows = partial.boundaryRows(now: now)
        stats.rowsHeld = rows.count
        if rows.count > options.holdWarningRows {
            notices.append("this query held \(rows.count) rows in memory; add '| limit N' after 'sort' to keep only the first N")
        }
        let span: (Int64?, Int64?) = window.map { ($0.start, $0.end - 1) } ?? (options.from, options.to)
        rows = TablePhase(plan: plan, now: now, window: span).run(plan.tableOps, rows)
        let ctx = EvalContext(slotCount: 0, now: now)
        ctx.windowStart = span.0
        ctx.windowEnd = span.1
        let out: [[Value]] = rows.map { row in
            ctx.slots = row.values
            return plan.projection.map { ctx.eval($0.expr).owned() }
        }
        return QueryResult(columns: plan.columns, rows: out, statistics: stats, warnings: warnings, notices: notices)
    }

    /// Reads `objects` and answers the query over all of them.
    public func run(_ objects: [SourceObject]) -> QueryResult {
        let scanned = scan(objects)
        return finish(scanned.whole!, statistics: scanned.statistics, warnings: scanned.warnings)
    }
}

/// One worker's share of the per-record phase: a scan consumer that folds records into partials.
final class Worker: BlockConsumer {
    let plan: QueryPlan
    let ctx: EvalContext
    let decoder = RecordDecoder()
    let documents = DocumentDecoder()
    let from: Int64, to: Int64
    /// The partial of an unwindowed scan.
    var whole: QueryPartial?
    /// Partials by window start, when windowed.
    var partials: [Int64: QueryPartial] = [:]
    private let period: Period?
    private var current: QueryPartial? = nil
    private var currentStart = Int64.min
    var scanned = 0, matched = 0, failures = 0, untimed = 0
    var failureSamples: [String] = []
    private var literals: [[UInt8]] = []
    private var tokens: [Range<Int>] = []
    /// Finders tuned to the byte frequencies of the first block seen.
    private var finders: [LiteralFinder]? = nil

    init(plan: QueryPlan, options: QueryOptions, now: Double, windows: Period?) {
        self.plan = plan
        ctx = EvalContext(slotCount: plan.slotCount, now: now)
        ctx.lambdaWanted = plan.lambdaWanted
        ctx.windowStart = options.from
        ctx.windowEnd = options.to
        from = options.from ?? Int64.min
        to = options.to ?? Int64.max
        period = windows
        if windows == nil { whole = QueryPartial(plan: plan) }
        literals = plan.prefilter?.literals ?? []
    }

    func consume(block: UnsafeRawBufferPointer, input: InputContext, offset: Int) {
        ctx.input = input
        let n = block.count
        if !input.format.isLineFramed {
            let before = documents.failures
            scanned += documents.forEachRecord(block, input: input, offset: offset) { r in evaluate(r, input) }
            let bad = documents.failures - before
            if bad > 0 {
                failures += bad
                if failureSamples.count < 5 { failureSamples.append("\(input.name): byte \(offset): \(bad) malformed \(input.format.rawValue) record(s)") }
            }
            return
        }
        scanned += Bytes.countNewlines(block) + (block[n - 1] == 0x0a ? 0 : 1)
        if let pf = plan.prefilter, pf.jsonSafe || !input.format.messageIsJSONEncoded {
            scanWithPrefilter(block, input, offset)
            return
        }
        var start = 0
        while start < n {
            let end = Bytes.find(0x0a, in: block, from: start, to: n) ?? n
            process(UnsafeRawBufferPointer(rebasing: block[start..<end]), input, offset + start)
            start = end + 1
        }
    }

    /// Visits only the lines that contain one of the prefilter literals.
    private func scanWithPrefilter(_ block: UnsafeRawBufferPointer, _ input: InputContext, _ offset: Int) {
        let n = block.count
        if finders == nil {
            let sample = UnsafeRawBufferPointer(rebasing: block[0..<min(n, 256 * 1024)])
            finders = literals.map { LiteralFinder($0, sample: sample) }
        }
        let finders = self.finders!
        var pos = 0
        var nextHit = [Int](repeating: -1, count: literals.count)
        while pos < n {
            var hit = Int.max
            for k in literals.indices {
                if nextHit[k] != Int.max && nextHit[k] < pos {
                    nextHit[k] = finders[k].find(in: block, from: pos, to: n) ?? Int.max
                }
                hit = min(hit, nextHit[k])
            }
            if hit == Int.max { return }
            let lineStart = (Bytes.findLast(0x0a, in: block, from: pos, to: hit) ?? (pos - 1)) + 1
            let lineEnd = Bytes.find(0x0a, in: block, from: hit, to: n) ?? n
            process(UnsafeRawBufferPointer(rebasing: block[lineStart..<lineEnd]), input, offset + lineStart)
            pos = lineEnd + 1
        }
    }

    @inline(__always) private func process(_ line: UnsafeRawBufferPointer, _ input: InputContext, _ offset: Int) {
        if line.count == 0 || (line.count == 1 && line[0] == 0x0d) { return }
        if input.isPositional && input.isHeader(line) { return }
        if !decoder.decode(line, format: input.format, offset: offset) {
            failures += 1
            if failureSamples.count < 5 { failureSamples.append("\(input.name): byte \(offset): not a \(input.format.rawValue) line") }
        }
        var r = decoder.record
        if r.timestamp == Record.absent && input.isPositional, let t = input.positionalTimestamp(r.message, tokens: &tokens) {
            r.timestamp = t
        }
        evaluate(r, input)
    }

    /// Runs the per-record phase on one decoded record.
    @inline(__always) private func evaluate(_ r: Record, _ input: InputContext) {
        let offset = r.offset
        if r.timestamp != Record.absent ? (r.timestamp < from || r.timestamp > to) : (from != Int64.min || to != Int64.max) { return }
        ctx.begin(r)
        for op in plan.recordOps {
            if !RowOps.apply(op, ctx) { return }
        }
        matched += 1
        let sequence = UInt64(input.ordinal) << 40 | UInt64(offset)
        if let whole {
            whole.add(ctx, timestamp: r.timestamp, sequence: sequence)
            return
        }
        guard r.timestamp != Record.absent, let period else { untimed += 1; return }
        let start = period.floor(r.timestamp)
        if start != currentStart || current == nil {
            if let found = partials[start] { current = found } else {
                let p = QueryPartial(plan: plan)
                partials[start] = p
                current = p
            }
            currentStart = start
        }
        current!.add(ctx, timestamp: r.timestamp, sequence: sequence)
    }
}

/// Applies per-row operations; shared by the record phase and the table phase.
enum RowOps {
    /// Returns false when the row is filtered out.
    @inline(__always) static func apply(_ op: RowOp, _ ctx: EvalContext) -> Bool {
        switch op {
        case .filter(let e):
            return ctx.truth(e)
        case .assign(let items):
            for (slot, e) in items { ctx.slots[slot] = ctx.eval(e) }
            return true
        case .parse(let source, let regex, let slots):
            let v = ctx.eval(source)
            switch v {
            case .bytes(let b):
                let m = regex.firstMatch(b)
                for (i, slot) in slots.enumerated() {
                    guard let slot else { continue }
                    if let span = m?.spans[i + 1] { ctx.slots[slot] = .bytes(UnsafeRawBufferPointer(rebasing: b[span])) } else { ctx.slots[slot] = .null }
                }
            case .null:
                for slot in slots { if let slot { ctx.slots[slot] = .null } }
            default:
                let owned: [Value?] = v.withText { b -> [Value?] in
                    let m = regex.firstMatch(b)
                    return slots.indices.map { i in m?.spans[i + 1].map { .string(String(decoding: UnsafeRawBufferPointer(rebasing: b[$0]), as: UTF8.self)) } }
                } ?? []
                for (i, slot) in slots.enumerated() { if let slot { ctx.slots[slot] = i < owned.count ? (owned[i] ?? .null) : .null } }
            }
            return true
        case .lookup(let keys, let table, let slots):
            var parts: [String] = []
            for k in keys {
                guard let t = ctx.eval(k).text else {
                    for s in slots { ctx.slots[s] = .null }
                    return true
                }
                parts.append(t)
            }
            if let values = table.match(parts.joined(separator: "\u{1f}")) {
                for (s, v) in zip(slots, values) { ctx.slots[s] = .string(v) }
            } else {
                for s in slots { ctx.slots[s] = .null }
            }
            return true
        case .source(let prefixes, let exact):
            guard let found = ctx.system(.log).withText({ log -> Bool in
                for p in prefixes where log.count >= p.count && p.withUnsafeBytes({ Bytes.equal(UnsafeRawBufferPointer(rebasing: log[0..<p.count]), $0) }) { return true }
                for e in exact where e.withUnsafeBytes({ Bytes.equal(log, $0) }) { return true }
                return false
            }) else { return false }
            return found
        }
    }
}

/// Runs the commands after the first stats/sort/limit/dedup over owned rows.
struct TablePhase {
    let plan: QueryPlan
    let now: Double
    var window: (Int64?, Int64?) = (nil, nil)

    func run(_ ops: [TableOp], _ input: [Row]) -> [Row] {
        var rows = input
        let ctx = EvalContext(slotCount: 0, now: now)
        ctx.windowStart = window.0
        ctx.windowEnd = window.1
        for op in ops {
            switch op {
            case .widen(let width):
                for i in rows.indices where rows[i].values.count < width {
                    rows[i].values += [Value](repeating: .null, count: width - rows[i].values.count)
                }
            case .row(let rowOp):
                var kept: [Row] = []
                kept.reserveCapacity(rows.count)
                for var r in rows {
                    ctx.slots = r.values
                    if RowOps.apply(rowOp, ctx) {
                        r.values = ctx.slots.map { $0.owned() }
                        kept.append(r)
                    }
                }
                rows = kept
            case .sort(let keys):
                var keyed: [(keys: [Value], row: Row)] = rows.map { r in
                    ctx.slots = r.values
                    return (keys.map { ctx.eval($0.expr).owned() }, r)
                }
                keyed.sort { a, b in
                    for (k, key) in keys.enumerated() {
                        let c = NaturalOrder.compare(a.keys[k], b.keys[k])
                        if c != 0 { return key.descending ? c > 0 : c < 0 }
                    }
                    return false
                }
                rows = keyed.map(\.row)
            case .limit(let n):
                if rows.count > n { rows.removeSubrange(n...) }
            case .dedup(let keys):
                var seen = Set<[String]>()
                rows = rows.filter { r in
                    ctx.slots = r.values
                    var key: [String] = []
                    for k in keys {
                        let v = ctx.eval(k)
                        if v.isNull { return true }   // rows with a null key are never duplicates
                        key.append(v.number.map { "#\($0)" } ?? v.text ?? "")
                    }
                    return seen.insert(key).inserted
                }
            case .unnest(let e, let column):
                var out: [Row] = []
                for r in rows {
                    ctx.slots = r.values
                    let v = ctx.eval(e)
                    func emit(_ item: Value) {
                        var copy = r
                        copy.values[column] = item.owned()
                        out.append(copy)
                    }
                    if case .structure(.array(let items)) = v {
                        for item in items { emit(item.value) }   // an empty list gives no rows
                    } else {
                        emit(v)                                   // a map or scalar is a list of one; null gives one row
                    }
                }
                rows = out
            case .pattern(let e):
                var clusterer = PatternClusterer()
                for r in rows {
                    ctx.slots = r.values
                    if let t = ctx.eval(e).text { clusterer.add(t) }
                }
                rows = clusterer.clusters.enumerated().map { i, c in
                    Row(values: [.string(c.tokens.joined(separator: " ")), .number(Double(c.count) / Double(max(1, clusterer.total))), .int(Int64(c.count))],
                        timestamp: 0, sequence: UInt64(i))
                }
                rows.sort { $0.values[2].number! > $1.values[2].number! || ($0.values[2].number! == $1.values[2].number! && $0.sequence < $1.sequence) }
            case .stats(let sp):
                let table = GroupTable(plan: sp)
                for r in rows {
                    ctx.slots = r.values
                    table.add(ctx, timestamp: r.timestamp)
                }
                rows = table.rows(now: now)
            }
        }
        return rows
    }
}

