import LogmillJobs
import LogmillQuery

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
        """,
        options: [
            OptionSpec("dry-run", "print exactly what each sink would receive, and send nothing"),
            CommonOptions.from,
            OptionSpec("to", value: "TIME", "only records at or before TIME; also the timestamp of datums without a time column"),
            CommonOptions.now, CommonOptions.workers, CommonOptions.stats,
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
            var runner = JobRunner(options: options)
            runner.dryRun = parsed.flag("dry-run")
            do {
                let outcome = try runner.run(job)
                for (sink, text) in outcome.rendered {
                    Terminal.out("== \(job.name) → \(sink): \(outcome.datums.count) datum(s)\n")
                    Terminal.out(text.hasSuffix("\n") || text.isEmpty ? text : text + "\n")
                }
                for w in outcome.result.warnings { Terminal.warn("\(job.name): \(w)"); status.raise(.failed) }
                for n in outcome.result.notices { Terminal.notice("\(job.name): \(n)") }
                if outcome.skipped > 0 {
                    Terminal.notice("\(job.name): \(outcome.skipped) value(s) were missing or not numbers and were not emitted")
                }
                if parsed.flag("stats") {
                    Terminal.err("\(job.name): " + ResultWriter.statistics(outcome.result.statistics) + "; datums: \(outcome.datums.count)\n")
                }
            } catch {
                Terminal.err(ExitStatus.of(error) == .usage ? "\(error)\n" : "logmill: \(job.name): \(error)\n")
                status.raise(ExitStatus.of(error))
            }
        }
        return status
    }
}
