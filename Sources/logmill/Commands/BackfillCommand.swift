import Foundation
import LogmillJobs
import LogmillQuery
import LogmillReport
import LogmillSinks
import LogmillTime

/// `logmill backfill`: a job over a range of history, resumable, with a report of what it made.
enum BackfillCommand {
    static let spec = CommandSpec(
        name: "backfill",
        summary: "compute a job's windows over a past range from archived logs, resumably, and send them",
        arguments: "JOB...",
        description: """
        Every window of the job's period in [--from, --to) (aligned outward to the period), each
        computed from all the records whose time falls in it, whichever file holds them: the same
        datums the scheduled runs give over the same logs. Objects are scanned on every core in
        batches whose partial results go to a spool beside the job's state, so memory stays flat
        however long the range; then the windows are merged in time order and sent to the sinks a
        day at a time with the scheduled runs' ledger.

        Interrupted (Ctrl-C, SIGKILL, a sink failing), the same command goes on where it stopped,
        without reading finished objects again or sending a finished window twice to a sink that
        replaces or appends; sinks that add follow the job's 'in-doubt:'. A finished backfill run
        again does nothing; --force runs it again. Windows the scheduled runs already emitted are
        refused unless --force (restate); windows they will emit are refused; scheduled runs of a
        job without state start where a finished backfill ended.

        Windows older than a sink takes are left out for that sink, with one warning naming the
        range (CloudWatch: two weeks; use an 'openmetrics' file for 'promtool tsdb
        create-blocks-from openmetrics', an 'emf' file, or remote write within the receiver's
        out-of-order window).

        At the end, per metric: windows, datums, min, max, total and a sparkline of the series.
        --report FILE.html writes a self-contained page with one plot per metric and dimension set.
        --alarms replays the job's alarms over the range from a fresh state and prints the timeline
        of their state changes; nobody is notified.

        Exit status: 0 when every window reached every sink; 1 when something was not read, a sink
        failed, or windows were left out for a sink's age limit; 2 when the command line, a job file
        or the range is wrong (a range the scheduled runs own, windows not yet due).
        """,
        options: [
            OptionSpec("from", value: "TIME", "the first window's start (ISO-8601, a date, -30d, now-2w, epoch)"),
            OptionSpec("to", value: "TIME", "the end of the range, excluded ([from, to))"),
            OptionSpec("dry-run", "print what each sink would receive; send nothing, write no state"),
            OptionSpec("force", "start over (a finished or another backfill) and restate windows the scheduled runs emitted"),
            OptionSpec("alarms", "replay the job's alarms over the range and print their state changes (no one is notified)"),
            OptionSpec("report", value: "FILE", "write an HTML page with a plot per metric and dimension set"),
            OptionSpec("state-dir", value: "DIR", "where jobs keep their state (as for 'run')"),
            CommonOptions.now, CommonOptions.workers, CommonOptions.fetchConcurrency, CommonOptions.maxRecordSize, CommonOptions.timestampField,
        ],
        examples: [
            "logmill backfill --from 2026-08-01 --to 2026-11-01 queries/lambda-errors.job",
            "logmill backfill --from -30d --to -1d --report errors.html --alarms queries/lambda-error-alarm.job",
            "logmill backfill --dry-run --from 2026-11-01T00:00Z --to 2026-11-01T02:00Z queries/s3-requests.job",
        ])

    static func run(_ parsed: ParsedOptions) throws -> ExitStatus {
        guard !parsed.positionals.isEmpty else { throw UsageError("name at least one job file\n\n" + spec.helpText) }
        var options = QueryOptions()
        try CommonOptions.apply(parsed, to: &options)
        guard let from = options.from, let to = options.to else { throw UsageError("a backfill needs --from and --to") }
        options.from = nil
        options.to = nil
        let store = StateStore(directory: parsed.value("state-dir") ?? StateStore.defaultDirectory())
        var status = ExitStatus.ok
        var pages: [ReportSeries] = []
        var range: Window? = nil
        var period: Int64 = 0
        var titles: [String] = []
        for path in parsed.positionals {
            let job: JobFile
            do { job = try JobFile.load(path) } catch { Terminal.err("\(error)\n"); status.raise(.usage); continue }
            var backfill = Backfill(store: store, options: options, output: TerminalOutput())
            backfill.dryRun = parsed.flag("dry-run")
            backfill.force = parsed.flag("force")
            backfill.replayAlarms = parsed.flag("alarms")
            // Test knobs: small spool segments and chunks, so that tests reach every path quickly.
            let env = ProcessInfo.processInfo.environment
            if let b = env["LOGMILL_BACKFILL_BATCH_BYTES"].flatMap(Int.init), b > 0 { backfill.batchBytes = b }
            if let c = env["LOGMILL_BACKFILL_CHUNK_WINDOWS"].flatMap(Int.init), c > 0 { backfill.chunkWindows = c }
            let meter = BackfillMeter(job: job.name, clock: SystemClock(), terminal: Terminal.stderrIsTerminal)
            backfill.progress = meter.handler
            if backfill.dryRun {
                backfill.payload = { sink, payload in
                    guard payload.count > 0 || !payload.rejections.isEmpty else { return }
                    meter.stop()
                    Terminal.out("== \(job.name) → \(sink): \(payload.count) datum(s)\n")
                    Terminal.out(payload.text.hasSuffix("\n") || payload.text.isEmpty ? payload.text : payload.text + "\n")
                }
            }
            do {
                let r = try backfill.run(job, from: from, to: to)
                meter.stop()
                status.raise(report(job, r, dryRun: backfill.dryRun, alarms: backfill.replayAlarms))
                pages += r.series
                range = range.map { Window(start: min($0.start, r.range.start), end: max($0.end, r.range.end)) } ?? r.range
                period = JobCycle.period(job).fixedMilliseconds ?? 0
                titles.append(job.name)
            } catch let e as BackfillError {
                meter.stop()
                Terminal.fail("\(job.name): \(e)")
                status.raise(.usage)
            } catch {
                meter.stop()
                Terminal.err(ExitStatus.of(error) == .usage ? "\(error)\n" : "logmill: \(job.name): \(error)\n")
                status.raise(ExitStatus.of(error))
            }
        }
        if let file = parsed.value("report"), let range {
            let html = ReportPage.html(title: "logmill backfill: " + titles.joined(separator: ", "), from: range.start, to: range.end,
                                       period: period, series: pages)
            do { try Data(html.utf8).write(to: URL(fileURLWithPath: file)) } catch {
                Terminal.fail("--report \(file): \(error.localizedDescription)")
                status.raise(.failed)
            }
            Terminal.notice("report: \(file) (\(min(pages.count, 200)) plot(s))")
        }
        return status
    }

    /// Prints what a backfill did: the summary, per metric a line with a sparkline, the alarms'
    /// timeline; returns its status.
    static func report(_ job: JobFile, _ r: Backfill.Report, dryRun: Bool, alarms: Bool) -> ExitStatus {
        if let holder = r.lockedBy {
            Terminal.fail("\(job.name): another run\(holder.map { " (pid \($0))" } ?? "") holds this job's lock; nothing done (run the backfill again when it is finished)")
            return .failed
        }
        var status = ExitStatus.ok
        for n in r.notes { Terminal.notice("\(job.name): \(n)") }
        if r.alreadyDone { return status }
        for w in r.warnings { Terminal.warn("\(job.name): \(w)"); status.raise(.failed) }
        for s in r.skipped {
            Terminal.warn("\(job.name): \(s.sink): left out \(s.datums) datum(s) of \(s.range): older than the sink takes")
            status.raise(.failed)
        }
        var parts: [String] = []
        for s in r.sinks {
            guard let o = s.outcome else { if dryRun { parts.append("\(s.sink) would take \(s.delivered)") }; continue }
            switch o.status {
            case .delivered:
                parts.append("\(s.sink) took \(s.delivered)")
                if o.rejectedCount > 0 {
                    Terminal.warn("\(job.name): \(o.sink): \(o.rejectedCount) datum(s) not sent: \(o.notes.prefix(3).joined(separator: "; "))")
                    status.raise(.failed)
                }
            case .failed(let why):
                parts.append("\(s.sink) FAILED")
                Terminal.fail("\(job.name): \(s.sink): \(why) (run the backfill again to go on from there)")
                status.raise(.failed)
            case .inDoubt(let why):
                parts.append("\(s.sink) IN DOUBT")
                Terminal.fail("\(job.name): \(s.sink): may or may not have been delivered: \(why) (run the backfill again to go on)")
                status.raise(.failed)
            }
        }
        var line = "\(job.name): backfill \(r.range): \(r.windows) window(s), \(r.datums) datum(s) from \(r.recordsRead) record(s)"
            + " in \(r.objectsScanned) object(s) (\(BackfillMeter.bytes(r.bytesRead)))"
        if r.resumed { line += ", resumed" }
        if !parts.isEmpty { line += "; " + parts.joined(separator: ", ") }
        if dryRun { line += " (dry run: nothing sent, no state written)" }
        Terminal.notice(line)
        Terminal.err(summary(r.series))
        if alarms {
            if r.alarmChanges.isEmpty {
                Terminal.err("alarms: no state change over the range\n")
            } else {
                Terminal.err("alarms (replayed from a fresh state; no one was notified):\n")
                for c in r.alarmChanges {
                    Terminal.err("  \(CivilCalendar.iso(c.transition.time))  \(c.alarm)  \(c.transition.oldState.rawValue) → \(c.transition.newState.rawValue)  \(c.transition.reason)\n")
                }
            }
        }
        return status
    }

    /// Per metric: windows with a datum, datums, min, max, total, and a sparkline of its per-window
    /// total (sum over dimension sets; averages for statistic sets).
    static func summary(_ series: [ReportSeries]) -> String {
        var order: [String] = []
        var byMetric: [String: [ReportSeries]] = [:]
        for s in series {
            if byMetric[s.metric] == nil { order.append(s.metric) }
            byMetric[s.metric, default: []].append(s)
        }
        var out = ""
        let width = order.map(\.count).max() ?? 0
        for m in order {
            let list = byMetric[m]!
            var perWindow: [Int64: Double] = [:]
            var count = 0
            var lo = Double.infinity, hi = -Double.infinity, total = 0.0
            for s in list {
                for p in s.points where p.value.isFinite {
                    perWindow[p.time, default: 0] += p.value
                    count += 1
                    lo = min(lo, p.value); hi = max(hi, p.value); total += p.value
                }
            }
            let times = perWindow.keys.sorted()
            var values: [Double?] = []
            if let first = times.first, let last = times.last, times.count > 1 {
                let step = zip(times, times.dropFirst()).map { $1 - $0 }.min() ?? 1
                var t = first
                while t <= last && values.count < 100_000 { values.append(perWindow[t]); t += step }
            } else {
                values = times.map { perWindow[$0] }
            }
            let name = m + String(repeating: " ", count: width - m.count)
            out += "  \(name)  \(Sparkline.render(values, width: 48))  windows \(perWindow.count), datums \(count)"
            if count > 0 { out += ", min \(ReportPage.number(lo)), max \(ReportPage.number(hi)), total \(ReportPage.number(total))" }
            out += "\n"
        }
        return out
    }
}
