import Foundation
import LogmillJobs
import LogmillTime

/// `logmill status`: where each job stands, from its state and its schedule.
enum StatusCommand {
    static let spec = CommandSpec(
        name: "status",
        summary: "show each job's last and next window, lag, late lines, errors and sinks",
        arguments: "(JOB... | DIR)",
        description: """
        Per job: the end of the last emitted window, the next window with when it is due (its end +
        settle) and when the schedule next runs for it, the lag (now - the last emitted window's end),
        late lines, the last run's error, and per sink its last outcome and the windows it has not yet
        taken (failed or in doubt ones are retried by the next run). Reads the state only; never locks
        or changes it, so it is safe while a run or the daemon works.

        Exit status: 0 when every job is healthy; 1 when any job's state cannot be read, its last run
        reported a problem, or one of its sinks failed or is in doubt; 2 when a job file or the
        command line is wrong.
        """,
        options: [
            OptionSpec("format", value: "FORMAT", "text (default) or json (an array, one object per job)"),
            OptionSpec("state-dir", value: "DIR", "where jobs keep their state (as for 'run')"),
            CommonOptions.now,
        ],
        examples: [
            "logmill status queries/",
            "logmill status --format json --state-dir /var/lib/logmill /etc/logmill/jobs/errors.job",
        ])

    static func run(_ parsed: ParsedOptions) throws -> ExitStatus {
        guard !parsed.positionals.isEmpty else { throw UsageError("name job files or a folder of them\n\n" + spec.helpText) }
        let format = parsed.value("format") ?? "text"
        guard format == "text" || format == "json" else { throw UsageError("--format takes text or json") }
        let clock: any Clock = SystemClock()
        let now = try CommonOptions.time(parsed, "now", now: clock.milliseconds()) ?? clock.milliseconds()
        let store = StateStore(directory: parsed.value("state-dir") ?? StateStore.defaultDirectory())
        var status = ExitStatus.ok
        var statuses: [JobStatus] = []
        let paths: [String]
        do { paths = try JobSet.paths(parsed.positionals) } catch { throw UsageError("\(error)") }
        for path in paths {
            do { statuses.append(JobStatus.of(try JobFile.load(path), store: store, now: now)) } catch {
                Terminal.err("\(error)\n")
                status.raise(ExitStatus.of(error))
            }
        }
        if statuses.contains(where: { !$0.healthy }) { status.raise(.failed) }
        if format == "json" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Terminal.out(String(decoding: try encoder.encode(statuses), as: UTF8.self) + "\n")
            return status
        }
        Terminal.out(statuses.map(text).joined())
        return status
    }

    static func text(_ s: JobStatus) -> String {
        var out = "\(s.job): \(s.healthy ? "healthy" : "UNHEALTHY") (\(s.path))\n"
        if let end = s.lastWindowEnd {
            out += "  last window ends: \(end)" + (s.lagSeconds.map { ", lag \(duration($0))" } ?? "") + "\n"
        } else {
            out += "  last window ends: none emitted yet\n"
        }
        if let start = s.nextWindowStart, let end = s.nextWindowEnd, let due = s.nextWindowDue {
            out += "  next window: [\(start), \(end)) due \(due)" + (s.overdue ? " (overdue)" : "") + (s.nextRun.map { ", run at \($0)" } ?? "") + "\n"
        }
        out += "  late lines: \(s.lateRecords)" + (s.lateMerged > 0 ? " (\(s.lateMerged) merged)" : "") + "\n"
        out += "  last run: \(s.lastRun ?? "never")\n"
        if let e = s.lastError { out += "  last error: \(e)\n" }
        for k in s.sinks {
            out += "  sink \(k.sink): \(k.lastOutcome ?? "no outcome yet")"
            if k.pendingWindows > 0 {
                out += "; \(k.pendingWindows) window(s) not yet taken"
                var bad: [String] = []
                if k.failedWindows > 0 { bad.append("\(k.failedWindows) failed") }
                if k.inDoubtWindows > 0 { bad.append("\(k.inDoubtWindows) in doubt") }
                if !bad.isEmpty { out += " (" + bad.joined(separator: ", ") + ")" }
            }
            if let e = k.lastError { out += "; last error: \(e)" }
            out += "\n"
        }
        return out
    }

    /// `330` → `5m30s`.
    static func duration(_ seconds: Double) -> String {
        var s = Int64(seconds.rounded(.down))
        let sign = s < 0 ? "-" : ""
        s = abs(s)
        var out = ""
        if s >= 86_400 { out += "\(s / 86_400)d" }
        if s >= 3600 { out += "\(s / 3600 % 24)h" }
        if s >= 60 { out += "\(s / 60 % 60)m" }
        return sign + out + "\(s % 60)s"
    }
}
