import Foundation
import LogmillMetrics
import LogmillQuery
import LogmillRecords
import LogmillSinks
import LogmillSources
import LogmillTime

/// Runs a job once: reads its sources, runs its query, maps rows to datums and hands them to its sinks.
public struct JobRunner {
    public var options: QueryOptions
    public var dryRun = false
    public init(options: QueryOptions = QueryOptions()) { self.options = options }

    public struct Outcome {
        public var datums: [MetricDatum]
        public var skipped: Int
        public var result: QueryResult
        /// What `--dry-run` printed, per sink.
        public var rendered: [(sink: String, text: String)]
    }

    /// Plans the job's query (with the hidden aggregates of its statistic sets).
    public static func plan(_ job: JobFile, options: QueryOptions) throws -> QueryEngine {
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

    public static func sinks(_ job: JobFile) throws -> [MetricSink] {
        let base = URL(fileURLWithPath: job.path).deletingLastPathComponent().path
        return try job.sinks.map { try SinkFactory.make($0, base: base) }
    }

    /// The job's sources, with paths relative to the job file's folder.
    public static func sources(_ job: JobFile) -> [any ObjectSource] {
        let base = URL(fileURLWithPath: job.path).deletingLastPathComponent().path
        return job.sources.map { s in
            let pattern = s.pattern.hasPrefix("/") ? s.pattern : (base.isEmpty ? s.pattern : base + "/" + s.pattern)
            return FileSource(patterns: [pattern], labels: s.logGroup.map { [SourceLabel.logGroup: $0] } ?? [:])
        }
    }

    public func run(_ job: JobFile) throws -> Outcome {
        let objects = try SourceArguments.list(JobRunner.sources(job))
        let engine = try JobRunner.plan(job, options: options)
        let result = engine.run(objects)
        let end = options.to ?? options.clock.milliseconds()
        let (datums, skipped) = try job.mapping.datums(from: result, defaultTimestamp: end)
        var rendered: [(String, String)] = []
        for sink in try JobRunner.sinks(job) {
            if dryRun {
                rendered.append((sink.label, sink.render(datums)))
            } else {
                try sink.emit(datums)
            }
        }
        return Outcome(datums: datums, skipped: skipped, result: result, rendered: rendered)
    }
}
