import Foundation
import XCTest
@testable import LogmillQuery
import LogmillSources
import LogmillTestSupport

/// The structure commands and functions (jsonParse, map access, unnest), lookup, SOURCE and pattern,
/// over one JSON log and one lookup table.
final class CommandTests: XCTestCase {
    var tmp: TemporaryDirectory!
    var dir: String! { tmp.path }
    override func setUp() {
        tmp = TemporaryDirectory(prefix: "logmill-cmd")
        let log = """
        {"api":{"request":{"data":"{\\"startTime\\":\\"2026-11-01\\",\\"n\\":3}"}},"body":"{\\"events\\":[{\\"name\\":\\"a\\",\\"qty\\":2},{\\"name\\":\\"b\\",\\"qty\\":5}],\\"accounts\\":[{\\"accountId\\":\\"111\\",\\"droppedSpans\\":4},{\\"accountId\\":\\"222\\",\\"droppedSpans\\":1}]}","user_id":"u1","action":"login failed for 17 users"}
        {"api":{"request":{"data":"not json"}},"body":"{\\"events\\":[],\\"accounts\\":[{\\"accountId\\":\\"111\\",\\"droppedSpans\\":6}]}","user_id":"u2","action":"login failed for 3 users"}
        {"body":"[1,2]","user_id":"u3","action":"logout"}

        """
        _ = FileManager.default.createFile(atPath: dir + "/j.log", contents: Data(log.utf8))
        _ = FileManager.default.createFile(atPath: dir + "/user_data.csv", contents: Data("user_id,department,email\r\nu1,eng,\"a@x.io\"\r\nu3,\"ops, night\",c@x.io\r\n".utf8))
    }
    override func tearDown() { tmp.cleanup() }

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
}
