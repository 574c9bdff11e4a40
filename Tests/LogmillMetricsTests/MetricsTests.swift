import Foundation
import XCTest
@testable import LogmillJobs
@testable import LogmillMetrics
@testable import LogmillQuery
@testable import LogmillSinks
import LogmillTestSupport

final class MappingTests: XCTestCase {
    func result(_ columns: [String], _ rows: [[Value]]) -> QueryResult {
        QueryResult(columns: columns, rows: rows, statistics: QueryStatistics(), warnings: [])
    }

    func testRowsBecomeDatumsWithBinTimeAndByDimensions() throws {
        let r = result(["bin(5m)", "fn", "peak"], [[.timestamp(1000), .string("a"), .number(5)], [.timestamp(2000), .string("b"), .null]])
        let m = MetricMapping(namespace: "NS", metrics: [.init(name: "Peak", source: .column("peak"), unit: .bytes)])
        let (d, skipped) = try m.datums(from: r, defaultTimestamp: 0)
        XCTAssertEqual(d, [MetricDatum(namespace: "NS", name: "Peak", dimensions: [("fn", "a")], timestamp: 1000, unit: .bytes, value: .single(5))])
        XCTAssertEqual(skipped, 1, "a null value is counted, not emitted")
        XCTAssertThrowsError(try MetricMapping(namespace: "NS", metrics: [.init(name: "X", source: .column("nope"))]).datums(from: r, defaultTimestamp: 0))
    }

    func testStatisticSetsAreComputedByTheQuery() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-m")
        defer { tmp.cleanup() }
        let dir = tmp.path
        var log = ""
        for (i, mb) in [10, 30, 20, 50].enumerated() {
            log += "2026-11-01T00:0\(i):00.000Z REPORT RequestId: r\(i)\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: \(mb) MB\t\n"
        }
        _ = FileManager.default.createFile(atPath: dir + "/f.log", contents: Data(log.utf8))
        let jobText = """
        name: t
        source: f.log as /aws/lambda/fn
        namespace: Test
        metric: Mem = statistics(@maxMemoryUsed) unit Bytes
        dimension: FunctionName = "fn"
        query:
        filter @type = "REPORT"
        """
        let job = try JobFile.parse(jobText, path: dir + "/t.job")
        var runner = JobRunner(output: TextBuffer())
        runner.dryRun = true
        let outcome = try runner.run(job)
        XCTAssertEqual(outcome.datums.count, 1)
        XCTAssertEqual(outcome.datums[0].value, .statistics(StatisticSet(sampleCount: 4, sum: 110e6, minimum: 10e6, maximum: 50e6)))
        XCTAssertEqual(outcome.datums[0].timestamp, 1_793_491_200_000, "bin(5m) of the job's period")
        XCTAssertEqual(outcome.datums[0].dimensions.map(\.value), ["fn"])
    }
}

final class JobFileTests: XCTestCase {
    func parseError(_ text: String) -> JobFile.ParseError? {
        do { _ = try JobFile.parse(text, path: "x.job"); return nil } catch let e as JobFile.ParseError { return e } catch { return nil }
    }

    func testErrorsNameTheLine() {
        XCTAssertEqual(parseError("name: a\nnamespce: N\nquery:\nfields x")?.line, 2)
        XCTAssertEqual(parseError("name: a\nnamespace: N\nsource: f\nmetric: M = c unit Parsecs\nquery:\nfields x")?.line, 4)
        XCTAssertEqual(parseError("namespace: N\nsource: f\nmetric: M = c\nsink: kafka x\nquery:\nfields x")?.line, 4)
        XCTAssertEqual(parseError("namespace: N\nsource: f\nmetric: M = c\nschedule: hourly\nquery:\nfields x")?.line, 4)
        XCTAssertNotNil(parseError("namespace: N\nsource: f\nmetric: M = c\n"), "no query")
        XCTAssertEqual(parseError("namespace: N\nsource: f\nmetric: M = c\nquery:\n   \n")?.message, "the query after 'query:' is empty")
    }

    func testQueryIsVerbatimAndErrorsPointIntoTheFile() throws {
        let text = "namespace: N\nsource: f.log\nmetric: M = c\nquery:\nfilter x = 1 # keep\n| stats count(*) as c by bin(5m)\n"
        let job = try JobFile.parse(text, path: "j.job")
        XCTAssertEqual(job.query, "filter x = 1 # keep\n| stats count(*) as c by bin(5m)\n")
        let bad = try JobFile.parse("namespace: N\nsource: f.log\nmetric: M = c\nquery:\nfilter x = 1\n| stast count(*)\n", path: "j.job")
        XCTAssertThrowsError(try JobRunner.plan(bad, options: QueryOptions())) { e in
            XCTAssertTrue("\(e)".hasPrefix("j.job:6:3: error: unknown command 'stast'"), "\(e)")
        }
    }
}

final class SinkTests: XCTestCase {
    let datums = [
        MetricDatum(namespace: "Logmill/Lambda", name: "MaxMemoryUsed", dimensions: [("FunctionName", "orders-api")], timestamp: 1_793_491_200_000,
                    unit: .bytes, value: .statistics(StatisticSet(sampleCount: 3, sum: 250e6, minimum: 60e6, maximum: 100e6))),
        MetricDatum(namespace: "Logmill/Lambda", name: "Errors", dimensions: [("FunctionName", "orders-api")], timestamp: 1_793_491_200_000,
                    unit: .count, value: .single(2)),
    ]

    func testEMFIsValidJSONWithTheSpecShape() throws {
        let text = EMFSink(output: TextBuffer()).render(datums)
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "same namespace, time and dimensions share one event")
        let obj = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        let aws = obj["_aws"] as! [String: Any]
        XCTAssertEqual(aws["Timestamp"] as? Int, 1_793_491_200_000)
        let directive = (aws["CloudWatchMetrics"] as! [[String: Any]])[0]
        XCTAssertEqual(directive["Namespace"] as? String, "Logmill/Lambda")
        XCTAssertEqual(directive["Dimensions"] as? [[String]], [["FunctionName"]])
        let names = (directive["Metrics"] as! [[String: Any]]).map { $0["Name"] as! String }
        XCTAssertEqual(names, ["MaxMemoryUsed.SampleCount", "MaxMemoryUsed.Sum", "MaxMemoryUsed.Minimum", "MaxMemoryUsed.Maximum", "Errors"])
        for n in names { XCTAssertNotNil(obj[n] as? NSNumber, "every metric member is a number: \(n)") }
        XCTAssertEqual(obj["FunctionName"] as? String, "orders-api")
    }

    func testPrometheusExpositionAndAtomicFile() throws {
        let text = PrometheusFileSink(path: "/unused").render(datums)
        XCTAssertTrue(text.contains("# TYPE MaxMemoryUsed_max gauge\nMaxMemoryUsed_max{namespace=\"Logmill/Lambda\",FunctionName=\"orders-api\"} 100000000 1793491200000\n"), text)
        XCTAssertTrue(text.contains("Errors{namespace=\"Logmill/Lambda\",FunctionName=\"orders-api\"} 2 1793491200000\n"))
        XCTAssertEqual(PrometheusFileSink.sanitize("9 lives.count", label: false), "_9_lives_count")
        let tmp = TemporaryDirectory(prefix: "logmill-p")
        defer { tmp.cleanup() }
        let dir = tmp.path
        let path = dir + "/sub/m.prom"
        try PrometheusFileSink(path: path).emit(datums)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), text)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/sub"), ["m.prom"], "no temporary file left behind")
    }
}
