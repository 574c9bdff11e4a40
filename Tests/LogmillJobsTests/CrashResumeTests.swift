import Foundation
import LogmillJobs
import LogmillTestSupport
import LogmillTime
import XCTest

/// The `logmill` binary killed with SIGKILL at seeded random points — while scanning, while writing
/// state, between sending to a sink and recording it, between sinks — then run again as cron would:
/// the sinks end up with every window exactly once.
final class CrashResumeTests: XCTestCase {
    static let points = ["scan", "state-written", "state-renamed", "sink-sent", "sink-next"]
    /// How many times a run passes each point at least (so a planned kill really happens).
    static let passes = ["scan": 1, "state-written": 4, "state-renamed": 4, "sink-sent": 2, "sink-next": 1]

    func run(_ scenario: LogScenario, now: Int64, fault: String? = nil) throws -> LogmillProcess.Output {
        try LogmillProcess.run(["run", "--now", CivilCalendar.iso(now), "--state-dir", scenario.directory + "/state", "scenario.job"],
                               cwd: scenario.directory, environment: fault.map { ["LOGMILL_FAULT": $0] } ?? [:])
    }

    func testKilledAtSeededRandomPointsThenRunAgainGivesEveryWindowExactlyOnce() throws {
        var rng = SeededRandom(seed: 20261129)
        var kills: [String: Int] = [:]
        let steps = 5
        for trial in 0..<50 {
            let tmp = TemporaryDirectory(prefix: "logmill-kill")
            defer { tmp.cleanup() }
            let scenario = LogScenario(directory: tmp.path, seed: UInt64(100 + trial), count: steps)
            try scenario.prepare()
            let faultStep = rng.below(steps)
            let point = rng.pick(CrashResumeTests.points)
            let fault = "\(point):\(1 + rng.below(CrashResumeTests.passes[point]!))"
            for k in 0..<steps {
                try scenario.apply(k)
                if k == faultStep {
                    let killed = try run(scenario, now: scenario.steps[k].now, fault: fault)
                    if killed.signal == SIGKILL { kills[point, default: 0] += 1 } else {
                        XCTAssertEqual(killed.status, 0, "trial \(trial) \(fault): \(killed.stderr)")
                    }
                }
                let r = try run(scenario, now: scenario.steps[k].now)
                XCTAssertEqual(r.status, 0, "trial \(trial) step \(k) after \(fault): \(r.stderr)")
            }
            let through = LogScenario.start + Int64(steps) * 300_000
            let expected = scenario.expected(through: through)
            for sink in ["a", "b"] {
                XCTAssertEqual(LogScenario.emfDatums(tmp.path + "/out/\(sink).emf"), expected, "trial \(trial): killed at \(fault) in step \(faultStep), sink \(sink)")
            }
            let show = try LogmillProcess.run(["state", "show", "--state-dir", tmp.path + "/state", "scenario.job"], cwd: tmp.path)
            XCTAssertEqual(show.status, 0, "the state is readable after trial \(trial): \(show.stderr)")
        }
        let total = kills.values.reduce(0, +)
        XCTAssertGreaterThanOrEqual(total, 45, "nearly every trial really died: \(kills)")
        for p in CrashResumeTests.points { XCTAssertGreaterThan(kills[p] ?? 0, 0, "killed at \(p) at least once: \(kills)") }
    }

    func testASecondRunWhileOneHoldsTheLockDoesNothingAndAStaleLockIsTakenOver() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-lock")
        defer { tmp.cleanup() }
        let (scenario, _) = try LogScenario.firstStep(in: tmp.path, seed: 9, count: 2)
        let store = StateStore(directory: tmp.path + "/state")
        let (held, _) = try store.lock(job: "scenario")
        XCTAssertNotNil(held)
        let blocked = try run(scenario, now: scenario.steps[0].now)
        XCTAssertEqual(blocked.status, 0, blocked.stderr)
        XCTAssertTrue(blocked.stderr.contains("another run (pid \(getpid())) holds this job's lock; nothing done"), blocked.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.path + "/out/a.emf"))
        held?.release()
        // A lock file left by a process that died: its pid is written there, but no process holds it.
        try "999999\n".write(toFile: tmp.path + "/state/scenario.lock", atomically: true, encoding: .utf8)
        let r = try run(scenario, now: scenario.steps[0].now)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("1 window(s)"), r.stderr)
        XCTAssertEqual(LogScenario.emfDatums(tmp.path + "/out/a.emf"), scenario.expected(through: LogScenario.start + 300_000, steps: 1))
    }
}
