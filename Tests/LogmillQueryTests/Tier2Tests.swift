import Foundation
import XCTest
@testable import LogmillQuery
import LogmillSources

final class Tier2Tests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "logmill-t2-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let log = """
        {"api":{"request":{"data":"{\\"startTime\\":\\"2026-11-01\\",\\"n\\":3}"}},"body":"{\\"events\\":[{\\"name\\":\\"a\\",\\"qty\\":2},{\\"name\\":\\"b\\",\\"qty\\":5}],\\"accounts\\":[{\\"accountId\\":\\"111\\",\\"droppedSpans\\":4},{\\"accountId\\":\\"222\\",\\"droppedSpans\\":1}]}","user_id":"u1","action":"login failed for 17 users"}
        {"api":{"request":{"data":"not json"}},"body":"{\\"events\\":[],\\"accounts\\":[{\\"accountId\\":\\"111\\",\\"droppedSpans\\":6}]}","user_id":"u2","action":"login failed for 3 users"}
        {"body":"[1,2]","user_id":"u3","action":"logout"}

        """
        _ = FileManager.default.createFile(atPath: dir + "/j.log", contents: Data(log.utf8))
        _ = FileManager.default.createFile(atPath: dir + "/user_data.csv", contents: Data("user_id,department,email\r\nu1,eng,\"a@x.io\"\r\nu3,\"ops, night\",c@x.io\r\n".utf8))
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func rows(_ q: String) throws -> [[String: String]] {
        var o = QueryOptions()
        o.lookupDirectories = [dir]
        let r = try QueryEngine(text: q, options: o).run(try SourceArguments.objects([dir + "/j.log"]))
        return r.rows.map { row in
            var d: [String: String] = [:]
            for (c, v) in zip(r.columns, row) { if let t = v.render() { d[c] = t } }
            return d
        }
    }

    func testJsonParseMapAccessAndStringify() throws {
        XCTAssertEqual(try rows("fields jsonParse(api.request.data).startTime as startTime | filter ispresent(startTime) | display startTime"),
                       [["startTime": "2026-11-01"]])
        let r = try rows("fields jsonParse(body) as doc | filter ispresent(doc.accounts) | sort user_id asc | display jsonStringify(doc.accounts[0]) as first, doc.accounts.1.accountId as second")
        XCTAssertEqual(r, [["first": #"{"accountId":"111","droppedSpans":4}"#, "second": "222"], ["first": #"{"accountId":"111","droppedSpans":6}"#]])
        // A JSON-encoded string is a leaf: no dotted access into it without jsonParse.
        XCTAssertEqual(try rows("filter ispresent(body.events) | stats count(*) as n"), [])
    }

    func testUnnestRowsPerElement() throws {
        // An empty list gives no rows; a missing list (the third event's body is a list, not a map)
        // gives one row with a null element, the reference's best reading.
        XCTAssertEqual(try rows("fields jsonParse(body) as doc | unnest doc.events into ev | display ev.name, ev.qty"),
                       [["ev.name": "a", "ev.qty": "2"], ["ev.name": "b", "ev.qty": "5"], [:]])
        let s = try rows("fields jsonParse(body) as doc | unnest doc.accounts into acct | filter ispresent(acct) | stats sum(acct.droppedSpans) as dropped by acct.accountId | sort dropped desc")
        XCTAssertEqual(s, [["acct.accountId": "111", "dropped": "10.0"], ["acct.accountId": "222", "dropped": "1.0"]])
    }

    func testLookupIsALeftJoin() throws {
        let r = try rows("fields user_id | lookup user_data user_id OUTPUT department, email | sort user_id asc")
        XCTAssertEqual(r.map { $0["department"] ?? "-" }, ["eng", "-", "ops, night"])
        XCTAssertEqual(r.map { $0["email"] ?? "-" }, ["a@x.io", "-", "c@x.io"])
        XCTAssertThrowsError(try rows("lookup nosuchtable id OUTPUT x"))
        XCTAssertThrowsError(try rows("lookup user_data nosuchcolumn OUTPUT department"))
    }

    func testSourceSelectsLogGroups() throws {
        XCTAssertEqual(try rows("SOURCE logGroups(namePrefix: ['\(dir!)/j']) | stats count(*) as n"), [["n": "3"]])
        XCTAssertEqual(try rows("SOURCE '/aws/lambda/other' | stats count(*) as n"), [])
        XCTAssertThrowsError(try rows("fields x | SOURCE 'a'"))
    }

    func testPatternClustersTemplates() throws {
        let r = try rows("pattern action | sort @sampleCount desc")
        XCTAssertEqual(r.first?["@pattern"], "login failed for <*> users")
        XCTAssertEqual(r.first?["@sampleCount"], "2")
        XCTAssertEqual(r.count, 2)
    }

    func testPercentileSketchStaysWithinOnePercent() {
        // 200,000 log-normal-ish values: beyond the exact limit, so the sketch answers.
        var rng = SplitMix(seed: 7)
        let xs = (0..<200_000).map { _ in Foundation.exp(rng.nextDouble() * 10) * (rng.nextDouble() < 0.01 ? -1 : 1) }
        let sorted = xs.sorted()
        for p in [1.0, 50, 90, 99, 99.9] {
            let acc = Percentile(p: p)
            let half = Percentile(p: p)
            for (i, x) in xs.enumerated() { (i % 2 == 0 ? acc : half).add(.number(x), timestamp: 0) }
            acc.merge(half)
            XCTAssertNotNil(acc.sketch, "spilled to the sketch")
            let exact = sorted[Int((p / 100 * Double(xs.count)).rounded(.up)) - 1]
            let got = acc.result().number!
            XCTAssertLessThanOrEqual(abs(got - exact) / abs(exact), 0.01, "p\(p): \(got) vs \(exact)")
        }
    }
}

/// Wrong queries: each is rejected with a line, a column and, where one exists, a hint; none crashes.
final class ErrorCorpusTests: XCTestCase {
    let cases: [(query: String, line: Int, column: Int, message: String)] = [
        ("fitler @message like /x/", 1, 1, "unknown command 'fitler'"),
        ("fields @message\n| stast count(*)", 2, 3, "unknown command 'stast'"),
        ("fields strln(@message)", 1, 8, "unknown function 'strln'"),
        ("stats percentile(@duration, 95)", 1, 7, "unknown function 'percentile'"),
        ("stats median(@duration)", 1, 7, "unknown function 'median'"),
        ("fields abs(1, 2)", 1, 8, "abs() takes 1 argument"),
        ("stats pct(@duration)", 1, 7, "pct() takes 2 arguments"),
        ("filter count(*) > 1", 1, 8, "aggregate function"),
        ("filter @message like /(open/", 1, 23, "invalid regular expression"),
        ("filter @message like /a(?=b)/", 1, 24, "invalid regular expression"),
        ("filter @message like \"unterminated", 1, 22, "unterminated string"),
        ("filter (a = 1", 1, 14, "expected ')'"),
        ("parse @message \"* - *\" as only", 1, 16, "2 '*'"),
        ("stats count(*) by bin(5parsecs)", 1, 23, "not a time period"),
        ("fields @message | join type=inner left=a right=b", 1, 19, "not supported by logmill"),
        ("fields @message | diff", 1, 19, "not supported by logmill"),
        ("fields @message | anomaly", 1, 19, "not supported by logmill"),
        ("fields @message | fillmissing", 1, 19, "not supported by logmill"),
        ("dedup a | sort a", 1, 11, "only 'limit' may follow 'dedup'"),
        ("stats count(*) | stats count(*) | stats count(*)", 1, 35, "at most two stats"),
        ("sort a | stats count(*) | stats count(*)", 1, 1, "must come after the second stats"),
        ("filter a && b", 1, 10, "'&&' is not an Insights operator"),
        ("limit 1000000", 1, 7, "above the maximum"),
        ("fields a as", 1, 12, "expected a name after 'as'"),
    ]

    func testEveryWrongQueryHasAPositionAndMessage() {
        for c in cases {
            do {
                _ = try QueryEngine(text: c.query)
                XCTFail("accepted: \(c.query)")
            } catch let e as QueryError {
                XCTAssertEqual(e.location?.line, c.line, c.query)
                XCTAssertEqual(e.location?.column, c.column, "\(c.query): \(e)")
                XCTAssertTrue(e.message.contains(c.message), "\(c.query): \(e.message)")
                XCTAssertTrue(e.description.contains("^"), "caret shown: \(e)")
            } catch {
                XCTFail("\(c.query): unexpected error \(error)")
            }
        }
    }

    func testSuggestionsForTypos() throws {
        for (q, hint) in [("fitler x = 1", "did you mean 'filter'?"), ("fields strln(@message)", "did you mean 'strlen'?"),
                          ("stats median(x)", "use pct(field, 50)"), ("sotr x", "did you mean 'sort'?")] {
            XCTAssertThrowsError(try QueryEngine(text: q)) { e in XCTAssertEqual((e as? QueryError)?.hint, hint, q) }
        }
    }
}

/// A small deterministic generator for tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
