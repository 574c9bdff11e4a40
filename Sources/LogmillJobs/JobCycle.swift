import Foundation
import LogmillAlarms
import LogmillMetrics
import LogmillQuery
import LogmillRemote
import LogmillScan
import LogmillSinks
import LogmillSources
import LogmillTime

extension SinkConfiguration {
    /// The file an appending sink (EMF) writes, relative to the job's folder unless absolute.
    func appendedFile(base: String) -> String? {
        guard let a = argument else { return nil }
        return a.hasPrefix("/") || base.isEmpty ? a : base + "/" + a
    }
}

extension SinkRedelivery {
    /// Whether late records merged as corrections may be sent as extra datums: only where an extra
    /// datum for a window adds up exactly (the sink adds or appends, and its reader sums).
    var takesCorrections: Bool { self == .adds || self == .appends }
}

/// One scheduled run of a job: the windows that are due by the clock and the job's state, each
/// computed from every record whose time falls in it, delivered to every sink, recorded so that a
/// run that is repeated, killed, or started twice never counts a line twice or skips one.
///
/// Order of work, and why it is safe at every point:
/// 1. Take the job's lock (a second run at the same time does nothing and says so).
/// 2. Read what is new in each source object since its checkpoint, routing each record to the
///    partial of its window; windows already emitted count the record as late.
/// 3. Work out the due windows (end + settle ≤ now), compute their datums, and record — in one atomic
///    state write — the new checkpoints, the partials, and for every due window and sink an intent.
///    A crash before this write leaves the old state: the next run reads the same bytes again.
/// 4. Deliver to each sink in turn the windows it has not acknowledged, and record its answer.
///    A crash between a sink taking a window and the answer being recorded leaves an intent: the
///    next run resends to sinks that replace (idempotent), cuts an appended file back and appends
///    again, and applies the job's `in-doubt` policy to sinks that add.
/// 5. A window is finished, and forgotten, when every sink acknowledged it.
public struct JobCycle {
    /// The most windows one run emits; more that are due wait for the next runs (with a note).
    public static let maxWindowsPerRun = 10_000
    public var store: StateStore
    public var options: QueryOptions
    public var output: any TextOutput
    public var environment: [String: String]
    /// Compute and show; write no state and deliver nothing.
    public var dryRun = false
    /// How long checkpoints of objects no longer listed are kept.
    public var keepCheckpoints: Int64 = 7 * 86_400_000

    public init(store: StateStore, options: QueryOptions, output: any TextOutput, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.store = store
        self.options = options
        self.output = output
        self.environment = environment
    }

    /// What a run did.
    public struct Report {
        public var job: String
        /// Set when another process held the job's lock: nothing was done.
        public var lockedBy: Int32?? = nil
        /// Windows computed and emitted in this run, in order.
        public var windows: [Window] = []
        public var datums = 0
        /// The datums of the last window emitted in this run (what a daemon's `/metrics` shows).
        public var latestDatums: [MetricDatum] = []
        public var recordsRead = 0
        public var bytesRead = 0
        public var lateRecords = 0
        public var lateMerged = 0
        /// Records before the job's first window (a job without state starts at its latest due window).
        public var beforeStart = 0
        public var untimed = 0
        /// Per sink, this run's outcome (empty for a dry run or when nothing was to deliver).
        public var sinks: [SinkOutcome] = []
        /// Per sink label, what the dry run would have sent.
        public var payloads: [(sink: String, payload: SinkPayload)] = []
        /// The next window that will be due, and when.
        public var next: (window: Window, due: Int64)? = nil
        public var notes: [String] = []
        public var warnings: [String] = []
        public var statistics = QueryStatistics()
        /// Alarm state changes made by this run's windows, in order.
        public var alarmChanges: [JobAlarms.Change] = []
        /// Notifications this run tried to deliver (new ones, and ones an earlier run left pending).
        public var notifications: [JobAlarms.Delivery] = []
        /// Notifications this run's windows called for (state changes and reminders), in order.
        public var intendedNotifications: [(alarm: String, notification: AlarmNotification)] = []
        /// The datums of each window emitted in this run, by window start.
        public var emitted: [Int64: [MetricDatum]] = [:]

        /// Whether everything asked was done: every datum read and delivered.
        public var succeeded: Bool {
            warnings.isEmpty && sinks.allSatisfy { $0.isDelivered && $0.rejectedCount == 0 }
                && payloads.allSatisfy { $0.payload.rejections.isEmpty }
        }
    }

    /// A signature of what shapes a job's numbers: a state written under another one is refused.
    public static func signature(_ job: JobFile, period: Period) -> String {
        var text = job.query + "\n" + job.mapping.namespace + "\n" + period.description + "\n" + (job.mapping.timestampColumn ?? "")
        for m in job.mapping.metrics { text += "\nmetric \(m.name) \(m.source) \(m.unit.rawValue) \(m.storageResolution) \(m.defaultValue.map { "\($0)" } ?? "")" }
        for d in job.mapping.dimensions { text += "\ndimension \(d.name) \(d.source)" }
        return FNV1a.hex(text.utf8)
    }

    /// The job's window period: its schedule's (rate, every, or an evenly spaced cron), else its
    /// `period:` (a cron that fires at uneven times triggers runs; its windows need a fixed period).
    public static func period(_ job: JobFile) -> Period {
        job.schedule?.period ?? Period.parse(job.mapping.period) ?? Period(unit: .fixed, amount: 300_000)
    }

    public func run(_ job: JobFile) throws -> Report {
        var report = Report(job: job.name)
        let (lock, holder) = try store.lock(job: job.name)
        guard let lock else {
            report.lockedBy = .some(holder)
            return report
        }
        defer { lock.release() }
        let period = JobCycle.period(job)
        let signature = JobCycle.signature(job, period: period)
        var state = try store.load(job: job.name, signature: signature) ?? JobState(job: job.name, signature: signature)
        let clock = options.clock
        let now = clock.milliseconds()
        let settle = (job.settle ?? JobFile.defaultSettle).fixedMilliseconds ?? 30_000
        if let last = state.lastRun?.at, now < last {
            report.notes.append("the clock (\(CivilCalendar.iso(now))) is earlier than the last run's (\(CivilCalendar.iso(last))); only windows due by the clock are emitted")
        }

        // 2. Read what is new.
        // What this run can still count: from the first window not emitted (S3 date templates list the
        // days from there, plus their lookback for late deliveries) to now.
        let listFrom = state.emittedThrough ?? job.start.map { period.floor($0) } ?? period.floor(period.floor(now - settle) - 1)
        // `sources-from:` lists are fetched at every run; a failed fetch falls back to the stored list.
        let discovery = JobDiscovery.refresh(job, previous: state.discovered, clock: clock, refreshSeconds: JobDiscovery.refreshSeconds(period))
        report.warnings += discovery.warnings
        state.discovered = job.sourcesFrom.isEmpty ? nil : discovery.lists
        let transfers = TransferCounter()
        let sources = JobRunner.sources(job, environment: environment, clock: clock, timeRange: listFrom..<max(listFrom + 1, now),
                                        discovered: discovery.targets, transfers: transfers)
        let listed = try SourceArguments.list(sources)
        // CloudWatch Logs groups are asked again, each run, for every window not yet emitted: their
        // windows' partial results replace the stored ones instead of adding to them.
        let requeried = sources.compactMap { $0 as? CloudWatchLogsSource }
        let plan = SourceCheckpoints.plan(listed: listed, checkpoints: state.objects, now: now, settle: settle)
        for kind in ["s3", "http"] {
            let skipped = listed.count { $0.identity.kind == kind } - plan.toScan.count { $0.identity.kind == kind }
            if skipped > 0 { transfers.skipped(kind, skipped) }
        }
        report.notes += plan.notes
        var scanOptions = JobRunner.options(options, for: job)
        let previousEvents = scanOptions.scan.events
        scanOptions.scan.events = { e in
            if case .read = e { FaultPoint.hit("scan") }
            previousEvents?(e)
        }
        let engine = try JobRunner.plan(job, options: scanOptions)
        var scanReport = ScanReport()
        var windows: [Window: QueryPartial] = [:]
        if !plan.toScan.isEmpty {
            let scan = engine.scan(plan.toScan, windows: period)
            scanReport = scan.report
            windows = scan.windows
            report.statistics = scan.statistics
            report.warnings += scan.warnings
            report.untimed = scan.statistics.untimedRecords
        }
        report.statistics.add(transfers)
        report.recordsRead = report.statistics.recordsMatched
        report.bytesRead = report.statistics.bytesRead
        if report.untimed > 0 {
            report.warnings.append("\(report.untimed) matching record(s) carry no time, so no window could hold them")
        }

        // Where this run's windows start: after the last emitted one; else at `start:`; else the latest due.
        // CloudWatch Logs: complete up to the newest ingestion seen (a group quiet for five minutes, up
        // to the clock), so a window waits for events that arrive late but are stamped inside it.
        var horizon = now
        for s in requeried {
            if let newest = s.seen.newestIngestion, now - newest <= 300_000 { horizon = min(horizon, newest) }
        }
        let dueEnd = period.floor(horizon - settle)   // windows ending at or before this are due
        var firstStart: Int64
        if let through = state.emittedThrough {
            firstStart = through
        } else if let s = job.start {
            firstStart = period.floor(s)
        } else {
            firstStart = period.floor(dueEnd - 1)
        }
        // A fresh job whose windows a finished backfill emitted starts where the backfill ended.
        if state.emittedThrough == nil, let b = try? store.loadBackfill(job: job.name), b.finished, b.signature == signature,
           b.from <= firstStart, firstStart < b.to {
            report.notes.append("a backfill emitted the windows up to \(CivilCalendar.iso(b.to)); the scheduled runs start there")
            firstStart = b.to
        }
        if state.firstWindow == nil && state.emittedThrough == nil { state.firstWindow = firstStart }
        var open: [Int64: OpenWindow] = [:]
        for w in state.windows where requeried.isEmpty || w.emitted { open[w.start] = w }
        var corrections: [(Window, QueryPartial)] = []
        for (window, partial) in windows.sorted(by: { $0.key < $1.key }) {
            if let through = state.emittedThrough, window.end <= through {
                report.lateRecords += partial.records
                if job.late == .merge { corrections.append((window, partial)); report.lateMerged += partial.records }
                continue
            }
            if window.end <= firstStart {
                report.beforeStart += partial.records
                continue
            }
            if let existing = open[window.start] {
                let stored = try engine.partial(from: try decode(existing.partial))
                stored.merge(partial)
                open[window.start]!.partial = Data(stored.encoded()).base64EncodedString()
            } else {
                open[window.start] = OpenWindow(start: window.start, end: window.end, partial: Data(partial.encoded()).base64EncodedString(),
                                                emitted: false, sinks: [])
            }
        }
        if report.beforeStart > 0 {
            report.notes.append("\(report.beforeStart) record(s) fall before the job's first window (\(CivilCalendar.iso(firstStart))); give the job a 'start:' to count them")
        }
        state.lateRecords += report.lateRecords
        state.lateMerged += report.lateMerged

        // 3. The due windows, in order, computed and recorded as intended for every sink.
        let sinkKeys = job.sinks.enumerated().map { JobCycle.sinkKey($0.offset, $0.element) }
        var s = firstStart
        while s < dueEnd {
            let e = period.next(after: s)
            if e > dueEnd { break }
            // A start far in the past (or a job left alone for years) would make millions of windows
            // at once: emit the first ones now and say so; the next runs go on from there.
            if report.windows.count == JobCycle.maxWindowsPerRun {
                report.notes.append("the windows from \(CivilCalendar.iso(s)) to \(CivilCalendar.iso(period.floor(dueEnd))) are due too; "
                                    + "a run emits at most \(JobCycle.maxWindowsPerRun), so the next runs emit them (or give the job a later 'start:')")
                break
            }
            if open[s] == nil {
                open[s] = OpenWindow(start: s, end: e, partial: Data(engine.emptyPartial().encoded()).base64EncodedString(), emitted: false, sinks: [])
            }
            open[s]!.emitted = true
            open[s]!.sinks = sinkKeys.map { SinkLedgerEntry(sink: $0, status: .intended, appendOffset: nil, attempts: 0, lastError: nil) }
            report.windows.append(Window(start: s, end: e))
            s = e
        }
        if !report.windows.isEmpty || state.emittedThrough == nil { state.emittedThrough = max(state.emittedThrough ?? firstStart, s) }
        let nextStart = state.emittedThrough ?? firstStart
        let nextWindow = Window(start: nextStart, end: period.next(after: nextStart))
        report.next = (nextWindow, nextWindow.end + settle)

        // Datums of every emitted window some sink has not acknowledged (this run's, and earlier ones
        // whose delivery failed or was interrupted).
        let context = SinkContext(base: job.folder, clock: clock, output: output, environment: environment)
        var datumsByWindow: [Int64: [MetricDatum]] = [:]
        var samplesByWindow: [Int64: [SampleLine]] = [:]
        // In time order: a window's default zeros are for the dimension sets seen up to it.
        for (start, w) in open.sorted(by: { $0.key < $1.key }) where w.emitted && w.sinks.contains(where: { $0.status != .acknowledged }) {
            let partial = try engine.partial(from: try decode(w.partial))
            samplesByWindow[start] = partial.samples
            let result = engine.finish(partial, window: Window(start: w.start, end: w.end))
            var (datums, _) = try job.mapping.datums(from: result, defaultTimestamp: w.start)
            datums += JobCycle.defaults(job, datums: datums, at: w.start, seen: &state.dimensionSets)
            datumsByWindow[start] = datums
        }
        // Late records merged as corrections: extra datums for their (already emitted) windows.
        var correctionDatums: [MetricDatum] = []
        for (window, partial) in corrections {
            let result = engine.finish(partial, window: window)
            correctionDatums += try job.mapping.datums(from: result, defaultTimestamp: window.start).datums
        }
        report.datums = report.windows.reduce(0) { $0 + (datumsByWindow[$1.start]?.count ?? 0) }
        if let last = report.windows.last { report.latestDatums = datumsByWindow[last.start] ?? [] }

        // Alarms see each window once, when it is emitted, in order; their new states and the
        // notifications they intend are saved with the windows' intents below.
        var trackers = JobAlarms.trackers(job, state: state)
        let firstNew = trackers.mapValues(\.nextNotificationID)
        report.alarmChanges = JobAlarms.observe(&trackers, job: job, windows: report.windows, datums: datumsByWindow, samples: samplesByWindow)
        for rule in job.alarms {
            for n in trackers[rule.name]!.history where n.id >= firstNew[rule.name]! { report.intendedNotifications.append((rule.name, n)) }
        }
        for w in report.windows { report.emitted[w.start] = datumsByWindow[w.start] ?? [] }
        state.alarms = trackers.isEmpty ? nil : trackers

        var sinks: [(key: String, configuration: SinkConfiguration, sink: (any MetricSink)?, error: String?)] = []
        for (i, configuration) in job.sinks.enumerated() {
            do { sinks.append((sinkKeys[i], configuration, try SinkRegistry.make(configuration, context: context), nil)) }
            catch { sinks.append((sinkKeys[i], configuration, nil, "\(error)")) }
        }

        if dryRun {
            for (i, entry) in sinks.enumerated() {
                guard let sink = entry.sink else { report.warnings.append("\(entry.key): \(entry.error ?? "")"); continue }
                var datums: [MetricDatum] = []
                for w in open.values.sorted(by: { $0.start < $1.start }) where w.emitted && i < w.sinks.count && w.sinks[i].status != .acknowledged {
                    datums += datumsByWindow[w.start] ?? []
                }
                if entry.configuration.kind.redelivery.takesCorrections { datums += correctionDatums }
                report.payloads.append((sink.label, sink.encode(datums)))
            }
            return report
        }

        // Appended files: remember their length before this run's datums, for a retry after a crash.
        for (i, entry) in sinks.enumerated() where entry.configuration.kind.redelivery == .appends {
            guard let path = entry.configuration.appendedFile(base: job.folder) else { continue }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
            for (start, w) in open where w.emitted && i < w.sinks.count && w.sinks[i].status == .intended && w.sinks[i].appendOffset == nil {
                open[start]!.sinks[i].appendOffset = size
            }
        }
        state.windows = open.values.sorted { $0.start < $1.start }
        state.objects = SourceCheckpoints.update(plan, report: scanReport, now: now, keepFor: keepCheckpoints)
        try store.save(state)

        // 4. Deliver, sink by sink, and record each answer.
        // Each sink's last outcome, by its ledger key; a sink with nothing to take this run keeps its last one.
        var outcomes = state.lastRun?.sinkOutcomes ?? [:]
        for (i, entry) in sinks.enumerated() {
            if i > 0 { FaultPoint.hit("sink-next") }
            let waiting = open.values.filter { $0.emitted && i < $0.sinks.count && $0.sinks[i].status != .acknowledged }.sorted { $0.start < $1.start }
            let takesCorrections = entry.configuration.kind.redelivery.takesCorrections && !correctionDatums.isEmpty
            if waiting.isEmpty && !takesCorrections { continue }
            guard let sink = entry.sink else {
                report.sinks.append(SinkOutcome(sink: entry.key, status: .failed(entry.error ?? "cannot be built")))
                outcomes[entry.key] = "failed(\(entry.error ?? "cannot be built"))"
                for w in waiting { open[w.start]!.sinks[i].status = .failed; open[w.start]!.sinks[i].lastError = entry.error }
                continue
            }
            let redelivery = entry.configuration.kind.redelivery
            var send = waiting
            // Earlier attempts: sending again is harmless to sinks that replace; an appended file is cut
            // back to its length before them; an additive sink that may have taken them gets the
            // job's in-doubt policy.
            let interrupted = waiting.filter { ($0.sinks[i].status == .intended && $0.sinks[i].attempts > 0) || $0.sinks[i].status == .inDoubt }
            if redelivery == .appends, let path = entry.configuration.appendedFile(base: job.folder),
               let cut = waiting.filter({ $0.sinks[i].attempts > 0 }).compactMap({ $0.sinks[i].appendOffset }).min() {
                truncate(path, off_t(cut))
                report.notes.append("\(sink.label): cut back to \(cut) bytes, its length before an earlier attempt, and appended again")
            }
            if !interrupted.isEmpty {
                switch redelivery {
                case .replaces, .keepsFirst, .appends:
                    break
                case .adds:
                    if job.inDoubt == .skip {
                        for w in interrupted { open[w.start]!.sinks[i].status = .acknowledged; open[w.start]!.sinks[i].lastError = "in doubt: skipped (in-doubt: skip)" }
                        send.removeAll { w in interrupted.contains { $0.start == w.start } }
                        report.warnings.append("\(sink.label): \(interrupted.count) window(s) may or may not have been received before a crash; not sent again (in-doubt: skip)")
                    } else {
                        report.warnings.append("\(sink.label): \(interrupted.count) window(s) may or may not have been received before a crash; sent again (in-doubt: resend)")
                    }
                }
            }
            var datums: [MetricDatum] = []
            for w in send { datums += datumsByWindow[w.start] ?? [] }
            if takesCorrections { datums += correctionDatums }
            for w in send { open[w.start]!.sinks[i].attempts += 1 }
            // The attempt is recorded before sending, so a crash during it is known to the next run.
            state.windows = open.values.sorted { $0.start < $1.start }
            try store.save(state)
            let outcome = sink.deliver(sink.encode(datums))
            FaultPoint.hit("sink-sent")
            report.sinks.append(outcome)
            outcomes[entry.key] = "\(outcome.status)"
            for w in send {
                switch outcome.status {
                case .delivered: open[w.start]!.sinks[i].status = .acknowledged; open[w.start]!.sinks[i].lastError = nil
                case .failed(let why): open[w.start]!.sinks[i].status = .failed; open[w.start]!.sinks[i].lastError = why
                case .inDoubt(let why): open[w.start]!.sinks[i].status = .inDoubt; open[w.start]!.sinks[i].lastError = why
                }
            }
            state.windows = open.values.sorted { $0.start < $1.start }
            try store.save(state)
        }

        // Notifications: each pending one to every notifier that has not taken it, recorded before and after.
        let delivery = AlarmDelivery(clock: clock, output: output, base: job.folder, environment: environment)
        report.notifications = try JobAlarms.deliver(&trackers, job: job, delivery: delivery) { t in
            state.alarms = t.isEmpty ? nil : t
            try store.save(state)
        }
        for d in report.notifications where d.error != nil {
            report.warnings.append("alarm \(d.alarm): \(d.notifier) did not take the \(d.newState.rawValue) notification (\(d.error!)); it is sent again on the next run")
        }

        // 5. Forget finished windows; record the run.
        state.windows = open.values.filter { !($0.emitted && $0.sinks.allSatisfy { $0.status == .acknowledged }) }.sorted { $0.start < $1.start }
        state.lastRun = RunRecord(at: now, windowsEmitted: report.windows.count, recordsRead: report.recordsRead, lateRecords: report.lateRecords,
                                  error: report.warnings.first, sinkOutcomes: outcomes)
        try store.save(state)
        return report
    }

    /// Zeros (a metric's `default`) for the dimension sets this job has seen that a window lacks.
    /// `seen`: the dimension sets per metric of the windows before (updated with this window's).
    static func defaults(_ job: JobFile, datums: [MetricDatum], at time: Int64, seen dimensionSets: inout [String: [[String]]]) -> [MetricDatum] {
        var out: [MetricDatum] = []
        for m in job.mapping.metrics {
            var seen = Set(dimensionSets[m.name] ?? [])
            let present = Set(datums.filter { $0.name == m.name }.map { $0.dimensions.map { "\($0.name)=\($0.value)" } })
            for p in present where seen.count < 1000 { seen.insert(p) }
            dimensionSets[m.name] = seen.sorted { $0.joined(separator: ",") < $1.joined(separator: ",") }
            guard let value = m.defaultValue else { continue }
            let constantOnly = job.mapping.dimensions.allSatisfy { if case .constant = $0.source { return true }; return false }
            var sets = seen
            if constantOnly || job.mapping.dimensions.isEmpty && sets.isEmpty {
                sets.insert(job.mapping.dimensions.compactMap { d in if case .constant(let v) = d.source { return "\(d.name)=\(v)" }; return nil })
            }
            for set in sets.sorted(by: { $0.joined(separator: ",") < $1.joined(separator: ",") }) where !present.contains(set) {
                let dims = set.compactMap { pair -> (name: String, value: String)? in
                    guard let eq = pair.firstIndex(of: "=") else { return nil }
                    return (String(pair[..<eq]), String(pair[pair.index(after: eq)...]))
                }
                out.append(MetricDatum(namespace: job.mapping.namespace, name: m.name, dimensions: dims, timestamp: time,
                                       unit: m.unit, value: .single(value), storageResolution: m.storageResolution))
            }
        }
        return out
    }


    private func decode(_ base64: String) throws -> [UInt8] {
        guard let d = Data(base64Encoded: base64) else { throw PartialFormatError(message: "stored partial is not base64") }
        return [UInt8](d)
    }
}
