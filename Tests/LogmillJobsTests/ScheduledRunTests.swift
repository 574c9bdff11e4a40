import Foundation
import LogmillJobs
import LogmillQuery
import LogmillSinks
import LogmillTestSupport
import LogmillTime
import XCTest

/// Scheduled runs over a log that grows and rotates, driven by a manual clock.
final class ScheduledRunTests: XCTestCase {
    func cycle(_ dir: String, clock: ManualClock) -> JobCycle {
        var options = QueryOptions()
        options.clock = clock
        options.scan.workers = 2
        return JobCycle(store: StateStore(directory: dir + "/state"), options: options, output: TextBuffer())
    }

    func testEveryFiveMinutesOverAGrowingRotatingLogEqualsOneQueryOverItAll() throws {
        for seed: UInt64 in 1...6 {
            let tmp = TemporaryDirectory(prefix: "logmill-sched")
            defer { tmp.cleanup() }
            let scenario = LogScenario(directory: tmp.path, seed: seed, count: 14)
            try scenario.prepare()
            let job = try JobFile.load(tmp.path + "/scenario.job")
            let clock = ManualClock(milliseconds: LogScenario.start)
            var emitted: [Window] = []
            for k in scenario.steps.indices {
                try scenario.apply(k)
                clock.set(milliseconds: scenario.steps[k].now)
                let report = try cycle(tmp.path, clock: clock).run(job)
                XCTAssertTrue(report.warnings.isEmpty, "seed \(seed) step \(k): \(report.warnings)")
                XCTAssertEqual(report.lateRecords, 0, "seed \(seed) step \(k) (\(scenario.steps[k].rotation)): \(report.notes)")
                XCTAssertTrue(report.sinks.allSatisfy(\.isDelivered), "seed \(seed) step \(k): \(report.sinks)")
                emitted += report.windows
                // A second trigger at the same time does nothing.
                let again = try cycle(tmp.path, clock: clock).run(job)
                XCTAssertTrue(again.windows.isEmpty, "seed \(seed) step \(k): a repeated trigger emitted \(again.windows)")
                XCTAssertEqual(again.recordsRead, 0, "seed \(seed) step \(k): a repeated trigger read records again")
            }
            // Every window once, in order, adjacent.
            XCTAssertEqual(emitted.first?.start, LogScenario.start)
            for (a, b) in zip(emitted, emitted.dropFirst()) { XCTAssertEqual(a.end, b.start, "windows are adjacent and never repeat") }
            let through = emitted.last!.end
            let expected = scenario.expected(through: through)
            XCTAssertGreaterThan(expected.count, 10)
            XCTAssertEqual(LogScenario.emfDatums(tmp.path + "/out/a.emf"), expected, "seed \(seed)")
            XCTAssertEqual(LogScenario.emfDatums(tmp.path + "/out/b.emf"), expected, "seed \(seed)")
        }
    }

    func testCatchUpAfterAMissedHourEmitsEveryWindowInOrder() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-catchup")
        defer { tmp.cleanup() }
        let scenario = LogScenario(directory: tmp.path, seed: 7, count: 13, rotations: false)
        try scenario.prepare()
        for k in scenario.steps.indices { try scenario.apply(k) }
        let job = try JobFile.load(tmp.path + "/scenario.job")
        let clock = ManualClock(milliseconds: scenario.steps[0].now)
        let first = try cycle(tmp.path, clock: clock).run(job)
        XCTAssertEqual(first.windows.count, 1)
        clock.set(milliseconds: scenario.steps.last!.now)
        let late = try cycle(tmp.path, clock: clock).run(job)
        XCTAssertEqual(late.windows.count, 12, "an hour missed: twelve windows caught up")
        XCTAssertEqual(late.lateRecords, 0)
        XCTAssertEqual(LogScenario.emfDatums(tmp.path + "/out/a.emf"), scenario.expected(through: late.windows.last!.end))
    }

    /// Found by the fuzz target (LogmillFuzzTests, seed 1): `start: 0001-01-01T00:00:00Z` with a
    /// 5-minute schedule made the first run build 213 million windows at once, past 512 MB of memory.
    /// A run emits at most `maxWindowsPerRun`, says what else is due, and the next run goes on.
    func testAStartFarInThePastIsCaughtUpInBoundedRuns() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-ancient-start")
        defer { tmp.cleanup() }
        try FileManager.default.createDirectory(atPath: tmp.path + "/logs", withIntermediateDirectories: true)
        try "2026-11-01T00:00:00Z x\n".write(toFile: tmp.path + "/logs/a.log", atomically: true, encoding: .utf8)
        try "name: j\nschedule: rate(5 minutes)\nsource: logs\nnamespace: N\nmetric: M = n\nstart: 0001-01-01T00:00:00Z\nquery:\nstats count(*) as n by bin(5m)\n"
            .write(toFile: tmp.path + "/j.job", atomically: true, encoding: .utf8)
        let job = try JobFile.load(tmp.path + "/j.job")
        let clock = ManualClock(milliseconds: 1_793_491_800_000)  // 2026-11-01T00:10:00Z
        let first = try cycle(tmp.path, clock: clock).run(job)
        XCTAssertEqual(first.windows.count, JobCycle.maxWindowsPerRun)
        XCTAssertEqual(first.windows.first?.start, -62_135_596_800_000, "from 0001-01-01")
        XCTAssertTrue(first.notes.contains { $0.contains("are due too; a run emits at most 10000") }, "\(first.notes)")
        let second = try cycle(tmp.path, clock: clock).run(job)
        XCTAssertEqual(second.windows.count, JobCycle.maxWindowsPerRun)
        XCTAssertEqual(second.windows.first?.start, first.windows.last?.end, "the next run goes on where the first stopped")
    }

    func testLateLinesAreCountedOrMergedNeverLost() throws {
        for policy in ["drop", "merge"] {
            let tmp = TemporaryDirectory(prefix: "logmill-late")
            defer { tmp.cleanup() }
            let scenario = LogScenario(directory: tmp.path, seed: 11, count: 3)
            try scenario.prepare()
            let text = try String(contentsOfFile: tmp.path + "/scenario.job", encoding: .utf8).replacingOccurrences(of: "settle: 30s", with: "settle: 30s\nlate: \(policy)")
            try text.write(toFile: tmp.path + "/scenario.job", atomically: true, encoding: .utf8)
            let job = try JobFile.load(tmp.path + "/scenario.job")
            let clock = ManualClock(milliseconds: 0)
            for k in 0..<3 {
                try scenario.apply(k)
                clock.set(milliseconds: scenario.steps[k].now)
                _ = try cycle(tmp.path, clock: clock).run(job)
            }
            // Two ERROR lines for the first window arrive now, after it was emitted.
            let late = "2026-11-01T00:01:00.000Z ERROR fn=orders late one\n2026-11-01T00:02:00.000Z ERROR fn=orders late two\n"
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp.path + "/logs/app.log"))
            try h.seekToEnd(); try h.write(contentsOf: Data(late.utf8)); try h.close()
            clock.advance(seconds: 300)
            let r = try cycle(tmp.path, clock: clock).run(job)
            XCTAssertEqual(r.lateRecords, 2, policy)
            let emf = LogScenario.emfDatums(tmp.path + "/out/a.emf")
            let corrections = emf.filter { $0 == "1793491200000 orders 2" }
            if policy == "merge" {
                XCTAssertEqual(r.lateMerged, 2)
                XCTAssertEqual(corrections.count, 1, "the late lines were sent as an extra datum for their window: \(emf)")
            } else {
                XCTAssertEqual(r.lateMerged, 0)
                XCTAssertTrue(corrections.isEmpty, "\(emf)")
            }
            let store = StateStore(directory: tmp.path + "/state")
            let state = try store.load(job: "scenario", signature: JobCycle.signature(job, period: JobCycle.period(job)))!
            XCTAssertEqual(state.lateRecords, 2, "late lines are kept in the state's count")
        }
    }

    func testDefaultZeroForWindowsWithoutRows() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-default")
        defer { tmp.cleanup() }
        try FileManager.default.createDirectory(atPath: tmp.path + "/logs", withIntermediateDirectories: true)
        try "2026-11-01T00:01:00.000Z ERROR fn=orders boom\n2026-11-01T00:02:00.000Z ERROR fn=payments boom\n"
            .write(toFile: tmp.path + "/logs/app.log", atomically: true, encoding: .utf8)
        try LogScenario.job.replacingOccurrences(of: "metric: Errors = errors unit Count", with: "metric: Errors = errors unit Count default 0")
            .write(toFile: tmp.path + "/scenario.job", atomically: true, encoding: .utf8)
        let job = try JobFile.load(tmp.path + "/scenario.job")
        let clock = ManualClock(milliseconds: LogScenario.start + 3 * 300_000 + 45_000)
        let r = try cycle(tmp.path, clock: clock).run(job)
        XCTAssertEqual(r.windows.count, 3)
        XCTAssertEqual(LogScenario.emfDatums(tmp.path + "/out/a.emf"), [
            "1793491200000 orders 1", "1793491200000 payments 1",
            "1793491500000 orders 0", "1793491500000 payments 0",
            "1793491800000 orders 0", "1793491800000 payments 0",
        ], "every dimension set seen gets the default in windows without rows")
    }

    func testOnlyChangedFilesAreReadAmongAThousand() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-thousand")
        defer { tmp.cleanup() }
        try FileManager.default.createDirectory(atPath: tmp.path + "/logs", withIntermediateDirectories: true)
        for i in 0..<1000 {
            try "2026-11-01T00:00:0\(i % 10).000Z ERROR fn=f\(i % 3) x\n".write(toFile: tmp.path + "/logs/f\(i).log", atomically: true, encoding: .utf8)
        }
        try LogScenario.job.write(toFile: tmp.path + "/scenario.job", atomically: true, encoding: .utf8)
        let job = try JobFile.load(tmp.path + "/scenario.job")
        let clock = ManualClock(milliseconds: LogScenario.start + 300_000 + 45_000)
        let first = try cycle(tmp.path, clock: clock).run(job)
        XCTAssertEqual(first.recordsRead, 1000)
        for i in [17, 523] {
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp.path + "/logs/f\(i).log"))
            try h.seekToEnd(); try h.write(contentsOf: Data("2026-11-01T00:06:00.000Z ERROR fn=f0 y\n".utf8)); try h.close()
        }
        clock.advance(seconds: 300)
        let second = try cycle(tmp.path, clock: clock).run(job)
        XCTAssertEqual(second.statistics.objects, 2, "only the two changed files were opened for reading")
        XCTAssertEqual(second.recordsRead, 2)
        XCTAssertEqual(second.bytesRead, 2 * "2026-11-01T00:06:00.000Z ERROR fn=f0 y\n".utf8.count, "and only their new bytes")
    }

    func testAStateFileThatIsCorruptForeignOrOfAnotherVersionStopsTheJob() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-corrupt")
        defer { tmp.cleanup() }
        let (scenario, job) = try LogScenario.firstStep(in: tmp.path, seed: 3, count: 2)
        let clock = ManualClock(milliseconds: scenario.steps[0].now)
        _ = try cycle(tmp.path, clock: clock).run(job)
        let path = StateStore(directory: tmp.path + "/state").statePath("scenario")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0, 0o600, "state files are private")
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        for (bad, words) in [("{not json", "does not parse"), (String(decoding: good, as: UTF8.self).replacingOccurrences(of: "\"version\":1", with: "\"version\":99"), "version 99"),
                             (String(decoding: good, as: UTF8.self).replacingOccurrences(of: "\"job\":\"scenario\"", with: "\"job\":\"other\""), "belongs to job 'other'")] {
            try bad.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try cycle(tmp.path, clock: clock).run(job)) { e in
                XCTAssertTrue("\(e)".contains(words), "\(e)")
                XCTAssertTrue("\(e)".contains("logmill state reset"), "\(e)")
            }
            XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), bad, "never reset silently")
        }
    }

    func testAClockThatGoesBackwardsAndASourceThatDisappears() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-backwards")
        defer { tmp.cleanup() }
        let scenario = LogScenario(directory: tmp.path, seed: 5, count: 4)
        try scenario.prepare()
        let job = try JobFile.load(tmp.path + "/scenario.job")
        let clock = ManualClock(milliseconds: 0)
        for k in 0..<3 {
            try scenario.apply(k)
            clock.set(milliseconds: scenario.steps[k].now)
            _ = try cycle(tmp.path, clock: clock).run(job)
        }
        clock.set(milliseconds: scenario.steps[0].now)
        let back = try cycle(tmp.path, clock: clock).run(job)
        XCTAssertTrue(back.windows.isEmpty)
        XCTAssertTrue(back.notes.contains { $0.contains("earlier than the last run") }, "\(back.notes)")
        try FileManager.default.removeItem(atPath: tmp.path + "/logs/app.log")
        clock.set(milliseconds: scenario.steps[3].now)
        let gone = try cycle(tmp.path, clock: clock).run(job)
        XCTAssertEqual(gone.windows.count, 1, "the schedule goes on without the file")
        XCTAssertTrue(gone.warnings.isEmpty, "\(gone.warnings)")
        // Step 3's lines were never written: the file was removed before.
        XCTAssertEqual(LogScenario.emfDatums(tmp.path + "/out/a.emf"), scenario.expected(through: gone.windows.last!.end, steps: 3))
    }
}

/// What `status` reads: each sink's last outcome survives runs that had nothing to deliver.
final class SinkOutcomeRecordTests: XCTestCase {
    func testARunWithNothingDueKeepsEachSinksLastOutcome() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-outcomes")
        defer { tmp.cleanup() }
        let (scenario, job) = try LogScenario.firstStep(in: tmp.path, seed: 4, count: 1)
        var options = QueryOptions()
        options.clock = ManualClock(milliseconds: scenario.steps[0].now)
        let cycle = JobCycle(store: StateStore(directory: tmp.path + "/state"), options: options, output: TextBuffer())
        XCTAssertEqual(try cycle.run(job).windows.count, 1)
        XCTAssertTrue(try cycle.run(job).windows.isEmpty)
        let state = try StateStore(directory: tmp.path + "/state").load(job: "scenario", signature: JobCycle.signature(job, period: JobCycle.period(job)))!
        let outcomes = state.lastRun!.sinkOutcomes
        XCTAssertEqual(outcomes.count, 2, "\(outcomes)")
        XCTAssertTrue(outcomes.values.allSatisfy { $0.hasPrefix("delivered") }, "\(outcomes)")
    }
}
