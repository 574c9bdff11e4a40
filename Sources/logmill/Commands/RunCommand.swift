import LogmillJobs
import LogmillQuery
import LogmillSinks

/// `logmill run`: each job once over its sources, its metrics to its sinks.
enum RunCommand {
    static let spec = CommandSpec(
        name: "run",
        summary: "run job files once and emit their metrics",
        arguments: "JOB...",
        description: """
        Runs each job file once over its sources and emits its metrics to its sinks.

        A job file holds 'key: value' lines, then 'query:' and the Insights query verbatim:
        \(JobFile.keyHelp)
        Sink kinds ('sink:' lines):
        \(SinkRegistry.help())
        Exit status: 0 when every datum reached every sink; 1 when anything was not read or not
        delivered (each sink is still tried); 2 when a job file or the command line is wrong.
        """,
        options: [
            OptionSpec("dry-run", "print exactly what each sink would receive, and send nothing"),
            CommonOptions.from,
            OptionSpec("to", value: "TIME", "only records at or before TIME; also the timestamp of datums without a time column"),
            CommonOptions.now, CommonOptions.workers, CommonOptions.stats, CommonOptions.maxRecordSize,
            CommonOptions.timestampField,
        ],
        examples: [
            "logmill run queries/lambda-max-memory.job",
            "logmill run --dry-run queries/*.job",
            "logmill run --from 2026-11-01T00:00:00Z --to 2026-11-01T23:59:59Z queries/s3-requests.job",
        ])

    static func run(_ parsed: ParsedOptions) throws -> ExitStatus {
        let jobs = parsed.positionals
        guard !jobs.isEmpty else { throw UsageError("name at least one job file\n\n" + spec.helpText) }
        var options = QueryOptions()
        try CommonOptions.apply(parsed, to: &options)
        var status = ExitStatus.ok
        for path in jobs {
            let job: JobFile
            do { job = try JobFile.load(path) } catch { Terminal.err("\(error)\n"); status.raise(.usage); continue }
            var runner = JobRunner(options: options, output: TerminalOutput())
            runner.dryRun = parsed.flag("dry-run")
            do {
                let outcome = try runner.run(job)
                status.raise(report(job, outcome, dryRun: runner.dryRun, stats: parsed.flag("stats")))
            } catch {
                Terminal.err(ExitStatus.of(error) == .usage ? "\(error)\n" : "logmill: \(job.name): \(error)\n")
                status.raise(ExitStatus.of(error))
            }
        }
        return status
    }

    /// Prints what a run did and returns its status: 1 when any datum did not reach any sink.
    static func report(_ job: JobFile, _ outcome: JobRunner.Outcome, dryRun: Bool, stats: Bool) -> ExitStatus {
        var status = ExitStatus.ok
        if dryRun {
            for (sink, payload) in outcome.payloads {
                Terminal.out("== \(job.name) → \(sink): \(payload.count) datum(s)\n")
                Terminal.out(payload.text.hasSuffix("\n") || payload.text.isEmpty ? payload.text : payload.text + "\n")
            }
        }
        for w in outcome.result.warnings { Terminal.warn("\(job.name): \(w)"); status.raise(.failed) }
        for n in outcome.result.notices { Terminal.notice("\(job.name): \(n)") }
        if outcome.skipped > 0 {
            Terminal.notice("\(job.name): \(outcome.skipped) value(s) were missing or not numbers and were not emitted")
        }
        // Datums a sink refused before sending (CloudWatch's limits, say): counted, with the first reasons.
        for (sink, payload) in outcome.payloads where !payload.rejections.isEmpty {
            let reasons = payload.rejections.prefix(3).map(\.note).joined(separator: "; ")
            Terminal.warn("\(job.name): \(sink): \(payload.rejections.count) datum(s) not \(dryRun ? "sendable" : "sent"): \(reasons)")
            status.raise(.failed)
        }
        var parts: [String] = []
        for d in outcome.deliveries {
            switch d.status {
            case .delivered(let n): parts.append("\(d.sink) delivered \(n)")
            case .failed(let why):
                parts.append("\(d.sink) FAILED")
                Terminal.fail("\(job.name): \(d.sink): \(why)")
                status.raise(.failed)
            case .inDoubt(let why):
                parts.append("\(d.sink) IN DOUBT")
                Terminal.fail("\(job.name): \(d.sink): may or may not have been delivered: \(why)")
                status.raise(.failed)
            }
        }
        if !dryRun {
            Terminal.notice("\(job.name): \(outcome.datums.count) datum(s) from \(outcome.result.statistics.recordsMatched) record(s)"
                            + (parts.isEmpty ? "" : "; " + parts.joined(separator: ", ")))
        }
        if stats {
            Terminal.err("\(job.name): " + ResultWriter.statistics(outcome.result.statistics) + "; datums: \(outcome.datums.count)\n")
        }
        return status
    }
}
