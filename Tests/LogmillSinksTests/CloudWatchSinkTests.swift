import XCTest
import LogmillAWS
import LogmillMetrics
import LogmillNet
import LogmillTime
@testable import LogmillSinks
import LogmillTestSupport

/// CloudWatchSink against moto's server (LOGMILL_TEST_MOTO) and against a local HTTP server for
/// batching, retries and error answers.
final class CloudWatchSinkTests: XCTestCase {
    static let creds = Credentials(accessKeyId: "AKIALOGMILLTEST", secretAccessKey: "testSecretValue/+=")

    func motoURL() throws -> URL {
        guard let s = ProcessInfo.processInfo.environment["LOGMILL_TEST_MOTO"], !s.isEmpty, let u = URL(string: s) else {
            throw XCTSkip("moto tests need LOGMILL_TEST_MOTO=http://127.0.0.1:15111 (moto_server); LOGMILL_TEST_MOTO not set; .ci/run starts moto, or locally: source .ci/peers.sh && install_peers && start_peers (README, Set up)")
        }
        return u
    }

    /// A client that retries at once: its waits go to a manual clock.
    func fastClient(attempts: Int = 3, timeout: Double = 10) -> HTTPClient {
        var p = RetryPolicy()
        p.maxAttempts = attempts
        p.baseDelay = 0.001
        p.maxDelay = 0.01
        p.timeout = timeout
        return HTTPClient(policy: p, clock: ManualClock())
    }

    func makeSink(_ url: URL, gzip: Bool = false, creds: Credentials = CloudWatchSinkTests.creds) -> CloudWatchSink {
        // moto takes seconds for a request of 1000 datums: a timeout would make the client send it twice.
        CloudWatchSink(endpoint: url, region: "us-east-1", credentials: CredentialProvider(static: creds), gzip: gzip,
                       client: fastClient(timeout: 120))
    }

    /// A recent timestamp aligned to the minute (moto's statistics start at the first datapoint).
    var recentMs: Int64 { (Int64(Date().timeIntervalSince1970) / 60 - 1) * 60_000 }

    func namespace(_ tag: String) -> String { "LogmillTest/\(tag)-\(UUID().uuidString.prefix(8))" }

    func datum(_ ns: String, _ name: String, _ value: MetricValue, dims: [(name: String, value: String)] = [], unit: MetricUnit = .count,
               at ts: Int64? = nil, resolution: Int = 60) -> MetricDatum {
        MetricDatum(namespace: ns, name: name, dimensions: dims, timestamp: ts ?? recentMs, unit: unit, value: value, storageResolution: resolution)
    }

    // MARK: boto3 read-back

    func python(_ script: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script] + args
        var env = ProcessInfo.processInfo.environment
        env["AWS_ACCESS_KEY_ID"] = "testing"
        env["AWS_SECRET_ACCESS_KEY"] = "testing"
        env["AWS_DEFAULT_REGION"] = "us-east-1"
        env["AWS_DISABLE_REQUEST_COMPRESSION"] = "true"
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw NSError(domain: "python3", code: Int(p.terminationStatus), userInfo: [NSLocalizedDescriptionKey: String(decoding: e, as: UTF8.self)])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// GetMetricStatistics through boto3: one datapoint (SampleCount, Sum, Minimum, Maximum, Unit) or nil.
    func stats(_ endpoint: URL, _ ns: String, _ name: String, _ dims: [(name: String, value: String)], period: Int = 60) throws -> [String: Any]? {
        let script = """
        import sys, json, datetime, boto3
        ep, ns, name, dims, period = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), int(sys.argv[5])
        cw = boto3.client('cloudwatch', endpoint_url=ep, region_name='us-east-1')
        now = datetime.datetime.now(datetime.timezone.utc)
        r = cw.get_metric_statistics(Namespace=ns, MetricName=name, Dimensions=[{'Name': n, 'Value': v} for n, v in dims],
            StartTime=now - datetime.timedelta(hours=1), EndTime=now + datetime.timedelta(minutes=10), Period=period,
            Statistics=['SampleCount', 'Sum', 'Minimum', 'Maximum'])
        pts = r['Datapoints']
        print(json.dumps(pts[0] if len(pts) == 1 else {'count': len(pts), 'points': pts}, default=str))
        """
        let dimsJSON = String(decoding: try JSONSerialization.data(withJSONObject: dims.map { [$0.name, $0.value] }), as: UTF8.self)
        let out = try python(script, [endpoint.absoluteString, ns, name, dimsJSON, String(period)])
        return try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
    }

    func assertStats(_ p: [String: Any]?, count: Double, sum: Double, min: Double, max: Double, unit: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        guard let p else { return XCTFail("no datapoint", file: file, line: line) }
        XCTAssertEqual(p["SampleCount"] as? Double, count, "SampleCount in \(p)", file: file, line: line)
        XCTAssertEqual((p["Sum"] as? Double) ?? .nan, sum, accuracy: 1e-9, "Sum in \(p)", file: file, line: line)
        XCTAssertEqual(p["Minimum"] as? Double, min, "Minimum in \(p)", file: file, line: line)
        XCTAssertEqual(p["Maximum"] as? Double, max, "Maximum in \(p)", file: file, line: line)
        XCTAssertEqual(p["Unit"] as? String, unit, "Unit in \(p)", file: file, line: line)
    }

    // MARK: moto

    func testPublishAndReadBackFromMoto() throws {
        let moto = try motoURL()
        let ns = namespace("publish")
        let svc: [(name: String, value: String)] = [("Service", "api"), ("Host", "h1")]
        let odd: [(name: String, value: String)] = [("Path", "/api/v1?q=a&b=c+d"), ("Client Name", "café olé"), ("Region", "eu-west-1"),
                                                     ("Tier", "gold=1"), ("Empty-ish", "-")]
        var datums = [
            datum(ns, "Requests", .single(5), dims: svc),
            datum(ns, "Requests", .single(7), dims: svc),
            datum(ns, "Requests", .single(11), dims: svc),
            datum(ns, "LatencyMs", .statistics(StatisticSet(sampleCount: 4, sum: 100, minimum: 5, maximum: 50)), unit: .milliseconds),
            datum(ns, "LatencyMs", .statistics(StatisticSet(sampleCount: 6, sum: 60, minimum: 1, maximum: 20)), unit: .milliseconds),
            datum(ns, "BytesOut", .distribution(values: [10, 20, 30], counts: [1, 2, 3]), dims: [("Service", "api")], unit: .bytes),
            datum(ns, "Odd", .single(2.5), dims: odd, unit: .bytesPerSecond),
            datum(ns, "Fast", .single(0.125), unit: .seconds, resolution: 1),
        ]
        // 400 distinct values: three datums of at most 150 values.
        let values = (1...400).map(Double.init)
        datums.append(datum(ns, "Wide", .distribution(values: values, counts: values.map { _ in 2 }), unit: .none))
        let sink = makeSink(moto)
        let plan = sink.plan(datums)
        XCTAssertEqual(plan.batches.count, 1)
        XCTAssertEqual(plan.batches[0].datums.count, datums.count + 2)
        XCTAssertTrue(plan.rejected.isEmpty)
        try sink.emit(datums)

        assertStats(try stats(moto, ns, "Requests", svc), count: 3, sum: 23, min: 5, max: 11, unit: "Count")
        assertStats(try stats(moto, ns, "LatencyMs", []), count: 10, sum: 160, min: 1, max: 50, unit: "Milliseconds")
        assertStats(try stats(moto, ns, "BytesOut", [("Service", "api")]), count: 6, sum: 140, min: 10, max: 30, unit: "Bytes")
        assertStats(try stats(moto, ns, "Odd", odd), count: 1, sum: 2.5, min: 2.5, max: 2.5, unit: "Bytes/Second")
        assertStats(try stats(moto, ns, "Fast", []), count: 1, sum: 0.125, min: 0.125, max: 0.125, unit: "Seconds")
        assertStats(try stats(moto, ns, "Wide", []), count: 800, sum: 2 * 80_200, min: 1, max: 400, unit: "None")

        // Dimensions come back exactly as published (names, values, order-insensitive).
        let listed = try python("""
            import sys, json, boto3
            cw = boto3.client('cloudwatch', endpoint_url=sys.argv[1], region_name='us-east-1')
            ms = cw.list_metrics(Namespace=sys.argv[2], MetricName='Odd')['Metrics']
            print(json.dumps([sorted([d['Name'], d['Value']] for d in m['Dimensions']) for m in ms]))
            """, [moto.absoluteString, ns])
        let dims = try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[[String]]]
        XCTAssertEqual(dims?.count, 1)
        XCTAssertEqual(dims?.first, odd.map { [$0.name, $0.value] }.sorted { $0[0] < $1[0] })
    }

    func testGzipBodiesAgainstMoto() throws {
        let moto = try motoURL()
        let ns = namespace("gzip")
        let datums = (0..<200).map { i in datum(ns, "Zipped", .single(Double(i)), dims: [("Shard", "s\(i % 2)")]) }
        try makeSink(moto, gzip: true).emit(datums)
        assertStats(try stats(moto, ns, "Zipped", [("Shard", "s0")]), count: 100, sum: 9900, min: 0, max: 198, unit: "Count")
        assertStats(try stats(moto, ns, "Zipped", [("Shard", "s1")]), count: 100, sum: 10000, min: 1, max: 199, unit: "Count")
    }

    func testBatchingAgainstMoto() throws {
        let moto = try motoURL()
        let ns = namespace("batch")
        let datums = (0..<2500).map { i in datum(ns, "Many", .single(Double(i % 10))) }
        let sink = makeSink(moto)
        XCTAssertEqual(sink.plan(datums).batches.map(\.datums.count), [1000, 1000, 500])
        let start = Date()
        try sink.emit(datums)
        print("moto took \(Date().timeIntervalSince(start)) s for 2500 datums in 3 requests")
        assertStats(try stats(moto, ns, "Many", []), count: 2500, sum: 11250, min: 0, max: 9, unit: "Count")
    }

    /// A private moto with signature checking switched on: our signatures are accepted, a wrong secret is not.
    func testMotoVerifiesOurSignatures() throws {
        _ = try motoURL()
        // A free port: bind one, then let moto have it.
        let probe = try TestHTTPServer { _ in .close }
        let port = Int(probe.port)
        probe.stop()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["moto_server", "-H", "127.0.0.1", "-p", String(port)]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        let url = URL(string: "http://127.0.0.1:\(port)")!
        var ready = false
        for _ in 0..<100 {
            if (try? Data(contentsOf: url.appendingPathComponent("moto-api/"))) != nil { ready = true; break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        guard ready else { throw XCTSkip("a private moto_server on port \(port) did not start; it needs moto_server on PATH (pip install 'moto[server]', or .ci/peers.sh install_peers)") }
        let keys = try python("""
            import sys, json, boto3, urllib.request
            ep = sys.argv[1]
            iam = boto3.client('iam', endpoint_url=ep, region_name='us-east-1')
            iam.create_user(UserName='ci')
            iam.put_user_policy(UserName='ci', PolicyName='all', PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')
            k = iam.create_access_key(UserName='ci')['AccessKey']
            urllib.request.urlopen(urllib.request.Request(ep + '/moto-api/reset-auth', data=b'0', method='POST', headers={'Content-Type': 'text/plain'})).read()
            print(json.dumps([k['AccessKeyId'], k['SecretAccessKey']]))
            """, [url.absoluteString])
        let pair = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(keys.utf8)) as? [String])
        let ns = namespace("auth")
        let good = Credentials(accessKeyId: pair[0], secretAccessKey: pair[1])
        try makeSink(url, creds: good).emit([datum(ns, "Signed", .single(1)), datum(ns, "Signed", .statistics(StatisticSet(sampleCount: 2, sum: 3, minimum: 1, maximum: 2)))])
        // (Not gzip here: moto 5.2.1 checks the signature of a gzip body against the decompressed bytes, while AWS and
        // botocore sign the bytes as sent; botocore-signed gzip requests get the same 403 from it.)
        try makeSink(url, creds: good).emit([datum(ns, "Signed", .distribution(values: [4, 5], counts: [1, 1]), dims: [("Path", "/a b+c")])])
        var bad = good
        bad.secretAccessKey = "wrong" + good.secretAccessKey
        XCTAssertThrowsError(try makeSink(url, creds: bad).emit([datum(ns, "Signed", .single(1))])) { error in
            let m = "\(error)"
            XCTAssertTrue(m.contains("SignatureDoesNotMatch"), m)
            XCTAssertTrue(m.contains("127.0.0.1:\(port)"), m)
            XCTAssertFalse(m.contains(bad.secretAccessKey), m)
        }
    }

    // MARK: local server

    func testBatchesOf1000CountedByServer() throws {
        let server = try TestHTTPServer { _ in .ok("<PutMetricDataResponse><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PutMetricDataResponse>") }
        defer { server.stop() }
        let ns = namespace("count")
        let datums = (0..<2500).map { i in datum(ns, "M", .single(Double(i))) }
        try makeSink(URL(string: server.baseURL)!).emit(datums)
        let reqs = server.requests
        XCTAssertEqual(reqs.count, 3)
        let counts = reqs.map { r in String(decoding: r.body, as: UTF8.self).components(separatedBy: ".MetricName=").count - 1 }
        XCTAssertEqual(counts, [1000, 1000, 500])
        for r in reqs {
            XCTAssertEqual(r.method, "POST")
            XCTAssertEqual(r.headers["content-type"], "application/x-www-form-urlencoded; charset=utf-8")
            XCTAssertTrue(r.headers["authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIALOGMILLTEST/") == true)
            XCTAssertTrue(r.headers["authorization"]?.contains("/us-east-1/monitoring/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=") == true)
            XCTAssertNil(r.headers["content-encoding"])
        }
    }

    func testBodyLimitSplitsBatches() throws {
        let server = try TestHTTPServer { _ in .ok("<PutMetricDataResponse/>") }
        defer { server.stop() }
        let ns = namespace("big")
        let long = String(repeating: "v", count: 1000)
        let dims = (1...30).map { (name: "Dim\($0)", value: long) }
        let datums = (0..<60).map { i in datum(ns, "Big\(i)", .single(1), dims: dims) }
        let sink = makeSink(URL(string: server.baseURL)!)
        let plan = sink.plan(datums)
        XCTAssertGreaterThan(plan.batches.count, 1)
        XCTAssertTrue(plan.batches.allSatisfy { $0.body.utf8.count <= CloudWatchSink.maxBodyBytes })
        try sink.emit(datums)
        XCTAssertEqual(server.requests.count, plan.batches.count)
        XCTAssertTrue(server.requests.allSatisfy { $0.body.count <= 1_000_000 })
        let names = server.requests.flatMap { r in
            String(decoding: r.body, as: UTF8.self).split(separator: "&").filter { $0.contains(".MetricName=") }.map { $0.split(separator: "=")[1] }
        }
        XCTAssertEqual(names.map(String.init), (0..<60).map { "Big\($0)" })
    }

    func testInvalidParameterValueIsReportedAndNotRetried() throws {
        let body = """
            <ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
              <Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>The value 1e400 for parameter MetricData.member.1.Value is invalid &amp; out of range.</Message></Error>
              <RequestId>abc</RequestId>
            </ErrorResponse>
            """
        let server = try TestHTTPServer { _ in .ok(body, status: 400, headers: ["Content-Type": "text/xml"]) }
        defer { server.stop() }
        let ns = namespace("bad")
        XCTAssertThrowsError(try makeSink(URL(string: server.baseURL)!).emit([datum(ns, "Rejected", .single(1), dims: [("K", "v")])])) { error in
            let m = "\(error)"
            XCTAssertTrue(m.contains("\(server.baseURL)"), m)
            XCTAssertTrue(m.contains("HTTP 400 InvalidParameterValue"), m)
            XCTAssertTrue(m.contains("is invalid & out of range"), m)
            XCTAssertTrue(m.contains("rejected 1 datum: \(ns)/Rejected{K=v}"), m)
            XCTAssertTrue(m.contains("0 of 1 datums sent"), m)
            XCTAssertFalse(m.contains(CloudWatchSinkTests.creds.secretAccessKey), m)
        }
        XCTAssertEqual(server.requests.count, 1)
    }

    func testServerErrorsAreRetriedUntilSuccess() throws {
        final class Counter: @unchecked Sendable { var n = 0; let lock = NSLock() }
        let c = Counter()
        let server = try TestHTTPServer { _ in
            c.lock.lock(); c.n += 1; let n = c.n; c.lock.unlock()
            return n <= 2 ? .ok("<ErrorResponse><Error><Code>InternalServiceError</Code><Message>boom</Message></Error></ErrorResponse>", status: 500)
                : .ok("<PutMetricDataResponse/>")
        }
        defer { server.stop() }
        let ns = namespace("retry")
        try makeSink(URL(string: server.baseURL)!).emit([datum(ns, "Retried", .single(1))])
        XCTAssertEqual(server.requests.count, 3)
        // The same signed request each time; one success.
        XCTAssertEqual(Set(server.requests.map(\.body)).count, 1)
        XCTAssertEqual(Set(server.requests.compactMap { $0.headers["authorization"] }).count, 1)
    }

    func testThrottlingIsRetriedAndPersistentThrottlingReported() throws {
        final class Counter: @unchecked Sendable { var n = 0; let lock = NSLock() }
        let c = Counter()
        let throttled = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>"
        let server = try TestHTTPServer { _ in
            c.lock.lock(); c.n += 1; let n = c.n; c.lock.unlock()
            return n == 1 ? .ok(throttled, status: 400) : .ok("<PutMetricDataResponse/>")
        }
        defer { server.stop() }
        try makeSink(URL(string: server.baseURL)!).emit([datum(namespace("thr"), "T", .single(1))])
        XCTAssertEqual(server.requests.count, 2)
        let always = try TestHTTPServer { _ in .ok(throttled, status: 400) }
        defer { always.stop() }
        XCTAssertThrowsError(try makeSink(URL(string: always.baseURL)!).emit([datum(namespace("thr"), "T", .single(1))])) {
            XCTAssertTrue("\($0)".contains("Throttling: Rate exceeded"), "\($0)")
        }
        XCTAssertEqual(always.requests.count, 3)
    }

    func testDroppedConnectionIsRetried() throws {
        final class Counter: @unchecked Sendable { var n = 0; let lock = NSLock() }
        let c = Counter()
        let server = try TestHTTPServer { _ in
            c.lock.lock(); c.n += 1; let n = c.n; c.lock.unlock()
            return n == 1 ? .close : .ok("<PutMetricDataResponse/>")
        }
        defer { server.stop() }
        try makeSink(URL(string: server.baseURL)!).emit([datum(namespace("drop"), "D", .single(1))])
        XCTAssertEqual(server.requests.count, 2)
        // Nothing listening: a clear error naming the endpoint after the retries.
        let dead = try TestHTTPServer { _ in .close }
        let deadURL = dead.baseURL
        dead.stop()
        XCTAssertThrowsError(try makeSink(URL(string: deadURL)!).emit([datum(namespace("drop"), "D", .single(1))])) {
            XCTAssertTrue("\($0)".contains(deadURL), "\($0)")
            XCTAssertTrue("\($0)".contains("after 3 attempts"), "\($0)")
        }
    }

    func testGzipRequestBody() throws {
        let server = try TestHTTPServer { _ in .ok("<PutMetricDataResponse/>") }
        defer { server.stop() }
        let ns = namespace("gz")
        let datums = (0..<50).map { i in datum(ns, "G", .single(Double(i)), dims: [("K", "v\(i)")]) }
        let sink = makeSink(URL(string: server.baseURL)!, gzip: true)
        let rendered = sink.render(datums)
        try sink.emit(datums)
        let r = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(r.headers["content-encoding"], "gzip")
        XCTAssertEqual(Array(r.body.prefix(2)), [0x1f, 0x8b])
        XCTAssertTrue(r.headers["authorization"]?.contains("SignedHeaders=content-encoding;content-type;host;x-amz-date") == true)
        let plain = try XCTUnwrap(CloudWatchGzip.decompress(r.body))
        XCTAssertEqual(String(decoding: plain, as: UTF8.self) + "\n", rendered)
        XCTAssertLessThan(r.body.count, plain.count)
    }

    /// The request as it reached the server verifies with botocore's signer (same headers, body, time).
    func testWireRequestVerifiesWithBotocore() throws {
        let server = try TestHTTPServer { _ in .ok("<PutMetricDataResponse/>") }
        defer { server.stop() }
        var creds = CloudWatchSinkTests.creds
        creds.sessionToken = "FQoGZXIvYXdzE+/token="
        let sink = makeSink(URL(string: server.baseURL)!, creds: creds)
        try sink.emit([datum(namespace("bc"), "Signed Metric", .statistics(StatisticSet(sampleCount: 3, sum: 7.5, minimum: 0.5, maximum: 4)),
                             dims: [("Path", "/a b/c?d=e&f+g"), ("Name", "naïve")], unit: .milliseconds)])
        let r = try XCTUnwrap(server.requests.first)
        let auth = try XCTUnwrap(r.headers["authorization"])
        let signedNames = auth.components(separatedBy: "SignedHeaders=")[1].components(separatedBy: ",")[0].split(separator: ";").map(String.init)
        XCTAssertEqual(signedNames, ["content-type", "host", "x-amz-date", "x-amz-security-token"])
        XCTAssertEqual(r.headers["x-amz-security-token"], creds.sessionToken)
        var headers: [String: String] = [:]
        for n in signedNames where n != "host" && n != "x-amz-date" && n != "x-amz-security-token" { headers[n] = r.headers[n] }
        let args: [String: Any] = ["url": server.baseURL + r.path, "host": r.headers["host"] ?? "", "date": r.headers["x-amz-date"] ?? "",
                                   "body": String(decoding: r.body, as: UTF8.self), "headers": headers,
                                   "ak": creds.accessKeyId, "sk": creds.secretAccessKey, "token": creds.sessionToken!]
        let script = """
        import sys, json, datetime
        from unittest import mock
        import botocore.auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        a = json.loads(sys.argv[1])
        req = AWSRequest(method='POST', url=a['url'], data=a['body'].encode(), headers=dict(a['headers'], Host=a['host']))
        t = datetime.datetime.strptime(a['date'], '%Y%m%dT%H%M%SZ').replace(tzinfo=datetime.timezone.utc)
        with mock.patch('botocore.auth.get_current_datetime', return_value=t):
            botocore.auth.SigV4Auth(Credentials(a['ak'], a['sk'], a['token']), 'monitoring', 'us-east-1').add_auth(req)
        print(req.headers['Authorization'])
        """
        let theirs = try python(script, [String(decoding: try JSONSerialization.data(withJSONObject: args), as: UTF8.self)])
        XCTAssertEqual(theirs.trimmingCharacters(in: .whitespacesAndNewlines), auth)
    }

    // MARK: local checks, rendering, options

    func testLocalRejections() throws {
        let server = try TestHTTPServer { _ in .ok("<PutMetricDataResponse/>") }
        defer { server.stop() }
        let sink = makeSink(URL(string: server.baseURL)!)
        let ns = namespace("rej")
        let now = recentMs
        let bad: [MetricDatum] = [
            datum(ns, "NaN", .single(.nan)),
            datum(ns, "Inf", .single(.infinity)),
            datum(ns, "StatInf", .statistics(StatisticSet(sampleCount: 1, sum: -.infinity, minimum: 0, maximum: 0))),
            datum(ns, "DistNaN", .distribution(values: [1, .nan], counts: [1, 1])),
            datum(ns, "Old", .single(1), at: now - 15 * 86_400_000),
            datum(ns, "Future", .single(1), at: now + 3 * 3_600_000),
            datum(ns, "Dims", .single(1), dims: (1...31).map { (name: "d\($0)", value: "v") }),
            datum(ns, "", .single(1)),
            datum(ns, "EmptyDim", .single(1), dims: [("K", " ")]),
            datum("", "NoNamespace", .single(1)),
            datum("AWS/EC2", "Reserved", .single(1)),
            datum(ns, "Mismatch", .distribution(values: [1, 2], counts: [1])),
            datum(ns, "Huge", .single(1e200)),
        ]
        let good = datum(ns, "Good", .single(1))
        let plan = sink.plan(bad + [good])
        XCTAssertEqual(plan.rejected.count, bad.count)
        XCTAssertEqual(plan.batches.count, 1)
        XCTAssertEqual(plan.batches[0].datums, [good])
        let reasons = Dictionary(plan.rejected.map { ($0.datum.name, $0.reason) }) { a, _ in a }
        XCTAssertEqual(reasons["NaN"], "value is NaN")
        XCTAssertEqual(reasons["Inf"], "value is +Inf")
        XCTAssertTrue(reasons["Old"]?.contains("more than 2 weeks old") == true)
        XCTAssertTrue(reasons["Future"]?.contains("more than 2 hours in the future") == true)
        XCTAssertEqual(reasons["Dims"], "31 dimensions (CloudWatch allows 30)")
        XCTAssertEqual(reasons[""], "metric name is empty")
        XCTAssertEqual(reasons["Huge"], "value 1e+200 is beyond ±2^360")
        let outcome = sink.send(bad + [good])
        XCTAssertEqual(outcome.status, .delivered(1))
        XCTAssertEqual(outcome.rejectedCount, bad.count)
        XCTAssertEqual(server.requests.count, 1)
        XCTAssertTrue(outcome.notes.contains { $0.contains("skipped \(ns)/NaN at ") && $0.hasSuffix("value is NaN") }, "\(outcome.notes)")
        // Only bad datums: nothing is sent at all.
        try sink.emit(bad)
        XCTAssertEqual(server.requests.count, 1)
        // 2^360 itself is accepted; 2h ahead exactly is accepted.
        XCTAssertTrue(sink.plan([datum(ns, "Edge", .single(1e100)), datum(ns, "Soon", .single(1), at: Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000)]).rejected.isEmpty)
    }

    func testRenderShowsExactBodiesWithoutSecrets() throws {
        let sink = makeSink(URL(string: "http://127.0.0.1:9")!)
        let ts: Int64 = (Int64(Date().timeIntervalSince1970) / 60) * 60_000 + 250
        let a = MetricDatum(namespace: "Logmill", name: "Lines", dimensions: [("Source", "s3 logs")], timestamp: ts, unit: .count, value: .single(42))
        let b = MetricDatum(namespace: "Other", name: "Lat", dimensions: [], timestamp: ts, unit: .milliseconds,
                            value: .distribution(values: [1.5, 2, 1.5], counts: [1, 3, 2]), storageResolution: 1)
        let text = sink.render([a, b])
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2)
        let iso = CloudWatchSink.formEncode(AWSTime.iso8601Millis(ts))
        XCTAssertTrue(iso.hasSuffix(".250Z"))
        XCTAssertEqual(lines[0], "Action=PutMetricData&Version=2010-08-01&Namespace=Logmill&MetricData.member.1.MetricName=Lines" +
                       "&MetricData.member.1.Dimensions.member.1.Name=Source&MetricData.member.1.Dimensions.member.1.Value=s3+logs" +
                       "&MetricData.member.1.Timestamp=\(iso)&MetricData.member.1.Value=42&MetricData.member.1.Unit=Count&MetricData.member.1.StorageResolution=60")
        // Duplicate values merged: 1.5 ×3, 2 ×3.
        XCTAssertEqual(lines[1], "Action=PutMetricData&Version=2010-08-01&Namespace=Other&MetricData.member.1.MetricName=Lat" +
                       "&MetricData.member.1.Timestamp=\(iso)&MetricData.member.1.Values.member.1=1.5&MetricData.member.1.Values.member.2=2" +
                       "&MetricData.member.1.Counts.member.1=3&MetricData.member.1.Counts.member.2=3&MetricData.member.1.Unit=Milliseconds&MetricData.member.1.StorageResolution=1")
        XCTAssertFalse(text.contains(CloudWatchSinkTests.creds.secretAccessKey))
        XCTAssertFalse(text.contains(CloudWatchSinkTests.creds.accessKeyId))
        XCTAssertEqual(sink.render([]), "")
    }

    func testJobFileSpecs() throws {
        let env = ["HOME": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"]
        func make(_ words: [String], _ extra: [String: String] = [:]) throws -> CloudWatchSink {
            try CloudWatchSink(spec: SinkSpec.parse(words, line: 1)!, environment: env.merging(extra) { _, b in b })
        }
        let a = try make(["cloudwatch", "region=eu-west-1"])
        XCTAssertEqual(a.endpointURL?.absoluteString, "https://monitoring.eu-west-1.amazonaws.com")
        XCTAssertEqual(a.label, "cloudwatch eu-west-1")
        XCTAssertFalse(a.gzip)
        let b = try make(["cloudwatch", "endpoint=http://127.0.0.1:15111", "gzip=true"])
        XCTAssertEqual(b.endpointURL?.absoluteString, "http://127.0.0.1:15111")
        XCTAssertEqual(b.label, "cloudwatch http://127.0.0.1:15111")
        XCTAssertTrue(b.gzip)
        let c = try make(["cloudwatch"], ["AWS_REGION": "ap-south-1", "AWS_ENDPOINT_URL_CLOUDWATCH": "http://127.0.0.1:4566"])
        XCTAssertEqual(c.endpointURL?.absoluteString, "http://127.0.0.1:4566")
        XCTAssertEqual(c.region, "ap-south-1")
        // No region anywhere: building works (dry runs), sending says what to do.
        let d = try make(["cloudwatch"])
        XCTAssertNil(d.endpointURL)
        XCTAssertEqual(d.render([datum("N", "M", .single(1))]).split(separator: "\n").count, 1)
        XCTAssertThrowsError(try d.emit([datum("N", "M", .single(1))])) { XCTAssertTrue("\($0)".contains("no AWS region"), "\($0)") }
        XCTAssertThrowsError(try make(["cloudwatch", "regoin=x"])) { XCTAssertTrue("\($0)".contains("unknown option 'regoin'"), "\($0)") }
        XCTAssertThrowsError(try make(["cloudwatch", "gzip=maybe"]))
        XCTAssertThrowsError(try make(["cloudwatch", "endpoint=ftp://x"]))
        // Through the factory.
        let viaFactory = try SinkRegistry.make(SinkSpec(kind: "cloudwatch", options: ["region": "us-east-1", "endpoint": "http://127.0.0.1:1"]), context: .testing)
        XCTAssertEqual(viaFactory.label, "cloudwatch http://127.0.0.1:1")
        XCTAssertTrue(SinkRegistry.kinds.contains { $0.name == "cloudwatch" && $0.usage.contains("gzip=true") })
        // No credentials: a clear error, nothing secret.
        let server = try TestHTTPServer { _ in .ok("<PutMetricDataResponse/>") }
        defer { server.stop() }
        let e = try make(["cloudwatch", "region=us-east-1", "endpoint=\(server.baseURL)"])
        XCTAssertThrowsError(try e.emit([datum("N", "M", .single(1))])) { XCTAssertTrue("\($0)".contains("no AWS credentials found"), "\($0)") }
        XCTAssertEqual(server.requests.count, 0)
        let f = try make(["cloudwatch", "region=us-east-1", "endpoint=\(server.baseURL)"], ["AWS_ACCESS_KEY_ID": "AKIAENVX", "AWS_SECRET_ACCESS_KEY": "envsecret"])
        try f.emit([datum("N", "M", .single(1))])
        XCTAssertTrue(server.requests.first?.headers["authorization"]?.contains("Credential=AKIAENVX/") == true)
    }

    func testErrorParsing() {
        let json = CloudWatchSink.parseError(headers: [:], text: #"{"__type":"com.amazonaws.cloudwatch#InvalidParameterValueException:http://x","message":"bad value"}"#)
        XCTAssertEqual(json.code, "InvalidParameterValueException")
        XCTAssertEqual(json.message, "bad value")
        let header = CloudWatchSink.parseError(headers: ["x-amzn-query-error": "InvalidParameterValue;Sender"], text: #"{"__type":"x#Other","message":"m"}"#)
        XCTAssertEqual(header.code, "InvalidParameterValue")
        XCTAssertEqual(header.message, "m")
        let html = CloudWatchSink.parseError(headers: [:], text: "<html>Bad Gateway</html>")
        XCTAssertNil(html.code)
        XCTAssertEqual(html.message, "<html>Bad Gateway</html>")
    }
}
