import Foundation
import LogmillSinks
import LogmillTime

/// What `logmill status` says of one job, from its state file and its schedule, at a given time: the
/// last window emitted, the next one and when it is due and run, how far behind the job is, its late
/// lines, its last error, and per sink the last outcome and the windows it has not yet taken.
/// A job is healthy unless its state cannot be read, its last run reported a problem, or a sink
/// failed or is in doubt (last outcome, or windows in its ledger).
public struct JobStatus: Codable, Sendable {
    public struct Sink: Codable, Sendable {
        /// Position and kind as the ledger names it (`0:emf out/a.emf`).
        public var sink: String
        /// The last run's outcome for it (`delivered 12`, `failed: …`, `in doubt: …`), if it had one.
        public var lastOutcome: String?
        /// Emitted windows it has not acknowledged, and of those how many failed or are in doubt.
        public var pendingWindows = 0
        public var failedWindows = 0
        public var inDoubtWindows = 0
        public var lastError: String?
        public var healthy = true
    }

    public var job: String
    public var path: String
    public var stateFile: String
    /// Times are ISO 8601 UTC.
    public var lastRun: String?
    public var lastWindowEnd: String?
    public var nextWindowStart: String?
    public var nextWindowEnd: String?
    /// The next window's end + settle: from then on a run emits it.
    public var nextWindowDue: String?
    /// The first scheduled run at or after it (and after now).
    public var nextRun: String?
    /// Whether the next window was already due at `now`: no run has emitted it yet.
    public var overdue = false
    /// Now − the end of the last emitted window, in seconds.
    public var lagSeconds: Double?
    public var lateRecords = 0
    public var lateMerged = 0
    public var lastError: String?
    public var sinks: [Sink] = []
    public var healthy = true

    /// The status of `job` in `store` at `now` (epoch ms).
    public static func of(_ job: JobFile, store: StateStore, now: Int64) -> JobStatus {
        var s = JobStatus(job: job.name, path: job.path, stateFile: store.statePath(job.name))
        let period = JobCycle.period(job)
        let settle = JobCycle.settle(job)
        var state: JobState?
        do { state = try store.load(job: job.name, signature: JobCycle.signature(job, period: period)) } catch {
            s.lastError = "\(error)"
            s.healthy = false
        }
        // The next window: after the last emitted one; for a job not yet run, the first its first run emits.
        let nextStart: Int64
        if let through = state?.emittedThrough {
            nextStart = through
            s.lastWindowEnd = CivilCalendar.iso(through)
            s.lagSeconds = Double(now - through) / 1000
        } else if let start = job.start {
            nextStart = period.floor(start)
        } else {
            nextStart = period.floor(period.floor(now - settle) - 1)
        }
        let nextEnd = period.next(after: nextStart)
        s.nextWindowStart = CivilCalendar.iso(nextStart)
        s.nextWindowEnd = CivilCalendar.iso(nextEnd)
        s.nextWindowDue = CivilCalendar.iso(nextEnd + settle)
        s.overdue = nextEnd + settle <= now
        s.nextRun = Scheduler.nextRun(job, after: max(nextEnd + settle, now) - 1).map(CivilCalendar.iso)
        if let state {
            s.lateRecords = state.lateRecords
            s.lateMerged = state.lateMerged
            if let r = state.lastRun {
                s.lastRun = CivilCalendar.iso(r.at)
                if let e = r.error { s.lastError = e; s.healthy = false }
            }
        }
        let context = SinkContext(base: job.folder, clock: ManualClock(milliseconds: now), output: TextBuffer(), environment: [:])
        for (i, configuration) in job.sinks.enumerated() {
            let key = JobCycle.sinkKey(i, configuration)
            var sink = Sink(sink: key)
            let label = (try? SinkRegistry.make(configuration, context: context))?.label
            if let text = label.flatMap({ state?.lastRun?.sinkOutcomes[$0] }) ?? state?.lastRun?.sinkOutcomes[key] {
                sink.lastOutcome = JobStatus.outcome(text)
                if !text.hasPrefix("delivered") { sink.healthy = false }
            }
            for w in state?.windows ?? [] where w.emitted && i < w.sinks.count && w.sinks[i].status != .acknowledged {
                sink.pendingWindows += 1
                if w.sinks[i].status == .failed { sink.failedWindows += 1; sink.healthy = false }
                if w.sinks[i].status == .inDoubt { sink.inDoubtWindows += 1; sink.healthy = false }
                if let e = w.sinks[i].lastError { sink.lastError = e }
            }
            if !sink.healthy { s.healthy = false }
            s.sinks.append(sink)
        }
        return s
    }

    /// `delivered(12)` → `delivered 12`; `failed("why")` → `failed: why`; `inDoubt("why")` → `in doubt: why`.
    static func outcome(_ text: String) -> String {
        guard let open = text.firstIndex(of: "("), text.hasSuffix(")") else { return text }
        let name = text[..<open] == "inDoubt" ? "in doubt" : String(text[..<open])
        var inner = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        if inner.hasPrefix("\""), inner.hasSuffix("\""), inner.count >= 2 { inner = String(inner.dropFirst().dropLast()) }
        return name == "delivered" ? "delivered \(inner)" : "\(name): \(inner)"
    }
}

extension JobCycle {
    /// How the ledger names a job's `index`-th sink.
    public static func sinkKey(_ index: Int, _ c: SinkConfiguration) -> String {
        "\(index):\(c.kind.name) \(c.argument ?? "")".trimmingCharacters(in: .whitespaces)
    }
}
