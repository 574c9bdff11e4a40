import Foundation
import LogmillTestSupport
import XCTest
import LogmillAWS
import LogmillMetrics
import LogmillNet
import LogmillTime
@testable import LogmillSinks

/// The registry of sink kinds (parsing, usage, the README table) and delivery outcomes.
final class SinkRegistryTests: XCTestCase {
    static let datum = MetricDatum(namespace: "MyApp/Web", name: "Requests", dimensions: [("Host", "web-1")], timestamp: 1_768_471_200_000,
                                   unit: .count, value: .single(42))

    func parse(_ words: [String]) throws -> SinkConfiguration {
        try SinkRegistry.parse(XCTUnwrap(SinkSpec.parse(words, line: 7)))
    }

    func assertRejected(_ words: [String], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(words), "\(words)", file: file, line: line) { e in
            XCTAssertTrue("\(e)".contains(fragment), "\(words): \(e)", file: file, line: line)
        }
    }

    // MARK: - Parsing

    func testUnknownOptionsAndKindsSuggestTheNearestName() {
        assertRejected(["webhook", "http://127.0.0.1:9/hook", "heder=X-Team:ops"], "unknown option 'heder'; did you mean 'header'?")
        assertRejected(["cloudwatch", "regoin=eu-west-1"], "did you mean 'region'?")
        assertRejected(["statsd", "127.0.0.1:8125", "max_datagram=512"], "did you mean 'max-datagram'?")
        assertRejected(["remote-write", "http://h/w", "retries=1"], "unknown option 'retries'")
        assertRejected(["otlp", "http://h", "colour=red"], "otlp takes: service, timeout, attempts")
        assertRejected(["webhok", "http://h"], "unknown sink 'webhok'; did you mean 'webhook'?")
        // Pushgateway takes grouping labels, but a near miss of one of its options is a typo, not a label.
        assertRejected(["pushgateway", "http://h:9091", "job=j", "methd=post"], "did you mean 'method'?")
        XCTAssertEqual(try parse(["pushgateway", "http://h:9091", "job=j", "zone=eu", "instance=ci"]).labels.map(\.name), ["zone", "instance"])
        assertRejected(["pushgateway", "http://h:9091", "job=j", "__x=1"], "not a valid grouping label name")
        // Errors name the line.
        assertRejected(["otlp", "http://h", "colour=red"], "otlp (line 7)")
    }

    func testNumbersOutOfRangeHugeInfiniteOrNaNAreRejectedWithoutACrash() {
        for (words, fragment) in [
            (["webhook", "http://h", "timeout=1e400"], "timeout must be a number above 0 to 600"),
            (["webhook", "http://h", "timeout=nan"], "timeout must be"),
            (["webhook", "http://h", "timeout=inf"], "timeout must be"),
            (["webhook", "http://h", "timeout=-1"], "timeout must be"),
            (["webhook", "http://h", "timeout=0"], "timeout must be"),
            (["webhook", "http://h", "timeout=601"], "timeout must be"),
            (["otlp", "http://h", "attempts=99999999999999999999999999"], "attempts must be a whole number from 1 to 20"),
            (["otlp", "http://h", "attempts=0"], "attempts must be a whole number from 1 to 20"),
            (["otlp", "http://h", "attempts=2.5"], "attempts must be"),
            (["webhook", "http://h", "batch=0"], "batch must be"),
            (["webhook", "http://h", "batch=-9223372036854775808"], "batch must be"),
            (["statsd", "127.0.0.1:99999"], "is not HOST:PORT"),
            (["statsd", "127.0.0.1:0"], "is not HOST:PORT"),
            (["statsd", "127.0.0.1:8125", "max-datagram=9223372036854775808"], "max-datagram must be"),
            (["remote-write", "http://h/w", "max-bytes=1e9"], "max-bytes must be"),
            (["cloudwatch", "timeout=" + String(repeating: "9", count: 400)], "timeout must be"),
        ] {
            assertRejected(words, fragment)
        }
        XCTAssertEqual(try parse(["webhook", "http://h", "timeout=0.25", "attempts=20"]).number("timeout"), 0.25)
    }

    func testDeclarationsDriveDefaultsRepeatsAndChecks() throws {
        let c = try parse(["webhook", "http://h/hook", "header=A:1", "shape=kv", "header=B:2"])
        XCTAssertEqual(c.headers().map { "\($0.name)=\($0.value)" }, ["A=1", "B=2"])
        XCTAssertEqual(c.integer("batch"), 500, "the declared default")
        XCTAssertEqual(c.number("timeout"), 15)
        assertRejected(["webhook", "http://h", "shape=kv", "shape=datums"], "shape is given twice")
        assertRejected(["webhook", "http://h", "timestamps=ms"], "applies to shape=kv only")
        assertRejected(["statsd", "h:1", "timestamps=true"], "needs dogstatsd=true")
        assertRejected(["remote-write", "http://h/w", "header=User-Agent:x"], "set by logmill")
        assertRejected(["pushgateway", "http://h"], "needs job=NAME")
        assertRejected(["prometheus"], "needs FILE")
        assertRejected(["table", "extra"], "unexpected 'extra'")
        assertRejected(["cloudwatch", "endpoint=ftp://x"], "endpoint:")
        XCTAssertEqual(SinkRegistry.kind("webhook")?.usage,
                       "webhook URL [shape=datums|kv] [category=NAME] [host=NAME] [batch=N] [timestamps=ms|s] [header=Name:Value…] [timeout=N] [attempts=N]")
        XCTAssertEqual(SinkRegistry.kind("pushgateway")?.usage.hasPrefix("pushgateway URL job=NAME [LABEL=VALUE…] [method=put|post]"), true)
        let redelivery = Dictionary(uniqueKeysWithValues: SinkRegistry.kinds.map { ($0.name, $0.redelivery) })
        XCTAssertEqual(redelivery, ["table": .appends, "emf": .appends, "prometheus": .replaces, "openmetrics": .replaces, "pushgateway": .replaces,
                                    "remote-write": .keepsFirst, "cloudwatch": .adds, "otlp": .adds, "statsd": .adds, "webhook": .adds])
        XCTAssertTrue(SinkRegistry.help().contains("      header=Name:Value: an HTTP header to send; repeat for more"))
    }

    /// README.md holds exactly the generated table between its markers. `LOGMILL_UPDATE_README=1` rewrites it.
    func testReadmeSinkTableIsTheGeneratedOne() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let begin = "<!-- sink-table:begin -->\n", end = "<!-- sink-table:end -->"
        let start = try XCTUnwrap(text.range(of: begin), "README.md has no \(begin)")
        let stop = try XCTUnwrap(text.range(of: end, range: start.upperBound..<text.endIndex), "README.md has no \(end)")
        let generated = SinkRegistry.markdownTable()
        if ProcessInfo.processInfo.environment["LOGMILL_UPDATE_README"] == "1" {
            try (String(text[..<start.upperBound]) + generated + String(text[stop.lowerBound...])).write(to: readme, atomically: true, encoding: .utf8)
        }
        XCTAssertEqual(String(text[start.upperBound..<stop.lowerBound]), generated,
                       "README.md's sink table is not SinkRegistry.markdownTable(); run the test with LOGMILL_UPDATE_README=1")
        for k in SinkRegistry.kinds { XCTAssertTrue(generated.contains("| `\(k.name)` |"), k.name) }
    }

    // MARK: - Output and outcomes

    func testTableAndEMFWriteToTheInjectedOutput() throws {
        let buffer = TextBuffer()
        let context = SinkContext(clock: ManualClock(), output: buffer, environment: [:])
        for words in [["table"], ["emf"]] {
            let sink = try SinkRegistry.make(XCTUnwrap(SinkSpec.parse(words, line: 1)), context: context)
            let payload = sink.encode([Self.datum])
            XCTAssertEqual(sink.deliver(payload).status, .delivered(1))
            XCTAssertTrue(buffer.text.hasSuffix(payload.text), words[0])
        }
        XCTAssertTrue(buffer.text.hasPrefix("timestamp"))
    }

    func testOneFailingSinkDoesNotStopTheOthers() throws {
        let server = try TestHTTPServer(fallback: .status(500, "down"))
        defer { server.stop() }
        let tmp = TemporaryDirectory(prefix: "logmill-all")
        defer { tmp.cleanup() }
        let dir = tmp.path
        let clock = ManualClock()
        let context = SinkContext(base: dir, clock: clock, output: TextBuffer(), environment: [:])
        let sinks = try [
            ["webhook", server.url + "/hook", "attempts=2"],
            ["prometheus", "out/m.prom"],
        ].map { try SinkRegistry.make(XCTUnwrap(SinkSpec.parse($0, line: 1)), context: context) }
        let outcomes = deliverAll([Self.datum], to: sinks)
        XCTAssertEqual(outcomes.map(\.sink), ["webhook \(server.url)/hook", "prometheus \(dir)/out/m.prom"])
        XCTAssertEqual(outcomes[0].status, .failed("\(server.url)/hook: HTTP 500: down (after 2 attempts)"))
        XCTAssertEqual(outcomes[1].status, .delivered(1))
        XCTAssertEqual(try String(contentsOfFile: dir + "/out/m.prom", encoding: .utf8), sinks[1].render([Self.datum]))
        XCTAssertEqual(server.requests.count, 2)
        XCTAssertEqual(clock.sleeps.count, 1, "the retry waited on the injected clock")
    }

    func testTimeoutAfterSendingIsInDoubtAndARefusedConnectionFailed() throws {
        let server = try TestHTTPServer(script: [.delay(seconds: 3, status: 200)])
        defer { server.stop() }
        let context = SinkContext(clock: ManualClock(), output: TextBuffer(), environment: [:])
        let slow = try SinkRegistry.make(XCTUnwrap(SinkSpec.parse(["otlp", server.url, "timeout=0.5", "attempts=1"], line: 1)), context: context)
        let outcome = slow.send([Self.datum])
        guard case .inDoubt(let reason) = outcome.status else { return XCTFail("\(outcome.status)") }
        XCTAssertTrue(reason.hasPrefix("\(server.url)/v1/metrics: "), reason)
        // (The server may not have recorded the request yet when the client gave up.)
        XCTAssertLessThanOrEqual(server.requests.count, 1, "one attempt only")

        let port = TestHTTPServer.closedPort()
        let refused = try SinkRegistry.make(XCTUnwrap(SinkSpec.parse(["webhook", "http://127.0.0.1:\(port)/hook", "attempts=2"], line: 1)),
                                            context: context)
        guard case .failed(let why) = refused.send([Self.datum]).status else { return XCTFail("a refused connection cannot have arrived") }
        XCTAssertTrue(why.hasSuffix("(after 2 attempts)"), why)
    }

    func testRetryBackoffIsDrivenByTheManualClock() throws {
        let server = try TestHTTPServer(script: [.status(503), .status(503, "", headers: [("Retry-After", "7")])])
        defer { server.stop() }
        var policy = RetryPolicy()
        policy.maxAttempts = 3
        policy.baseDelay = 0.5
        policy.maxDelay = 10
        let clock = ManualClock(milliseconds: 1_000_000)
        let sink = WebhookSink(url: URL(string: server.url + "/hook")!, client: HTTPClient(policy: policy, clock: clock))
        let started = Date()
        XCTAssertEqual(sink.send([Self.datum]).status, .delivered(1))
        XCTAssertEqual(server.requests.map(\.answered), [503, 503, 200])
        let sleeps = clock.sleeps
        XCTAssertEqual(sleeps.count, 2)
        XCTAssertTrue((0...0.5).contains(sleeps[0]), "full jitter under the first cap: \(sleeps)")
        XCTAssertEqual(sleeps[1], 7, "Retry-After is honoured")
        XCTAssertEqual(clock.milliseconds(), 1_000_000 + Int64((sleeps[0] * 1000).rounded()) + 7000)
        XCTAssertLessThan(Date().timeIntervalSince(started), 3, "no real waiting")
    }

    func testCloudWatchRejectionsComeBackInTheOutcomeByTheInjectedClock() throws {
        let now: Int64 = 1_768_471_200_000
        let sink = CloudWatchSink(endpoint: URL(string: "http://127.0.0.1:9")!, region: "us-east-1",
                                  credentials: CredentialProvider(static: Credentials(accessKeyId: "AKIA", secretAccessKey: "s")),
                                  clock: ManualClock(milliseconds: now))
        var old = Self.datum
        old.timestamp = now - 15 * 86_400_000
        let payload = sink.encode([old])
        XCTAssertEqual(payload.text, "")
        XCTAssertEqual(payload.rejections.map(\.reason), ["timestamp 2025-12-31T10:00:00Z is more than 2 weeks old"])
        let outcome = sink.deliver(payload)
        XCTAssertEqual(outcome.status, .delivered(0))
        XCTAssertEqual(outcome.notes, ["skipped MyApp/Web/Requests{Host=web-1} at 2025-12-31T10:00:00Z: timestamp 2025-12-31T10:00:00Z is more than 2 weeks old"])
    }
}
