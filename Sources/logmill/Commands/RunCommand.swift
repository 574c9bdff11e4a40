import LogmillJobs
import LogmillQuery
import LogmillSinks
import LogmillTime

/// `logmill run`: each job once over its sources, its metrics to its sinks.
enum RunCommand {
    static let spec = CommandSpec(
        name: "run",
        summary: "run the due windows of job files and emit their metrics",
        arguments: "JOB...",
        description: """
        One scheduled run of each job (from cron, a systemd timer, a Kubernetes CronJob): the windows of
        the job's period that are due by the clock (end + settle <= now) and not yet emitted, each
        computed from every record whose time falls in it, delivered to every sink. Only what is new in
        each source since the last run is read; the job's state (checkpoints, open windows, what each
        sink acknowledged) lives in --state-dir. Running it twice, late, or killed halfway never counts a
        line twice or skips one. A second run of a job while one is running does nothing (exit 0).

        With --from and --to it is a one-off over that range instead: no state is read or written.

        A job file holds 'key: value' lines, then 'query:' and the Insights query verbatim:
        \(JobFile.keyHelp)
        Sink kinds ('sink:' lines):
        \(SinkRegistry.help())
        Exit status: 0 when every datum reached every sink; 1 when anything was not read or not
        delivered (each sink is still tried); 2 when a job file or the command line is wrong.
        """,
        options: [
            OptionSpec("dry-run", "print exactly what each sink would receive; send nothing, write no state"),
            OptionSpec("state-dir", value: "DIR", "where jobs keep their state (default: $LOGMILL_STATE_DIR,\nelse $XDG_STATE_HOME/logmill, else ~/.local/state/logmill)"),
            OptionSpec("from", value: "TIME", "a one-off over records at or after TIME (no state)"),
            OptionSpec("to", value: "TIME", "with --from: records before TIME ([from, to)); the time of datums without a time column"),
            CommonOptions.now, CommonOptions.workers, CommonOptions.fetchConcurrency, CommonOptions.stats, CommonOptions.maxRecordSize,
            CommonOptions.timestampField,
        ],
        examples: [
            "logmill run queries/lambda-max-memory.job",
            "logmill run --dry-run queries/*.job",
            "logmill run --state-dir /var/lib/logmill --now 2026-11-01T01:00:00Z queries/lambda-errors.job",
            "logmill run --from 2026-11-01 --to 2026-11-02 queries/s3-requests.job",
        ])

    static func run(_ parsed: ParsedOptions) throws -> ExitStatus {
        let jobs = parsed.positionals
        guard !jobs.isEmpty else { throw UsageError("name at least one job file\n\n" + spec.helpText) }
        var options = QueryOptions()
        try CommonOptions.apply(parsed, to: &options)
        var status = ExitStatus.ok
        let oneOff = options.from != nil || options.to != nil
        let store = StateStore(directory: parsed.value("state-dir") ?? StateStore.defaultDirectory())
        for path in jobs {
            let job: JobFile
            do { job = try JobFile.load(path) } catch { Terminal.err("\(error)\n"); status.raise(.usage); continue }
            if !oneOff {
                var cycle = JobCycle(store: store, options: options, output: TerminalOutput())
                cycle.dryRun = parsed.flag("dry-run")
                do {
                    let r = try cycle.run(job)
                    status.raise(report(job, r, dryRun: cycle.dryRun, stats: parsed.flag("stats")))
                } catch {
                    Terminal.err(ExitStatus.of(error) == .usage ? "\(error)\n" : "logmill: \(job.name): \(error)\n")
                    status.raise(ExitStatus.of(error))
                }
                continue
            }
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

    /// Prints what a scheduled run did, one summary line per job, and returns its status.
    static func report(_ job: JobFile, _ r: JobCycle.Report, dryRun: Bool, stats: Bool) -> ExitStatus {
        if let holder = r.lockedBy {
            Terminal.notice("\(job.name): another run\(holder.map { " (pid \($0))" } ?? "") holds this job's lock; nothing done")
            return .ok
        }
        var status = ExitStatus.ok
        if dryRun {
            for (sink, payload) in r.payloads where payload.count > 0 || !payload.rejections.isEmpty {
                Terminal.out("== \(job.name) → \(sink): \(payload.count) datum(s)\n")
                Terminal.out(payload.text.hasSuffix("\n") || payload.text.isEmpty ? payload.text : payload.text + "\n")
            }
        }
        for n in r.notes { Terminal.notice("\(job.name): \(n)") }
        for c in r.alarmChanges {
            Terminal.notice("\(job.name): alarm \(c.alarm): \(c.transition.oldState.rawValue) → \(c.transition.newState.rawValue) at \(CivilCalendar.iso(c.transition.time))"
                            + (dryRun ? " (dry run: not recorded, nobody notified)" : ""))
        }
        for d in r.notifications where d.error == nil {
            Terminal.notice("\(job.name): alarm \(d.alarm): \(d.newState.rawValue) notification sent to \(d.notifier)")
        }
        for w in r.warnings { Terminal.warn("\(job.name): \(w)"); status.raise(.failed) }
        for (sink, payload) in r.payloads where !payload.rejections.isEmpty {
            Terminal.warn("\(job.name): \(sink): \(payload.rejections.count) datum(s) not sendable: \(payload.rejections.prefix(3).map(\.note).joined(separator: "; "))")
            status.raise(.failed)
        }
        var parts: [String] = []
        for o in r.sinks {
            switch o.status {
            case .delivered(let n):
                parts.append("\(o.sink) delivered \(n)")
                if o.rejectedCount > 0 {
                    Terminal.warn("\(job.name): \(o.sink): \(o.rejectedCount) datum(s) not sent: \(o.notes.prefix(3).joined(separator: "; "))")
                    status.raise(.failed)
                }
            case .failed(let why):
                parts.append("\(o.sink) FAILED")
                Terminal.fail("\(job.name): \(o.sink): \(why) (tried again on the next run)")
                status.raise(.failed)
            case .inDoubt(let why):
                parts.append("\(o.sink) IN DOUBT")
                Terminal.fail("\(job.name): \(o.sink): may or may not have been delivered: \(why)")
                status.raise(.failed)
            }
        }
        var line = "\(job.name): "
        if let first = r.windows.first, let last = r.windows.last {
            line += "\(r.windows.count) window(s) \(Window(start: first.start, end: last.end)) emitted, \(r.datums) datum(s)"
        } else {
            line += "no window was due"
        }
        line += "; \(r.recordsRead) new matching record(s)"
        if r.lateRecords > 0 { line += ", \(r.lateRecords) late" + (r.lateMerged > 0 ? " (\(r.lateMerged) merged)" : "") }
        if !parts.isEmpty { line += "; " + parts.joined(separator: ", ") }
        if let next = r.next { line += "; next \(next.window) due at \(CivilCalendar.iso(next.due))" }
        if dryRun { line += " (dry run: nothing sent, no state written)" }
        Terminal.notice(line)
        if stats { Terminal.err("\(job.name): " + ResultWriter.statistics(r.statistics) + "\n") }
        return status
    }

    /// Prints what a one-off run did and returns its status: 1 when any datum did not reach any sink.
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
