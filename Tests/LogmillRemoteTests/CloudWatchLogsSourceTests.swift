import Foundation
import XCTest
import LogmillAWS
import LogmillJobs
import LogmillNet
import LogmillQuery
import LogmillRemote
import LogmillSinks
import LogmillSources
import LogmillTestSupport
import LogmillTime

/// CloudWatch Logs groups as sources, against moto's server (LOGMILL_TEST_MOTO): FilterLogEvents
/// pages read as the service's event JSON, group prefixes, scheduled runs that ask again for every
/// open window and count each event once, and the rate limiter on the clock.
final class CloudWatchLogsSourceTests: XCTestCase {
    func moto() throws -> URL {
        guard let s = ProcessInfo.processInfo.environment["LOGMILL_TEST_MOTO"], !s.isEmpty, let u = URL(string: s) else {
            throw XCTSkip("moto tests need LOGMILL_TEST_MOTO=http://127.0.0.1:15111 (moto_server); LOGMILL_TEST_MOTO not set; .ci/run starts moto, or locally: moto_server -H 127.0.0.1 -p 15111 &")
        }
        return u
    }

    func environment(_ endpoint: URL) -> [String: String] {
        ["AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": endpoint.absoluteString, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
         "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "HOME": "/nonexistent"]
    }

    func client(_ endpoint: URL, clock: any Clock = SystemClock()) -> CloudWatchLogsClient {
        CloudWatchLogsClient(region: "us-east-1", endpoint: endpoint,
                             credentials: CredentialProvider(static: Credentials(accessKeyId: "testing", secretAccessKey: "testing")),
                             clock: clock, requestsPerSecond: 1000)
    }

    /// moto takes events up to two weeks old: the tests' times are recent, aligned to five minutes.
    func base() -> Int64 {
        let now = SystemClock().milliseconds()
        return now - now % 300_000 - 2 * 3_600_000
    }

    func report(_ requestId: String, _ ms: Double, _ memory: Int) -> String {
        "REPORT RequestId: \(requestId)\tDuration: \(ms) ms\tBilled Duration: \(Int(ms.rounded(.up))) ms\tMemory Size: 512 MB\tMax Memory Used: \(memory) MB\t"
    }

    func testAQueryOverAGroupAndAPrefixReadsEveryEventOnce() throws {
        let endpoint = try moto()
        let c = client(endpoint)
        let t0 = base()
        let prefix = "/aws/lambda/logmill-\(UInt32.random(in: 0...UInt32.max))"
        // 12,000 events in one group (two FilterLogEvents pages), 30 in another, one stream each.
        var events: [(timestamp: Int64, message: String)] = []
        for i in 0..<12_000 { events.append((t0 + Int64(i) * 100, i % 3 == 0 ? report("r-\(i)", Double(i % 500) + 0.5, 100 + i % 7) : "START RequestId: r-\(i) Version: $LATEST")) }
        try c.put(group: prefix + "-orders", stream: "2026/11/29/[$LATEST]aaa", events: events)
        try c.put(group: prefix + "-payments", stream: "s1", events: (0..<30).map { (t0 + Int64($0) * 1000, report("p-\($0)", 10, 64)) })
        let from = CivilCalendar.iso(t0), to = CivilCalendar.iso(t0 + 3_600_000)

        let one = try LogmillProcess.run(["query", "--format", "csv", "--from", from, "--to", to,
                                          "filter @type = \"REPORT\" | stats count(*) as n, sum(@maxMemoryUsed) as mem, count_distinct(@logStream) as streams by @log",
                                          "cloudwatch-logs:\(prefix)-orders"], environment: environment(endpoint))
        XCTAssertEqual(one.status, 0, one.stderr)
        let expectedMemory = (0..<12_000).filter { $0 % 3 == 0 }.reduce(0) { $0 + (100 + $1 % 7) * 1_000_000 }
        XCTAssertEqual(one.stdout.split(separator: "\n").last.map(String.init), "\(prefix)-orders,4000,\(formatJavaDouble(Double(expectedMemory))),1")

        let both = try LogmillProcess.run(["query", "--format", "csv", "--from", from, "--to", to,
                                           "filter @type = \"REPORT\" | stats count(*) as n by @log | sort @log", "cloudwatch-logs:\(prefix)*"],
                                          environment: environment(endpoint))
        XCTAssertEqual(both.status, 0, both.stderr)
        XCTAssertEqual(both.stdout.split(separator: "\n").dropFirst().map(String.init), ["\(prefix)-orders,4000", "\(prefix)-payments,30"])

        // The range is half-open and selects by event time.
        let part = try LogmillProcess.run(["query", "--format", "csv", "--from", CivilCalendar.iso(t0 + 300_000), "--to", CivilCalendar.iso(t0 + 600_000),
                                           "stats count(*) as n", "cloudwatch-logs:\(prefix)-orders"], environment: environment(endpoint))
        XCTAssertEqual(part.stdout.split(separator: "\n").last.map(String.init), "3000")

        // No range: said, exit 1; a group that does not exist: the service's error, exit 1.
        let noRange = try LogmillProcess.run(["query", "stats count(*)", "cloudwatch-logs:\(prefix)-orders"], environment: environment(endpoint))
        XCTAssertEqual(noRange.status, 1)
        XCTAssertTrue(noRange.stderr.contains("needs a time range"), noRange.stderr)
        let missing = try LogmillProcess.run(["query", "--from", from, "--to", to, "stats count(*)", "cloudwatch-logs:\(prefix)-nope"],
                                             environment: environment(endpoint))
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("ResourceNotFoundException"), missing.stderr)
    }

    /// Scheduled runs every five minutes while events keep arriving, some stamped inside a window
    /// that is still open: every window once, each event counted once (the open windows are asked
    /// again and replaced, never added to).
    func testScheduledRunsCountEachEventOnce() throws {
        let endpoint = try moto()
        let c = client(endpoint)
        let t0 = base()
        let group = "/aws/lambda/logmill-sched-\(UInt32.random(in: 0...UInt32.max))"
        let tmp = TemporaryDirectory(prefix: "logmill-cwl-sched")
        defer { tmp.cleanup() }
        try """
        name: cwl
        schedule: rate(5 minutes)
        start: \(CivilCalendar.iso(t0))
        settle: 30s
        source: cloudwatch-logs:\(group)
        namespace: Test/CWL
        metric: Invocations = n unit Count
        sink: emf out.emf
        query:
        filter @type = "REPORT"
        | stats count(*) as n by bin(5m)
        """.write(toFile: tmp.path + "/cwl.job", atomically: true, encoding: .utf8)
        let job = try JobFile.load(tmp.path + "/cwl.job")
        let clock = ManualClock(milliseconds: t0)
        var options = QueryOptions()
        options.clock = clock
        var expected: [Int64: Int] = [:]
        var rng = SeededRandom(seed: 5)
        var emitted: [Window] = []
        for step in 0..<6 {
            // Events for the current window, and a few for the previous one (still open: not yet due).
            var batch: [(timestamp: Int64, message: String)] = []
            let windowStart = t0 + Int64(step) * 300_000
            for k in 0..<(3 + rng.below(5)) {
                let t = windowStart + Int64(rng.below(299_000))
                batch.append((t, report("s\(step)-\(k)", 12.5, 80)))
                expected[t - t % 300_000, default: 0] += 1
            }
            // Late arrivals stamped in the previous window: its last run saw it open (not yet due), so
            // this run asks for it again and must count the early events once and these too.
            if step > 0 {
                for k in 0..<2 {
                    let t = windowStart - 300_000 + Int64(rng.below(299_000))
                    batch.append((t, report("late\(step)-\(k)", 3, 70)))
                    expected[t - t % 300_000, default: 0] += 1
                }
            }
            try c.put(group: group, stream: "st-\(step)", events: batch)
            clock.set(milliseconds: windowStart + 300_000 + 10_000)   // before the window's settle: not due yet
            let r = try JobCycle(store: StateStore(directory: tmp.path + "/state"), options: options, output: TextBuffer(),
                                 environment: environment(endpoint)).run(job)
            XCTAssertTrue(r.warnings.isEmpty, "step \(step): \(r.warnings)")
            emitted += r.windows
        }
        clock.set(milliseconds: t0 + 6 * 300_000 + 45_000)
        let last = try JobCycle(store: StateStore(directory: tmp.path + "/state"), options: options, output: TextBuffer(),
                                environment: environment(endpoint)).run(job)
        emitted += last.windows
        XCTAssertEqual(emitted.map(\.start), (0..<6).map { t0 + Int64($0) * 300_000 }, "every window once, in order")
        let text = try String(contentsOfFile: tmp.path + "/out.emf", encoding: .utf8)
        var got: [Int64: Int] = [:]
        for line in text.split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            let t = Int64(((o["_aws"] as? [String: Any])?["Timestamp"] as? Int) ?? 0)
            got[t, default: 0] += (o["Invocations"] as? Int) ?? Int((o["Invocations"] as? Double) ?? -1)
        }
        XCTAssertEqual(got, expected, "each event counted once")
        // No per-run checkpoints pile up in the state.
        let state = try StateStore(directory: tmp.path + "/state").load(job: "cwl", signature: JobCycle.signature(job, period: JobCycle.period(job)))
        XCTAssertEqual(state?.objects.count, 0)
    }

    func testAJobMixingCloudWatchLogsAndFilesIsRefused() {
        XCTAssertThrowsError(try JobFile.parse("namespace: T\nsource: cloudwatch-logs:/aws/lambda/x\nsource: a.log\nmetric: N = n\nquery:\nstats count(*) as n\n",
                                               path: "t.job")) {
            XCTAssertTrue("\($0)".contains("a job reads CloudWatch Logs groups or other sources, not both"), "\($0)")
        }
    }

    /// FilterLogEvents' quota: requests spaced on the clock; throttling answers retried.
    func testRequestsAreSpacedByTheRateLimiterAndThrottlingIsRetried() throws {
        let answers: [TestHTTPServer.Action] = [.status(400, #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#)]
            + Array(repeating: .ok(#"{"events":[{"logStreamName":"s","timestamp":1,"message":"m","ingestionTime":2,"eventId":"e1"}]}"#), count: 10)
        let server = try TestHTTPServer(script: answers)
        defer { server.stop() }
        let clock = ManualClock(milliseconds: 1_000_000)
        var policy = S3Client.retryPolicy
        policy.baseDelay = 0.001
        let c = CloudWatchLogsClient(region: "eu-central-1", endpoint: URL(string: server.url)!,
                                     credentials: CredentialProvider(static: Credentials(accessKeyId: "a", secretAccessKey: "b")),
                                     clock: clock, client: HTTPClient(policy: policy, clock: clock))
        XCTAssertEqual(CloudWatchLogsClient.filterQuota(region: "eu-central-1"), 5)
        let before = clock.milliseconds()
        for _ in 0..<10 { XCTAssertEqual(try c.filter(group: "g", streamPrefix: nil, start: 0, end: 10, nextToken: nil).events.count, 1) }
        // Five a second: after the first second's burst, 200 ms apart; ten requests wait at least 0.8 s.
        XCTAssertGreaterThanOrEqual(clock.milliseconds() - before, 800)
        XCTAssertEqual(server.requests.count, 11, "the throttled request was sent again")
        XCTAssertEqual(server.requests.first?.headers.first { $0.key.lowercased() == "x-amz-target" }?.value, "Logs_20140328.FilterLogEvents")
    }
}
