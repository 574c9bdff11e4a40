import XCTest
@testable import LogmillQuery

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
