import Foundation
import LogmillAWS
import LogmillMetrics
import LogmillSinks
import LogmillTestSupport
import LogmillTime
import XCTest

/// `remote-write … sigv4=true`: requests signed for Amazon Managed Service for Prometheus (service
/// `aps`), checked by a local receiver that has botocore (an independent SigV4 implementation)
/// recompute the Authorization header from what arrived.
final class RemoteWriteSigV4Tests: XCTestCase {
    let environment = ["AWS_ACCESS_KEY_ID": "AKIAEXAMPLELOGMILL", "AWS_SECRET_ACCESS_KEY": "s3cr3t/Key+With=Chars",
                       "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEBYaDH+/token==", "HOME": "/nonexistent"]

    func datums() -> [MetricDatum] {
        [MetricDatum(namespace: "Logmill/Test", name: "Errors", dimensions: [("FunctionName", "orders-api")], timestamp: 1_793_491_200_000,
                     unit: .count, value: .single(3)),
         MetricDatum(namespace: "Logmill/Test", name: "Errors", dimensions: [("FunctionName", "orders-api")], timestamp: 1_793_491_500_000,
                     unit: .count, value: .single(5))]
    }

    func testSignedRequestsMatchBotocoreForTheApsService() throws {
        let server = try TestHTTPServer(script: [], fallback: .status(200, ""))
        defer { server.stop() }
        let line = "remote-write \(server.url)/workspaces/ws-1234/api/v1/remote_write sigv4=true region=eu-west-1"
        let c = try SinkRegistry.parse(SinkSpec.parse(line.split(separator: " ").map(String.init), line: 1)!)
        let clock = ManualClock(milliseconds: 1_768_471_500_000)   // 2026-01-15T10:05:00Z
        let sink = try SinkRegistry.make(c, context: SinkContext(clock: clock, output: TextBuffer(), environment: environment))
        let outcome = sink.deliver(sink.encode(datums()))
        XCTAssertTrue(outcome.isDelivered, "\(outcome.status)")
        let request = try XCTUnwrap(server.requests.first)
        func header(_ name: String) -> String? { request.headers.first { $0.key.lowercased() == name.lowercased() }?.value }
        let authorization = try XCTUnwrap(header("Authorization"))
        XCTAssertTrue(authorization.contains("Credential=AKIAEXAMPLELOGMILL/20260115/eu-west-1/aps/aws4_request"), authorization)
        XCTAssertEqual(header("X-Amz-Date"), "20260115T100500Z")
        XCTAssertEqual(header("X-Amz-Security-Token"), "FwoGZXIvYXdzEBYaDH+/token==")
        let signed = authorization.components(separatedBy: "SignedHeaders=")[1].components(separatedBy: ",")[0].split(separator: ";").map(String.init)
        XCTAssertTrue(signed.contains("content-encoding") && signed.contains("content-type") && signed.contains("host"), "\(signed)")
        var headers: [String: String] = [:]
        for name in signed where name != "host" { headers[name] = header(name) }
        let theirs = try botocore(url: server.url + request.path, body: request.body, headers: headers, token: environment["AWS_SESSION_TOKEN"]!)
        XCTAssertEqual(authorization, theirs)
    }

    /// Without a region anywhere, a signed sink says what it needs; an AMP URL names its region.
    func testRegionComesFromTheOptionTheEnvironmentOrTheWorkspaceURL() throws {
        func deliver(_ url: String, _ extra: [String] = []) throws -> SinkOutcome {
            let c = try SinkRegistry.parse(SinkSpec.parse(["remote-write", url, "sigv4=true", "attempts=1", "timeout=2"] + extra, line: 1)!)
            let sink = try SinkRegistry.make(c, context: SinkContext(clock: ManualClock(), output: TextBuffer(), environment: environment))
            return sink.deliver(sink.encode(datums()))
        }
        let noRegion = try deliver("http://127.0.0.1:\(TestHTTPServer.closedPort())/api/v1/write")
        XCTAssertTrue("\(noRegion.status)".contains("sigv4=true needs a region"), "\(noRegion.status)")
        XCTAssertThrowsError(try SinkRegistry.parse(SinkSpec.parse(["remote-write", "http://x/w", "region=eu-west-1"], line: 1)!)) {
            XCTAssertTrue("\($0)".contains("region= and profile= go with sigv4=true"), "\($0)")
        }
        XCTAssertThrowsError(try SinkRegistry.parse(SinkSpec.parse(["remote-write", "http://x/w", "sigv4=true", "bearer-token=t"], line: 1)!)) {
            XCTAssertTrue("\($0)".contains("leave out bearer-token="), "\($0)")
        }
    }

    /// botocore's SigV4Auth for `aps`, on the request as it arrived (body base64, fixed date).
    func botocore(url: String, body: Data, headers: [String: String], token: String) throws -> String {
        let script = """
        import sys, json, base64, datetime
        from unittest import mock
        import botocore.auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        a = json.loads(sys.argv[1])
        creds = Credentials(a['ak'], a['sk'], a['token'])
        req = AWSRequest(method='POST', url=a['url'], data=base64.b64decode(a['body']), headers=a['headers'])
        fixed = datetime.datetime(2026, 1, 15, 10, 5, 0, tzinfo=datetime.timezone.utc)
        with mock.patch('botocore.auth.get_current_datetime', return_value=fixed):
            botocore.auth.SigV4Auth(creds, 'aps', 'eu-west-1').add_auth(req)
        print(req.headers['Authorization'])
        """
        var h = headers
        h.removeValue(forKey: "x-amz-date")
        h.removeValue(forKey: "x-amz-security-token")
        let args: [String: Any] = ["url": url, "body": body.base64EncodedString(), "ak": environment["AWS_ACCESS_KEY_ID"]!,
                                   "sk": environment["AWS_SECRET_ACCESS_KEY"]!, "token": token, "headers": h]
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, String(decoding: try JSONSerialization.data(withJSONObject: args), as: UTF8.self)]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            if e.contains("No module named") { throw XCTSkip("python3 lacks botocore (pip install botocore, or .ci/peers.sh install_peers, which installs it with moto): \(e)") }
            XCTFail("python3 failed: \(e)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
