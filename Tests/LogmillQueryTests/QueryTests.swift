import LogmillTime
import Foundation
import XCTest
@testable import LogmillQuery
@testable import LogmillRecords
import LogmillSources
import LogmillTestSupport

final class ParserTests: XCTestCase {
    func error(_ q: String) -> QueryError? {
        do { _ = try QueryEngine(text: q); return nil } catch let e as QueryError { return e } catch { return nil }
    }

    func testErrorsCarryLineColumnCaretAndHint() {
        let e = error("fields @message\n| fitler @message like /x/")!
        XCTAssertEqual(e.location?.line, 2)
        XCTAssertEqual(e.location?.column, 3)
        XCTAssertEqual(e.hint, "did you mean 'filter'?")
        XCTAssertTrue(e.description.contains("query:2:3: error: unknown command 'fitler'"), e.description)
        XCTAssertTrue(e.description.contains("\n  | fitler @message like /x/\n    ^"), e.description)
    }

    func testUnknownAndForeignFunctions() {
        XCTAssertEqual(error("fields strln(@message)")?.hint, "did you mean 'strlen'?")
        XCTAssertEqual(error("stats percentile(@duration, 95)")?.hint, "use pct(field, 95)")
        XCTAssertNotNil(error("filter sum(x) > 1"), "aggregates outside stats")
        XCTAssertNotNil(error("fields abs()"), "wrong arity")
    }

    func testMalformedQueries() {
        XCTAssertEqual(error("filter (a = 1")?.location?.column, 14)
        XCTAssertNotNil(error("filter @message like \"open"))
        XCTAssertNotNil(error("filter @message like /(unclosed/"))
        XCTAssertNotNil(error("parse @message \"* *\" as one"))
        XCTAssertNotNil(error("stats count(*) by bin(5parsecs)"))
        XCTAssertNotNil(error("dedup a | sort a"))
        XCTAssertNotNil(error("limit 200000"))
        XCTAssertNotNil(error(""))
        XCTAssertTrue(error("fields x | anomaly")!.message.contains("not supported by logmill"))
    }

    func testCommentsCaseAndRegexVersusDivision() throws {
        let q = try QueryParser.parse("# a comment\nFIELDS @duration / 1000 as s # trailing\n| FILTER @message LIKE /a\\/b/ and x = \"#\"")
        XCTAssertEqual(q.commands.count, 2)
        guard case .fields(let items) = q.commands[0].kind, case .binary("/", _, _) = items[0].expr.kind else { return XCTFail("division") }
        guard case .filter(let f) = q.commands[1].kind, case .binary("and", let l, _) = f.kind, case .like(_, let r, _) = l.kind,
              case .regex(let re) = r.kind else { return XCTFail("regex") }
        XCTAssertEqual(re, "a/b")
    }

    func testColumnNamesAreExpressionText() throws {
        let plan = try QueryEngine(text: "stats count(*), avg(@duration) as avgMs by bin(5m)").plan
        XCTAssertEqual(plan.columns, ["bin(5m)", "count(*)", "avgMs"])
    }

    func testPrefilterLiterals() throws {
        XCTAssertEqual(try QueryEngine(text: "filter @type = \"REPORT\" | stats count(*)").plan.prefilterLiterals, ["REPORT RequestId: "])
        XCTAssertEqual(try QueryEngine(text: "filter @message like /ERROR/").plan.prefilterLiterals, ["ERROR"])
        XCTAssertEqual(try QueryEngine(text: "filter @message like \"a\" or @message like \"bb\"").plan.prefilterLiterals, ["a", "bb"])
        XCTAssertNil(try QueryEngine(text: "filter @message not like \"a\"").plan.prefilterLiterals)
        XCTAssertNil(try QueryEngine(text: "filter @message like \"a\" or x = 1").plan.prefilterLiterals)
        // A field read from the record: its text, or a line with a JSON \u escape, which could spell it.
        XCTAssertEqual(try QueryEngine(text: "filter level = \"ERROR\" | stats count(*)").plan.prefilterLiterals, ["ERROR", "\\u"])
        XCTAssertNil(try QueryEngine(text: "filter path = \"/api\"").plan.prefilterLiterals, "'/' may be written \\/ in JSON")
        XCTAssertNil(try QueryEngine(text: "fields tolower(level) as lv | filter lv = \"error\"").plan.prefilterLiterals,
                     "a computed field's text need not be in the line")
    }

    /// The field prefilter never drops a matching line: JSON values written with escapes, values in
    /// nested objects, positional S3 fields; and lines that only mention the text elsewhere still
    /// go through the real filter.
    func testFieldPrefilterKeepsEveryMatchingLine() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-field-prefilter")
        defer { tmp.cleanup() }
        let lines = [
            #"{"timestamp":"2026-11-01T00:00:01Z","level":"ERROR","service":"a","latency_ms":5}"#,
            #"{"timestamp":"2026-11-01T00:00:02Z","level":"\u0045RROR","service":"a","latency_ms":7}"#,
            #"{"timestamp":"2026-11-01T00:00:03Z","level":"INFO","service":"a","msg":"no ERROR here","latency_ms":9}"#,
            #"{"timestamp":"2026-11-01T00:00:04Z","ctx":{"level":"ERROR"},"level":"WARN","latency_ms":11}"#,
            #"{"timestamp":"2026-11-01T00:00:05Z","level":"ERR\u004fR","latency_ms":13}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: tmp.path + "/app.jsonl", atomically: true, encoding: .utf8)
        func count(_ q: String) throws -> String {
            let result = try QueryEngine(text: q).run(try SourceArguments.objects([tmp.path + "/app.jsonl"]))
            return result.rows.map { $0.map { $0.text ?? "-" }.joined(separator: ",") }.joined(separator: ";")
        }
        XCTAssertEqual(try count("filter level = \"ERROR\" | stats count(*) as n, sum(latency_ms) as s"), "3,25.0")
        XCTAssertEqual(try count("filter ctx.level = \"ERROR\" | stats count(*) as n"), "1")
        XCTAssertEqual(try count("filter level like \"RR\" | stats count(*) as n"), "3")
    }
}

/// S3 access-log and VPC flow fields read by position from the decoder's split of the line: the same
/// values as the split into a field table gave, with quoted fields, escaped quotes, `-` as missing,
/// tabs and a line that does not fit its type.
final class PositionalFieldTests: XCTestCase {
    func testFieldsByPositionMatchTheFullSplit() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-positional")
        defer { tmp.cleanup() }
        let owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
        let lines = [
            "\(owner) demo [01/Nov/2026:00:00:51 +0000] 192.0.2.1 arn:aws:iam::1:user/x ID1 REST.GET.OBJECT a/b.txt \"GET /demo/a/b.txt HTTP/1.1\" 200 - 1000 1000 15 7 \"-\" \"agent \\\"quoted\\\" x\" - HOST= SigV4 TLS_AES AuthHeader demo.s3.amazonaws.com TLSv1.3 - -",
            "\(owner) demo [01/Nov/2026:00:01:00 +0000] 192.0.2.2 - ID2 REST.PUT.OBJECT c.pdf \"PUT /demo/c.pdf HTTP/1.1\" 404 NoSuchKey - - 9 - \"-\" \"aws-cli/2\" - HOST= SigV4 TLS_AES AuthHeader demo.s3.amazonaws.com TLSv1.3 - -",
            "\(owner) demo [01/Nov/2026:00:02:00 +0000] 192.0.2.3 - ID3 S3.EXPIRE.OBJECT d.log - 200 - - 5 - - \"-\" \"-\" - HOST= - - - - - - -",
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: tmp.path + "/access.log", atomically: true, encoding: .utf8)
        let q = "fields operation, key, httpStatus, errorCode, bytesSent, requestUri, userAgent, requester, tlsVersion | sort @timestamp asc"
        let result = try QueryEngine(text: q).run(try SourceArguments.objects([tmp.path + "/access.log"]))
        let rows = result.rows.map { $0.map { $0.text ?? "null" }.joined(separator: "|") }
        XCTAssertEqual(rows, [
            "REST.GET.OBJECT|a/b.txt|200|null|1000|GET /demo/a/b.txt HTTP/1.1|agent \\\"quoted\\\" x|arn:aws:iam::1:user/x|TLSv1.3",
            "REST.PUT.OBJECT|c.pdf|404|NoSuchKey|null|PUT /demo/c.pdf HTTP/1.1|aws-cli/2|null|TLSv1.3",
            "S3.EXPIRE.OBJECT|d.log|200|null|null|null|null|null|null",
        ])
        let stats = try QueryEngine(text: "stats count(*) as n, sum(bytesSent) as b by operation | sort operation")
            .run(try SourceArguments.objects([tmp.path + "/access.log"]))
        XCTAssertEqual(stats.rows.map { $0.map { $0.text ?? "null" }.joined(separator: ",") },
                       ["REST.GET.OBJECT,1,1000.0", "REST.PUT.OBJECT,1,null", "S3.EXPIRE.OBJECT,1,null"])
    }
}

final class ValueTests: XCTestCase {
    func testJavaDoubleRendering() {
        let cases: [(Double, String)] = [(15, "15.0"), (14.97, "14.97"), (1.28e8, "1.28E8"), (6.7e7, "6.7E7"), (1e7, "1.0E7"),
                                         (9_999_999, "9999999.0"), (0.001, "0.001"), (0.0001, "1.0E-4"), (-2.5, "-2.5"),
                                         (0, "0.0"), (123456789.125, "1.23456789125E8"), (1.5e-5, "1.5E-5")]
        for (d, s) in cases { XCTAssertEqual(formatJavaDouble(d), s, "\(d)") }
    }

    func testComparisonCoercion() {
        XCTAssertEqual(Value.compare(.string("200"), .number(200)), 0)
        XCTAssertEqual(Value.compare(.string("abc"), .string("abd")), -1)
        XCTAssertEqual(Value.compare(.string("10"), .string("9")), 1, "numeric text compares as numbers")
        XCTAssertNil(Value.compare(.null, .number(1)))
    }

    func testNaturalSortDocumentedSequence() {
        let expected = ["!:", "#", "*%04", "0#", "5A", "111A", "2345_", "@", "@_", "A", "A9876fghj", "a12345hfh", "0", "01", "1", "2", "3"]
        let shuffled = expected.shuffled()
        let sorted = shuffled.map { Value.string($0) }.sorted { NaturalOrder.compare($0, $1) < 0 }.map { $0.text! }
        XCTAssertEqual(sorted, expected)
    }

    func testPeriodsAndBins() {
        XCTAssertEqual(Period.parse("5m"), Period(unit: .fixed, amount: 300_000))
        XCTAssertEqual(Period.parse("2hours"), Period(unit: .fixed, amount: 7_200_000))
        XCTAssertEqual(Period.parse("100ms"), Period(unit: .fixed, amount: 100))
        XCTAssertEqual(Period.parse("1mo"), Period(unit: .month, amount: 1))
        XCTAssertNil(Period.parse("5x"))
        let t = Timestamps.parseISO8601("2026-11-19T13:47:12.345Z")!   // a Thursday
        XCTAssertEqual(Timestamps.render(Period.parse("5m")!.floor(t)), "2026-11-19 13:45:00.000")
        XCTAssertEqual(Timestamps.render(Period.parse("1w")!.floor(t)), "2026-11-16 00:00:00.000", "weeks start on Monday")
        XCTAssertEqual(Timestamps.render(Period.parse("1q")!.floor(t)), "2026-10-01 00:00:00.000")
        XCTAssertEqual(Timestamps.render(Period.parse("1y")!.floor(t)), "2026-01-01 00:00:00.000")
        XCTAssertEqual(Timestamps.render(Period.parse("1h")!.ceil(t)), "2026-11-19 14:00:00.000")
        XCTAssertEqual(Timestamps.render(Period.parse("1mo")!.ceil(t)), "2026-12-01 00:00:00.000")
    }
}

final class EngineTests: XCTestCase {
    var tmp: TemporaryDirectory!
    var dir: String { tmp.path }
    override func setUp() { tmp = TemporaryDirectory(prefix: "logmill-q") }
    override func tearDown() { tmp.cleanup() }

    /// A synthetic Lambda log: `n` invocations, one every 37 s, memory cycling 60..99 MB.
    func lambdaLog(_ n: Int) -> String {
        var out = ""
        let base: Int64 = 1_793_491_200_000
        for i in 0..<n {
            let t = base + Int64(i) * 37_000
            let id = "req-\(i)"
            out += Timestamps.renderISO(t) + " START RequestId: \(id) Version: $LATEST\n"
            if i % 10 == 3 { out += Timestamps.renderISO(t + 5) + " " + Timestamps.renderISO(t + 5) + "\t\(id)\tERROR\tboom \(i)\n" }
            out += Timestamps.renderISO(t + 10) + " END RequestId: \(id)\n"
            out += Timestamps.renderISO(t + 11) + " REPORT RequestId: \(id)\tDuration: \(Double(i % 7) + 0.25) ms\tBilled Duration: \(i % 7 + 1) ms\tMemory Size: 128 MB\tMax Memory Used: \(60 + i % 40) MB\t\n"
        }
        return out
    }

    func run(_ q: String, _ text: String, workers: Int = 1, split: Int = 8 << 20) throws -> QueryResult {
        let p = dir + "/in-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        var o = QueryOptions()
        o.scan.workers = workers
        o.scan.splitSize = split
        o.scan.chunkSize = 64 * 1024
        return try QueryEngine(text: q, options: o).run(try SourceArguments.objects([p]))
    }

    func testStatsByBinAgainstDirectComputation() throws {
        let n = 500
        let r = try run("filter @type = \"REPORT\" | stats count(*) as c, max(@maxMemoryUsed) as m, avg(@duration) as d by bin(5m)", lambdaLog(n))
        // Expected from the generator's arithmetic.
        var buckets: [Int64: (Int, Int, Double)] = [:]
        for i in 0..<n {
            let t = 1_793_491_200_000 + Int64(i) * 37_000 + 11
            let b = t - t % 300_000
            var e = buckets[b] ?? (0, 0, 0)
            e.0 += 1; e.1 = max(e.1, 60 + i % 40); e.2 += Double(i % 7) + 0.25
            buckets[b] = e
        }
        XCTAssertEqual(r.columns, ["bin(5m)", "c", "m", "d"])
        XCTAssertEqual(r.rows.count, buckets.count)
        for row in r.rows {
            guard case .timestamp(let b) = row[0], let e = buckets[b] else { return XCTFail("bad bin \(row[0])") }
            XCTAssertEqual(row[1].number, Double(e.0))
            XCTAssertEqual(row[2].number, Double(e.1) * 1_000_000)
            XCTAssertEqual(row[3].number!, e.2 / Double(e.0), accuracy: 1e-9)
        }
        XCTAssertEqual(r.statistics.recordsMatched, n)
        XCTAssertEqual(r.statistics.recordsScanned, n * 3 + n / 10)
    }

    /// The record phase's shortcuts (`@type` tests on plain values, REPORT numbers folded into the
    /// aggregates without values, a bin's bounds kept between rows) answer exactly as the general
    /// evaluation does: each query is run as written and in a form that defeats every shortcut.
    func testShortcutsAnswerAsTheGeneralEvaluation() throws {
        // Lines out of time order (bins revisited), cold starts with Init Duration, timeouts with no
        // Max Memory Used, and X-Ray segments.
        var text = lambdaLog(700)
        text += "2026-11-01T00:01:00.000Z REPORT RequestId: late-1\tDuration: 7.5 ms\tBilled Duration: 8 ms\tMemory Size: 128 MB\tMax Memory Used: 99 MB\tInit Duration: 250.25 ms\t\nXRAY TraceId: 1-abc\tSegmentId: def\tSampled: true\n"
        text += "2026-11-01T03:00:00.000Z REPORT RequestId: late-2\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tStatus: timeout\n"
        text += "2026-11-01T00:02:00.000Z REPORT RequestId: late-3\tDuration: 1.000000000000000001 ms\tBilled Duration: 1e1 ms\tMemory Size: 128 MB\tMax Memory Used: 0012 MB\t\n"
        let pairs: [(String, String)] = [
            ("filter @type = \"REPORT\" | stats count(*), count(@maxMemoryUsed), sum(@duration), avg(@billedDuration), min(@maxMemoryUsed), max(@initDuration), pct(@duration, 90) by bin(5m)",
             "filter concat(@type, \"\") = \"REPORT\" | stats count(*), count(@maxMemoryUsed + 0), sum(@duration + 0), avg(@billedDuration + 0), min(@maxMemoryUsed + 0), max(@initDuration + 0), pct(@duration + 0, 90) by datefloor(@timestamp, 5m)"),
            ("filter @type != \"REPORT\" | stats count(*) by bin(1h)", "filter concat(@type, \"\") != \"REPORT\" | stats count(*) by datefloor(@timestamp, 1h)"),
            ("filter @type = \"START\" | stats count(*)", "filter concat(@type, \"\") = \"START\" | stats count(*)"),
            ("filter @type = \"report\" | stats count(*)", "filter concat(@type, \"\") = \"report\" | stats count(*)"),
            ("filter @type != \"nothing\" | stats count(*)", "filter concat(@type, \"\") != \"nothing\" | stats count(*)"),
            ("filter @type = \"REPORT\" | stats count(@xrayTraceId), count(@initDuration), sum(@memorySize) by bin(30m)",
             "filter concat(@type, \"\") = \"REPORT\" | stats count(concat(@xrayTraceId, \"\")), count(@initDuration + 0), sum(@memorySize + 0) by datefloor(@timestamp, 30m)"),
        ]
        for (fast, general) in pairs {
            let a = try run(fast, text), b = try run(general, text)
            XCTAssertEqual(a.rows.isEmpty, fast.contains("\"report\""), fast)   // no line's type is lowercase
            XCTAssertEqual(a.rows.map { $0.map { $0.render() } }, b.rows.map { $0.map { $0.render() } }, fast)
            XCTAssertEqual(a.statistics.recordsMatched, b.statistics.recordsMatched, fast)
        }
        // Some answers from the lines themselves.
        XCTAssertEqual(try run("filter @type = \"START\" | stats count(*)", text).rows[0][0].number, 700)
        XCTAssertEqual(try run("filter @type = \"REPORT\" | stats count(@maxMemoryUsed)", text).rows[0][0].number, 702)
        XCTAssertEqual(try run("filter @type = \"REPORT\" | stats max(@initDuration)", text).rows[0][0].number, 250.25)
        XCTAssertEqual(try run("filter @requestId = \"late-3\" | stats sum(@maxMemoryUsed), sum(@billedDuration)", text).rows[0].map(\.number), [12_000_000, 10])
    }

    /// Not counting every line (the CLI without --stats) changes no answer: with a prefilter only the
    /// lines read are counted; without one every line still is.
    func testNotCountingEveryRecordChangesNoAnswer() throws {
        let text = lambdaLog(2000)
        let p = dir + "/count.log"
        _ = FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        for q in ["filter @type = \"REPORT\" | stats count(*), avg(@duration) by bin(5m)", "filter @message like /ERROR/ | stats count(*)",
                  "stats count(*) by @type", "filter @duration > 3 | stats count(*)"] {
            var o = QueryOptions()
            o.scan.chunkSize = 64 * 1024
            let all = try QueryEngine(text: q, options: o).run(try SourceArguments.objects([p]))
            o.countsEveryRecord = false
            let read = try QueryEngine(text: q, options: o).run(try SourceArguments.objects([p]))
            XCTAssertEqual(read.rows.map { $0.map { $0.render() } }, all.rows.map { $0.map { $0.render() } }, q)
            XCTAssertEqual(all.statistics.recordsScanned, 2000 * 3 + 200, q)
            XCTAssertEqual(read.statistics.recordsMatched, all.statistics.recordsMatched, q)
            if q.contains("like") || q.contains("@type =") || q.contains("@duration >") {
                XCTAssertLessThan(read.statistics.recordsScanned, all.statistics.recordsScanned, q)
                XCTAssertGreaterThanOrEqual(read.statistics.recordsScanned, read.statistics.recordsMatched, q)
            } else {
                XCTAssertEqual(read.statistics.recordsScanned, all.statistics.recordsScanned, q)
            }
        }
    }

    func testParallelSplitGivesTheSameAnswer() throws {
        let text = lambdaLog(20_000)
        let q = "filter @message like /ERROR/ | stats count(*) as errors by bin(1h)"
        let one = try run(q, text, workers: 1)
        let two = try run(q, text, workers: 2, split: 100_000)
        XCTAssertEqual(one.rows.map { $0.map { $0.render() } }, two.rows.map { $0.map { $0.render() } })
        XCTAssertEqual(one.rows.map { $0[1].number! }.reduce(0, +), 2000)
        let sorted1 = try run("filter @type = \"REPORT\" | sort @maxMemoryUsed desc, @requestId asc | limit 7 | fields @requestId", text, workers: 1)
        let sorted2 = try run("filter @type = \"REPORT\" | sort @maxMemoryUsed desc, @requestId asc | limit 7 | fields @requestId", text, workers: 2, split: 100_000)
        XCTAssertEqual(sorted1.rows.map { $0[0].text! }, sorted2.rows.map { $0[0].text! })
        XCTAssertEqual(sorted1.rows.count, 7)
    }

    func testTopNMatchesFullSort() throws {
        let text = lambdaLog(3000)
        let limited = try run("filter @type = \"REPORT\" | sort @duration desc, @requestId desc | limit 25 | display @requestId", text)
        let full = try run("filter @type = \"REPORT\" | sort @duration desc, @requestId desc | display @requestId", text)
        XCTAssertEqual(limited.rows.map { $0[0].text! }, Array(full.rows.prefix(25)).map { $0[0].text! })
    }

    /// `stats | sort` orders the groups once and `stats | sort | limit` keeps a heap: ties must come
    /// out as the stable sort of the groups' natural order (keys, then first seen) gave them.
    func testSortAfterStatsBreaksTiesByTheGroupsNaturalOrder() throws {
        // Keys in a first-seen order unlike their natural order, numbers and text that read as
        // numbers, a missing key (the null group), and counts with many ties.
        let keys = [#""b10""#, #""b9""#, "7", #""07""#, #""a""#, "null", #""b2""#, "-0", #""x""#, "12", #""B""#, "3.5"]
        var text = ""
        for i in 0..<600 {
            let k = keys[(i * i / 3 + i / 7) % keys.count]
            text += "{\"k\": \(k), \"n\": \(i % 3), \"timestamp\": \(1_793_491_200_000 + i * 1000)}\n"
            if i % 5 == 0 { text += "{\"n\": 1, \"timestamp\": \(1_793_491_200_000 + i * 1000)}\n" }
        }
        func rendered(_ r: QueryResult) -> [[String]] { r.rows.map { $0.map { $0.render() ?? "-" } } }
        // The reference: the groups in natural order, then a stable sort.
        let natural = try run("stats count(*) as c, sum(n) as s by k", text)
        func reference(_ rows: [[Value]], _ by: Int, descending: Bool) -> [[Value]] {
            rows.enumerated().sorted { a, b in
                let c = NaturalOrder.compare(a.element[by], b.element[by])
                if c != 0 { return descending ? c > 0 : c < 0 }
                return a.offset < b.offset
            }.map(\.element)
        }
        func strings(_ rows: [[Value]]) -> [[String]] { rows.map { $0.map { $0.render() ?? "-" } } }
        let byCount = reference(natural.rows, 1, descending: true), bySum = reference(natural.rows, 2, descending: false)
        XCTAssertGreaterThan(Set(byCount.map { $0[1].render() ?? "-" }).count, 2)
        for (workers, split) in [(1, 8 << 20), (2, 4_000)] {
            for limit in [0, 1, 3, 5, 100] {
                let top = try run("stats count(*) as c, sum(n) as s by k | sort c desc | limit \(limit)", text, workers: workers, split: split)
                XCTAssertEqual(rendered(top), strings(Array(byCount.prefix(limit))), "limit \(limit), \(workers) workers")
                let asc = try run("stats count(*) as c, sum(n) as s by k | sort s asc | limit \(limit)", text, workers: workers, split: split)
                XCTAssertEqual(rendered(asc), strings(Array(bySum.prefix(limit))), "limit \(limit), \(workers) workers")
            }
            let all = try run("stats count(*) as c, sum(n) as s by k | sort c desc", text, workers: workers, split: split)
            XCTAssertEqual(rendered(all), strings(byCount))
            let then = try run("stats count(*) as c, sum(n) as s by k | sort c desc | limit 4 | sort s asc", text, workers: workers, split: split)
            XCTAssertEqual(rendered(then), strings(reference(Array(byCount.prefix(4)), 2, descending: false)))
        }
        // The same after a second stats.
        let firstStats = try run("stats count(*) as c by k, n | stats count(*) as groups by c", text)
        let second = try run("stats count(*) as c by k, n | stats count(*) as groups by c | sort groups desc | limit 2", text)
        XCTAssertEqual(rendered(second), strings(Array(reference(firstStats.rows, 1, descending: true).prefix(2))))
    }

    /// Rows without a time fall in the null bucket of `bin`, wherever they come between timed rows.
    func testUntimedRowsBetweenTimedRowsStayInTheNullBucket() throws {
        let r = try run("stats count(*) as n by bin(5m)", "{\"m\":\"a\"}\n{\"m\":\"b\",\"timestamp\":1793491200000}\n{\"m\":\"c\"}\n{\"m\":\"d\"}\n")
        XCTAssertEqual(r.rows.map { $0.map { $0.render() ?? "-" } }, [["2026-11-01 00:00:00.000", "1"], ["-", "3"]])
    }

    func testDefaultProjectionOrderAndCap() throws {
        let r = try run("filter @message like \"END RequestId\"", lambdaLog(20))
        XCTAssertEqual(r.columns, ["@timestamp", "@message"])
        XCTAssertEqual(r.rows.first?[1].text, "END RequestId: req-19", "newest first")
        let many = try run("fields @message", lambdaLog(4000))
        XCTAssertEqual(many.rows.count, 10_000, "raw results stop at 10,000 rows as in Insights")
    }

    func testParseFieldsFilterAndFunctions() throws {
        let r = try run("""
            parse @message /Duration: (?<d>[\\d.]+) ms\\tBilled Duration: (?<b>\\d+)/
            | filter ispresent(d) and b >= 7
            | fields concat(@requestId, ":", b) as tag, b - d as overhead
            | sort tag asc
            | limit 2
            """, lambdaLog(30))
        XCTAssertEqual(r.rows.map { $0[0].text! }, ["req-6:7", "req-13:7"], "natural order: 6 before 13")
        XCTAssertEqual(r.rows[0][1].number!, 0.75, accuracy: 1e-12)
    }

    func testBadInputLinesAreCountedAndSkippedNotFatal() throws {
        let text = "2026-11-01T00:00:00.000Z ok one\n\u{00}\u{ff}\u{fe} garbage\n2026-11-01T00:00:01.000Z ok two\n"
        let r = try run("stats count(*) as n", text)
        XCTAssertEqual(r.rows.first?[0].number, 3, "the bad line is still a record, read as a plain message")
        XCTAssertEqual(r.statistics.parseFailures, 1)
    }
}
