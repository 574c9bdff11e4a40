import Foundation
import LogmillJobs
import LogmillQuery
import LogmillRecords
import LogmillSources

/// Exit codes: 0 success, 1 the work ran but something failed (unreadable input, a sink error),
/// 2 the command line, query or job file is wrong.
enum ExitCode {
    static let ok: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 2
}

enum CLI {
    static let version = "0.1.0"

    static let overview = """
    logmill \(version): CloudWatch Logs Insights queries over local logs, turned into metrics.

    usage: logmill <command> [options]

    commands:
      query      run an Insights query over log files and print the rows
      run        run job files once and emit their metrics
      validate   check job files without running them
      help       show help for a command

    Run 'logmill <command> --help' for a command's options.
    """

    static let queryHelp = """
    usage: logmill query [options] ('QUERY' | -f FILE) INPUT...

    Runs a CloudWatch Logs Insights query over INPUTs: files, directories (read recursively),
    globs ('logs/**/*.gz'), or - for standard input. Gzip is detected by content.

    options:
      -f, --file FILE       read the query from FILE
      --format FORMAT       table, json, ndjson or csv (default: table on a terminal, else json)
      --from TIME           only records at or after TIME (ISO-8601, e.g. 2026-11-01T00:00:00Z)
      --to TIME             only records at or before TIME
      --log-format FORMAT   force the input format: cloudwatch, events, json, plain, csv, cloudtrail or
                            subscription (default: detect per file)
      --workers N           threads to use (default: all cores)
      --stats               print records scanned/matched, bytes and time to stderr
      -h, --help            show this help

    examples:
      logmill query 'filter @type = "REPORT" | stats max(@maxMemoryUsed) by bin(5m)' fixtures/lambda
      logmill query --format csv -f q.insights logs/*.log.gz
    """

    static func main(_ args: [String]) -> Int32 {
        guard let command = args.first else {
            FileHandle.standardError.write(Data((overview + "\n").utf8))
            return ExitCode.usage
        }
        let rest = Array(args.dropFirst())
        switch command {
        case "query": return query(rest)
        case "run": return JobCommands.run(rest)
        case "validate": return JobCommands.validate(rest)
        case "help", "-h", "--help":
            switch rest.first {
            case "query": print(queryHelp)
            case "run": print(JobCommands.runHelp)
            case "validate": print(JobCommands.validateHelp)
            default: print(overview)
            }
            return ExitCode.ok
        case "--version", "version":
            print("logmill \(version)")
            return ExitCode.ok
        default:
            let known = ["query", "run", "validate", "help"]
            let near = known.min { a, b in editDistance(a, command) < editDistance(b, command) }!
            fail("unknown command '\(command)'" + (editDistance(near, command) <= 2 ? "; did you mean '\(near)'?" : "") + "\n\n" + overview)
            return ExitCode.usage
        }
    }

    static func fail(_ message: String) {
        FileHandle.standardError.write(Data(("logmill: " + message + "\n").utf8))
    }

    static func warn(_ message: String) {
        FileHandle.standardError.write(Data(("logmill: warning: " + message + "\n").utf8))
    }

    static func query(_ args: [String]) -> Int32 {
        let parsed: Arguments
        do {
            parsed = try Arguments(args, valued: ["file", "format", "from", "to", "log-format", "workers"],
                                   flagNames: ["stats", "help"], aliases: ["-f": "--file", "-h": "--help"])
        } catch {
            fail("\(error)\nRun 'logmill query --help' for usage.")
            return ExitCode.usage
        }
        if parsed.flag("help") { print(queryHelp); return ExitCode.ok }
        var positionals = parsed.positionals
        let text: String
        var origin: String? = nil
        if let file = parsed.value("file") {
            guard let t = try? String(contentsOfFile: file, encoding: .utf8) else {
                fail("cannot read query file '\(file)'")
                return ExitCode.usage
            }
            text = t
            origin = file
        } else {
            guard !positionals.isEmpty else {
                fail("no query given\n\n" + queryHelp)
                return ExitCode.usage
            }
            text = positionals.removeFirst()
        }
        guard !positionals.isEmpty else {
            fail("no input given: name files, directories, globs, or - for standard input")
            return ExitCode.usage
        }
        var options = QueryOptions()
        options.progress = isatty(2) != 0
        do {
            try applyCommon(parsed, to: &options)
        } catch {
            fail("\(error)")
            return ExitCode.usage
        }
        let format: OutputFormat
        if let f = parsed.value("format") {
            guard let ff = OutputFormat(rawValue: f) else {
                fail("unknown format '\(f)'; use one of: \(OutputFormat.allCases.map(\.rawValue).joined(separator: ", "))")
                return ExitCode.usage
            }
            format = ff
        } else {
            format = isatty(1) != 0 ? .table : .json
        }
        let engine: QueryEngine
        do {
            engine = try QueryEngine(text: text, origin: origin, options: options)
        } catch {
            FileHandle.standardError.write(Data(("\(error)\n").utf8))
            return ExitCode.usage
        }
        let inputs: [InputFile]
        do {
            inputs = try InputResolver.expand(positionals)
        } catch {
            fail("\(error)")
            return ExitCode.usage
        }
        let result = engine.run(inputs)
        FileHandle.standardOutput.write(Data(ResultWriter.render(result, as: format).utf8))
        for w in result.warnings { warn(w) }
        if result.statistics.parseFailures > 0 && !parsed.flag("stats") {
            warn("\(result.statistics.parseFailures) line(s) did not fit their input's format and were read as plain messages (--stats shows where)")
        }
        if parsed.flag("stats") {
            FileHandle.standardError.write(Data((ResultWriter.statistics(result.statistics) + "\n").utf8))
        }
        return result.warnings.isEmpty ? ExitCode.ok : ExitCode.failure
    }

    static func applyCommon(_ parsed: Arguments, to options: inout QueryOptions) throws {
        if let f = parsed.value("from") {
            guard let t = Timestamps.parseISO8601(f) else { throw Arguments.UsageError(message: "--from: '\(f)' is not an ISO-8601 time") }
            options.from = t
        }
        if let t = parsed.value("to") {
            guard let v = Timestamps.parseISO8601(t) else { throw Arguments.UsageError(message: "--to: '\(t)' is not an ISO-8601 time") }
            options.to = v
        }
        if let lf = parsed.value("log-format") {
            guard let f = LogFormat(rawValue: lf) else {
                throw Arguments.UsageError(message: "unknown log format '\(lf)'; use one of: \(LogFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            options.scan.format = f
        }
        if let w = parsed.value("workers") {
            guard let n = Int(w), n >= 1, n <= 256 else { throw Arguments.UsageError(message: "--workers takes a number from 1 to 256") }
            options.scan.workers = n
        }
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        var prev = Array(0...y.count)
        for i in 1...max(1, x.count) where !x.isEmpty {
            var cur = [i] + [Int](repeating: 0, count: y.count)
            for j in stride(from: 1, through: y.count, by: 1) {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[y.count]
    }
}
