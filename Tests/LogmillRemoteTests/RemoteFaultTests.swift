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

/// A scripted S3 (the test HTTP server answering ListObjectsV2 and ranged GETs) for faults moto cannot
/// make: a connection cut mid-range, throttling; and HTTP(S) sources against the test server.
final class RemoteFaultTests: XCTestCase {
    static func body(_ count: Int) -> [UInt8] {
        (0..<count).map { i in "2026-11-01T00:00:\(String(format: "%02d", i % 60))Z line \(i) \(String(repeating: "x", count: i % 50))\n" }.joined().utf8.map { $0 }
    }

    /// `Range: bytes=a-b` of `body` as a 206, or the whole body as a 200.
    static func serve(_ body: [UInt8], _ request: TestHTTPServer.Request, etag: String = "\"v1\"", ranges: Bool = true) -> TestHTTPServer.Action {
        var headers: [(String, String)] = [("ETag", etag), ("Last-Modified", "Sun, 01 Nov 2026 00:00:00 GMT")]
        if ranges { headers.append(("Accept-Ranges", "bytes")) }
        if ranges, let r = request.headers["range"], r.hasPrefix("bytes=") {
            let parts = r.dropFirst(6).split(separator: "-").compactMap { Int($0) }
            guard parts.count == 2, parts[0] < body.count else { return .respond(status: 416, body: Data(), headers: headers) }
            let hi = min(parts[1], body.count - 1)
            return .respond(status: 206, body: Data(body[parts[0]...hi]), headers: headers + [("Content-Range", "bytes \(parts[0])-\(hi)/\(body.count)")])
        }
        return .respond(status: 200, body: Data(body), headers: headers)
    }

    func fastClient(_ clock: ManualClock = ManualClock()) -> HTTPClient {
        var p = S3Client.retryPolicy
        p.baseDelay = 0.001
        p.maxDelay = 0.01
        p.timeout = 10
        return HTTPClient(policy: p, clock: clock)
    }

    func readAll(_ stream: ByteStream) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 7_000)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try stream.read(into: $0) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    // MARK: S3 faults

    func testAConnectionCutMidObjectResumesAtTheRangeReachedAndThrottlingIsRetried() throws {
        let body = RemoteFaultTests.body(4000)
        let lock = NSLock()
        nonisolated(unsafe) var cut = false
        nonisolated(unsafe) var throttled = false
        let server = try TestHTTPServer { request in
            if request.path.contains("list-type=2") {
                let xml = """
                    <?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>\
                    <IsTruncated>false</IsTruncated><EncodingType>url</EncodingType><Contents><Key>logs/big+file%20one.log</Key>\
                    <ETag>&quot;v1&quot;</ETag><Size>\(body.count)</Size></Contents></ListBucketResult>
                    """
                return .respond(status: 200, body: Data(xml.utf8), headers: [("Content-Type", "application/xml")])
            }
            guard request.path == "/b/logs/big%20file%20one.log", request.headers["if-match"] == "\"v1\"" else { return .status(400, "unexpected \(request.path)") }
            lock.lock(); defer { lock.unlock() }
            // The third range: the connection drops half way through, once; the fourth: SlowDown once.
            if request.headers["range"]?.hasPrefix("bytes=\(2 * 32768)-") == true && !cut {
                cut = true
                guard case .respond(let status, let data, _) = RemoteFaultTests.serve(body, request) else { return .close }
                return .closeMidBody(status: status, body: data)
            }
            if request.headers["range"]?.hasPrefix("bytes=\(3 * 32768)-") == true && !throttled {
                throttled = true
                return .respond(status: 503, body: Data("<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>".utf8), headers: [])
            }
            return RemoteFaultTests.serve(body, request)
        }
        defer { server.stop() }
        let clock = ManualClock()
        let s3 = S3Client(region: "us-east-1", endpoint: URL(string: server.url)!,
                          credentials: CredentialProvider(static: Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "sekritsekrit")),
                          clock: clock, client: fastClient(clock))
        var source = try S3Source(url: "s3://b/logs/", client: s3)
        source.rangeSize = 32768
        let objects = try source.list()
        XCTAssertEqual(objects.map(\.name), ["s3://b/logs/big file one.log"], "keys are URL-decoded (+ is a space)")
        XCTAssertEqual(try readAll(try objects[0].open()), body)
        XCTAssertTrue(cut && throttled)
        let ranges = server.requests.compactMap { $0.headers["range"] }
        XCTAssertEqual(ranges.filter { $0.hasPrefix("bytes=65536-") }.count, 2, "the cut range asked again: \(ranges)")
        XCTAssertEqual(ranges.filter { $0.hasPrefix("bytes=0-") }.count, 1, "never from the object's start again")
        XCTAssertEqual(ranges.count, (body.count + 32767) / 32768 + 2)
        XCTAssertTrue(server.requests.allSatisfy { $0.headers["authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") == true
                && $0.headers["x-amz-content-sha256"] == SigV4.emptyPayloadHash })
    }

    func testAccessDeniedNamesTheObjectAndTheCodeWithoutTheSecret() throws {
        let server = try TestHTTPServer { request in
            if request.path.contains("list-type=2") {
                return .respond(status: 200, body: Data("<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a.log</Key><ETag>\"e\"</ETag><Size>10</Size></Contents></ListBucketResult>".utf8), headers: [])
            }
            // The message echoes the request's session token (as some proxies do).
            let token = request.headers["x-amz-security-token"] ?? "-"
            return .respond(status: 403, body: Data("<Error><Code>AccessDenied</Code><Message>Access Denied for \(token)</Message></Error>".utf8), headers: [])
        }
        defer { server.stop() }
        let s3 = S3Client(region: "us-east-1", endpoint: URL(string: server.url)!,
                          credentials: CredentialProvider(static: Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "sekritsekrit",
                                                                              sessionToken: "sekrit-session-token")),
                          clock: ManualClock(), client: fastClient())
        let objects = try S3Source(url: "s3://b", client: s3).list()
        XCTAssertThrowsError(try readAll(try objects[0].open())) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("s3://b/a.log: S3 AccessDenied (HTTP 403)"), text)
            XCTAssertFalse(text.contains("sekrit"), text)
        }
        XCTAssertEqual(server.requests.count, 2, "a 403 is not retried")
    }

    // MARK: HTTP sources

    func testAnHTTPSourceStreamsInRangesAndAnUnchangedETagIsNotReadAgainByScheduledRuns() throws {
        let start: Int64 = 1_793_491_200_000
        let body = RemoteFaultTests.body(3000)
        nonisolated(unsafe) var etag = "\"one\""
        let lock = NSLock()
        let server = try TestHTTPServer { request in
            lock.lock(); defer { lock.unlock() }
            return RemoteFaultTests.serve(body, request, etag: etag)
        }
        defer { server.stop() }
        var source = HTTPSource(url: URL(string: server.url + "/logs/app.log?token=sekrit&day=1")!, client: fastClient())
        source.rangeSize = 10_000
        let objects = try source.list()
        XCTAssertEqual(objects[0].name, server.url + "/logs/app.log?token=***&day=1")
        XCTAssertEqual(objects[0].size, body.count)
        XCTAssertEqual(objects[0].identity.kind, "http")
        XCTAssertFalse(objects[0].identity.key.contains("sekrit"))
        XCTAssertTrue(objects[0].identity.key.hasSuffix("@\"one\""))
        XCTAssertEqual(try readAll(try objects[0].open()), body)
        XCTAssertEqual(try readAll(try objects[0].open(range: 25_000..<60_000)), Array(body[25_000..<60_000]))
        let gets = server.requests.filter { $0.method == "GET" }
        XCTAssertEqual(gets.count, (body.count + 9_999) / 10_000 + 4)
        XCTAssertTrue(gets.allSatisfy { $0.headers["range"] != nil && $0.headers["if-match"] == "\"one\"" })

        // Scheduled runs: the URL read once; unchanged (same ETag) it is not fetched again.
        let tmp = TemporaryDirectory(prefix: "logmill-http-job")
        defer { tmp.cleanup() }
        try """
            name: web
            schedule: every 5m
            start: 2026-11-01T00:00:00Z
            source: \(server.url)/logs/app.log?token=sekrit as /web
            namespace: Test/HTTP
            metric: Lines = n unit Count
            sink: emf out/a.emf
            query:
            stats count(*) as n by bin(5m)
            """.write(toFile: tmp.path + "/web.job", atomically: true, encoding: .utf8)
        let job = try JobFile.load(tmp.path + "/web.job")
        let clock = ManualClock(milliseconds: start + 345_000)
        var options = QueryOptions()
        options.clock = clock
        let cycle = JobCycle(store: StateStore(directory: tmp.path + "/state"), options: options, output: TextBuffer(), environment: [:])
        let first = try cycle.run(job)
        XCTAssertEqual(first.warnings, [])
        XCTAssertEqual(first.recordsRead, 3000)
        let getsBefore = server.requests.filter { $0.method == "GET" }.count
        clock.advance(seconds: 300)
        let second = try cycle.run(job)
        XCTAssertEqual(second.recordsRead, 0)
        XCTAssertEqual(server.requests.filter { $0.method == "GET" }.count, getsBefore, "an unchanged ETag is not fetched again")
        let state = try String(contentsOfFile: StateStore(directory: tmp.path + "/state").statePath("web"), encoding: .utf8)
        XCTAssertFalse(state.contains("sekrit"), "no credential in the job's state")
        // A new version (new ETag) is a new object, read from its start.
        lock.lock(); etag = "\"two\""; lock.unlock()
        clock.advance(seconds: 300)
        XCTAssertEqual(try cycle.run(job).recordsRead, 3000)
    }

    func testWithoutRangesAnHTTPSourceIsOneGETAndErrorsAreRedacted() throws {
        let body = RemoteFaultTests.body(500)
        let server = try TestHTTPServer { request in
            if request.path.hasPrefix("/missing") { return .respond(status: 404, body: Data("no such thing (token=sekrit)".utf8), headers: []) }
            return RemoteFaultTests.serve(body, request, ranges: false)
        }
        defer { server.stop() }
        let objects = try SourceArguments.list(RemoteSources.sources([server.url + "/a.log", server.url + "/missing?token=sekrit"], clock: ManualClock()))
        XCTAssertEqual(objects.count, 2)
        XCTAssertNil(objects[0].size, "no Accept-Ranges: not read in ranges")
        XCTAssertEqual(try readAll(try objects[0].open()), body)
        XCTAssertEqual(server.requests.filter { $0.path == "/a.log" && $0.method == "GET" }.count, 1)
        XCTAssertTrue(server.requests.allSatisfy { $0.headers["range"] == nil })
        var options = QueryOptions()
        options.clock = ManualClock()
        let result = try QueryEngine(text: "stats count(*) as n", origin: nil, options: options).run(objects)
        XCTAssertEqual(ResultWriter.render(result, as: .csv), "n\n500\n")
        XCTAssertEqual(result.warnings.count, 1)
        XCTAssertTrue(result.warnings[0].contains("/missing?token=***") && result.warnings[0].contains("404"), result.warnings[0])
        XCTAssertFalse(result.warnings[0].contains("sekrit"), result.warnings[0])
    }
}
