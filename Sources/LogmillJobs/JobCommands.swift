import Foundation
import LogmillMetrics
import LogmillQuery
import LogmillRecords

/// `logmill run` and `logmill validate`.
public enum JobCommands {
    public static let runHelp = """
    usage: logmill run [options] JOB...

    Runs each job file once over its sources and emits its metrics to its sinks.

    options:
      --from TIME     only records at or after TIME (ISO-8601)
      --to TIME       only records at or before TIME; also the timestamp of datums without a time column
      --dry-run       print exactly what each sink would receive, and send nothing
      --stats         print records scanned/matched, bytes and time to stderr
      --workers N     threads to use (default: all cores)
      -h, --help      show this help

    A job file holds 'key: value' lines, then 'query:' and the Insights query verbatim.
    See README.md ("Job files") for every key.
    """

    public static let validateHelp = """
    usage: logmill validate JOB...

    Parses each job file and plans its query without reading any log. Prints 'ok' per valid job;
    errors name file:line:column. Exit status 2 when any job is invalid.
    """

    static func stderr(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

    public static func validate(_ args: [String]) -> Int32 {
        if args.contains("-h") || args.contains("--help") { print(validateHelp); return 0 }
        guard !args.isEmpty else { stderr("logmill validate: name at least one job file\n\n" + validateHelp); return 2 }
        var bad = 0
        for path in args {
            do {
                let job = try JobFile.load(path)
                _ = try JobRunner.plan(job, options: QueryOptions())
                print("\(path): ok (\(job.name): \(job.mapping.metrics.count) metric(s), \(job.sinks.count) sink(s))")
            } catch {
                stderr("\(error)")
                bad += 1
            }
        }
        return bad == 0 ? 0 : 2
    }

    public static func run(_ args: [String]) -> Int32 {
        var jobs: [String] = []
        var options = QueryOptions()
        var dryRun = false, showStats = false
        var i = 0
        func value() -> String? { i += 1; return i < args.count ? args[i] : nil }
        while i < args.count {
            let a = args[i]
            switch a {
            case "-h", "--help": print(runHelp); return 0
            case "--dry-run": dryRun = true
            case "--stats": showStats = true
            case "--from", "--to":
                guard let v = value(), let t = Timestamps.parseISO8601(v) else { stderr("logmill run: \(a) needs an ISO-8601 time"); return 2 }
                if a == "--from" { options.from = t } else { options.to = t }
            case "--workers":
                guard let v = value(), let n = Int(v), n >= 1 else { stderr("logmill run: --workers needs a number"); return 2 }
                options.scan.workers = n
            default:
                if a.hasPrefix("-") { stderr("logmill run: unknown option '\(a)'\n\n" + runHelp); return 2 }
                jobs.append(a)
            }
            i += 1
        }
        guard !jobs.isEmpty else { stderr("logmill run: name at least one job file\n\n" + runHelp); return 2 }
        var status: Int32 = 0
        for path in jobs {
            let job: JobFile
            do { job = try JobFile.load(path) } catch { stderr("\(error)"); status = 2; continue }
            var runner = JobRunner(options: options)
            runner.dryRun = dryRun
            do {
                let outcome = try runner.run(job)
                for (sink, text) in outcome.rendered {
                    print("== \(job.name) → \(sink): \(outcome.datums.count) datum(s)")
                    print(text, terminator: text.hasSuffix("\n") || text.isEmpty ? "" : "\n")
                }
                for w in outcome.result.warnings { stderr("logmill: warning: \(job.name): \(w)"); status = max(status, 1) }
                if outcome.skipped > 0 {
                    stderr("logmill: \(job.name): \(outcome.skipped) value(s) were missing or not numbers and were not emitted")
                }
                if showStats {
                    stderr("\(job.name): " + ResultWriter.statistics(outcome.result.statistics) + "; datums: \(outcome.datums.count)")
                }
            } catch let e as QueryError {
                stderr("\(e)")
                status = 2
            } catch {
                stderr("logmill: \(job.name): \(error)")
                status = max(status, 1)
            }
        }
        return status
    }
}
