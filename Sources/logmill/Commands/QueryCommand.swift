import Foundation
import LogmillQuery
import LogmillRemote
import LogmillSources

/// `logmill query`: one Insights query over inputs, rows printed.
enum QueryCommand {
    static let spec = CommandSpec(
        name: "query",
        summary: "run an Insights query over log files and print the rows",
        arguments: "('QUERY' | -f FILE) INPUT...",
        description: """
        Runs a CloudWatch Logs Insights query over INPUTs: files, directories (read recursively),
        globs ('logs/**/*.gz'), or - for standard input. Gzip is detected by content.
        """,
        options: [
            OptionSpec("file", short: "f", value: "FILE", "read the query from FILE"),
            OptionSpec("format", value: "FORMAT", "table, json, ndjson or csv (default: table on a terminal, else json)"),
            CommonOptions.from, CommonOptions.to, CommonOptions.now, CommonOptions.logFormat,
            CommonOptions.workers, CommonOptions.fetchConcurrency, CommonOptions.stats, CommonOptions.maxRecordSize,
            CommonOptions.timestampField,
        ],
        examples: [
            "logmill query 'filter @type = \"REPORT\" | stats max(@maxMemoryUsed) by bin(5m)' fixtures/lambda",
            "logmill query --format csv -f q.insights 'logs/**/*.log.gz'",
            "zcat app.log.gz | logmill query 'filter @message like /ERROR/ | stats count(*)' -",
        ])

    static func run(_ parsed: ParsedOptions) throws -> ExitStatus {
        var positionals = parsed.positionals
        let text: String
        var origin: String? = nil
        if let file = parsed.value("file") {
            guard let t = try? String(contentsOfFile: file, encoding: .utf8) else { throw UsageError("cannot read query file '\(file)'") }
            text = t
            origin = file
        } else {
            guard !positionals.isEmpty else { throw UsageError("no query given\n\n" + spec.helpText) }
            text = positionals.removeFirst()
        }
        guard !positionals.isEmpty else { throw UsageError("no input given: name files, directories, globs, or - for standard input") }
        var options = QueryOptions()
        try CommonOptions.apply(parsed, to: &options)
        // Only `--stats` shows how many records were scanned: without it, lines a prefilter skips
        // are not counted (a pass over every byte that nothing would show).
        options.countsEveryRecord = parsed.flag("stats")
        let format: OutputFormat
        if let f = parsed.value("format") {
            guard let ff = OutputFormat(rawValue: f) else {
                throw UsageError("unknown format '\(f)'; use one of: \(OutputFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            format = ff
        } else {
            format = Terminal.stdoutIsTerminal ? .table : .json
        }
        let meter = Terminal.stderrIsTerminal ? ProgressMeter(clock: options.clock) : nil
        options.scan.events = meter?.handler
        let engine = try QueryEngine(text: text, origin: origin, options: options)
        let objects: [SourceObject]
        let transfers = TransferCounter()
        do {
            let range = options.from.map { $0..<max($0 + 1, options.to ?? options.clock.milliseconds()) }
            objects = try SourceArguments.list(RemoteSources.sources(positionals, clock: options.clock, timeRange: range, transfers: transfers))
        } catch {
            throw UsageError("\(error)")
        }
        var result = engine.run(objects)
        result.statistics.add(transfers)
        meter?.stop()
        Terminal.out(ResultWriter.render(result, as: format))
        for w in result.warnings { Terminal.warn(w) }
        for n in result.notices { Terminal.notice(n) }
        if result.statistics.parseFailures > 0 && !parsed.flag("stats") {
            Terminal.notice("\(result.statistics.parseFailures) line(s) did not fit their input's format and were read as plain messages (--stats shows where)")
        }
        if parsed.flag("stats") { Terminal.err(ResultWriter.statistics(result.statistics) + "\n") }
        return result.warnings.isEmpty ? .ok : .failed
    }
}
