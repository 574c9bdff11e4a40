import Foundation
import LogmillTestSupport
import XCTest
import LogmillJobs
import LogmillMetrics
import LogmillQuery
import LogmillTime
import LogmillSinks

/// What a job file means, and everything `validate` can know without reading a log.
final class JobModelTests: XCTestCase {
    func parse(_ text: String) throws -> JobFile { try JobFile.parse(text, path: "t.job") }

    /// Parses and plans: what `logmill validate` does.
    func validate(_ text: String) throws { _ = try JobRunner.plan(try parse(text), options: QueryOptions()) }

    func error(_ text: String) -> String? {
        do { try validate(text); return nil } catch { return "\(error)" }
    }

    let head = "namespace: T\nsource: logs\n"

    func testCRLFJobFilesReadAsLF() throws {
        let job = try parse("namespace: T\r\nsource: logs\r\nmetric: N = n\r\nquery:\r\nstats count(*) as n by bin(5m)\r\n")
        XCTAssertEqual(job.mapping.metrics.map(\.name), ["N"])
        XCTAssertEqual(job.queryLine, 5)
        XCTAssertNoThrow(try JobRunner.plan(job, options: QueryOptions()))
    }

    func testMetricsAndDimensionsMustNameColumnsTheQueryProduces() {
        XCTAssertEqual(error(head + "metric: N = nope\nquery:\nstats count(*) as n by bin(5m)\n"),
                       "t.job:3: error: metric 'N' names the column 'nope', which the query does not produce; its columns are: bin(5m), n")
        XCTAssertEqual(error(head + "metric: N = n\ndimension: F = fn\nquery:\nstats count(*) as n by bin(5m), f\n"),
                       "t.job:4: error: dimension 'F' names the column 'fn', which the query does not produce; its columns are: bin(5m), f, n")
        XCTAssertEqual(error(head + "metric: N = n\ntimestamp: t\nquery:\nstats count(*) as n by bin(5m)\n")?.hasPrefix("t.job:4: error: timestamp names the column 't'"), true)
        XCTAssertNil(error(head + "metric: M = statistics(@duration)\nquery:\nfilter @type = \"REPORT\"\n"), "statistic sets add their own columns")
    }

    func testDuplicatesAndLimits() {
        XCTAssertEqual(error(head + "metric: N = n\nmetric: N = n\nquery:\nstats count(*) as n\n"),
                       "t.job:4: error: metric 'N' is declared twice (first on line 3)")
        XCTAssertEqual(error(head + "metric: N = n\ndimension: A = a\ndimension: A = b\nquery:\nstats count(*) as n by a, b\n"),
                       "t.job:5: error: dimension 'A' is declared twice (first on line 4)")
        let dims = (1...31).map { "dimension: D\($0) = \"x\"" }.joined(separator: "\n")
        XCTAssertEqual(error(head + "metric: N = n\n" + dims + "\nquery:\nstats count(*) as n\n"),
                       "t.job:34: error: more than 30 dimensions; CloudWatch allows at most 30")
    }

    func testOnePeriodParserForScheduleAndPeriod() throws {
        XCTAssertEqual(try parse(head + "schedule: every 1w\nmetric: N = n\nquery:\nstats count(*) as n\n").schedule?.period, Period.parse("1w"))
        XCTAssertEqual(try parse(head + "period: 1w\nmetric: N = n\nquery:\nstats count(*) as n\n").mapping.period, "1w")
        XCTAssertNotNil(error(head + "schedule: every 999999999999999d\nmetric: N = n\nquery:\nstats count(*) as n\n"), "no overflow trap")
        XCTAssertNotNil(error(head + "period: 5 parsecs\nmetric: N = n\nquery:\nstats count(*) as n\n"))
    }
}

/// A run delivers to every sink and reports an outcome for each.
final class JobOutcomeTests: XCTestCase {
    func testAFailingSinkDoesNotStopTheOthers() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-outcome")
        defer { tmp.cleanup() }
        let dir = tmp.path
                let log = (0..<6).map { "2026-11-01T00:0\($0):00.000Z REPORT RequestId: r\($0)\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 64 MB" }
        FileManager.default.createFile(atPath: dir + "/a.log", contents: Data((log.joined(separator: "\n") + "\n").utf8))
        FileManager.default.createFile(atPath: dir + "/blocker", contents: Data())
        let job = try JobFile.parse("""
            namespace: T
            source: a.log
            metric: N = n unit Count
            sink: prometheus blocker/under-a-file.prom
            sink: table
            sink: prometheus out/ok.prom
            query:
            filter @type = "REPORT" | stats count(*) as n by bin(5m)
            """, path: dir + "/t.job")
        let buffer = TextBuffer()
        let outcome = try JobRunner(output: buffer).run(job)
        XCTAssertEqual(outcome.datums.count, 2)
        XCTAssertEqual(outcome.deliveries.count, 3)
        guard case .failed(let why) = outcome.deliveries[0].status else { return XCTFail("\(outcome.deliveries[0].status)") }
        XCTAssertTrue(why.contains("blocker"), why)
        XCTAssertEqual(outcome.deliveries[1].status, .delivered(2))
        XCTAssertEqual(outcome.deliveries[2].status, .delivered(2))
        XCTAssertTrue(buffer.text.contains("T          N"), buffer.text)
        let written = try String(contentsOfFile: dir + "/out/ok.prom", encoding: .utf8)
        XCTAssertTrue(written.contains("N{namespace=\"T\"} 1\n"), "the newest window, 00:05, has one record: \(written)")
        XCTAssertFalse(outcome.allDelivered)

        var dry = JobRunner(output: TextBuffer())
        dry.dryRun = true
        let shown = try dry.run(job)
        XCTAssertTrue(shown.deliveries.filter { $0.isDelivered }.isEmpty, "a dry run delivers nothing")
        XCTAssertEqual(shown.payloads.count, 3)
    }
}

/// A dimension whose value is the empty string is a value: each sink follows its service.
final class EmptyDimensionTests: XCTestCase {
    func testEmptyDimensionValuesReachSinksThatTakeThemAndCloudWatchSaysWhy() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-emptydim")
        defer { tmp.cleanup() }
        FileManager.default.createFile(atPath: tmp.path + "/a.log", contents: Data("""
            2026-11-01T00:01:00.000Z {"route":"/a"}
            2026-11-01T00:02:00.000Z {"route":""}

            """.utf8))
        let job = try JobFile.parse("""
            namespace: T
            source: a.log
            metric: N = n unit Count
            dimension: Route = route
            sink: prometheus out/m.prom
            sink: cloudwatch region=us-east-1 endpoint=http://127.0.0.1:9
            query:
            stats count(*) as n by route
            """, path: tmp.path + "/t.job")
        var runner = JobRunner(output: TextBuffer())
        runner.dryRun = true
        var options = QueryOptions()
        options.clock = ManualClock(milliseconds: 1_793_491_500_000)
        runner.options = options
        let outcome = try runner.run(job)
        XCTAssertEqual(outcome.datums.count, 2, "the row with an empty route is kept")
        XCTAssertEqual(outcome.skipped, 0)
        let prometheus = outcome.payloads[0].payload
        XCTAssertEqual(prometheus.count, 2)
        XCTAssertTrue(prometheus.rejections.isEmpty)
        let cloudwatch = outcome.payloads[1].payload
        XCTAssertEqual(cloudwatch.rejections.count, 1)
        XCTAssertTrue(cloudwatch.rejections[0].reason.contains("CloudWatch rejects empty dimension values"), cloudwatch.rejections[0].reason)
    }
}

/// Jobs with `pattern:`: CloudWatch Logs metric filters over the job's windows.
final class PatternJobTests: XCTestCase {
    func run(_ job: String, log: String) throws -> [MetricDatum] {
        let tmp = TemporaryDirectory(prefix: "logmill-pattern")
        defer { tmp.cleanup() }
        FileManager.default.createFile(atPath: tmp.path + "/a.log", contents: Data(log.utf8))
        var runner = JobRunner(output: TextBuffer())
        runner.dryRun = true
        return try runner.run(try JobFile.parse(job, path: tmp.path + "/t.job")).datums
    }

    let head = "namespace: T\nperiod: 5m\nsource: a.log\n"

    func single(_ d: MetricDatum) -> Double {
        if case .single(let v) = d.value { return v }
        return .nan
    }

    func testTermPatternCountsMatchesPerWindow() throws {
        var log = ""
        var expected: [Int64: Int] = [:]
        for i in 0..<300 {
            let t = Int64(i) * 7_000
            let level = ["INFO", "ERROR", "WARN", "ERROR Task timed out"][i % 4]
            log += CivilCalendar.iso(1_793_491_200_000 + t) + " \(level) request \(i)\n"
            if level.contains("ERROR") && !level.contains("timed out") { expected[(1_793_491_200_000 + t) / 300_000 * 300_000, default: 0] += 1 }
        }
        let datums = try run(head + "metric: Errors = matches unit Count\npattern:\nERROR -timed\n", log: log)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: datums.map { ($0.timestamp, Int(single($0))) }), expected)
        XCTAssertTrue(datums.allSatisfy { $0.dimensions.isEmpty })
    }

    func testSpaceDelimitedPatternWithValueAndDimension() throws {
        let log = """
            2026-11-01T00:01:00.000Z GET /a 500 1200
            2026-11-01T00:02:00.000Z GET /a 503 800
            2026-11-01T00:03:00.000Z GET /b 502 50
            2026-11-01T00:04:00.000Z GET /b 200 7000
            2026-11-01T00:06:00.000Z PUT /a 500 10

            """
        let datums = try run(head + "metric: ServerErrorBytes = value unit Bytes\nmetric: ServerErrors = matches unit Count\nvalue: $bytes\ndimension: Path = $path\npattern:\n[method, path, status = 5*, bytes]\n", log: log)
        let seen = Set(datums.map { "\($0.timestamp) \($0.name) \($0.dimensions.map { "\($0.name)=\($0.value)" }.joined()) \(single($0))" })
        XCTAssertEqual(seen, [
            "1793491200000 ServerErrorBytes Path=/a 2000.0", "1793491200000 ServerErrors Path=/a 2.0",
            "1793491200000 ServerErrorBytes Path=/b 50.0", "1793491200000 ServerErrors Path=/b 1.0",
            "1793491500000 ServerErrorBytes Path=/a 10.0", "1793491500000 ServerErrors Path=/a 1.0",
        ])
    }

    func testJSONPatternWithAFieldValue() throws {
        let log = """
            2026-11-01T00:01:00.000Z {"level":"error","latency":250,"svc":"api"}
            2026-11-01T00:02:00.000Z {"level":"info","latency":900,"svc":"api"}
            2026-11-01T00:03:00.000Z {"level":"error","latency":1000,"svc":"db"}

            """
        let datums = try run(head + "metric: SlowErrors = value unit Milliseconds\nvalue: $.latency\ndimension: Service = $.svc\npattern:\n{ $.level = \"error\" && $.latency > 100 }\n", log: log)
        XCTAssertEqual(Set(datums.map { "\($0.dimensions[0].value)=\(single($0))" }), ["api=250.0", "db=1000.0"])
    }

    func testPatternMistakesNameTheirLineAndColumn() {
        func error(_ text: String) -> String? {
            do { _ = try JobRunner.plan(try JobFile.parse(text, path: "t.job"), options: QueryOptions()); return nil } catch { return "\(error)" }
        }
        XCTAssertEqual(error(head + "metric: E = matches\npattern:\n[a, b = ]\n")?.hasPrefix("t.job:6: error: column "), true)
        XCTAssertEqual(error(head + "metric: E = n\nvalue: $x\nquery:\nstats count(*) as n\n"), "t.job:5: error: 'value:' goes with 'pattern:', not with a query")
        XCTAssertNotNil(error(head + "metric: E = matches\ndimension: A = $a\ndimension: B = $b\ndimension: C = $c\ndimension: D = $d\npattern:\n[a, b, c, d]\n"))
        XCTAssertEqual(error(head + "metric: E = nope\npattern:\nERROR\n")?.contains("the query does not produce; its columns are: bin(5m), matches, value"), true)
    }
}

/// `format:` in a job file forces the log format, as `--log-format` does for a query.
final class JobFormatTests: XCTestCase {
    func testFormatKeyIsAppliedAndChecked() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-format")
        defer { tmp.cleanup() }
        // A console CSV download: one record when read as CSV, the header line too when read as plain text.
        FileManager.default.createFile(atPath: tmp.path + "/a.log", contents: Data("timestamp,message\n1793491200000,hello\n".utf8))
        func count(_ format: String?) throws -> Double? {
            let text = "namespace: T\nsource: a.log\n" + (format.map { "format: \($0)\n" } ?? "") + "metric: N = n\nquery:\nstats count(*) as n\n"
            var runner = JobRunner(output: TextBuffer())
            runner.dryRun = true
            let datums = try runner.run(try JobFile.parse(text, path: tmp.path + "/t.job")).datums
            guard let d = datums.first, case .single(let v) = d.value else { return nil }
            return v
        }
        XCTAssertEqual(try count(nil), 1, "detected as CSV")
        XCTAssertEqual(try count("plain"), 2, "forced to plain text: the header is a line too")
        XCTAssertThrowsError(try JobFile.parse("namespace: T\nsource: a.log\nformat: yaml\nmetric: N = n\nquery:\nstats count(*) as n\n", path: "t.job")) {
            XCTAssertTrue("\($0)".contains("t.job:3: error: unknown log format 'yaml'"), "\($0)")
        }
    }
}

/// `alarm:`, `notify:` and `samples:` lines: parsed with the job's period, errors at their line and column.
final class JobAlarmLineTests: XCTestCase {
    let head = "schedule: rate(5 minutes)\nnamespace: T\nsource: a.log\nmetric: Errors = n\n"

    func error(_ text: String) -> String? {
        do { _ = try JobFile.parse(text, path: "t.job"); return nil } catch { return "\(error)" }
    }

    func testAlarmsAndNotifiersParse() throws {
        let job = try JobFile.parse(head + "alarm: Spike = Errors Sum > 5 for 2 of 3 missing notBreaching renotify 1h\nalarm: Quiet = Errors < 1 for 3 of 3\n"
                                    + "notify: webhook https://hooks.example.com/a?token=x\nnotify: slack https://hooks.slack.com/services/T/B/C\n"
                                    + "notify: command ./page.sh\nnotify: stdout\nsamples: 5\nquery:\nstats count(*) as n by bin(5m)\n", path: "t.job")
        XCTAssertEqual(job.alarms.map(\.name), ["Spike", "Quiet"])
        XCTAssertEqual(job.alarms[0].period.fixedMilliseconds, 300_000, "the alarm's period is the job's")
        XCTAssertEqual(job.alarms[0].evaluationPeriods, 3)
        XCTAssertEqual(job.alarms[0].treatMissingData, .notBreaching)
        XCTAssertEqual(job.sampleLines, 5)
        XCTAssertEqual(job.notifiers.count, 4)
        // Keys and labels never hold a URL's path or query (a Slack webhook's path is its secret).
        for n in job.notifiers {
            XCTAssertFalse(n.key.contains("token") || n.key.contains("services"), n.key)
            XCTAssertFalse(n.label.contains("token") || n.label.contains("services"), n.label)
        }
        XCTAssertEqual(job.notifiers[0].label, "webhook https://hooks.example.com/…")
    }

    func testMistakesNameTheirLineAndColumn() {
        XCTAssertEqual(error(head + "alarm: Spike = Errors >> 5 for 2 of 3\nquery:\nstats count(*) as n\n")?.hasPrefix("t.job:5: error: column "), true)
        // The column counts from the start of the line: 'alarm: ' is 7 characters, 'Spike = Errors ' 15 more.
        XCTAssertEqual(error(head + "alarm: Spike = Errors p99 > 5 for 2 of 3\nquery:\nstats count(*) as n\n"),
                       "t.job:5: error: column 23: unknown statistic 'p99' (expected one of SampleCount, Average, Sum, Minimum, Maximum, then >, >=, < or <=)")
        XCTAssertEqual(error(head + "alarm: Spike = Nope > 5 for 2 of 3\nquery:\nstats count(*) as n\n"),
                       "t.job:5: error: alarm 'Spike' watches 'Nope', which is not one of the job's metrics (Errors)")
        XCTAssertEqual(error(head + "alarm: A = Errors > 5 for 1 of 1\nalarm: A = Errors > 6 for 1 of 1\nquery:\nstats count(*) as n\n"),
                       "t.job:6: error: alarm 'A' is declared twice")
        XCTAssertEqual(error(head + "alarm: A = Errors > 5 for 1 of 1\nnotify: pager x\nquery:\nstats count(*) as n\n"),
                       "t.job:6: error: unknown notifier 'pager'; notifiers: webhook URL, slack URL, command PATH, stdout")
        XCTAssertEqual(error(head + "alarm: A = Errors > 5 for 1 of 1\nnotify: webhook ftp://x/\nquery:\nstats count(*) as n\n"),
                       "t.job:6: error: 'notify: webhook' needs an http:// or https:// URL")
        XCTAssertEqual(error(head + "notify: stdout\nquery:\nstats count(*) as n\n"), "t.job:1: error: 'notify:' lines need at least one 'alarm:' line")
        XCTAssertEqual(error(head + "samples: 51\nquery:\nstats count(*) as n\n"), "t.job:5: error: samples must be a whole number from 0 to 50")
        XCTAssertEqual(error(head + "lookback: 90d\nquery:\nstats count(*) as n\n"), "t.job:5: error: lookback must be a duration of at most 30 days, e.g. 6h, 1d, 3d")
        XCTAssertEqual(try JobFile.parse(head + "lookback: 6h\nquery:\nstats count(*) as n\n", path: "t.job").lookback?.fixedMilliseconds, 21_600_000)
        // Five-minute periods: at most one day of evaluation (289 periods is over it).
        XCTAssertNotNil(error(head + "alarm: A = Errors > 5 for 1 of 289\nquery:\nstats count(*) as n\n"))
    }
}
