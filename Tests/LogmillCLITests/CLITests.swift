import Foundation
import XCTest
import LogmillTestSupport

/// Runs the built `logmill` binary the way users do.
final class CLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    typealias Output = LogmillProcess.Output

    func logmill(_ args: [String], stdin: Data? = nil, cwd: String = CLITests.root) throws -> Output {
        try LogmillProcess.run(args, stdin: stdin, cwd: cwd)
    }

    func json(_ s: String) throws -> [[String: Any]] {
        try JSONSerialization.jsonObject(with: Data(s.utf8)) as! [[String: Any]]
    }

    func testQueryOverFixturesCountsEveryFormatAndGzip() throws {
        let r = try logmill(["query", "--format", "json", "filter @type = \"REPORT\" | stats count(*) as n", "fixtures/lambda"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // The generator's README states the REPORT counts; recount them here from the raw files.
        var expected = 0
        for f in ["orders-api.log", "payments-worker.log"] {
            let text = try String(contentsOfFile: CLITests.root + "/fixtures/lambda/" + f, encoding: .utf8)
            expected += text.components(separatedBy: "\n").filter { $0.contains(" REPORT RequestId: ") }.count
        }
        let events = try String(contentsOfFile: CLITests.root + "/fixtures/lambda/checkout-events.jsonl", encoding: .utf8)
        expected += events.components(separatedBy: "\n").filter { $0.contains("\"message\": \"REPORT RequestId: ") }.count
        for gz in ["orders-api-archive.log.gz", "multi-member.log.gz"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "gzip -dc '\(CLITests.root)/fixtures/lambda/\(gz)' | grep -c ' REPORT RequestId: '"]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            p.waitUntilExit()
            expected += Int(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))!
        }
        XCTAssertEqual(try json(r.stdout).first?["n"] as? Int, expected)
    }

    func testStdinFormatsAndStats() throws {
        let input = Data("2026-11-01T00:00:00.000Z hello\n2026-11-01T00:00:01.000Z world\n".utf8)
        let csv = try logmill(["query", "--format", "csv", "--stats", "fields @message | sort @timestamp asc", "-"], stdin: input)
        XCTAssertEqual(csv.status, 0, csv.stderr)
        XCTAssertEqual(csv.stdout, "@message\nhello\nworld\n")
        XCTAssertTrue(csv.stderr.contains("records scanned: 2, matched: 2"), csv.stderr)
        // A prefiltered query still counts every line for --stats (without it, only the lines read).
        let filtered = try logmill(["query", "--format", "csv", "--stats", "filter @message like \"world\" | stats count(*)", "-"], stdin: input)
        XCTAssertEqual(filtered.stdout, "count(*)\n1\n")
        XCTAssertTrue(filtered.stderr.contains("records scanned: 2, matched: 1"), filtered.stderr)
        let nd = try logmill(["query", "--format", "ndjson", "stats count(*) by bin(1h)", "-"], stdin: input)
        XCTAssertEqual(nd.stdout, "{\"bin(1h)\":\"2026-11-01 00:00:00.000\",\"count(*)\":2}\n")
    }

    func testErrorsAndExitCodes() throws {
        let bad = try logmill(["query", "fields @message | fitler x = 1", "fixtures/lambda"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("query:1:19: error: unknown command 'fitler'"), bad.stderr)
        XCTAssertTrue(bad.stderr.contains("did you mean 'filter'?"))
        XCTAssertEqual(try logmill(["query", "fields @message", "no/such/file.log"]).status, 2)
        XCTAssertEqual(try logmill(["query", "--bogus", "fields x", "-"]).status, 2)
        XCTAssertEqual(try logmill(["frobnicate"]).status, 2)
        for cmd in ["query", "run", "validate"] {
            let h = try logmill([cmd, "--help"])
            XCTAssertEqual(h.status, 0)
            XCTAssertTrue(h.stdout.contains("usage: logmill \(cmd)"), h.stdout)
        }
    }

    func testCorruptGzipIsReportedAndEarlierLinesCount() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-cli")
        defer { tmp.cleanup() }
        let dir = tmp.path
        let whole = try Data(contentsOf: URL(fileURLWithPath: CLITests.root + "/fixtures/lambda/orders-api-archive.log.gz"))
        _ = FileManager.default.createFile(atPath: dir + "/cut.gz", contents: whole.prefix(whole.count * 2 / 3))
        let r = try logmill(["query", "--format", "json", "stats count(*) as n", dir + "/cut.gz"])
        XCTAssertEqual(r.status, 1, "the query ran but an input was damaged")
        XCTAssertTrue(r.stderr.contains("cut.gz: corrupt gzip data at compressed byte offset"), r.stderr)
        XCTAssertGreaterThan(try json(r.stdout).first?["n"] as? Int ?? 0, 0)
    }

    func testTruncatedCloudTrailReadsCompleteRecordsAndExitsOne() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-cli")
        defer { tmp.cleanup() }
        let events = (0..<10).map { #"{"eventTime":"2026-11-01T00:00:0\#($0)Z","eventName":"E\#($0)"}"# }
        let whole = #"{"Records":["# + events.joined(separator: ",") + "]}"
        let path = tmp.path + "/trail.json"
        _ = FileManager.default.createFile(atPath: path, contents: Data(whole.utf8.prefix(whole.utf8.count - 20)))
        let r = try logmill(["query", "--format", "json", "stats count(*) as n", path])
        XCTAssertEqual(r.status, 1, "an input was cut: " + r.stderr)
        XCTAssertTrue(r.stderr.contains("trail.json: truncated cloudtrail input"), r.stderr)
        XCTAssertEqual(try json(r.stdout).first?["n"] as? Int, 9, "the nine complete records before the cut")
        XCTAssertTrue(r.stderr.contains("starts at byte 0"), r.stderr)
    }

    func testJSONLinesTimestampsAndTimestampField() throws {
        let lines = [#"{"timestamp":"2026-11-01T00:01:00Z","msg":"a"}"#, #"{"timestamp":"2026-11-01T02:07:00+02:00","msg":"b"}"#,
                     #"{"ts":1793491800,"msg":"c"}"#, #"{"time":1793491830000,"msg":"d"}"#, #"{"timestamp":"soon","msg":"e"}"#]
        let input = Data((lines.joined(separator: "\n") + "\n").utf8)
        let r = try logmill(["query", "--format", "ndjson", "--stats", "stats count(*) as n by bin(5m)", "-"], stdin: input)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(Set(r.stdout.split(separator: "\n").map(String.init)),
                       [#"{"bin(5m)":"2026-11-01 00:00:00.000","n":1}"#, #"{"bin(5m)":"2026-11-01 00:05:00.000","n":1}"#,
                        #"{"bin(5m)":"2026-11-01 00:10:00.000","n":2}"#, #"{"n":1}"#])
        XCTAssertTrue(r.stderr.contains("lines not fitting their format: 1"), r.stderr)
        let offset = lines.prefix(4).reduce(0) { $0 + $1.utf8.count + 1 }
        XCTAssertTrue(r.stderr.contains("byte \(offset): a time that cannot be read"), r.stderr)
        let named = Data(#"{"timestamp":"x","at":"2026-11-01T00:10:00Z"}"#.utf8 + [0x0a])
        let n = try logmill(["query", "--format", "ndjson", "--timestamp-field", "at", "stats count(*) as n by bin(5m)", "-"], stdin: named)
        XCTAssertEqual(n.status, 0, n.stderr)
        XCTAssertEqual(n.stdout, #"{"bin(5m)":"2026-11-01 00:10:00.000","n":1}"# + "\n")
        // The same in a job file.
        let tmp = TemporaryDirectory(prefix: "logmill-cli")
        defer { tmp.cleanup() }
        _ = FileManager.default.createFile(atPath: tmp.path + "/app.jsonl", contents: named)
        let job = "namespace: T\nstart: 2026-11-01T00:00:00Z\nsource: app.jsonl\ntimestamp-field: at\nmetric: N = n unit Count\nsink: emf\nquery:\nstats count(*) as n by bin(5m)\n"
        _ = FileManager.default.createFile(atPath: tmp.path + "/t.job", contents: Data(job.utf8))
        let run = try logmill(["run", "--dry-run", tmp.path + "/t.job"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("\"Timestamp\":1793491800000"), run.stdout)
        XCTAssertTrue(try logmill(["query", "--help"]).stdout.contains("--timestamp-field"))
        XCTAssertTrue(try logmill(["run", "--help"]).stdout.contains("--timestamp-field"))
    }

    func testMixedALBAndNLBLinesAreCounted() throws {
        let alb = #"https 2026-11-01T00:00:05.123456Z app/my-lb/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2"#
        let nlb = "tls 2.0 2026-11-01T00:00:05 net/my-nlb/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19 - ECDHE-RSA-AES128-SHA tlsv12 -"
        let input = Data(([alb, alb, alb, nlb].joined(separator: "\n") + "\n").utf8)
        let r = try logmill(["query", "--format", "ndjson", "--stats", "stats count(*) as n by elb_status_code", "-"], stdin: input)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, #"{"elb_status_code":"200","n":3}"# + "\n" + #"{"n":1}"# + "\n", "the NLB line has no ALB fields")
        XCTAssertTrue(r.stderr.contains("lines not fitting their format: 1"), r.stderr)
        XCTAssertTrue(r.stderr.contains("does not fit the ALB access log format"), r.stderr)
    }

    func testExampleJobsValidateAndRun() throws {
        let v = try logmill(["validate"] + ["queries/lambda-max-memory.job", "queries/lambda-errors.job", "queries/s3-requests.job"])
        XCTAssertEqual(v.status, 0, v.stderr)
        let r = try logmill(["run", "--dry-run", "queries/lambda-errors.job"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let emf = r.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }
        XCTAssertFalse(emf.isEmpty)
        var total = 0
        for line in emf {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            total += o["Errors"] as! Int
        }
        // Every ERROR application line and every timeout in the three plain/JSON fixtures, counted directly.
        var expected = 0
        for f in ["orders-api.log", "payments-worker.log", "checkout-events.jsonl"] {
            let text = try String(contentsOfFile: CLITests.root + "/fixtures/lambda/" + f, encoding: .utf8)
            expected += text.components(separatedBy: "\n").filter { $0.contains("\tERROR\t") || $0.contains("\\tERROR\\t") || $0.contains("Task timed out") }.count
        }
        XCTAssertEqual(total, expected)
        let badJob = try logmill(["validate", "Tests/jobs/bad.job"])
        XCTAssertEqual(badJob.status, 2)
        XCTAssertTrue(badJob.stderr.contains("bad.job:4:"), badJob.stderr)
    }

    func testConformanceCases() throws {
        let shared = CLITests.root + "/../shared/conformance"
        guard FileManager.default.fileExists(atPath: shared + "/run.py") else {
            throw XCTSkip("../shared/conformance (the shared folder next to this checkout) is absent; put the shared folder beside the repository to run the Insights conformance cases")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", shared + "/run.py", LogmillProcess.binary, shared + "/cases", "--known-failures", CLITests.root + "/Tests/conformance-expected-failures.txt"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, out)
    }
}
