import Foundation
@testable import LogmillJobs
import LogmillQuery
import LogmillSinks
import LogmillTestSupport
import LogmillTime
import XCTest

/// Job files for the daemon tests.
enum DaemonFixtures {
    static let start: Int64 = 1_793_491_210_000   // 2026-11-01T00:00:10Z

    static func job(_ name: String, schedule: String, settle: String = "30s", extra: String = "", sink: String = "prometheus out/NAME.prom") -> String {
        """
        name: \(name)
        schedule: \(schedule)
        settle: \(settle)
        \(extra)
        source: ../logs/*
        namespace: Test/Daemon
        metric: errors = errors unit Count
        dimension: fn = fn
        sink: \(sink.replacingOccurrences(of: "NAME", with: name))
        query:
        filter @message like /ERROR/
        | parse @message /fn=(?<fn>[a-z]+)/
        | stats count(*) as errors by bin(5m), fn
        """
    }

    /// A folder with `logs/app.log` and the given job files.
    static func folder(_ jobs: [String: String], prefix: String) throws -> TemporaryDirectory {
        let tmp = TemporaryDirectory(prefix: prefix)
        try FileManager.default.createDirectory(atPath: tmp.path + "/logs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tmp.path + "/jobs", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: tmp.path + "/logs/app.log", contents: Data())
        for (name, text) in jobs { try text.write(toFile: tmp.path + "/jobs/\(name).job", atomically: true, encoding: .utf8) }
        return tmp
    }

    static func loaded(_ dir: String) -> JobSet {
        var set = JobSet(arguments: [dir])
        let problems = set.load()
        precondition(problems.isEmpty, "\(problems)")
        return set
    }
}

/// Records when each job ran, by the clock.
final class RunLog: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var runs: [(job: String, at: Int64)] = []
    func add(_ job: String, _ at: Int64) { lock.withLock { runs.append((job, at)) } }
    func times(_ job: String) -> [String] { lock.withLock { runs.filter { $0.job == job }.map { CivilCalendar.iso($0.at) } } }
    var count: Int { lock.withLock { runs.count } }
}

final class SchedulerTests: XCTestCase {
    func testEachJobRunsExactlyWhenDueOverADay() throws {
        let tmp = try DaemonFixtures.folder([
            "fivemin": DaemonFixtures.job("fivemin", schedule: "every 5m"),
            "hourly": DaemonFixtures.job("hourly", schedule: "rate(1 hour)", settle: "2m"),
            "twice": DaemonFixtures.job("twice", schedule: "cron(15 9,17 * * ? *)", extra: "period: 1d"),
            "daily": DaemonFixtures.job("daily", schedule: "cron(0 10 * * ? *)", settle: "5m"),
        ], prefix: "logmill-sched-table")
        defer { tmp.cleanup() }
        let clock = ManualClock(milliseconds: DaemonFixtures.start)
        let log = RunLog()
        var options = Scheduler.Options(clock: clock)
        options.maxSleep = .infinity
        let scheduler = Scheduler(jobs: DaemonFixtures.loaded(tmp.path + "/jobs"), options: options) { job in
            log.add(job.name, clock.milliseconds())
            return JobCycle.Report(job: job.name)
        }
        let started = Date()
        scheduler.run(until: DaemonFixtures.start + 86_400_000)
        // Every job runs once at start (catching up), then settle after each fire of its schedule.
        let fivemin = log.times("fivemin")
        XCTAssertEqual(Array(fivemin.prefix(4)), ["2026-11-01T00:00:10Z", "2026-11-01T00:00:30Z", "2026-11-01T00:05:30Z", "2026-11-01T00:10:30Z"])
        XCTAssertEqual(fivemin.last, "2026-11-01T23:55:30Z")
        XCTAssertEqual(fivemin.count, 1 + 288)
        let hourly = log.times("hourly")
        XCTAssertEqual(Array(hourly.prefix(3)), ["2026-11-01T00:00:10Z", "2026-11-01T00:02:00Z", "2026-11-01T01:02:00Z"])
        XCTAssertEqual(hourly.last, "2026-11-01T23:02:00Z")
        XCTAssertEqual(hourly.count, 1 + 24)
        XCTAssertEqual(log.times("twice"), ["2026-11-01T00:00:10Z", "2026-11-01T09:15:30Z", "2026-11-01T17:15:30Z"])
        XCTAssertEqual(log.times("daily"), ["2026-11-01T00:00:10Z", "2026-11-01T10:05:00Z"])
        XCTAssertEqual(scheduler.cyclesRun, log.count)
        // It waited exactly until each run, never in steps: one sleep per distinct run time.
        let distinct = Set(log.runs.map(\.at)).count
        XCTAssertEqual(clock.sleeps.count, distinct - 1, "one wait before each distinct run time after the first")
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "a simulated day takes moments")
        XCTAssertEqual(scheduler.schedule["daily"].map(CivilCalendar.iso), "2026-11-02T10:05:00Z")
    }

    func testNextRunIsSettleAfterTheNextFire() throws {
        let job = try JobFile.parse(DaemonFixtures.job("j", schedule: "every 5m"), path: "/tmp/j.job")
        let t = DaemonFixtures.start
        XCTAssertEqual(Scheduler.nextRun(job, after: t).map(CivilCalendar.iso), "2026-11-01T00:00:30Z")
        XCTAssertEqual(Scheduler.nextRun(job, after: t + 20_000).map(CivilCalendar.iso), "2026-11-01T00:05:30Z", "strictly after")
        XCTAssertEqual(Scheduler.nextRun(job, after: t + 19_999).map(CivilCalendar.iso), "2026-11-01T00:00:30Z")
    }

    func testStopLetsTheCycleInProgressFinishThenReturns() throws {
        let tmp = try DaemonFixtures.folder(["a": DaemonFixtures.job("a", schedule: "every 5m")], prefix: "logmill-stop")
        defer { tmp.cleanup() }
        let clock = ManualClock(milliseconds: DaemonFixtures.start)
        var options = Scheduler.Options(clock: clock)
        options.maxSleep = .infinity
        let finished = RunLog()
        let schedulerRef = Box()
        let scheduler = Scheduler(jobs: DaemonFixtures.loaded(tmp.path + "/jobs"), options: options) { job in
            if finished.count == 2 {
                schedulerRef.scheduler?.requestStop()     // a SIGTERM arrives during the third cycle…
                Thread.sleep(forTimeInterval: 0.05)
            }
            finished.add(job.name, clock.milliseconds())   // …which still finishes
            return JobCycle.Report(job: job.name)
        }
        schedulerRef.scheduler = scheduler
        let done = expectation(description: "run returned")
        Thread { scheduler.run(); done.fulfill() }.start()
        wait(for: [done], timeout: 10)
        XCTAssertEqual(finished.count, 3)
        XCTAssertEqual(scheduler.cyclesRun, 3, "the interrupted cycle was finished and counted")
        XCTAssertTrue(scheduler.metrics.exposition().contains("logmill_cycles_total{job=\"a\"} 3"))
    }

    func testReloadKeepsABrokenJobsPreviousVersionAndReportsIt() throws {
        let tmp = try DaemonFixtures.folder([
            "a": DaemonFixtures.job("a", schedule: "every 5m"),
            "b": DaemonFixtures.job("b", schedule: "rate(1 hour)"),
        ], prefix: "logmill-reload")
        defer { tmp.cleanup() }
        let clock = ManualClock(milliseconds: DaemonFixtures.start)
        let events = EventLog()
        let scheduler = Scheduler(jobs: DaemonFixtures.loaded(tmp.path + "/jobs"), options: Scheduler.Options(clock: clock),
                                  events: { events.add($0) }) { job in JobCycle.Report(job: job.name) }
        XCTAssertEqual(scheduler.runDue(), 2)
        let bBefore = scheduler.schedule["b"]
        // b is broken by an edit, c is added, a stays.
        try "name: b\nschedule: every banana\nquery:\nstats count(*)\n".write(toFile: tmp.path + "/jobs/b.job", atomically: true, encoding: .utf8)
        try DaemonFixtures.job("c", schedule: "every 1m").write(toFile: tmp.path + "/jobs/c.job", atomically: true, encoding: .utf8)
        scheduler.requestReload()
        scheduler.requestStop()   // the loop handles the reload… and then the stop on its next turn
        scheduler.run()
        XCTAssertEqual(scheduler.jobs.map(\.name), ["a", "b", "c"])
        XCTAssertEqual(scheduler.jobs.first { $0.name == "b" }?.schedule?.description, "rate(1 hour)", "b's previous version keeps running")
        XCTAssertEqual(scheduler.schedule["b"], bBefore, "and keeps its next run")
        XCTAssertEqual(scheduler.schedule["c"], clock.milliseconds(), "a new job runs at once")
        guard let problems = events.reloadProblems.first else { return XCTFail("no reload event") }
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems[0].path.hasSuffix("b.job"))
        XCTAssertTrue(problems[0].keptPrevious)
        XCTAssertTrue(problems[0].description.contains("previous version keeps running"), problems[0].description)
        XCTAssertTrue(scheduler.metrics.exposition().contains("logmill_job_file_problems 1"))
        XCTAssertTrue(scheduler.metrics.exposition().contains("logmill_jobs 3"))
        // At 00:01 everything due runs: b (still hourly) next at 01:00:30.
        clock.set(milliseconds: DaemonFixtures.start + 50_000)
        XCTAssertEqual(scheduler.runDue(), 3)
        XCTAssertEqual(scheduler.schedule["b"].map(CivilCalendar.iso), "2026-11-01T01:00:30Z")
        // Fixed, reloaded: the new version is in force and the problem gone.
        try DaemonFixtures.job("b", schedule: "every 10m").write(toFile: tmp.path + "/jobs/b.job", atomically: true, encoding: .utf8)
        scheduler.reload()
        XCTAssertEqual(scheduler.jobs.first { $0.name == "b" }?.schedule?.description, "every 10m")
        XCTAssertEqual(scheduler.schedule["b"].map(CivilCalendar.iso), "2026-11-01T00:10:30Z", "its new schedule fires sooner than the old next run (01:00:30)")
        XCTAssertEqual(events.reloadProblems.last?.count, 0)
        // A file removed stops its job; a second file naming the same job is refused, not run twice.
        try FileManager.default.removeItem(atPath: tmp.path + "/jobs/c.job")
        try DaemonFixtures.job("a", schedule: "every 1m").write(toFile: tmp.path + "/jobs/d.job", atomically: true, encoding: .utf8)
        scheduler.reload()
        XCTAssertEqual(scheduler.jobs.map(\.name), ["a", "b"])
        XCTAssertEqual(events.reloadProblems.last?.first?.keptPrevious, false)
    }

    func testDueJobsRunSideBySide() throws {
        let tmp = try DaemonFixtures.folder([
            "a": DaemonFixtures.job("a", schedule: "every 5m"), "b": DaemonFixtures.job("b", schedule: "every 5m"),
        ], prefix: "logmill-parallel")
        defer { tmp.cleanup() }
        let clock = ManualClock(milliseconds: DaemonFixtures.start)
        let gauge = InFlight()
        let scheduler = Scheduler(jobs: DaemonFixtures.loaded(tmp.path + "/jobs"), options: Scheduler.Options(clock: clock)) { job in
            gauge.enter()
            Thread.sleep(forTimeInterval: 0.2)
            gauge.leave()
            return JobCycle.Report(job: job.name)
        }
        XCTAssertEqual(scheduler.runDue(), 2)
        XCTAssertEqual(gauge.most, 2, "two jobs due together ran at the same time")
    }
}

final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var problems: [[JobSet.Problem]] = []
    func add(_ e: Scheduler.Event) {
        if case .reloaded(_, let p) = e { lock.withLock { problems.append(p) } }
    }
    var reloadProblems: [[JobSet.Problem]] { lock.withLock { problems } }
}

final class InFlight: @unchecked Sendable {
    private let lock = NSLock()
    private var now = 0
    private(set) var most = 0
    func enter() { lock.withLock { now += 1; most = max(most, now) } }
    func leave() { lock.withLock { now -= 1 } }
}

final class Box: @unchecked Sendable { var scheduler: Scheduler? }
