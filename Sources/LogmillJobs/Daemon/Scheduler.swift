import Foundation
import LogmillScan
import LogmillTime

extension JobCycle {
    /// How long after a window's end its records are waited for: the job's `settle:` (default 30 s).
    public static func settle(_ job: JobFile) -> Int64 {
        (job.settle ?? JobFile.defaultSettle).fixedMilliseconds ?? 30_000
    }
}

/// The daemon's scheduler: decides from each job's schedule (or its period) and the clock when the
/// job runs next, and runs `JobCycle.run` for the jobs that are due. Due jobs run side by side, their
/// scans drawing workers from the one process-wide `WorkerBudget`, so jobs never oversubscribe the
/// cores. It never reads the wall clock or sleeps except through its `Clock`: with a `ManualClock`
/// every wait just advances the clock, so a test runs a thousand cycles in a moment.
///
/// A run happens `settle` after each fire of the schedule (`every 5m`, settle 30 s: at :00:30,
/// :05:30, …), when the window that ended at the fire is due; at start every job runs once, to
/// catch up on what was missed while nothing ran. A stop request lets the cycles in progress finish
/// (their windows are delivered and recorded) and then ends `run()`; a reload request re-reads the
/// job files before the next cycle (a broken file keeps its previous version, and is reported).
public final class Scheduler: @unchecked Sendable {
    public struct Options: Sendable {
        public var clock: any Clock
        /// The longest single wait: a stop or reload request is noticed within this many seconds.
        public var maxSleep = 1.0
        /// Run every job once at start (catching up), then on its schedule.
        public var runAtStart = true
        /// Run jobs that are due at the same time side by side (else one after another).
        public var parallel = true
        public init(clock: any Clock) { self.clock = clock }
    }

    /// What the scheduler did, for the caller to print.
    public enum Event {
        case ran(job: JobFile, report: JobCycle.Report, at: Int64)
        case failed(job: JobFile, error: any Error, at: Int64)
        case reloaded(jobs: [String], problems: [JobSet.Problem])
        case stopping
    }

    public typealias Cycle = @Sendable (JobFile) throws -> JobCycle.Report

    public let options: Options
    public let metrics: DaemonMetrics
    private let cycle: Cycle
    private let events: (@Sendable (Event) -> Void)?
    private let lock = NSLock()
    private var jobSet: JobSet
    private var nextRuns: [String: Int64] = [:]   // by job name
    private var stopRequested = false
    private var reloadRequested = false
    /// Cycles run so far (every job's).
    public private(set) var cyclesRun = 0

    /// `jobs` must already be loaded (`JobSet.load()`); `cycle` runs one job once (a `JobCycle`).
    public init(jobs: JobSet, options: Options, metrics: DaemonMetrics = DaemonMetrics(), events: (@Sendable (Event) -> Void)? = nil, cycle: @escaping Cycle) {
        self.jobSet = jobs
        self.options = options
        self.metrics = metrics
        self.events = events
        self.cycle = cycle
        metrics.setJobs(jobs.jobs, problems: 0)
        schedule(jobs.jobs, now: options.clock.milliseconds(), keepingFrom: [:])
    }

    /// The jobs in force.
    public var jobs: [JobFile] { lock.lock(); defer { lock.unlock() }; return jobSet.jobs }

    /// When each job runs next (epoch ms), by job name.
    public var schedule: [String: Int64] { lock.lock(); defer { lock.unlock() }; return nextRuns }

    /// Asks `run()` to return once the cycles in progress are finished.
    public func requestStop() { lock.lock(); stopRequested = true; lock.unlock() }
    /// Asks for the job files to be read again before the next cycle.
    public func requestReload() { lock.lock(); reloadRequested = true; lock.unlock() }

    /// The first run of `job` strictly after `t`: `settle` after the first fire of its schedule (or
    /// boundary of its period) whose window is not yet due at `t`. Nil when the schedule never fires again.
    public static func nextRun(_ job: JobFile, after t: Int64) -> Int64? {
        let settle = JobCycle.settle(job)
        let fire: Int64?
        if let s = job.schedule {
            fire = s.next(after: t - settle)
        } else {
            let p = JobCycle.period(job)
            fire = p.next(after: p.floor(t - settle))
        }
        return fire.map { $0 + settle }
    }

    /// Runs until a stop is requested, or, with `until`, until the next run would be after that time.
    public func run(until: Int64? = nil) {
        while true {
            lock.lock()
            let stop = stopRequested, reload = reloadRequested
            reloadRequested = false
            lock.unlock()
            if reload { self.reload() }
            if stop { events?(.stopping); return }
            let now = options.clock.milliseconds()
            let wake = lock.withLock { nextRuns.values.min() }
            guard let wake else {
                // Nothing scheduled (no jobs, or none ever fires again): wait for a reload or a stop.
                if until != nil { return }
                options.clock.sleep(seconds: options.maxSleep)
                continue
            }
            if let until, wake > until { return }
            if wake > now {
                options.clock.sleep(seconds: min(Double(wake - now) / 1000, options.maxSleep))
                continue
            }
            runDue(now: now)
        }
    }

    /// Runs every job due at `now` (its next run at or before it) once, and schedules its next run.
    /// Returns how many ran.
    @discardableResult
    public func runDue(now: Int64? = nil) -> Int {
        let now = now ?? options.clock.milliseconds()
        let due = lock.withLock { jobSet.jobs.filter { (nextRuns[$0.name] ?? .max) <= now } }
        guard !due.isEmpty else { return 0 }
        let results = UnsafeResults(count: due.count)
        let one: @Sendable (Int) -> Void = { [cycle] i in
            do { results.set(i, .success(try cycle(due[i]))) } catch { results.set(i, .failure(error)) }
        }
        if options.parallel && due.count > 1 {
            DispatchQueue.concurrentPerform(iterations: due.count, execute: one)
        } else {
            for i in due.indices { one(i) }
        }
        for (i, job) in due.enumerated() {
            let next = Scheduler.nextRun(job, after: now)
            lock.withLock {
                nextRuns[job.name] = next
                cyclesRun += 1
            }
            metrics.scheduled(job: job.name, next: next)
            switch results.get(i) {
            case .success(let report):
                metrics.record(job: job.name, report: report, at: now)
                events?(.ran(job: job, report: report, at: now))
            case .failure(let error):
                metrics.recordError(job: job.name, error: error, at: now)
                events?(.failed(job: job, error: error, at: now))
            }
        }
        return due.count
    }

    /// Reads the job files again now. Unchanged jobs keep their next run; new ones run at once (or at
    /// their next run when `runAtStart` is off); removed ones are dropped.
    public func reload() {
        var set = lock.withLock { jobSet }
        let problems = set.load()
        let now = options.clock.milliseconds()
        lock.withLock {
            let old = nextRuns
            jobSet = set
            nextRuns = [:]
            schedule(set.jobs, now: now, keepingFrom: old)
        }
        metrics.setJobs(set.jobs, problems: problems.count)
        events?(.reloaded(jobs: set.jobs.map(\.name), problems: problems))
    }

    /// Sets next runs for `jobs` (call with the lock held, or from init).
    private func schedule(_ jobs: [JobFile], now: Int64, keepingFrom old: [String: Int64]) {
        for job in jobs {
            // A job kept keeps its next run, unless its (edited) schedule now fires sooner.
            if let kept = old[job.name] { nextRuns[job.name] = min(kept, Scheduler.nextRun(job, after: now) ?? kept); continue }
            nextRuns[job.name] = options.runAtStart ? now : Scheduler.nextRun(job, after: now)
        }
        for job in jobs { metrics.scheduled(job: job.name, next: nextRuns[job.name] ?? nil) }
    }
}

/// Results written by concurrent cycles, one slot each.
private final class UnsafeResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<JobCycle.Report, any Error>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<JobCycle.Report, any Error>) { lock.withLock { slots[i] = r } }
    func get(_ i: Int) -> Result<JobCycle.Report, any Error> { lock.withLock { slots[i]! } }
}
