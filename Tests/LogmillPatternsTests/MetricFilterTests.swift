import XCTest
import LogmillPatterns

/// PutMetricFilter's transformation: metric values and dimensions read from matched events (reference 6.5).
final class MetricFilterTests: XCTestCase {
    func observe(_ f: MetricFilter, _ line: String) -> MetricObservation? {
        Array(line.utf8).withUnsafeBytes { f.observe($0) }
    }

    func filter(_ pattern: String, _ value: String, defaultValue: Double? = nil, _ dims: [(String, String)] = []) throws -> MetricFilter {
        try MetricFilter(pattern: try FilterPattern.parse(pattern), metricValue: value, defaultValue: defaultValue,
                         dimensions: dims.map { .init(name: $0.0, field: $0.1) })
    }

    func dims(_ pairs: [(String, String)]) -> [(name: String, value: String)] {
        pairs.map { (name: $0.0, value: $0.1) }
    }

    let access = #"10.1.1.1 - frank [10/Oct/2000:13:25:15 -0700] "GET / HTTP/1.0" 503 2048"#

    func testSpaceDelimitedValueAndDimension() throws {
        let f = try filter("[ip, user, ..., status = 5*, bytes]", "$bytes", [("Status", "$status"), ("Client", "$ip")])
        XCTAssertEqual(observe(f, access), MetricObservation(value: 2048, dimensions: dims([("Status", "503"), ("Client", "10.1.1.1")])))
        XCTAssertNil(observe(f, access.replacingOccurrences(of: " 503 ", with: " 404 ")))
        // The value must be numeric: an event whose bytes are "-" adds nothing.
        XCTAssertNil(observe(f, access.replacingOccurrences(of: " 2048", with: " -")))
    }

    func testPositionalFields() throws {
        // The guide's Apache example: metricValue `$7` on a seven-field pattern.
        let f = try filter("[ip, id, user, timestamp, request, status_code, size]", "$7", [("Request", "$5")])
        let line = #"127.0.0.1 - - [24/Sep/2013:11:49:52 -0700] "GET /index.html HTTP/1.1" 404 287"#
        XCTAssertEqual(observe(f, line), MetricObservation(value: 287, dimensions: dims([("Request", "GET /index.html HTTP/1.1")])))
        // Positions past the event's fields are missing: no observation.
        let g = try filter("[a, ...]", "$9")
        XCTAssertNil(observe(g, "1 2 3"))
        XCTAssertEqual(observe(g, "1 2 3 4 5 6 7 8 9.5")?.value, 9.5)
    }

    func testJSONValueAndDimensions() throws {
        // The guide: `{ $.latency = * }` with metricValue `$.latency`.
        let f = try filter("{ $.latency = * }", "$.latency")
        XCTAssertEqual(observe(f, #"{"latency": 50, "requestType": "GET"}"#), MetricObservation(value: 50, dimensions: []))
        XCTAssertNil(observe(f, #"{"requestType": "GET"}"#))
        XCTAssertNil(observe(f, #"{"latency": "slow"}"#))
        // Inferred: a string holding one number is a value.
        XCTAssertEqual(observe(f, #"{"latency": "12.5"}"#)?.value, 12.5)

        // A dimension read from a selector the pattern does not test (inferred: looked up in the event).
        let g = try filter(#"{ $.level = "error" }"#, "1", [("Service", "$.ctx.service"), ("Level", "$.level")])
        XCTAssertEqual(observe(g, #"{"level":"error","ctx":{"service":"api\u0031"}}"#),
                       MetricObservation(value: 1, dimensions: dims([("Service", "api1"), ("Level", "error")])))
        // A missing dimension field: no observation (inferred).
        XCTAssertNil(observe(g, #"{"level":"error"}"#))
        XCTAssertNil(observe(g, #"{"level":"warn","ctx":{"service":"api"}}"#))
    }

    func testLiteralValues() throws {
        let f = try filter("ERROR", "1", defaultValue: 0)
        XCTAssertEqual(f.metricValue, .literal(1))
        XCTAssertEqual(f.defaultValue, 0)
        XCTAssertEqual(observe(f, "[ERROR] x"), MetricObservation(value: 1, dimensions: []))
        XCTAssertNil(observe(f, "[INFO] x"))
        XCTAssertEqual(try filter("%5\\d\\d%", "-2.5e1").metricValue, .literal(-25))
        XCTAssertEqual(try filter("[a, b]", "$b").metricValue, .field("$b"))
    }

    func testInvalidDefinitions() throws {
        func rejects(_ pattern: String, _ value: String, defaultValue: Double? = nil, dims: [(String, String)] = [],
                     _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try filter(pattern, value, defaultValue: defaultValue, dims), line: line) { e in
                guard let e = e as? MetricFilterError else { return XCTFail("\(e)", line: line) }
                XCTAssertTrue(e.message.contains(fragment), e.message, line: line)
            }
        }
        let four = [("A", "$a"), ("B", "$b"), ("C", "$c"), ("D", "$d")]
        rejects("[a, b, c, d]", "1", dims: four, "at most 3 dimensions")
        XCTAssertNoThrow(try filter("[a, b, c, d]", "1", Array(four.prefix(3))))
        rejects("[a, b]", "1", defaultValue: 0, dims: [("A", "$a")], "defaultValue cannot be combined")
        rejects("[a, b]", "$c", "is not a field of the pattern")
        rejects("[a, b]", "$.a", "is not a field of the pattern")
        rejects("{ $.a = 1 }", "$a", "selectors such as")
        rejects("{ $.a = 1 }", "$.a[", "array index")
        rejects("ERROR", "$a", "only JSON and space-delimited patterns have fields")
        rejects("%x%", "$.a", "only JSON and space-delimited")
        rejects("ERROR", "abc", "neither a number nor a field")
        rejects("ERROR", "", "1 to 100 characters")
        rejects("ERROR", String(repeating: "1", count: 101), "1 to 100 characters")
        rejects("[a, b]", "1", dims: [("A", "$a"), ("A", "$b")], "given twice")
        rejects("[a, b]", "1", dims: [("", "$a")], "1 to 255")
    }
}
