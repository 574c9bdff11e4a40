import Foundation
import XCTest
import LogmillAWS
import LogmillMetrics
import LogmillNet
import LogmillTime
@testable import LogmillSinks
import LogmillTestSupport

/// No credential given to a sink reaches another host or any output: redirects are not followed,
/// URLs and headers are shown redacted, echoed answers are bounded and scrubbed, network errors are
/// words naming the (redacted) endpoint.
final class CredentialSafetyTests: XCTestCase {
    static let datums = HTTPSinksTests.sample

    /// Every secret the sinks below are given, in every form it could travel (base64 for basic auth).
    static let secrets = [
        "wh-SECRET-token-1", "pg-SECRET-pass-2", "pg-SECRET-query-3", "ot-SECRET-pass-4", "ot-SECRET-key-5",
        "rw-SECRET-token-6", "rw-SECRET-hdr-7", "wh-SECRET-query-8",
        Data("pguser:pg-SECRET-pass-2".utf8).base64EncodedString(), Data("otuser:ot-SECRET-pass-4".utf8).base64EncodedString(),
    ]

    /// The four HTTP kinds with credentials in headers, basic auth, URL user information and query strings.
    static func specs(_ base: String, attempts: Int = 1, timeout: String = "1") -> [SinkSpec] {
        let hostPort = base.replacingOccurrences(of: "http://", with: "")
        let common = [(key: "attempts", value: String(attempts)), (key: "timeout", value: timeout)]
        return [
            SinkSpec(kind: "webhook", arguments: [base + "/hook?token=wh-SECRET-query-8"],
                     options: [(key: "header", value: "Authorization:Bearer wh-SECRET-token-1")] + common),
            SinkSpec(kind: "pushgateway", arguments: [base + "/pg?token=pg-SECRET-query-3"],
                     options: [(key: "job", value: "j"), (key: "basic-auth", value: "pguser:pg-SECRET-pass-2")] + common),
            SinkSpec(kind: "otlp", arguments: ["http://otuser:ot-SECRET-pass-4@\(hostPort)/v1/metrics?api_key=ot-SECRET-key-5"], options: common),
            SinkSpec(kind: "remote-write", arguments: [base + "/write"],
                     options: [(key: "bearer-token", value: "rw-SECRET-token-6"), (key: "header", value: "X-Api-Key:rw-SECRET-hdr-7")] + common),
        ]
    }

    static func context() -> SinkContext {
        SinkContext(clock: ManualClock(milliseconds: HTTPSinksTests.t0), output: TextBuffer(), environment: [:])
    }

    /// Everything a run shows of a sink: its label, the dry-run text, the outcome and its error.
    static func shown(_ sink: any MetricSink, _ payload: SinkPayload, _ outcome: SinkOutcome) -> String {
        var out = [sink.label, payload.text, "\(outcome.status)", outcome.error.map { "\($0)" } ?? ""] + outcome.notes
        if let e = outcome.cause { out.append(String(describing: e)) }
        return out.joined(separator: "\n")
    }

    func assertNoSecret(_ text: String, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        for s in Self.secrets where text.contains(s) {
            XCTFail("\(context): the secret \(s) is shown in:\n\(text)", file: file, line: line)
        }
    }

    // MARK: - Item 7: the whole class, every kind against every fault

    func testNoCredentialReachesAnotherHostOrAnyOutput() throws {
        let other = try TestHTTPServer(fallback: .status(200, "{}"))
        defer { other.stop() }
        let echoBody = Data(("echo: wh-SECRET-token-1 " + String(repeating: "z", count: 600)).utf8)
        let faults: [(String, TestHTTPServer.Action)] = [
            ("redirect", .redirect(to: other.url + "/steal?token=wh-SECRET-query-8")),
            ("redirect 308", .redirect(to: other.url + "/steal", status: 308)),
            ("echo 400", .echo(status: 400)),
            ("echo 500", .echo(status: 500)),
            ("stall", .delay(seconds: 3, status: 200)),
            ("close mid-body", .closeMidBody(status: 500, body: echoBody)),
        ]
        let started = Date()
        for (name, action) in faults {
            let server = try TestHTTPServer(script: [], fallback: action)
            defer { server.stop() }
            // The kinds side by side, so the stalls (1 s, URLSession's shortest timeout) overlap.
            let specs = Self.specs(server.url)
            let results = Results(specs.count)
            DispatchQueue.concurrentPerform(iterations: specs.count) { i in
                guard let sink = try? SinkRegistry.make(specs[i], context: Self.context()) else { return }
                let payload = sink.encode(Self.datums)
                let outcome = sink.deliver(payload)
                results.set(i, (outcome, Self.shown(sink, payload, outcome)))
            }
            for (i, spec) in specs.enumerated() {
                guard let (outcome, shown) = results.get(i) else { XCTFail("\(spec.kind) was not built"); continue }
                XCTAssertFalse(outcome.isDelivered, "\(spec.kind) \(name)")
                if name == "stall" { XCTAssertTrue(shown.contains(": timed out after 1 s"), shown) }
                if name.hasPrefix("close") { XCTAssertTrue(shown.contains("connection closed before the answer"), shown) }
                if name.hasPrefix("redirect") { XCTAssertTrue(shown.contains("redirected to \(other.url)/steal"), shown) }
                assertNoSecret(shown, "\(spec.kind) \(name)")
            }
            XCTAssertEqual(server.requests.count, 4, name)
        }
        XCTAssertTrue(other.requests.isEmpty, "a redirect was followed: \(other.requests.map(\.path))")
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [(SinkOutcome, String)?]
        init(_ n: Int) { items = Array(repeating: nil, count: n) }
        func set(_ i: Int, _ v: (SinkOutcome, String)) { lock.lock(); items[i] = v; lock.unlock() }
        func get(_ i: Int) -> (SinkOutcome, String)? { lock.lock(); defer { lock.unlock() }; return items[i] }
    }

    // MARK: - Item 3: redirects

    func testRedirectsAreFailuresNamingTheLocationAndAreNotFollowed() throws {
        let other = try TestHTTPServer(fallback: .status(200, "{}"))
        defer { other.stop() }
        for status in [301, 302, 303, 307, 308] {
            let server = try TestHTTPServer(fallback: .redirect(to: other.url + "/elsewhere?api_key=wh-SECRET-query-8&x=1", status: status))
            defer { server.stop() }
            let sink = try SinkRegistry.make(Self.specs(server.url)[0], context: Self.context())
            let outcome = sink.send(Self.datums)
            guard case .failed(let reason) = outcome.status else { return XCTFail("\(status): \(outcome.status)") }
            XCTAssertTrue(reason.contains("HTTP \(status)"), reason)
            XCTAssertTrue(reason.contains("redirected to \(other.url)/elsewhere?api_key=***&x=1"), reason)
            XCTAssertEqual(server.requests.first?.headers["authorization"], "Bearer wh-SECRET-token-1", "the first host got the request")
            assertNoSecret(reason, "\(status)")
        }
        XCTAssertTrue(other.requests.isEmpty)
    }

    // MARK: - Item 4: redaction, echoed bodies

    func testRedactionOfURLsAndHeaders() {
        XCTAssertEqual(Redaction.url("https://u:p4ss@h.example:8443/p/q?token=abc&x=1&X-Amz-Signature=f00&api_key=k#frag"),
                       "https://***@h.example:8443/p/q?token=***&x=1&X-Amz-Signature=***&api_key=***#frag")
        XCTAssertEqual(Redaction.url("http://h/p?a=1&b"), "http://h/p?a=1&b")
        XCTAssertEqual(Redaction.url("http://h/p?X-Amz-Security-Token=t0k&password=pw&secret=s&key=k&signature=s&apikey=a&access_token=t"),
                       "http://h/p?X-Amz-Security-Token=***&password=***&secret=***&key=***&signature=***&apikey=***&access_token=***")
        XCTAssertEqual(Redaction.urls(in: "see http://a:b@h/x?token=1, then \"https://h2/?sig=2\""),
                       "see http://***@h/x?token=***, then \"https://h2/?sig=***\"")
        XCTAssertEqual(Redaction.header("Authorization", "Bearer x"), "Authorization: ***")
        XCTAssertEqual(Redaction.header("X-Amz-Security-Token", "t"), "X-Amz-Security-Token: ***")
        XCTAssertEqual(Redaction.header("X-Scope-OrgID", "tenant"), "X-Scope-OrgID: tenant")
        let request = HTTPRequest(url: URL(string: "http://u:pw-123@h/p?token=tk-123")!, headers: [
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA1/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=abcdef0123"),
            ("X-Amz-Security-Token", "session-token-xyz"),
        ])
        let secrets = Redaction.secrets(of: request)
        for s in ["pw-123", "tk-123", "abcdef0123", "session-token-xyz", Data("u:pw-123".utf8).base64EncodedString()] {
            XCTAssertTrue(secrets.contains(s), s)
        }
        let body = Data(("Signature=abcdef0123 token session-token-xyz " + String(repeating: "a", count: 1000)).utf8)
        let echoed = Redaction.echo(body, secrets: secrets)
        XCTAssertTrue(echoed.hasPrefix("Signature=*** token *** aaa"), echoed)
        XCTAssertTrue(echoed.hasSuffix("…(\(body.count - 512) more bytes)"), echoed)
        // A secret cut by the bound shows no part of itself.
        let straddling = Data((String(repeating: "b", count: 505) + "session-token-xyz").utf8)
        XCTAssertFalse(Redaction.echo(straddling, secrets: secrets).contains("sessio"))
    }

    func testConfigurationErrorsShowURLsRedacted() {
        let specs = [
            SinkSpec(kind: "webhook", arguments: ["ftp://user:hunter2-pw@h/?token=tok-abc"]),
            SinkSpec(kind: "cloudwatch", options: ["endpoint": "ftp://user:hunter2-pw@h/?token=tok-abc", "region": "us-east-1"]),
            SinkSpec(kind: "webhook", arguments: ["http://h/"], options: ["header": "Authorization Bearer tok-abc"]),
        ]
        for spec in specs {
            XCTAssertThrowsError(try SinkRegistry.make(spec, context: Self.context())) { e in
                let text = "\(e)"
                XCTAssertFalse(text.contains("hunter2-pw") || text.contains("tok-abc"), text)
            }
        }
    }

    func testEchoedRequestsShowNoSecretInOutcomeErrorOrDryRun() throws {
        for status in [400, 500] {
            let server = try TestHTTPServer(fallback: .echo(status: status))
            defer { server.stop() }
            for spec in Self.specs(server.url) {
                let sink = try SinkRegistry.make(spec, context: Self.context())
                let payload = sink.encode(Self.datums)
                let outcome = sink.deliver(payload)
                guard case .failed(let reason) = outcome.status else { XCTFail("\(spec.kind): \(outcome.status)"); continue }
                XCTAssertTrue(reason.contains("HTTP \(status)"), reason)
                XCTAssertTrue(reason.contains("***"), "the echo was shown, redacted: \(reason)")
                assertNoSecret(Self.shown(sink, payload, outcome), "\(spec.kind) \(status)")
            }
            // The echo really held the credentials: the server got them.
            let got = server.requests.map { "\($0.path) \($0.headers)" }.joined()
            XCTAssertTrue(got.contains("wh-SECRET-token-1") && got.contains("rw-SECRET-hdr-7") && got.contains("pg-SECRET-query-3"), got)
        }
    }

    func testCloudWatchEchoHidesSignatureAndSessionToken() throws {
        let server = try TestHTTPServer(fallback: .echo(status: 400))
        defer { server.stop() }
        let creds = Credentials(accessKeyId: "AKIALOGMILLTEST", secretAccessKey: "cw-SECRET-key", sessionToken: "cw-SECRET-session-token")
        let clock = ManualClock(milliseconds: HTTPSinksTests.t0)
        var p = RetryPolicy()
        p.maxAttempts = 1
        let sink = CloudWatchSink(endpoint: URL(string: server.url)!, region: "us-east-1", credentials: CredentialProvider(static: creds),
                                  clock: clock, client: HTTPClient(policy: p, clock: clock))
        let outcome = sink.send(Self.datums)
        let shown = "\(outcome.status) \(outcome.error.map { "\($0)" } ?? "")"
        XCTAssertFalse(outcome.isDelivered)
        let auth = server.requests.first?.headers["authorization"] ?? ""
        let signature = String(auth.split(separator: "=").last ?? "")
        XCTAssertEqual(signature.count, 64, auth)
        for s in ["cw-SECRET-key", "cw-SECRET-session-token", signature] { XCTAssertFalse(shown.contains(s), "\(s) in \(shown)") }
    }

    func testPushgatewayGroupPathGoesBeforeTheQuery() throws {
        let sink = PushgatewaySink(url: "http://h:9091/base/?tenant=a&token=t0ken", job: "j", grouping: [("instance", "x/y")])
        XCTAssertEqual(sink.groupURL, "http://h:9091/base/metrics/job/j/instance@base64/eC95?tenant=a&token=t0ken")
        XCTAssertEqual(sink.label, "pushgateway http://h:9091/base/metrics/job/j/instance@base64/eC95?tenant=a&token=***")
        let server = try TestHTTPServer()
        defer { server.stop() }
        let live = PushgatewaySink(url: server.url + "/base?tenant=a", job: "j")
        XCTAssertEqual(live.send(Self.datums).status, .delivered(Self.datums.count))
        XCTAssertEqual(server.requests.first?.path, "/base/metrics/job/j?tenant=a")
    }

    // MARK: - Item 5: network errors in words

    func testNetworkErrorsAreWordsNamingTheEndpoint() throws {
        let port = TestHTTPServer.closedPort()
        let refused = HTTPSinksTests.FastClient(attempts: 2)
        let sink = OTLPSink(url: URL(string: "http://u:p-secret@127.0.0.1:\(port)/v1/metrics?api_key=k-secret")!, client: refused.client)
        let outcome = sink.send(Self.datums)
        guard case .failed(let reason) = outcome.status else { return XCTFail("\(outcome.status)") }
        XCTAssertTrue(reason.contains("http://127.0.0.1:\(port)/v1/metrics: connection refused (after 2 attempts)"), reason)
        XCTAssertFalse(reason.contains("NSURLErrorDomain") || reason.contains("secret"), reason)
        XCTAssertEqual(refused.sleeps.count, 1, "the wait between attempts went to the manual clock")
        // (A stall, "timed out after 1 s", is in testNoCredentialReachesAnotherHostOrAnyOutput.)

        let closing = try TestHTTPServer(fallback: .closeMidBody(status: 200, body: Data(String(repeating: "x", count: 100).utf8)))
        defer { closing.stop() }
        let cut = WebhookSink(url: URL(string: closing.url + "/hook")!, client: HTTPSinksTests.FastClient(attempts: 1).client).send(Self.datums)
        XCTAssertTrue("\(cut.status)".contains("connection closed before the answer"), "\(cut.status)")
    }
}
