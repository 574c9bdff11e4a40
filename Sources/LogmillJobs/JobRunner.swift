import Foundation
import LogmillMetrics
import LogmillQuery
import LogmillRecords
import LogmillSinks
import LogmillSources

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
            return try QueryEngine(query: query, origin: job.path, options: options)
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

    /// Expands the job's sources relative to the job file's folder.
    public static func inputs(_ job: JobFile) throws -> (files: [InputFile], groups: [String: String]) {
        let base = URL(fileURLWithPath: job.path).deletingLastPathComponent().path
        var files: [InputFile] = []
        var groups: [String: String] = [:]
        for s in job.sources {
            let pattern = s.pattern.hasPrefix("/") ? s.pattern : (base.isEmpty ? s.pattern : base + "/" + s.pattern)
            let found = try InputResolver.expand([pattern])
            for f in found {
                files.append(f)
                if let g = s.logGroup { groups[f.path] = g }
            }
        }
        return (files, groups)
    }

    public func run(_ job: JobFile) throws -> Outcome {
        var opts = options
        let (files, groups) = try JobRunner.inputs(job)
        opts.scan.logGroups = groups
        let engine = try JobRunner.plan(job, options: opts)
        let result = engine.run(files)
        let end = options.to ?? Int64(Date().timeIntervalSince1970 * 1000)
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
