import Foundation
import LogmillAlarms
import LogmillMetrics
import LogmillQuery
import LogmillReport
import LogmillScan
import LogmillSinks
import LogmillSources
import LogmillTime

/// A one-off over history: every window of the job's period in `[from, to)`, each computed from all
/// the records whose time falls in it, whichever object holds them, with the same datums the
/// scheduled runs give over the same logs. In two phases, each resumable:
///
/// 1. **Scan**: the job's objects, in batches on the worker budget; each batch's per-window partials
///    go to a spool segment on disk, then the state records the batch as scanned. Memory holds one
///    batch's windows, never the range's.
/// 2. **Emit**: windows in time order, each merged from every segment, finished, given the job's
///    default values and fed to the alarms (with `replayAlarms`); in chunks of `chunkWindows`, each
///    delivered to every sink with the scheduled runs' ledger (intent, attempts, answer), so a chunk
///    interrupted by a crash is sent again only where that is harmless, and as the job's `in-doubt:`
///    says for sinks that add. Windows older than a sink takes (CloudWatch: two weeks) are left out
///    for that sink, with one warning naming the range.
///
/// A backfill and the job's scheduled runs share the state folder and the job's lock: windows the
/// scheduled runs already emitted are refused unless `force` (restating them), windows they will
/// emit are refused, and scheduled runs that start after a finished backfill start at its end.
public struct Backfill {
    public var store: StateStore
    public var options: QueryOptions
    public var output: any TextOutput
    public var environment: [String: String]
    /// Compute and show what each sink would receive (through `payload`); no state, nothing sent.
    public var dryRun = false
    /// Start over (a finished or different backfill), and restate windows the scheduled runs emitted.
    public var force = false
    /// Evaluate the job's alarms over the range, from a fresh state, and report their state changes.
    public var replayAlarms = false
    /// Windows per delivery (a day of 5-minute windows).
    public var chunkWindows = 288
    /// Input bytes per spool segment; nil: about a 48th of the input, at least 64 MiB.
    public var batchBytes: Int? = nil
    /// What the run is doing, for a progress display.
    public var progress: (@Sendable (BackfillProgress) -> Void)? = nil
    /// A dry run's payloads, per chunk and sink, as they are computed.
    public var payload: ((String, SinkPayload) -> Void)? = nil

    public init(store: StateStore, options: QueryOptions, output: any TextOutput, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.store = store; self.options = options; self.output = output; self.environment = environment
    }

    public enum BackfillProgress: Sendable {
        case scanPlanned(objects: Int, bytes: Int)
        case scanned(bytes: Int)
        case emitting(windows: Int)
        case emitted(windows: Int)
    }

    /// What a backfill did.
    public struct Report {
        public var job: String
        public var range: Window
        /// Set when another process held the job's lock: nothing was done.
        public var lockedBy: Int32?? = nil
        /// The same backfill was finished before: nothing was done.
        public var alreadyDone = false
        /// It went on from an interrupted run.
        public var resumed = false
        public var objectsScanned = 0
        public var bytesRead = 0
        public var recordsRead = 0
        public var windows = 0
        public var windowsDelivered = 0
        public var datums = 0
        /// Per metric (in the job's order): a summary and the series per dimension set.
        public var series: [ReportSeries] = []
        public var alarmChanges: [JobAlarms.Change] = []
        /// Per sink: datums taken, and the outcome of its last delivery.
        public var sinks: [(sink: String, delivered: Int, outcome: SinkOutcome?)] = []
        /// Per sink, the windows left out for its age limit.
        public var skipped: [(sink: String, range: Window, datums: Int)] = []
        public var notes: [String] = []
        public var warnings: [String] = []
        public var statistics = QueryStatistics()

        /// Everything asked was done: every object read, every window taken by every sink.
        public var succeeded: Bool {
            warnings.isEmpty && skipped.isEmpty && sinks.allSatisfy { $0.outcome.map { $0.isDelivered && $0.rejectedCount == 0 } ?? true }
        }
    }

    /// The range `[from, to)` aligned outward to the job's period.
    public static func aligned(_ job: JobFile, from: Int64, to: Int64) -> Window {
        let period = JobCycle.period(job)
        let start = period.floor(from)
        let end = period.floor(to) == to ? to : period.next(after: period.floor(to))
        return Window(start: start, end: end)
    }

    public func run(_ job: JobFile, from rawFrom: Int64, to rawTo: Int64) throws -> Report {
        let period = JobCycle.period(job)
        let range = Backfill.aligned(job, from: rawFrom, to: rawTo)
        var report = Report(job: job.name, range: range)
        if range.start != rawFrom || range.end != rawTo {
            report.notes.append("the range is aligned to the job's \(period) windows: \(range)")
        }
        let (lock, holder) = try store.lock(job: job.name)
        guard let lock else { report.lockedBy = .some(holder); return report }
        defer { lock.release() }
        let signature = JobCycle.signature(job, period: period)
        let clock = options.clock
        let now = clock.milliseconds()

        // The scheduled runs' windows: refuse what they did (unless restating) and what they will do.
        if let scheduled = try store.load(job: job.name, signature: signature), let through = scheduled.emittedThrough {
            let first = scheduled.firstWindow ?? Int64.min
            if range.end > through {
                throw BackfillError("the scheduled runs of \(job.name) emit the windows from \(CivilCalendar.iso(through)) on; backfill up to \(CivilCalendar.iso(through)) at most (--to)")
            }
            if range.end > first && !force {
                let overlap = Window(start: max(first, range.start), end: min(through, range.end))
                throw BackfillError("the scheduled runs of \(job.name) already emitted \(first == Int64.min ? "every window before \(CivilCalendar.iso(through))" : "\(overlap)"); "
                                    + "--force restates them (sinks that add, such as CloudWatch, then count them twice)")
            }
        }
        let due = period.floor(now - ((job.settle ?? JobFile.defaultSettle).fixedMilliseconds ?? 30_000))
        if range.end > due {
            throw BackfillError("the windows from \(CivilCalendar.iso(max(range.start, due))) on are not due yet (a window is due at its end plus the job's settle delay); end the backfill at \(CivilCalendar.iso(due)) at most")
        }

        // The backfill's own state: go on with the same range, refuse another, start over with --force.
        var state: BackfillState
        let spool: String
        if dryRun {
            state = BackfillState(job: job.name, signature: signature, from: range.start, to: range.end)
            spool = FileManager.default.temporaryDirectory.appendingPathComponent("logmill-backfill-\(getpid())-\(UInt64.random(in: 0...UInt64.max))").path
        } else {
            spool = store.spoolDirectory(job.name)
            let existing: BackfillState?
            do { existing = try store.loadBackfill(job: job.name) } catch where force { existing = nil }
            if let s = existing, s.signature == signature, s.from == range.start, s.to == range.end, !force {
                if s.finished {
                    report.alreadyDone = true
                    report.notes.append("this backfill was finished before; --force runs it again (sinks that add then count it twice)")
                    return report
                }
                state = s
                report.resumed = true
            } else if let s = existing, !s.finished, !force {
                let what = s.signature == signature ? "of \(Window(start: s.from, end: s.to))" : "of another definition of this job"
                throw BackfillError("a backfill \(what) has not finished; run it again to finish it, or pass --force to drop it and start this one")
            } else {
                store.removeBackfill(job: job.name)
                state = BackfillState(job: job.name, signature: signature, from: range.start, to: range.end)
            }
            try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            if !report.resumed { try store.saveBackfill(state) }
        }
        defer { if dryRun { try? FileManager.default.removeItem(atPath: spool) } }
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Segments no state lists are from a run killed between writing one and recording it.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? [] where !state.segments.contains(name) {
            unlink(spool + "/" + name)
        }

        var scanOptions = JobRunner.options(options, for: job)
        scanOptions.from = range.start
        scanOptions.to = range.end
        scanOptions.sampleLines = 0
        let progress = self.progress
        let previous = scanOptions.scan.events
        scanOptions.scan.events = { e in
            if case .read(let n) = e { FaultPoint.hit("scan"); progress?(.scanned(bytes: n)) }
            previous?(e)
        }
        let engine = try JobRunner.plan(job, options: scanOptions)

        // 1. Scan what is not in the spool yet, batch by batch.
        if !state.scanned {
            // A backfill reads the lists as they are now; the scheduled runs' stored copy when a fetch fails.
            let kept = (try? store.load(job: job.name, signature: signature))??.discovered
            let discovery = JobDiscovery.refresh(job, previous: kept, clock: options.clock, refreshSeconds: JobDiscovery.refreshSeconds(period))
            report.warnings += discovery.warnings
            let listed = try SourceArguments.list(JobRunner.sources(job, environment: environment, clock: options.clock, timeRange: range.start..<range.end,
                                                                    discovered: discovery.targets))
            let done = Set(state.scannedObjects.map { $0.identity })
            var remaining = listed.filter { !done.contains($0.identity.description) }.sorted { $0.name < $1.name }
            for o in remaining where o.unreadable != nil { report.warnings.append("\(o.name): \(o.unreadable!)") }
            remaining.removeAll { $0.unreadable != nil }
            let total = remaining.reduce(0) { $0 + ($1.size ?? 0) }
            progress?(.scanPlanned(objects: remaining.count, bytes: total))
            // About 48 segments over the whole range, at least 64 MiB of input each.
            let target = batchBytes ?? max(64 << 20, total / 48)
            var batch: [SourceObject] = []
            var batchBytes = 0
            func flush() throws {
                guard !batch.isEmpty else { return }
                let scan = engine.scan(batch, windows: period)
                report.statistics.merge(scan.statistics)
                report.warnings += scan.warnings
                let name = String(format: "segment-%05d", state.segments.count + 1)
                let entries = scan.windows.map { (start: $0.key.start, end: $0.key.end, partial: $0.value.encoded()) }
                try StateStore.writeAtomically(Data(BackfillSpool.encode(entries)), to: spool + "/" + name)
                FaultPoint.hit("backfill-segment")
                state.segments.append(name)
                state.scannedObjects += batch.map { BackfillState.ScannedObject(name: $0.name, identity: $0.identity.description, size: $0.size ?? 0) }
                if !dryRun { try store.saveBackfill(state) }
                report.objectsScanned += batch.count
                batch = []
                batchBytes = 0
            }
            for o in remaining {
                batch.append(o)
                batchBytes += o.size ?? 0
                if batchBytes >= target { try flush() }
            }
            try flush()
            state.scanned = true
            if !dryRun { try store.saveBackfill(state) }
        } else if report.resumed {
            report.notes.append("every object was scanned before; going on with the delivery")
        }
        report.bytesRead = report.statistics.bytesRead
        report.recordsRead = report.statistics.recordsMatched
        if report.statistics.untimedRecords > 0 {
            report.warnings.append("\(report.statistics.untimedRecords) matching record(s) carry no time, so no window could hold them")
        }

        // 2. Emit every window in order, merged from the segments, in chunks.
        let readers = try state.segments.map { try BackfillSpool.Reader(path: spool + "/" + $0) }
        let context = SinkContext(base: job.folder, clock: clock, output: output, environment: environment)
        var sinks: [(key: String, configuration: SinkConfiguration, sink: (any MetricSink)?, error: String?)] = []
        for (i, c) in job.sinks.enumerated() {
            let key = JobCycle.sinkKey(i, c)
            do { sinks.append((key, c, try SinkRegistry.make(c, context: context), nil)) } catch { sinks.append((key, c, nil, "\(error)")) }
        }
        report.sinks = sinks.map { ($0.sink?.label ?? $0.key, 0, nil) }
        var skipped: [Int: (range: Window, datums: Int)] = [:]
        var trackers: [String: AlarmTracker] = replayAlarms ? JobAlarms.trackers(job, state: JobState(job: job.name, signature: signature)) : [:]
        var dimensionSets: [String: [[String]]] = [:]
        var seriesIndex: [String: Int] = [:]
        let totalWindows = period.windows(from: range.start, to: range.end).count
        progress?(.emitting(windows: totalWindows))
        // File sinks that replace their file (OpenMetrics for promtool, Prometheus text) get the whole
        // range in one write at the end: delivered a chunk at a time, only the last chunk would stay.
        let deferred = sinks.indices.filter { Backfill.writesWholeRange(sinks[$0].configuration) }
        var wholeRange: [MetricDatum] = []
        var chunk: [(window: Window, datums: [MetricDatum])] = []
        var s = range.start
        var stopped = false
        while s < range.end && !stopped {
            let window = Window(start: s, end: period.next(after: s))
            let partial = engine.emptyPartial()
            for r in readers {
                // Entries before the window cannot exist (segments are in order); skip any defensively.
                while let p = r.peeked, p.start < s { _ = try r.take(p.start) }
                if let bytes = try r.take(s) { partial.merge(try engine.partial(from: bytes)) }
            }
            let result = engine.finish(partial, window: window)
            var datums = try job.mapping.datums(from: result, defaultTimestamp: window.start).datums
            datums += JobCycle.defaults(job, datums: datums, at: window.start, seen: &dimensionSets)
            report.windows += 1
            report.datums += datums.count
            collect(datums, into: &report.series, index: &seriesIndex, job: job)
            if replayAlarms {
                report.alarmChanges += JobAlarms.observe(&trackers, job: job, windows: [window], datums: [window.start: datums], samples: [:])
            }
            chunk.append((window, datums))
            if !deferred.isEmpty { wholeRange.append(contentsOf: datums) }
            s = window.end
            if chunk.count == chunkWindows || s >= range.end {
                if !(try deliver(chunk, job: job, sinks: sinks, state: &state, report: &report, skipped: &skipped, now: now)) { stopped = true }
                progress?(.emitted(windows: chunk.count))
                chunk = []
            }
        }
        if !stopped {
            stopped = !(try deliverWholeRange(wholeRange, to: deferred, job: job, sinks: sinks, state: &state, report: &report))
        }
        for (i, k) in skipped.sorted(by: { $0.key < $1.key }) {
            report.skipped.append((sinks[i].sink?.label ?? sinks[i].key, k.range, k.datums))
        }
        if !stopped && !dryRun {
            // Finished: the state stays as the record of what was done; the spool goes.
            state.finished = true
            state.segments = []
            state.scannedObjects = []
            try store.saveBackfill(state)
            try? FileManager.default.removeItem(atPath: spool)
        }
        return report
    }

    /// Sends one chunk to every sink that has not taken it; false when a sink failed (the backfill
    /// stops there; run again, it sends that chunk again to that sink and goes on).
    private func deliver(_ chunk: [(window: Window, datums: [MetricDatum])], job: JobFile,
                         sinks: [(key: String, configuration: SinkConfiguration, sink: (any MetricSink)?, error: String?)],
                         state: inout BackfillState, report: inout Report, skipped: inout [Int: (range: Window, datums: Int)], now: Int64) throws -> Bool {
        guard let first = chunk.first, let last = chunk.last else { return true }
        let span = Window(start: first.window.start, end: last.window.end)
        if span.end <= state.deliveredThrough { return true }    // taken before this run
        // Per sink: what it takes of this chunk (its age limit leaves older windows out).
        func datums(for i: Int) -> [MetricDatum] {
            guard let limit = sinks[i].configuration.kind.maxAge else { return chunk.flatMap(\.datums) }
            var out: [MetricDatum] = []
            for c in chunk {
                if c.window.start < now - limit {
                    let old = skipped[i]
                    skipped[i] = (Window(start: old?.range.start ?? c.window.start, end: c.window.end), (old?.datums ?? 0) + c.datums.count)
                } else {
                    out += c.datums
                }
            }
            return out
        }
        if dryRun {
            for (i, entry) in sinks.enumerated() where !Backfill.writesWholeRange(entry.configuration) {
                guard let sink = entry.sink else { report.warnings.append("\(entry.key): \(entry.error ?? "")"); continue }
                let d = datums(for: i)
                payload?(sink.label, sink.encode(d))
                report.sinks[i].delivered += d.count
            }
            return true
        }
        if state.chunk?.start != span.start {
            state.chunk = BackfillState.Chunk(start: span.start, end: span.end,
                                              sinks: sinks.map { SinkLedgerEntry(sink: $0.key, status: .intended, appendOffset: nil, attempts: 0, lastError: nil) })
            for (i, entry) in sinks.enumerated() where entry.configuration.kind.redelivery == .appends {
                if let path = entry.configuration.appendedFile(base: job.folder) {
                    state.chunk!.sinks[i].appendOffset = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
                }
            }
            try store.saveBackfill(state)
        }
        var allTaken = true
        for (i, entry) in sinks.enumerated() {
            var ledger = state.chunk!.sinks[i]
            if ledger.status == .acknowledged || Backfill.writesWholeRange(entry.configuration) { continue }
            if i > 0 { FaultPoint.hit("sink-next") }
            let send = datums(for: i)
            guard let sink = entry.sink else {
                report.sinks[i].outcome = SinkOutcome(sink: entry.key, status: .failed(entry.error ?? "cannot be built"))
                allTaken = false
                continue
            }
            let interrupted = ledger.attempts > 0 && (ledger.status == .intended || ledger.status == .inDoubt)
            if interrupted {
                switch entry.configuration.kind.redelivery {
                case .appends:
                    if let path = entry.configuration.appendedFile(base: job.folder), let cut = ledger.appendOffset {
                        truncate(path, off_t(cut))
                        report.notes.append("\(sink.label): cut back to \(cut) bytes, its length before an interrupted append, and appended again")
                    }
                case .adds where job.inDoubt == .skip:
                    ledger.status = .acknowledged
                    ledger.lastError = "in doubt: skipped (in-doubt: skip)"
                    state.chunk!.sinks[i] = ledger
                    try store.saveBackfill(state)
                    report.warnings.append("\(sink.label): the windows \(span) may or may not have been received before a crash; not sent again (in-doubt: skip)")
                    continue
                case .adds:
                    report.warnings.append("\(sink.label): the windows \(span) may or may not have been received before a crash; sent again (in-doubt: resend)")
                case .replaces, .keepsFirst:
                    break
                }
            }
            ledger.attempts += 1
            state.chunk!.sinks[i] = ledger
            try store.saveBackfill(state)
            let outcome = send.isEmpty ? SinkOutcome(sink: sink.label, status: .delivered(0)) : sink.deliver(sink.encode(send))
            FaultPoint.hit("sink-sent")
            report.sinks[i].outcome = outcome
            switch outcome.status {
            case .delivered(let n):
                ledger.status = .acknowledged; ledger.lastError = nil
                report.sinks[i].delivered += n
            case .failed(let why): ledger.status = .failed; ledger.lastError = why; allTaken = false
            case .inDoubt(let why): ledger.status = .inDoubt; ledger.lastError = why; allTaken = false
            }
            state.chunk!.sinks[i] = ledger
            try store.saveBackfill(state)
        }
        guard allTaken else { return false }
        state.deliveredThrough = span.end
        state.chunk = nil
        try store.saveBackfill(state)
        report.windowsDelivered += chunk.count
        return true
    }

    /// Whether a sink gets the whole range in one write at the end (files that are replaced).
    static func writesWholeRange(_ c: SinkConfiguration) -> Bool {
        c.kind.redelivery == .replaces && (c.kind.name == "openmetrics" || c.kind.name == "prometheus")
    }

    /// The sinks that take the whole range at once: written (again, after a crash: they replace)
    /// until each is recorded in the state as done.
    private func deliverWholeRange(_ datums: [MetricDatum], to deferred: [Int], job: JobFile,
                                   sinks: [(key: String, configuration: SinkConfiguration, sink: (any MetricSink)?, error: String?)],
                                   state: inout BackfillState, report: inout Report) throws -> Bool {
        var ok = true
        for i in deferred {
            let entry = sinks[i]
            if (state.wholeRangeWritten ?? []).contains(entry.key) { continue }
            guard let sink = entry.sink else {
                report.sinks[i].outcome = SinkOutcome(sink: entry.key, status: .failed(entry.error ?? "cannot be built"))
                ok = false
                continue
            }
            if dryRun {
                payload?(sink.label, sink.encode(datums))
                report.sinks[i].delivered += datums.count
                continue
            }
            let outcome = sink.deliver(sink.encode(datums))
            FaultPoint.hit("sink-sent")
            report.sinks[i].outcome = outcome
            if case .delivered(let n) = outcome.status {
                report.sinks[i].delivered += n
                state.wholeRangeWritten = (state.wholeRangeWritten ?? []) + [entry.key]
                try store.saveBackfill(state)
            } else {
                ok = false
            }
        }
        return ok
    }

    /// Adds a window's datums to the report's series (one per metric and dimension set, at most 200).
    private func collect(_ datums: [MetricDatum], into series: inout [ReportSeries], index: inout [String: Int], job: JobFile) {
        for d in datums {
            let key = d.name + "\u{1}" + d.dimensions.map { "\($0.name)=\($0.value)" }.joined(separator: "\u{1}")
            let value: Double
            switch d.value {
            case .single(let v): value = v
            case .statistics(let s): value = s.sampleCount > 0 ? s.sum / s.sampleCount : .nan
            case .distribution(let values, let counts):
                let n = counts.reduce(0, +)
                value = n > 0 ? zip(values, counts).reduce(0) { $0 + $1.0 * $1.1 } / n : .nan
            }
            if let i = index[key] {
                series[i].points.append((d.timestamp, value))
            } else if series.count < 1000 {
                index[key] = series.count
                series.append(ReportSeries(metric: d.name, dimensions: d.dimensions, unit: d.unit.rawValue, points: [(d.timestamp, value)]))
            }
        }
    }

}
