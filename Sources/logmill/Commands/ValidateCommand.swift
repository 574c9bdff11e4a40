import LogmillJobs
import LogmillQuery

/// `logmill validate`: everything that can be checked without reading a log.
enum ValidateCommand {
    static let spec = CommandSpec(
        name: "validate",
        summary: "check job files without running them",
        arguments: "JOB...",
        description: """
        Parses each job file and plans its query without reading any log or contacting any sink.
        Prints 'ok' per valid job; errors name file:line:column. Exit status 2 when any job is invalid.
        """,
        options: [],
        examples: ["logmill validate queries/*.job"])

    static func run(_ parsed: ParsedOptions) throws -> ExitStatus {
        guard !parsed.positionals.isEmpty else { throw UsageError("name at least one job file\n\n" + spec.helpText) }
        var status = ExitStatus.ok
        for path in parsed.positionals {
            do {
                let job = try JobFile.load(path)
                _ = try JobRunner.plan(job, options: QueryOptions())
                Terminal.out("\(path): ok (\(job.name): \(job.mapping.metrics.count) metric(s), \(job.sinks.count) sink(s))\n")
            } catch {
                Terminal.err("\(error)\n")
                status.raise(.usage)
            }
        }
        return status
    }
}
