import XCTest
import LogmillTime
@testable import LogmillAlarms

final class AlarmRuleParseTests: XCTestCase {
    let fiveMinutes = Period.parse("5m")!

    func testBriefExample() throws {
        let r = try AlarmRule.parse("ErrorSpike = Errors > 5 for 2 of 3 missing notBreaching", period: fiveMinutes)
        XCTAssertEqual(r.name, "ErrorSpike")
        XCTAssertEqual(r.metricName, "Errors")
        XCTAssertNil(r.statistic)
        XCTAssertEqual(r.comparison, .greaterThan)
        XCTAssertEqual(r.threshold, 5)
        XCTAssertEqual(r.datapointsToAlarm, 2)
        XCTAssertEqual(r.evaluationPeriods, 3)
        XCTAssertEqual(r.treatMissingData, .notBreaching)
        XCTAssertEqual(r.period, fiveMinutes)
        XCTAssertNil(r.renotify)
    }

    func testEveryPart() throws {
        let r = try AlarmRule.parse("Slow=Latency maximum>=2.5e3 FOR 3 OF 3 renotify 1h missing breaching", period: Period.parse("1m")!)
        XCTAssertEqual(r.name, "Slow")
        XCTAssertEqual(r.statistic, .maximum)
        XCTAssertEqual(r.comparison, .greaterThanOrEqual)
        XCTAssertEqual(r.threshold, 2500)
        XCTAssertEqual(r.treatMissingData, .breaching)
        XCTAssertEqual(r.renotify, Period.parse("1h"))
        for (op, c) in [("<", AlarmComparison.lessThan), ("<=", .lessThanOrEqual), (">", .greaterThan), (">=", .greaterThanOrEqual)] {
            XCTAssertEqual(try AlarmRule.parse("A = B SampleCount \(op) -1 for 1 of 1", period: fiveMinutes).comparison, c)
        }
        XCTAssertEqual(try AlarmRule.parse("A = B > 0 for 1 of 1 missing ignore", period: fiveMinutes).treatMissingData, .ignore)
        XCTAssertEqual(try AlarmRule.parse("A = B > 0 for 1 of 1", period: fiveMinutes).treatMissingData, .missing)
    }

    func testCodableRoundTrip() throws {
        let r = try AlarmRule.parse("A = B Sum < 3 for 2 of 4 missing ignore renotify 30m", period: fiveMinutes)
        let back = try JSONDecoder().decode(AlarmRule.self, from: try JSONEncoder().encode(r))
        XCTAssertEqual(back, r)
    }

    func assertError(_ text: String, period: String = "5m", column: Int, _ fragment: String, line: UInt = #line) {
        XCTAssertThrowsError(try AlarmRule.parse(text, period: Period.parse(period)!), line: line) { error in
            guard let e = error as? AlarmRuleError else { return XCTFail("\(error)", line: line) }
            XCTAssertEqual(e.column, column, e.description, line: line)
            XCTAssertTrue(e.message.contains(fragment), e.message, line: line)
        }
    }

    func testErrorsWithColumns() {
        // M > N: at N.
        assertError("A = Errors > 5 for 4 of 3", column: 25, "must not exceed")
        // Unknown statistic.
        assertError("A = Errors Median > 5 for 1 of 1", column: 12, "unknown statistic 'Median'")
        // Bad numbers: threshold, M, N.
        assertError("A = Errors > five for 1 of 1", column: 14, "bad number 'five'")
        assertError("A = Errors > 5 for 0 of 1", column: 20, "bad number '0'")
        assertError("A = Errors > 5 for 1 of x", column: 25, "bad number 'x'")
        assertError("A = Errors > inf for 1 of 1", column: 14, "bad number")
        // Structure.
        assertError("A Errors > 5 for 1 of 1", column: 3, "expected '='")
        assertError("A = Errors == 5 for 1 of 1", column: 12, "expected a comparison")
        assertError("A = Errors > 5 in 1 of 1", column: 16, "expected 'for'")
        assertError("A = Errors > 5 for 1 of", column: 24, "at the end")
        assertError("A = Errors > 5 for 1 of 1 missing sometimes", column: 35, "unknown treatment")
        assertError("A = Errors > 5 for 1 of 1 renotify 1mo", column: 36, "bad re-notify interval")
        assertError("A = Errors > 5 for 1 of 1 loudly", column: 27, "unexpected 'loudly'")
        assertError("A = Errors > 5 for 1 of 1 missing ignore missing ignore", column: 42, "given twice")
        assertError("", column: 1, "an alarm name")
    }

    func testPeriodLimits() throws {
        // Under an hour: N × period ≤ 1 day. 288 × 5m = 1 day exactly.
        XCTAssertNoThrow(try AlarmRule.parse("A = B > 1 for 1 of 288", period: fiveMinutes))
        assertError("A = B > 1 for 1 of 289", column: 20, "more than 1 day")
        // An hour or more: ≤ 7 days. 168 × 1h = 7 days.
        XCTAssertNoThrow(try AlarmRule.parse("A = B > 1 for 1 of 168", period: Period.parse("1h")!))
        assertError("A = B > 1 for 1 of 169", period: "1h", column: 20, "more than 7 days")
        XCTAssertNoThrow(try AlarmRule.parse("A = B > 1 for 1 of 1", period: Period.parse("1w")!))
        // Periods the service does not accept.
        XCTAssertNoThrow(try AlarmRule.parse("A = B > 1 for 1 of 3", period: Period.parse("10s")!))
        assertError("A = B > 1 for 1 of 3", period: "45s", column: 20, "10s, 20s, 30s or a multiple of 1m")
        assertError("A = B > 1 for 1 of 1", period: "1mo", column: 20, "fixed period")
    }
}
