import Foundation
import LogmillMetrics
import LogmillPatterns
import LogmillQuery
import LogmillRecords
import LogmillRemote
import LogmillSinks
import LogmillSources
import LogmillTime

/// Runs a job once: reads its sources, runs its query, maps rows to datums, encodes them for every
/// sink and delivers to each, reporting an outcome per sink. One failing sink does not stop the others.
public struct JobRunner {
    public var options: QueryOptions
    /// Encode only: nothing is delivered.
    public var dryRun = false
    /// Where sinks that print (table, EMF without a file) write.
    public var output: any TextOutput
    /// The environment sinks read credentials and endpoints from.
    public var environment: [String: String]

    public init(options: QueryOptions = QueryOptions(), output: any TextOutput, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.options = options
        self.output = output
        self.environment = environment
    }

    public struct Outcome {
        public var datums: [MetricDatum]
        /// Rows whose metric value was missing or not a number.
        public var skipped: Int
        public var result: QueryResult
        /// What each sink was (or, with `dryRun`, would have been) given.
        public var payloads: [(sink: String, payload: SinkPayload)]
        /// Per sink, in job order: delivered, failed or in doubt (empty for a dry run).
        public var deliveries: [SinkOutcome]

        /// Whether every datum reached every sink.
        public var allDelivered: Bool {
            deliveries.allSatisfy { $0.isDelivered && $0.rejectedCount == 0 } && payloads.allSatisfy { $0.payload.rejections.isEmpty }
        }
    }

    /// Plans the job's query (with the hidden aggregates of its statistic sets) and checks the job's
    /// mapping against the query's columns.
    public static func plan(_ job: JobFile, options: QueryOptions) throws -> QueryEngine {
        if job.pattern != nil {
            let engine = try QueryEngine(query: try patternQuery(job), origin: job.path, options: options)
            try job.check(columns: engine.plan.columns)
            return engine
        }
        do {
            let parsed = try QueryParser.parse(job.query)
            let query = parsed.addingAggregates(job.mapping.hiddenAggregates, period: job.mapping.period, groupFields: job.mapping.dimensionColumns)
            let engine = try QueryEngine(query: query, origin: job.path, options: options)
            try job.check(columns: engine.plan.columns)
            return engine
        } catch let e as QueryError {
            // Point into the job file: the query starts at `queryLine`.
            let loc = e.location.map { SourceLocation(offset: $0.offset, line: $0.line + job.queryLine - 1, column: $0.column) }
            var moved = QueryError(e.message, at: loc, hint: e.hint, source: String(repeating: "\n", count: job.queryLine - 1) + job.query)
            moved.origin = job.path
            throw moved
        }
    }

    /// The query a `pattern:` job runs: the metric filter, then
    /// `stats count(*) as matches, sum(value) as value by bin(period), dimensions…`.
    static func patternQuery(_ job: JobFile) throws -> Query {
        let pattern: FilterPattern
        do {
            pattern = try FilterPattern.parse(job.pattern ?? "")
        } catch {
            throw JobFile.ParseError(path: job.path, line: job.queryLine, message: "column \(error.column): \(error.message)")
        }
        let filter: MetricFilter
        do {
            filter = try MetricFilter(pattern: pattern, metricValue: job.patternValue ?? "1",
                                      dimensions: job.patternDimensions.map { MetricFilter.Dimension(name: $0.name, field: $0.field) })
        } catch {
            throw JobFile.ParseError(path: job.path, line: job.declarationLines["value"] ?? job.queryLine, message: error.message)
        }
        let valueField = "__pattern_value"
        let names = job.patternDimensions.map(\.name)
        let by = (["bin(\(job.mapping.period))"] + names.map { "`\($0)`" }).joined(separator: ", ")
        var query = try QueryParser.parse("stats count(*) as matches, sum(`\(valueField)`) as value by \(by)")
        let location = SourceLocation(offset: 0, line: job.queryLine, column: 1)
        query.commands.insert(Command(kind: .metricFilter(filter, value: valueField, dimensions: names), name: "pattern", location: location), at: 0)
        query.source = job.pattern ?? ""
        return query
    }

    /// Query options with what the job file sets for reading (its timestamp field).
    public static func options(_ base: QueryOptions, for job: JobFile) -> QueryOptions {
        var options = base
        if let field = job.timestampField { options.scan.timestampField = field }
        if let format = job.format.flatMap(LogFormat.init(rawValue:)) { options.scan.format = format }
        // Alarm notifications carry lines of the windows they fire on.
        options.sampleLines = job.alarms.isEmpty ? 0 : job.sampleLines
        return options
    }

    /// The job's sources, with paths relative to the job file's folder; `s3://` and `http(s)://` sources
    /// are remote (`RemoteSources`), never paths, and read with `environment`'s credentials and endpoints.
    /// `timeRange` (epoch ms) is what the run wants records of: S3 prefixes with date templates list only
    /// the days or hours that can hold it.
    /// `discovered` are the targets of its `sources-from:` lists (`JobDiscovery.refresh`): each a source
    /// whose records carry the target's labels as fields, its objects' state keyed by the target's key.
    public static func sources(_ job: JobFile, environment: [String: String] = ProcessInfo.processInfo.environment,
                               clock: any Clock = SystemClock(), timeRange: Range<Int64>? = nil,
                               discovered: [DiscoveredTarget] = [], transfers: TransferCounter? = nil) -> [any ObjectSource] {
        let base = job.folder
        func make(_ pattern: String, _ labels: [String: String]) -> [any ObjectSource] {
            if RemoteSources.isRemote(pattern) {
                return RemoteSources.sources([pattern], labels: labels, environment: environment, clock: clock, timeRange: timeRange,
                                             lookback: job.lookback?.fixedMilliseconds, transfers: transfers)
            }
            let path = JobDiscovery.resolve(pattern, folder: base)
            return [FileSource(patterns: [path], labels: labels)]
        }
        return job.sources.flatMap { s -> [any ObjectSource] in
            make(s.pattern, s.logGroup.map { [SourceLabel.logGroup: $0] } ?? [:])
        } + discovered.flatMap { d in
            make(d.target, d.labels).map { LabeledSource($0, key: d.key, labels: d.labels) as any ObjectSource }
        }
    }

    public func run(_ job: JobFile) throws -> Outcome {
        let options = JobRunner.options(options, for: job)
        let range = options.from.map { $0..<max($0 + 1, options.to ?? options.clock.milliseconds()) }
        let discovery = JobDiscovery.refresh(job, previous: nil, clock: options.clock, refreshSeconds: JobDiscovery.refreshSeconds(JobCycle.period(job)))
        let transfers = TransferCounter()
        let objects = try SourceArguments.list(JobRunner.sources(job, environment: environment, clock: options.clock, timeRange: range,
                                                                 discovered: discovery.targets, transfers: transfers))
        let engine = try JobRunner.plan(job, options: options)
        var result = engine.run(objects)
        result.warnings = discovery.warnings + result.warnings
        result.statistics.add(transfers)
        let end = options.to ?? options.clock.milliseconds()
        let (datums, skipped) = try job.mapping.datums(from: result, defaultTimestamp: end)
        let context = SinkContext(base: job.folder, clock: options.clock, output: output, environment: environment)
        var payloads: [(sink: String, payload: SinkPayload)] = []
        var deliveries: [SinkOutcome] = []
        for configuration in job.sinks {
            let sink: any MetricSink
            do {
                sink = try SinkRegistry.make(configuration, context: context)
            } catch {
                deliveries.append(SinkOutcome(sink: configuration.kind.name, status: .failed("\(error)")))
                continue
            }
            let payload = sink.encode(datums)
            payloads.append((sink.label, payload))
            if !dryRun { deliveries.append(sink.deliver(payload)) }
        }
        return Outcome(datums: datums, skipped: skipped, result: result, payloads: payloads, deliveries: deliveries)
    }
}

extension JobFile {
    /// The folder relative paths in the job file are read from.
    public var folder: String { URL(fileURLWithPath: path).deletingLastPathComponent().path }
}
