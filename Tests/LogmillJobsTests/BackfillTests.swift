import Foundation
import LogmillJobs
import LogmillQuery
import LogmillSinks
import LogmillTestSupport
import LogmillTime
import XCTest

/// Hourly-rotated archives, as a month of Lambda-like logs leaves them: some hours missing, records
/// that straddle the hour and the window boundaries, one file whose lines are not in time order and
/// one whose name does not sort with its hour, every other file gzipped.
struct Archive {
    static let start: Int64 = 1_791_331_200_000   // 2026-10-07T00:00:00Z
    let directory: String
    let hours: Int
    let missing: Set<Int>
    /// Per hour: its lines, in file order.
    var files: [Int: [String]] = [:]

    static let job = """
        name: archive
        schedule: rate(5 minutes)
        start: 2026-10-07T00:00:00Z
        settle: 30s
        source: logs
        namespace: Test/Archive
        metric: N = n unit Count default 0
        metric: Total = total unit Milliseconds
        dimension: Fn = fn
        sink: emf out/a.emf
        sink: openmetrics out/a.om
        query:
        filter @message like /fn=/
        | parse @message /fn=(?<fn>[a-z]+) ms=(?<ms>[0-9]+)/
        | stats count(*) as n, sum(ms) as total by bin(5m), fn
        """

    init(directory: String, seed: UInt64, hours: Int, missing: Set<Int>) {
        self.directory = directory
        self.hours = hours
        self.missing = missing
        var rng = SeededRandom(seed: seed)
        for h in 0..<hours where !missing.contains(h) {
            let base = Archive.start + Int64(h) * 3_600_000
            var times = (0..<(3 + rng.below(9))).map { _ in base + Int64(rng.below(3_600_000)) }.sorted()
            // A record stamped in the first 20 s of the next hour, written before rotation.
            if rng.chance(50) { times.append(base + 3_600_000 + Int64(rng.below(20_000))) }
            // One on a window boundary exactly: it belongs to the window it starts.
            if rng.chance(30) { times.append(base + 300_000 * Int64(rng.below(12))) }
            var lines = times.map { t in "\(Archive.iso(t)) INFO fn=\(rng.pick(["orders", "payments", "checkout"])) ms=\(rng.below(2000))" }
            if h == hours / 3 { lines.shuffle(using: &rng) }   // not in time order within the file
            files[h] = lines
        }
    }

    static func iso(_ ms: Int64) -> String {
        CivilCalendar.iso(ms - ms % 1000).replacingOccurrences(of: "Z", with: ".\(String(format: "%03d", ms % 1000))Z")
    }

    func name(_ h: Int) -> String {
        // One file's name does not sort with its hour (time order is not file order).
        if h == hours / 2 { return "logs/zz-late-\(h).log" }
        let t = CivilCalendar.iso(Archive.start + Int64(h) * 3_600_000)
        let stamp = t.prefix(13).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "T", with: "")
        return "logs/app-\(stamp).log" + (h % 2 == 0 ? ".gz" : "")
    }

    /// Writes the job file and the hours in `range`.
    func write(_ range: Range<Int>) throws {
        try FileManager.default.createDirectory(atPath: directory + "/logs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
        try Archive.job.write(toFile: directory + "/archive.job", atomically: true, encoding: .utf8)
        // Plain files first, then one gzip for those to compress (gzip names them `.gz` itself).
        var toCompress: [String] = []
        for h in range {
            guard let lines = files[h] else { continue }
            var path = directory + "/" + name(h)
            if path.hasSuffix(".gz") {
                path.removeLast(3)
                toCompress.append(path)
            }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        }
        guard !toCompress.isEmpty else { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-n", "-f"] + toCompress
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw BackfillError("gzip failed") }
    }

    /// `time fn N total` per window and function, counted from the lines, for windows in [from, to).
    func expected(from: Int64, to: Int64) -> [String] {
        var n: [String: Int] = [:], total: [String: Int] = [:]
        for lines in files.values {
            for line in lines {
                let parts = line.split(separator: " ")
                let t = Timestampish.ms(String(parts[0]))
                guard t >= from, t < to else { continue }
                let key = "\(t - t % 300_000) \(parts[2].dropFirst(3))"
                n[key, default: 0] += 1
                total[key, default: 0] += Int(parts[3].dropFirst(3))!
            }
        }
        return n.keys.sorted().map { "\($0) \(n[$0]!) \(total[$0]!)" }
    }

    /// The EMF file's datums as `time fn N total` (total `-` when absent), sorted; zeros of `default 0`
    /// are left out so that it compares with `expected`.
    static func emf(_ path: String, withZeros: Bool = false) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line -> String? in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let aws = o["_aws"] as? [String: Any], let t = aws["Timestamp"] as? Int else { return nil }
            let count = (o["N"] as? Double).map { Int($0) } ?? (o["N"] as? Int) ?? -1
            if count == 0 && !withZeros { return nil }
            let total = (o["Total"] as? Double).map { "\(Int($0))" } ?? (o["Total"] as? Int).map { "\($0)" } ?? "-"
            return "\(t) \(o["Fn"] ?? "-") \(count) \(total)"
        }.sorted()
    }
}

enum Timestampish {
    static func ms(_ iso: String) -> Int64 {
        Int64((ISO8601DateFormatter.withFraction.date(from: iso)!.timeIntervalSince1970 * 1000).rounded())
    }
}

final class BackfillTests: XCTestCase {
    func backfill(_ dir: String, now: Int64, batchBytes: Int? = 4_000) -> Backfill {
        var options = QueryOptions()
        options.clock = ManualClock(milliseconds: now)
        options.scan.workers = 2
        var b = Backfill(store: StateStore(directory: dir + "/state"), options: options, output: TextBuffer(), environment: [:])
        b.batchBytes = batchBytes
        return b
    }

    /// A month of hourly files: the backfill gives the same datums, value for value (default zeros
    /// included), as scheduled runs once a day over the files as they arrived; and both equal
    /// a count made here from the lines.
    func testAMonthBackfillEqualsTheScheduledRunsOverTheSameFiles() throws {
        let hours = 720
        let scheduledDir = TemporaryDirectory(prefix: "logmill-month-sched")
        let backfillDir = TemporaryDirectory(prefix: "logmill-month-backfill")
        defer { scheduledDir.cleanup(); backfillDir.cleanup() }
        let missing: Set<Int> = [5, 6, 7, 200, 719]
        let scheduled = Archive(directory: scheduledDir.path, seed: 42, hours: hours, missing: missing)
        let archived = Archive(directory: backfillDir.path, seed: 42, hours: hours, missing: missing)
        let end = Archive.start + Int64(hours) * 3_600_000

        // Scheduled runs: once a day, 45 s after midnight, over the files written so far.
        let clock = ManualClock(milliseconds: Archive.start)
        var options = QueryOptions()
        options.clock = clock
        options.scan.workers = 2
        let cycle = JobCycle(store: StateStore(directory: scheduledDir.path + "/state"), options: options, output: TextBuffer(), environment: [:])
        for step in stride(from: 0, to: hours, by: 24) {
            try scheduled.write(step..<(step + 24))
            clock.set(milliseconds: Archive.start + Int64(step + 24) * 3_600_000 + 45_000)
            let r = try cycle.run(try JobFile.load(scheduledDir.path + "/archive.job"))
            XCTAssertTrue(r.warnings.isEmpty, "\(r.warnings)")
            XCTAssertEqual(r.lateRecords, 0)
        }

        // The backfill, over all the files at once, with many small spool segments.
        try archived.write(0..<hours)
        let b = backfill(backfillDir.path, now: end + 3_600_000)
        let report = try b.run(try JobFile.load(backfillDir.path + "/archive.job"), from: Archive.start, to: end)
        XCTAssertTrue(report.succeeded, "\(report.warnings) \(report.sinks)")
        XCTAssertEqual(report.windows, hours * 12)
        XCTAssertGreaterThan(report.objectsScanned, 700)

        let fromBackfill = Archive.emf(backfillDir.path + "/out/a.emf", withZeros: true)
        let fromSchedule = Archive.emf(scheduledDir.path + "/out/a.emf", withZeros: true)
        XCTAssertGreaterThan(fromBackfill.count, 8_000)
        XCTAssertEqual(fromBackfill.count, fromSchedule.count)
        XCTAssertEqual(fromBackfill, fromSchedule, "the backfill and the scheduled runs give the same datums")
        let counted = archived.expected(from: Archive.start, to: end)
        XCTAssertEqual(Archive.emf(backfillDir.path + "/out/a.emf"), counted)
        // The windows of the missing hours are there, as default zeros.
        let missingHour = Archive.start + 200 * 3_600_000
        XCTAssertTrue(fromBackfill.contains { $0.hasPrefix("\(missingHour) ") && $0.hasSuffix(" 0 -") })
        // The spool is gone; the finished backfill is recorded.
        XCTAssertFalse(FileManager.default.fileExists(atPath: backfillDir.path + "/state/archive.backfill"))
        XCTAssertEqual(try StateStore(directory: backfillDir.path + "/state").loadBackfill(job: "archive")?.finished, true)
    }

    /// The same backfill again does nothing; the scheduled runs of the job start where it ended; a
    /// backfill over windows they emitted is refused unless --force; windows they will emit are refused.
    func testBackfillAndScheduledRunsShareTheJobsWindows() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-backfill-share")
        defer { tmp.cleanup() }
        let archive = Archive(directory: tmp.path, seed: 3, hours: 48, missing: [])
        try archive.write(0..<48)
        let job = try JobFile.load(tmp.path + "/archive.job")
        let day = Archive.start + 24 * 3_600_000
        let now = Archive.start + 48 * 3_600_000 + 60_000
        let first = try backfill(tmp.path, now: now).run(job, from: Archive.start, to: day)
        XCTAssertTrue(first.succeeded)
        XCTAssertEqual(first.windows, 288)
        let again = try backfill(tmp.path, now: now).run(job, from: Archive.start, to: day)
        XCTAssertTrue(again.alreadyDone)
        XCTAssertEqual(again.windows, 0)

        // The scheduled runs start at the backfill's end, not at the job's start: nothing twice.
        var options = QueryOptions()
        options.clock = ManualClock(milliseconds: now)
        let cycle = JobCycle(store: StateStore(directory: tmp.path + "/state"), options: options, output: TextBuffer(), environment: [:])
        let run = try cycle.run(job)
        XCTAssertEqual(run.windows.first?.start, day)
        XCTAssertEqual(run.windows.count, 288)
        XCTAssertEqual(Archive.emf(tmp.path + "/out/a.emf"), archive.expected(from: Archive.start, to: Archive.start + 48 * 3_600_000),
                       "backfill then scheduled runs: every window once")
        XCTAssertThrowsError(try backfill(tmp.path, now: now).run(job, from: day, to: day + 3_600_000)) {
            XCTAssertTrue("\($0)".contains("already emitted"), "\($0)")
        }
        XCTAssertThrowsError(try backfill(tmp.path, now: now + 86_400_000).run(job, from: day, to: now + 3_600_000)) {
            XCTAssertTrue("\($0)".contains("the scheduled runs of archive emit the windows from"), "\($0)")
        }
        var restate = backfill(tmp.path, now: now)
        restate.force = true
        XCTAssertTrue(try restate.run(job, from: day, to: day + 3_600_000).succeeded)
        // Windows that are not due yet are refused.
        let fresh = TemporaryDirectory(prefix: "logmill-backfill-due")
        defer { fresh.cleanup() }
        try Archive(directory: fresh.path, seed: 3, hours: 2, missing: []).write(0..<2)
        XCTAssertThrowsError(try backfill(fresh.path, now: Archive.start + 3_600_000).run(try JobFile.load(fresh.path + "/archive.job"),
                                                                                            from: Archive.start, to: Archive.start + 7_200_000)) {
            XCTAssertTrue("\($0)".contains("not due yet"), "\($0)")
        }
    }

    /// Sinks with an age limit: CloudWatch takes two weeks; older windows are left out for it (never
    /// sent: the endpoint here answers nothing) with one warning, and the other sinks get them all.
    func testWindowsOlderThanASinkTakesAreLeftOutForItAndSaid() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-backfill-age")
        defer { tmp.cleanup() }
        let archive = Archive(directory: tmp.path, seed: 9, hours: 24, missing: [])
        try archive.write(0..<24)
        let text = Archive.job.replacingOccurrences(of: "sink: openmetrics out/a.om",
                                                    with: "sink: cloudwatch endpoint=http://127.0.0.1:\(TestHTTPServer.closedPort()) region=us-east-1")
        try text.write(toFile: tmp.path + "/archive.job", atomically: true, encoding: .utf8)
        let job = try JobFile.load(tmp.path + "/archive.job")
        let r = try backfill(tmp.path, now: Archive.start + 30 * 86_400_000).run(job, from: Archive.start, to: Archive.start + 86_400_000)
        XCTAssertEqual(r.skipped.count, 1)
        XCTAssertEqual(r.skipped.first?.range, Window(start: Archive.start, end: Archive.start + 86_400_000))
        XCTAssertGreaterThan(r.skipped.first?.datums ?? 0, 288)
        XCTAssertFalse(r.succeeded, "something was left out: the exit status says so")
        XCTAssertTrue(r.warnings.isEmpty, "\(r.warnings)")
        XCTAssertEqual(Archive.emf(tmp.path + "/out/a.emf"), archive.expected(from: Archive.start, to: Archive.start + 86_400_000))
    }

    /// The binary killed at seeded random points (while scanning, after writing a spool segment, while
    /// writing state, between a sink taking a chunk and the answer being recorded, between sinks),
    /// then run again until it finishes: the EMF file equals an uninterrupted backfill's, nothing doubled.
    func testKilledAtRandomPointsAndRunAgainGivesTheUninterruptedOutput() throws {
        let clean = TemporaryDirectory(prefix: "logmill-backfill-clean")
        defer { clean.cleanup() }
        let hours = 72
        let archive = Archive(directory: clean.path, seed: 11, hours: hours, missing: [30])
        try archive.write(0..<hours)
        let args = ["backfill", "--now", "2026-10-11T00:00:00Z", "--from", "2026-10-07T00:00:00Z", "--to", "2026-10-10T00:00:00Z",
                    "--state-dir", "state", "archive.job"]
        let env = ["LOGMILL_BACKFILL_BATCH_BYTES": "3000", "LOGMILL_BACKFILL_CHUNK_WINDOWS": "50"]
        let ok = try LogmillProcess.run(args, cwd: clean.path, environment: env)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let expected = Archive.emf(clean.path + "/out/a.emf", withZeros: true)
        XCTAssertEqual(expected.filter { !$0.hasSuffix(" 0 -") }, archive.expected(from: Archive.start, to: Archive.start + 72 * 3_600_000))
        let om = try String(contentsOfFile: clean.path + "/out/a.om", encoding: .utf8)

        var rng = SeededRandom(seed: 20261129)
        let points = ["scan": 3, "backfill-segment": 4, "state-written": 60, "state-renamed": 60, "sink-sent": 18]
        var kills: [String: Int] = [:]
        for trial in 0..<16 {
            let tmp = TemporaryDirectory(prefix: "logmill-backfill-kill")
            defer { tmp.cleanup() }
            try Archive(directory: tmp.path, seed: 11, hours: hours, missing: [30]).write(0..<hours)
            let point = rng.pick(points.keys.sorted())
            let fault = "\(point):\(1 + rng.below(points[point]!))"
            let killed = try LogmillProcess.run(args, cwd: tmp.path, environment: env.merging(["LOGMILL_FAULT": fault]) { $1 })
            if killed.signal == SIGKILL { kills[point, default: 0] += 1 } else {
                XCTAssertEqual(killed.status, 0, "trial \(trial) \(fault): \(killed.stderr)")
            }
            let resumed = try LogmillProcess.run(args, cwd: tmp.path, environment: env)
            XCTAssertEqual(resumed.status, 0, "trial \(trial) \(fault): \(resumed.stderr)")
            XCTAssertEqual(Archive.emf(tmp.path + "/out/a.emf", withZeros: true), expected, "trial \(trial) \(fault): every window exactly once")
            XCTAssertEqual(try String(contentsOfFile: tmp.path + "/out/a.om", encoding: .utf8), om, "trial \(trial) \(fault)")
        }
        XCTAssertGreaterThanOrEqual(kills.values.reduce(0, +), 14, "the trials really were killed: \(kills)")
    }

    /// `--dry-run` shows the payloads and writes nothing; `--alarms` prints the replayed timeline;
    /// `--report` writes a self-contained page; the summary has a sparkline per metric.
    func testDryRunAlarmsReportAndSummary() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-backfill-cli")
        defer { tmp.cleanup() }
        let archive = Archive(directory: tmp.path, seed: 5, hours: 6, missing: [])
        try archive.write(0..<6)
        let text = Archive.job.replacingOccurrences(of: "sink: openmetrics out/a.om\n", with: "")
            .replacingOccurrences(of: "query:", with: "alarm: Busy = N Sum > 3 for 1 of 1 missing notBreaching\nquery:")
        try text.write(toFile: tmp.path + "/archive.job", atomically: true, encoding: .utf8)
        let args = ["backfill", "--now", "2026-10-08T00:00:00Z", "--from", "2026-10-07T00:00:00Z", "--to", "2026-10-07T06:00:00Z",
                    "--state-dir", "state", "archive.job"]
        let dry = try LogmillProcess.run(args + ["--dry-run"], cwd: tmp.path)
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stdout.contains("== archive → emf ") && dry.stdout.contains("out/a.emf: "), dry.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.path + "/out/a.emf"), "a dry run sends nothing")
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.path + "/state/archive.backfill.json"), "a dry run writes no state")

        let real = try LogmillProcess.run(args + ["--alarms", "--report", "page.html"], cwd: tmp.path)
        XCTAssertEqual(real.status, 0, real.stderr)
        XCTAssertTrue(real.stderr.contains("archive: backfill [2026-10-07T00:00:00Z, 2026-10-07T06:00:00Z): 72 window(s)"), real.stderr)
        let sparkLine = real.stderr.split(separator: "\n").first { $0.hasPrefix("  N ") } ?? ""
        XCTAssertTrue(sparkLine.contains { "▁▂▃▄▅▆▇█".contains($0) }, real.stderr)
        XCTAssertTrue(real.stderr.contains("alarms (replayed from a fresh state; no one was notified):"), real.stderr)
        XCTAssertTrue(real.stderr.contains("Busy  OK → ALARM"), real.stderr)
        let page = try String(contentsOfFile: tmp.path + "/page.html", encoding: .utf8)
        XCTAssertTrue(page.contains("<svg"))
        XCTAssertFalse(page.contains("http://") || page.contains("https://"))
        XCTAssertEqual(Archive.emf(tmp.path + "/out/a.emf"), archive.expected(from: Archive.start, to: Archive.start + 6 * 3_600_000))
    }

    /// The OpenMetrics file a backfill writes holds every window of the range, timestamped, and
    /// `promtool tsdb create-blocks-from openmetrics` turns it into TSDB blocks.
    func testTheOpenMetricsFileLoadsIntoPromtoolBlocks() throws {
        let env = ProcessInfo.processInfo.environment
        let candidates = [env["LOGMILL_TEST_PROMTOOL"]] + (env["PATH"] ?? "").split(separator: ":").map { "\($0)/promtool" }
        guard let promtool = candidates.compactMap({ $0 }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("skipped: promtool not found (LOGMILL_TEST_PROMTOOL unset, not on PATH; .ci/peers.sh installs Prometheus, which ships it)")
            throw XCTSkip("promtool not found (LOGMILL_TEST_PROMTOOL unset, not on PATH); .ci/peers.sh installs it")
        }
        let tmp = TemporaryDirectory(prefix: "logmill-backfill-promtool")
        defer { tmp.cleanup() }
        let archive = Archive(directory: tmp.path, seed: 21, hours: 30, missing: [])
        try archive.write(0..<30)
        let text = Archive.job.replacingOccurrences(of: "sink: openmetrics out/a.om", with: "sink: openmetrics out/a.om timestamps=true")
        try text.write(toFile: tmp.path + "/archive.job", atomically: true, encoding: .utf8)
        var b = backfill(tmp.path, now: Archive.start + 40 * 3_600_000)
        b.chunkWindows = 20   // many chunks: the file must still hold them all
        let r = try b.run(try JobFile.load(tmp.path + "/archive.job"), from: Archive.start, to: Archive.start + 30 * 3_600_000)
        XCTAssertTrue(r.succeeded, "\(r.warnings) \(r.sinks)")
        let om = try String(contentsOfFile: tmp.path + "/out/a.om", encoding: .utf8)
        let points = om.split(separator: "\n").filter { $0.hasPrefix("N{") }
        XCTAssertEqual(points.count, Archive.emf(tmp.path + "/out/a.emf", withZeros: true).count, "every window's datum is in the file")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: promtool)
        p.arguments = ["tsdb", "create-blocks-from", "openmetrics", tmp.path + "/out/a.om", tmp.path + "/blocks"]
        let errors = Pipe()
        p.standardError = errors
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0, said)
        let blocks = (try? FileManager.default.contentsOfDirectory(atPath: tmp.path + "/blocks")) ?? []
        XCTAssertFalse(blocks.isEmpty, "promtool wrote blocks")
    }
}
