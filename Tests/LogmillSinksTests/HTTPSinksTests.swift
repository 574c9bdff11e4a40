import Foundation
import XCTest
import LogmillMetrics
import LogmillNet
import LogmillTime
@testable import LogmillSinks
import LogmillTestSupport

/// OTLP, StatsD and webhook sinks against peers started in the test on 127.0.0.1, and the shared
/// HTTP client's retry behaviour seen through those sinks.
final class HTTPSinksTests: XCTestCase {
    // 2026-01-15T10:00:00Z
    static let t0: Int64 = 1_768_471_200_000
    static let dims: [(name: String, value: String)] = [("Host", "web-1"), ("Status", "200")]

    static var sample: [MetricDatum] {
        [
            MetricDatum(namespace: "MyApp/Web", name: "Requests", dimensions: dims, timestamp: t0, unit: .count, value: .single(42)),
            MetricDatum(namespace: "MyApp/Web", name: "Latency", dimensions: dims, timestamp: t0, unit: .milliseconds, value: .single(12.5)),
            MetricDatum(namespace: "MyApp/Web", name: "Duration", dimensions: dims, timestamp: t0, unit: .seconds,
                        value: .statistics(StatisticSet(sampleCount: 4, sum: 10, minimum: 1, maximum: 4))),
            MetricDatum(namespace: "MyApp/Web", name: "Wait", dimensions: [], timestamp: t0 + 60_000, unit: .seconds,
                        value: .distribution(values: [0.25, 0.5, 0.25, 9], counts: [2, 1, 1, 0])),
        ]
    }

    /// A client that never really sleeps: its waits go to a manual clock, which records them.
    final class FastClient: @unchecked Sendable {
        let client: HTTPClient
        let clock = ManualClock()
        var sleeps: [Double] { clock.sleeps }

        init(attempts: Int = 3, timeout: Double = 5) {
            var p = RetryPolicy()
            p.maxAttempts = attempts
            p.baseDelay = 0.001
            p.maxDelay = 0.01
            p.timeout = timeout
            client = HTTPClient(policy: p, clock: clock)
        }
    }

    /// JSON text in a canonical form (sorted keys) so that structures compare as strings.
    func canonical(_ json: Any) -> String {
        let data = try! JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    func canonical(text: String) -> String {
        canonical(try! JSONSerialization.jsonObject(with: Data(text.utf8)))
    }

    func assertJSON(_ body: Data, equals expected: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let got = try? JSONSerialization.jsonObject(with: body) else {
            return XCTFail("not JSON: \(String(decoding: body, as: UTF8.self))", file: file, line: line)
        }
        XCTAssertEqual(canonical(got), canonical(text: expected), file: file, line: line)
    }

    // MARK: - OTLP

    static let otlpExpected = """
    {"resourceMetrics":[{
      "resource":{"attributes":[
        {"key":"service.name","value":{"stringValue":"logmill"}},
        {"key":"logmill.namespace","value":{"stringValue":"MyApp/Web"}}]},
      "scopeMetrics":[{"scope":{"name":"logmill"},"metrics":[
        {"name":"Requests","unit":"1","gauge":{"dataPoints":[
          {"attributes":[{"key":"Host","value":{"stringValue":"web-1"}},{"key":"Status","value":{"stringValue":"200"}}],
           "timeUnixNano":"1768471200000000000","asDouble":42}]}},
        {"name":"Latency","unit":"ms","gauge":{"dataPoints":[
          {"attributes":[{"key":"Host","value":{"stringValue":"web-1"}},{"key":"Status","value":{"stringValue":"200"}}],
           "timeUnixNano":"1768471200000000000","asDouble":12.5}]}},
        {"name":"Duration","unit":"s","summary":{"dataPoints":[
          {"attributes":[{"key":"Host","value":{"stringValue":"web-1"}},{"key":"Status","value":{"stringValue":"200"}}],
           "timeUnixNano":"1768471200000000000","count":"4","sum":10,
           "quantileValues":[{"quantile":0,"value":1},{"quantile":1,"value":4}]}]}},
        {"name":"Wait","unit":"s","histogram":{"aggregationTemporality":1,"dataPoints":[
          {"timeUnixNano":"1768471260000000000","count":"4","sum":1.25,"min":0.25,"max":0.5,
           "bucketCounts":["3","1","0"],"explicitBounds":[0.25,0.5]}]}}
      ]}]}]}
    """

    func testOTLPSendsExportMetricsServiceRequest() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let fast = FastClient()
        let sink = OTLPSink(url: URL(string: server.url)!.appendingPathComponent("v1/metrics"), client: fast.client)
        try sink.emit(Self.sample)
        let reqs = server.requests
        XCTAssertEqual(reqs.count, 1)
        let r = try XCTUnwrap(reqs.first)
        XCTAssertEqual(r.method, "POST")
        XCTAssertEqual(r.path, "/v1/metrics")
        XCTAssertEqual(r.headers["content-type"], "application/json")
        assertJSON(r.body, equals: Self.otlpExpected)
        // --dry-run prints exactly the bytes sent.
        XCTAssertEqual(sink.render(Self.sample), r.text + "\n")
        XCTAssertEqual(fast.sleeps, [])
    }

    func testOTLPFromSpecAddsDefaultPathAndService() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let spec = try XCTUnwrap(SinkSpec.parse(["otlp", server.url, "service=billing"], line: 1))
        let sink = try SinkRegistry.make(spec, context: .testing)
        XCTAssertEqual(sink.label, "otlp \(server.url)/v1/metrics")
        try sink.emit([Self.sample[1]])
        let r = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(r.path, "/v1/metrics")
        let obj = try XCTUnwrap(r.json as? [String: Any])
        let rm = try XCTUnwrap((obj["resourceMetrics"] as? [[String: Any]])?.first)
        XCTAssertEqual(canonical(rm["resource"]!), canonical(text: """
            {"attributes":[{"key":"service.name","value":{"stringValue":"billing"}},
                           {"key":"logmill.namespace","value":{"stringValue":"MyApp/Web"}}]}
            """))
        // A path given in the URL is kept as is.
        let kept = try SinkRegistry.make(SinkSpec.parse(["otlp", server.url + "/otlp/v1/metrics"], line: 1)!, context: .testing)
        XCTAssertEqual(kept.label, "otlp \(server.url)/otlp/v1/metrics")
    }

    func testOTLPGroupsNamespacesAndMetricsAndSkipsNonFinite() throws {
        let sink = OTLPSink(url: URL(string: "http://127.0.0.1:4318/v1/metrics")!)
        let d = [
            MetricDatum(namespace: "A", name: "X", dimensions: [("k", "1")], timestamp: 1000, unit: .bytes, value: .single(1)),
            MetricDatum(namespace: "B", name: "X", dimensions: [], timestamp: 1000, unit: .none, value: .single(2)),
            MetricDatum(namespace: "A", name: "X", dimensions: [("k", "2")], timestamp: 2000, unit: .bytes, value: .single(3)),
            MetricDatum(namespace: "A", name: "Y", dimensions: [], timestamp: 2000, unit: .count, value: .single(.nan)),
        ]
        XCTAssertEqual(canonical(text: sink.render(d)), canonical(text: """
            {"resourceMetrics":[
             {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"logmill"}},{"key":"logmill.namespace","value":{"stringValue":"A"}}]},
              "scopeMetrics":[{"scope":{"name":"logmill"},"metrics":[{"name":"X","unit":"By","gauge":{"dataPoints":[
                {"attributes":[{"key":"k","value":{"stringValue":"1"}}],"timeUnixNano":"1000000000","asDouble":1},
                {"attributes":[{"key":"k","value":{"stringValue":"2"}}],"timeUnixNano":"2000000000","asDouble":3}]}}]}]},
             {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"logmill"}},{"key":"logmill.namespace","value":{"stringValue":"B"}}]},
              "scopeMetrics":[{"scope":{"name":"logmill"},"metrics":[{"name":"X","gauge":{"dataPoints":[
                {"timeUnixNano":"1000000000","asDouble":2}]}}]}]}]}
            """))
        XCTAssertEqual(OTLPSink.ucum(.kilobytesPerSecond), "kBy/s")
        XCTAssertEqual(OTLPSink.ucum(.countPerSecond), "1/s")
        XCTAssertEqual(OTLPSink.ucum(.microseconds), "us")
        XCTAssertNil(OTLPSink.ucum(.none))
        XCTAssertEqual(sink.render([d[3]]), "")
    }

    func testOTLPPartialSuccessIsReported() throws {
        let server = try TestHTTPServer(script: [.status(200, #"{"partialSuccess":{"rejectedDataPoints":"2","errorMessage":"bad points"}}"#)])
        defer { server.stop() }
        let fast = FastClient()
        let sink = OTLPSink(url: URL(string: server.url + "/v1/metrics")!, client: fast.client)
        XCTAssertThrowsError(try sink.emit(Self.sample)) { e in
            XCTAssertTrue("\(e)".contains("rejected 2 data point(s): bad points"), "\(e)")
        }
        XCTAssertEqual(server.requests.count, 1, "a partial success is not retried")
    }

    func testOTLPRetries503And429ThenDeliversOnce() throws {
        let server = try TestHTTPServer(script: [.status(503), .status(429, "", headers: [("Retry-After", "0")])])
        defer { server.stop() }
        let fast = FastClient(attempts: 5)
        let sink = OTLPSink(url: URL(string: server.url + "/v1/metrics")!, client: fast.client)
        try sink.emit(Self.sample)
        let reqs = server.requests
        XCTAssertEqual(reqs.map(\.answered), [503, 429, 200])
        XCTAssertEqual(Set(reqs.map(\.text)).count, 1, "every attempt carries the same body")
        assertJSON(reqs[2].body, equals: Self.otlpExpected)
        XCTAssertEqual(fast.sleeps.count, 2)
    }

    func testOTLPDoesNotRetry400Or500AndNamesTheEndpoint() throws {
        for status in [400, 500] {
            let server = try TestHTTPServer(script: [.status(status, #"{"code":3,"message":"metric name is bad"}"#)])
            defer { server.stop() }
            let fast = FastClient(attempts: 4)
            let sink = OTLPSink(url: URL(string: server.url + "/v1/metrics")!, client: fast.client)
            XCTAssertThrowsError(try sink.emit(Self.sample)) { e in
                XCTAssertEqual("\(e)", "\(server.url)/v1/metrics: HTTP \(status): metric name is bad")
                XCTAssertEqual((e as? HTTPError)?.status, status)
            }
            XCTAssertEqual(server.requests.count, 1, "HTTP \(status) is not retried for OTLP")
            XCTAssertEqual(fast.sleeps, [])
        }
    }

    func testOTLPSplitsLargeExportsAcrossRequests() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let fast = FastClient()
        let sink = OTLPSink(url: URL(string: server.url + "/v1/metrics")!, client: fast.client)
        let n = OTLPSink.maxPointsPerRequest * 2 + 7
        let datums = (0..<n).map {
            MetricDatum(namespace: "Big", name: "m", dimensions: [("i", String($0))], timestamp: Self.t0, unit: .count, value: .single(Double($0)))
        }
        try sink.emit(datums)
        let reqs = server.requests
        XCTAssertEqual(reqs.map(\.answered), [200, 200, 200])
        XCTAssertGreaterThan(reqs[0].body.count, 100_000)
        var seen: [Double] = []
        for r in reqs {
            let obj = try XCTUnwrap(r.json as? [String: Any])
            let rm = try XCTUnwrap((obj["resourceMetrics"] as? [[String: Any]])?.first)
            let sm = try XCTUnwrap((rm["scopeMetrics"] as? [[String: Any]])?.first)
            let metrics = try XCTUnwrap(sm["metrics"] as? [[String: Any]])
            XCTAssertEqual(metrics.count, 1)
            let points = try XCTUnwrap((metrics[0]["gauge"] as? [String: Any])?["dataPoints"] as? [[String: Any]])
            seen += points.compactMap { ($0["asDouble"] as? NSNumber)?.doubleValue }
        }
        XCTAssertEqual(seen, (0..<n).map(Double.init), "every point delivered once, in order")
        XCTAssertEqual(sink.render(datums), reqs.map { $0.text + "\n" }.joined())
    }

    // MARK: - StatsD

    func testPlainStatsDLinesAndDatagram() throws {
        let udp = try TestUDPListener()
        let sink = try SinkRegistry.make(SinkSpec.parse(["statsd", "127.0.0.1:\(udp.port)"], line: 1)!, context: .testing)
        XCTAssertEqual(sink.label, "statsd 127.0.0.1:\(udp.port)")
        var datums = Self.sample
        datums.append(MetricDatum(namespace: "MyApp/Web", name: "Drift", dimensions: [("Zone", "eu west.1")], timestamp: Self.t0,
                                  unit: .none, value: .single(-5)))
        try sink.emit(datums)
        let expected = [
            "MyApp.Web.Requests.Host.web-1.Status.200:42|c",
            "MyApp.Web.Latency.Host.web-1.Status.200:12.5|g",
            "MyApp.Web.Duration.Host.web-1.Status.200.count:4|g",
            "MyApp.Web.Duration.Host.web-1.Status.200.sum:10|g",
            "MyApp.Web.Duration.Host.web-1.Status.200.min:1|g",
            "MyApp.Web.Duration.Host.web-1.Status.200.max:4|g",
            "MyApp.Web.Wait:250|ms",
            "MyApp.Web.Wait:250|ms",
            "MyApp.Web.Wait:500|ms",
            "MyApp.Web.Wait:250|ms",
            "MyApp.Web.Drift.Zone.eu_west_1:0|g",
            "MyApp.Web.Drift.Zone.eu_west_1:-5|g",
        ]
        XCTAssertEqual(udp.receive(count: 1), [expected.joined(separator: "\n")])
        XCTAssertEqual(sink.render(datums), expected.map { $0 + "\n" }.joined())
    }

    func testDogStatsDTagsMultiValueAndTimestamps() throws {
        let udp = try TestUDPListener()
        let spec = SinkSpec.parse(["statsd", "127.0.0.1:\(udp.port)", "dogstatsd=true", "prefix=app", "timestamps=true"], line: 1)!
        let sink = try SinkRegistry.make(spec, context: .testing)
        XCTAssertEqual(sink.label, "dogstatsd 127.0.0.1:\(udp.port)")
        var datums = Self.sample
        datums.append(MetricDatum(namespace: "MyApp/Web", name: "Body-Size", dimensions: [("Path", "/a,b|c")], timestamp: Self.t0,
                                  unit: .bytes, value: .distribution(values: [10, 20, 30], counts: [2, 1, 20_000])))
        try sink.emit(datums)
        let tags = "|#Host:web-1,Status:200"
        let expected = [
            "app.Requests:42|c\(tags)|T1768471200",
            "app.Latency:12.5|g\(tags)|T1768471200",
            "app.Duration.count:4|g\(tags)|T1768471200",
            "app.Duration.sum:10|g\(tags)|T1768471200",
            "app.Duration.min:1|g\(tags)|T1768471200",
            "app.Duration.max:4|g\(tags)|T1768471200",
            "app.Wait:250:250:500:250|ms",
            "app.Body_Size:10:10:20|h|#Path:/a_b_c",
            "app.Body_Size:30|h|@5e-05|#Path:/a_b_c",
        ]
        XCTAssertEqual(udp.receive(count: 1), [expected.joined(separator: "\n")])
    }

    func testStatsDPacksDatagramsUnderTheLimit() throws {
        let udp = try TestUDPListener()
        let sink = StatsDSink(host: "127.0.0.1", port: udp.port, prefix: "", maxDatagram: 100)
        let datums = (0..<40).map {
            MetricDatum(namespace: "N", name: "metric_\($0)", dimensions: [], timestamp: Self.t0, unit: .percent, value: .single(Double($0)))
        }
        try sink.emit(datums)
        let got = udp.receive(count: 100)
        XCTAssertEqual(got, sink.datagrams(datums))
        XCTAssertGreaterThan(got.count, 5)
        XCTAssertTrue(got.allSatisfy { $0.utf8.count <= 100 })
        XCTAssertEqual(got.flatMap { $0.split(separator: "\n").map(String.init) }, (0..<40).map { "metric_\($0):\($0)|g" })
        // DogStatsD multi-value lines are cut to fit too.
        let dog = StatsDSink(host: "127.0.0.1", port: udp.port, dogstatsd: true, prefix: "", maxDatagram: 64)
        let many = MetricDatum(namespace: "N", name: "t", dimensions: [], timestamp: 0, unit: .milliseconds,
                               value: .distribution(values: [123.5], counts: [50]))
        let lines = dog.lines([many])
        XCTAssertTrue(lines.allSatisfy { $0.utf8.count <= 64 && $0.hasPrefix("t:123.5:") && $0.hasSuffix("|ms") }, "\(lines)")
        XCTAssertEqual(lines.map { $0.split(separator: ":").count - 1 }.reduce(0, +), 50)
    }

    func testStatsDSpecErrors() {
        for words in [["statsd"], ["statsd", "host:notaport"], ["statsd", "h:8125", "timestamps=true"], ["statsd", "h:8125", "dogstatsd=maybe"],
                      ["statsd", "h:8125", "prefx=a"]] {
            XCTAssertThrowsError(try SinkRegistry.make(SinkSpec.parse(words, line: 1)!, context: .testing), "\(words)")
        }
        XCTAssertEqual(StatsDSink.hostPort("[::1]:9125").map { "\($0.0) \($0.1)" }, "::1 9125")
        XCTAssertEqual(StatsDSink.hostPort("statsd.local").map { "\($0.0) \($0.1)" }, "statsd.local 8125")
    }

    // MARK: - Webhook

    func testWebhookDatumsShapeAndHeaders() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        setenv("LOGMILL_TEST_TOKEN", "s3cret token", 1)
        let spec = SinkSpec.parse(["webhook", server.url + "/hook?x=1", "header=Authorization:Bearer_${LOGMILL_TEST_TOKEN}", "header=X-Team:ops"], line: 1)!
        let sink = try SinkRegistry.make(spec, context: .testing)
        XCTAssertEqual(sink.label, "webhook \(server.url)/hook")
        var datums = Self.sample
        datums[1].storageResolution = 1
        datums[1].timestamp += 250
        try sink.emit(datums)
        let r = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(server.requests.count, 1)
        XCTAssertEqual(r.path, "/hook?x=1")
        XCTAssertEqual(r.headers["content-type"], "application/json")
        XCTAssertEqual(r.headers["authorization"], "Bearer_s3cret token")
        XCTAssertEqual(r.headers["x-team"], "ops")
        assertJSON(r.body, equals: """
            [{"namespace":"MyApp/Web","name":"Requests","dimensions":{"Host":"web-1","Status":"200"},
              "timestamp":"2026-01-15T10:00:00Z","unit":"Count","value":42},
             {"namespace":"MyApp/Web","name":"Latency","dimensions":{"Host":"web-1","Status":"200"},
              "timestamp":"2026-01-15T10:00:00.250Z","unit":"Milliseconds","value":12.5,"storageResolution":1},
             {"namespace":"MyApp/Web","name":"Duration","dimensions":{"Host":"web-1","Status":"200"},
              "timestamp":"2026-01-15T10:00:00Z","unit":"Seconds","statistics":{"SampleCount":4,"Sum":10,"Minimum":1,"Maximum":4}},
             {"namespace":"MyApp/Web","name":"Wait","dimensions":{},
              "timestamp":"2026-01-15T10:01:00Z","unit":"Seconds","values":[0.25,0.5,0.25,9],"counts":[2,1,1,0]}]
            """)
        XCTAssertEqual(sink.render(datums), r.text + "\n")
        XCTAssertEqual(timeText(-1), "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(timeText(951_782_400_007), "2000-02-29T00:00:00.007Z")
    }

    func testWebhookKVShapeOnePostPerGroup() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let spec = SinkSpec.parse(["webhook", server.url + "/custom", "shape=kv", "host=batch-1", "timestamps=s"], line: 1)!
        let sink = try SinkRegistry.make(spec, context: .testing)
        try sink.emit(Self.sample)
        let reqs = server.requests
        XCTAssertEqual(reqs.count, 2)
        assertJSON(reqs[0].body, equals: """
            {"datas":[{"key":"Requests","value":42},{"key":"Latency","value":12.5},
                      {"key":"Duration.count","value":4},{"key":"Duration.sum","value":10},{"key":"Duration.min","value":1},
                      {"key":"Duration.max","value":4},{"key":"Duration.avg","value":2.5}],
             "tags":[{"key":"Host","value":"web-1"},{"key":"Status","value":"200"}],
             "category":"MyApp/Web","host":"batch-1","timestamp":1768471200}
            """)
        assertJSON(reqs[1].body, equals: """
            {"datas":[{"key":"Wait.count","value":4},{"key":"Wait.sum","value":1.25},{"key":"Wait.min","value":0.25},
                      {"key":"Wait.max","value":0.5},{"key":"Wait.avg","value":0.3125}],
             "tags":[],"category":"MyApp/Web","host":"batch-1","timestamp":1768471260}
            """)
        XCTAssertEqual(sink.render(Self.sample), reqs.map { $0.text + "\n" }.joined())
        // The category option replaces the namespace; no timestamp field by default.
        let plain = WebhookSink(url: URL(string: server.url)!, shape: .kv, category: "logs", host: "h")
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(plain.bodies([Self.sample[0]])[0].utf8)) as? [String: Any])
        XCTAssertEqual(obj["category"] as? String, "logs")
        XCTAssertNil(obj["timestamp"])
    }

    func testWebhookBatches() throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let fast = FastClient()
        let sink = WebhookSink(url: URL(string: server.url)!, batch: 2, client: fast.client)
        let datums = (0..<5).map {
            MetricDatum(namespace: "N", name: "m\($0)", dimensions: [], timestamp: 0, unit: .count, value: .single(Double($0)))
        }
        try sink.emit(datums)
        let names = server.requests.map { ($0.json as? [[String: Any]] ?? []).map { $0["name"] as? String ?? "?" } }
        XCTAssertEqual(names, [["m0", "m1"], ["m2", "m3"], ["m4"]])
    }

    func testWebhookSpecErrors() {
        for words in [["webhook"], ["webhook", "ftp://x/"], ["webhook", "http://x/", "shape=xml"], ["webhook", "http://x/", "header=NoColon"],
                      ["webhook", "http://x/", "timestamps=ms"], ["webhook", "http://x/", "batch=0"], ["webhook", "http://x/", "colour=red"]] {
            XCTAssertThrowsError(try SinkRegistry.make(SinkSpec.parse(words, line: 1)!, context: .testing), "\(words)")
        }
        let kinds = SinkRegistry.kinds.map(\.name)
        XCTAssertTrue(kinds.contains("otlp") && kinds.contains("statsd") && kinds.contains("webhook"))
    }

    // MARK: - The shared HTTP client under faults, through the sinks

    func testPeerDownRetriesThenNamesTheEndpoint() {
        let port = TestHTTPServer.closedPort()
        let fast = FastClient(attempts: 3)
        let sink = WebhookSink(url: URL(string: "http://127.0.0.1:\(port)/hook")!, client: fast.client)
        let started = Date()
        XCTAssertThrowsError(try sink.emit(Self.sample)) { e in
            let text = "\(e)"
            XCTAssertTrue(text.hasPrefix("http://127.0.0.1:\(port)/hook: "), text)
            XCTAssertTrue(text.hasSuffix("(after 3 attempts)"), text)
            XCTAssertEqual((e as? HTTPError)?.attempts, 3)
            XCTAssertNil((e as? HTTPError)?.status)
        }
        XCTAssertEqual(fast.sleeps.count, 2)
        XCTAssertTrue(fast.sleeps.allSatisfy { $0 >= 0 && $0 <= 0.01 })
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testServerErrorsThenSuccessDeliverOnce() throws {
        let server = try TestHTTPServer(script: [.status(500, "oops"), .status(429)])
        defer { server.stop() }
        let fast = FastClient(attempts: 4)
        let sink = WebhookSink(url: URL(string: server.url + "/hook")!, client: fast.client)
        try sink.emit(Self.sample)
        let reqs = server.requests
        XCTAssertEqual(reqs.map(\.answered), [500, 429, 200])
        XCTAssertEqual(reqs.filter { $0.answered == 200 }.count, 1, "exactly one successful delivery")
        XCTAssertEqual(Set(reqs.map(\.text)).count, 1)
        let delivered = try XCTUnwrap(reqs.last?.json as? [[String: Any]])
        XCTAssertEqual(delivered.map { $0["name"] as? String }, ["Requests", "Latency", "Duration", "Wait"])
        XCTAssertEqual(fast.sleeps.count, 2)
    }

    func testPersistent500FailsAfterAllAttempts() throws {
        let server = try TestHTTPServer(fallback: .status(500, "{\"error\":\"db down\"}\n"))
        defer { server.stop() }
        let fast = FastClient(attempts: 3)
        let sink = WebhookSink(url: URL(string: server.url + "/hook")!, client: fast.client)
        XCTAssertThrowsError(try sink.emit(Self.sample)) { e in
            XCTAssertEqual("\(e)", "\(server.url)/hook: HTTP 500: {\"error\":\"db down\"} (after 3 attempts)")
        }
        XCTAssertEqual(server.requests.count, 3)
    }

    func testBadRequestIsNotRetried() throws {
        let server = try TestHTTPServer(script: [.status(400, "missing field: value")])
        defer { server.stop() }
        let fast = FastClient(attempts: 5)
        let sink = WebhookSink(url: URL(string: server.url + "/hook")!, client: fast.client)
        XCTAssertThrowsError(try sink.emit(Self.sample)) { e in
            XCTAssertEqual("\(e)", "\(server.url)/hook: HTTP 400: missing field: value")
        }
        XCTAssertEqual(server.requests.count, 1)
        XCTAssertEqual(fast.sleeps, [])
    }

    func testTimeoutIsRetried() throws {
        let server = try TestHTTPServer(script: [.delay(seconds: 4, status: 200)])
        defer { server.stop() }
        let fast = FastClient(attempts: 3, timeout: 1)
        let sink = OTLPSink(url: URL(string: server.url + "/v1/metrics")!, client: fast.client)
        let started = Date()
        try sink.emit(Self.sample)
        let elapsed = Date().timeIntervalSince(started)
        let reqs = server.requests
        XCTAssertEqual(reqs.count, 2)
        XCTAssertEqual(reqs.filter { $0.answered == 200 }.count, 1)
        XCTAssertEqual(fast.sleeps.count, 1)
        XCTAssertLessThan(elapsed, 3.5, "the client gave up on the slow answer at its timeout")
    }

    func testConnectionClosedMidRequestIsRetried() throws {
        let server = try TestHTTPServer(script: [.closeMidRequest])
        defer { server.stop() }
        let fast = FastClient(attempts: 3)
        let sink = OTLPSink(url: URL(string: server.url + "/v1/metrics")!, client: fast.client)
        try sink.emit(Self.sample)
        let reqs = server.requests
        XCTAssertEqual(reqs.map(\.answered), [nil, 200])
        assertJSON(reqs[1].body, equals: Self.otlpExpected)
        XCTAssertEqual(fast.sleeps.count, 1)
    }
}
