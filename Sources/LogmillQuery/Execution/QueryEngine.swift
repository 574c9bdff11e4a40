import LogmillRecords
import LogmillScan
import LogmillSources
import LogmillTime

/// Options for running a query.
public struct QueryOptions: Sendable {
    /// Only records with `@timestamp` in `[from, to)` (epoch ms, half-open: a record at exactly `to`
    /// belongs to the next range) are read.
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
    /// Messages kept per partial as examples of what matched (alarm notifications carry them); 0: none.
    public var sampleLines = 0
    /// Whether every line is counted for `QueryStatistics.recordsScanned`. When false, a scan with a
    /// prefilter reads only the lines that hold its literal, and leaves the statistic at the lines it
    /// read (the CLI counts only for `--stats`, the one place it shows the number).
    public var countsEveryRecord = true
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
    /// Remote reads per service (`s3`, `http`): what the run's `TransferCounter` counted, and the bytes
    /// decoded from each service's objects.
    public var remote: [String: ServiceTransfer] = [:]
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
        for (k, v) in o.remote { remote[k, default: ServiceTransfer()].merge(v) }
    }

    /// Adds a run's transfer counts to the bytes decoded the scan counted.
    public mutating func add(_ transfers: TransferCounter?) {
        guard let transfers else { return }
        for (k, v) in transfers.snapshot { remote[k, default: ServiceTransfer()].merge(v) }
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
    /// The scan driver's report: bytes, formats, and where each object's read stopped.
    public var report: ScanReport
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
    public func emptyPartial() -> QueryPartial { QueryPartial(plan: plan, sampleLimit: options.sampleLines) }

    /// Reads a partial stored with `QueryPartial.encoded()` by this same query.
    public func partial(from bytes: [UInt8]) throws -> QueryPartial { try QueryPartial(plan: plan, bytes: bytes, sampleLimit: options.sampleLines) }

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
            QueryConsumer(plan: k == 0 ? plan : (try? QueryEngine.compile(plan.query, origin: origin, lookups: options.lookupDirectories)) ?? plan,
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
        for o in objects where o.identity.kind == "s3" || o.identity.kind == "http" {
            guard let p = report.positions[o.name] else { continue }
            stats.remote[o.identity.kind, default: ServiceTransfer()].bytesDecompressed += max(0, p.offset - o.readFrom)
        }
        var warnings = report.errors
        if report.cancelled { warnings.append("the scan was cancelled before it read everything") }
        var result = QueryScan(windows: [:], whole: nil, statistics: stats, warnings: warnings, report: report)
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
        let span: (Int64?, Int64?) = window.map { ($0.start, $0.end) } ?? (options.from, options.to)
        let phase = TablePhase(plan: plan, now: now, window: span)
        var rows: [Row]
        if let groups = partial.groups {
            stats.rowsHeld = groups.count
            rows = phase.run(plan.tableOps[...], groups: groups)
        } else {
            rows = partial.boundaryRows()
            stats.rowsHeld = rows.count
            rows = phase.run(plan.tableOps[...], rows)
        }
        if stats.rowsHeld > options.holdWarningRows {
            notices.append("this query held \(stats.rowsHeld) rows in memory; add '| limit N' after 'sort' to keep only the first N")
        }
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
