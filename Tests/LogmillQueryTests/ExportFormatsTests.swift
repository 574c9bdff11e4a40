import Foundation
import XCTest
@testable import LogmillQuery
import LogmillSources
import LogmillTestSupport

/// The other ways people save CloudWatch logs: Logs Insights and Live Tail CSV downloads, and
/// CloudWatch export archives (`<task>/<stream>/000000.gz`).
final class ExportFormatsTests: XCTestCase {
    var tmp: TemporaryDirectory!
    var dir: String { tmp.path }
    override func setUp() { tmp = TemporaryDirectory(prefix: "logmill-exp") }
    override func tearDown() { tmp.cleanup() }

    func run(_ q: String, _ path: String) throws -> [[String: String]] {
        let r = try QueryEngine(text: q).run(try SourceArguments.objects([path]))
        XCTAssertEqual(r.statistics.parseFailures, 0)
        return r.rows.map { row in
            var d: [String: String] = [:]
            for (c, v) in zip(r.columns, row) { if let t = v.render() { d[c] = t } }
            return d
        }
    }

    func testLogsInsightsCSV() throws {
        let csv = "@timestamp,@message,@logStream,@log\r\n" +
            "2026-11-01 00:00:01.000,\"REPORT RequestId: a\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t\n\",s-1,123456789012:/aws/lambda/fn\r\n" +
            "2026-11-01 00:00:02.000,\"said \"\"hi\"\", then\nleft\",s-2,123456789012:/aws/lambda/fn\r\n"
        _ = FileManager.default.createFile(atPath: dir + "/insights.csv", contents: Data(csv.utf8))
        let rows = try run("fields @timestamp, @logStream, @log, @duration, @message | sort @timestamp asc", dir + "/insights.csv")
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows[0]["@timestamp"], "2026-11-01 00:00:01.000")
        XCTAssertEqual(rows[0]["@logStream"], "s-1")
        XCTAssertEqual(rows[0]["@log"], "123456789012:/aws/lambda/fn")
        XCTAssertEqual(rows[0]["@duration"], "12.5")
        XCTAssertEqual(rows[1]["@message"], "said \"hi\", then\nleft")
    }

    func testLiveTailCSVWithMessageNotLast() throws {
        let csv = "Event Time,Message,Log group,Log stream\n" +
            "2026-11-01T00:00:01.000Z,\"START RequestId: x1 Version: $LATEST\n\",/aws/lambda/fn,2026/11/01/[$LATEST]abc\n" +
            "2026-11-01T00:00:02.000Z,\"END RequestId: x1\n\",/aws/lambda/fn,2026/11/01/[$LATEST]abc\n"
        _ = FileManager.default.createFile(atPath: dir + "/live-tail-results.csv", contents: Data(csv.utf8))
        let rows = try run("fields @type, @requestId, @log, @logStream | sort @timestamp asc", dir + "/live-tail-results.csv")
        XCTAssertEqual(rows.map { $0["@type"] ?? "-" }, ["START", "END"])
        XCTAssertEqual(rows.map { $0["@requestId"] ?? "-" }, ["x1", "x1"])
        XCTAssertEqual(rows[0]["@log"], "/aws/lambda/fn")
        XCTAssertEqual(rows[0]["@logStream"], "2026/11/01/[$LATEST]abc")
    }

    func testExportArchiveLayoutGivesTheStream() throws {
        let stream = dir + "/exportTask-1/2026-11-01-[$LATEST]0f1e2d"
        try FileManager.default.createDirectory(atPath: stream, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "printf '2026-11-01T00:00:00.000Z END RequestId: q\\n' | gzip -n > '\(stream)/000000.gz'"]
        try p.run()
        p.waitUntilExit()
        let rows = try run("fields @logStream, @type", dir + "/exportTask-1")
        XCTAssertEqual(rows, [["@logStream": "2026-11-01-[$LATEST]0f1e2d", "@type": "END"]])
    }
}
