import XCTest
@testable import LogmillTime

final class ScheduleParseTests: XCTestCase {
    func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> ScheduleError? {
        do {
            let s = try Schedule.parse(text)
            XCTFail("\(text) parsed as \(s)", file: file, line: line)
            return nil
        } catch let e as ScheduleError {
            return e
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    func assertError(_ text: String, column: Int, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let e = error(text, file: file, line: line) else { return }
        XCTAssertEqual(e.column, column, "\(text): \(e)", file: file, line: line)
        XCTAssertTrue(e.message.contains(fragment), "\(text): \(e.message)", file: file, line: line)
        XCTAssertEqual(e.description, "column \(column): \(e.message)", file: file, line: line)
    }

    // MARK: rate (jobs.md 1.1)

    func testRateValid() throws {
        let cases: [(String, Int64, String)] = [
            ("rate(1 minute)", 60_000, "rate(1 minute)"),
            ("rate(5 minutes)", 300_000, "rate(5 minutes)"),
            ("rate(1 day)", 86_400_000, "rate(1 day)"),
            ("rate(90 minutes)", 5_400_000, "rate(90 minutes)"),
            ("rate(1 hour)", 3_600_000, "rate(1 hour)"),
            ("rate(5 hours)", 18_000_000, "rate(5 hours)"),
            ("rate(2 days)", 172_800_000, "rate(2 days)"),
            ("  rate(5   minutes) ", 300_000, "rate(5 minutes)"),
        ]
        for (text, period, canonical) in cases {
            let s = try Schedule.parse(text)
            XCTAssertEqual(s.period, Period(unit: .fixed, amount: period), text)
            XCTAssertEqual(s.description, canonical, text)
            XCTAssertEqual(try Schedule.parse(s.description), s, text)
        }
    }

    func testRateInvalid() {
        assertError("rate(0 minutes)", column: 6, "at least 1")
        assertError("rate(1 minutes)", column: 8, "use `minute` for a value of 1")
        assertError("rate(5 minute)", column: 8, "use `minutes` for a value other than 1")
        assertError("rate(1 hours)", column: 8, "use `hour`")
        assertError("rate(5 hour)", column: 8, "use `hours`")
        assertError("rate(5m)", column: 7, "unknown unit `m`")
        assertError("rate(5 min)", column: 8, "unknown unit `min`")
        assertError("rate(1.5 hours)", column: 6, "integer")
        assertError("rate(5 seconds)", column: 8, "smallest unit is minute")
        assertError("rate(-5 minutes)", column: 6, "positive integer")
        assertError("rate(5minutes)", column: 7, "space between the value and the unit")
        assertError("rate(5 minutes", column: 15, "expected `)`")
        assertError("rate 5 minutes", column: 5, "expected `(`")
        assertError("rate()", column: 6, "positive integer")
        assertError("rate(0 10 * * ? *)", column: 6, "at least 1")
        assertError("rate(5 minutes) x", column: 17, "after `)`")
    }

    // MARK: every

    func testEvery() throws {
        XCTAssertEqual(try Schedule.parse("every 5m").period, Period(unit: .fixed, amount: 300_000))
        XCTAssertEqual(try Schedule.parse("every 1h").description, "every 1h")
        XCTAssertEqual(try Schedule.parse("every 60m").description, "every 1h")
        XCTAssertEqual(try Schedule.parse("every 1mo").period, Period(unit: .month, amount: 1))
        XCTAssertEqual(try Schedule.parse("every 2w").period, Period(unit: .week, amount: 2))
        assertError("every 5x", column: 7, "not a period")
        assertError("every", column: 6, "expected a period")
        assertError("every5m", column: 6, "expected a period")
        assertError("hourly", column: 1, "expected rate(5 minutes), cron(0/5 * * * ? *) or every 5m")
        assertError("   ", column: 4, "empty schedule")
    }

    // MARK: cron (jobs.md 1.2)

    func testCronCanonicalText() throws {
        XCTAssertEqual(try Schedule.parse("cron(*/5 * * * ? *)").description, "cron(0/5 * * * ? *)")
        XCTAssertEqual(try Schedule.parse("cron(0 */2 */3 * ? *)").description, "cron(0 0/2 1/3 * ? *)")
        XCTAssertEqual(try Schedule.parse("cron(0  18 ? *   mon-fri *)").description, "cron(0 18 ? * MON-FRI *)")
        XCTAssertEqual(try Schedule.parse("cron(0 0 ? jan,Feb 6l,2#1 *)").description, "cron(0 0 ? JAN,FEB 6L,2#1 *)")
        XCTAssertEqual(try Schedule.parse("cron(0/5 * * * ? *)"), try Schedule.parse("cron(*/5 * * * ? *)"))
    }

    func testCronNamesAndNumbersAgree() throws {
        // 1 = SUN … 7 = SAT; months 1 = JAN.
        XCTAssertEqual(try Schedule.parse("cron(0 0 ? * MON-FRI *)").next(after: 0), try Schedule.parse("cron(0 0 ? * 2-6 *)").next(after: 0))
        let sunday = try Schedule.parse("cron(0 0 ? * 1 *)")
        XCTAssertEqual(minuteText(sunday.next(after: ms("2026-11-28 22:13"))), "2026-11-29 00:00")   // a Sunday
        let saturday = try Schedule.parse("cron(0 0 ? * sat *)")
        XCTAssertEqual(minuteText(saturday.next(after: ms("2026-11-28 22:13"))), "2026-12-05 00:00")
        let june = try Schedule.parse("cron(0 0 1 jun ? *)")
        XCTAssertEqual(minuteText(june.next(after: ms("2026-11-28 22:13"))), "2027-06-01 00:00")
        let range = try Schedule.parse("cron(10-12 0 1 1 ? 2027)")
        XCTAssertEqual(minuteText(range.next(after: 0)), "2027-01-01 00:10")
        XCTAssertEqual(minuteText(range.next(after: ms("2027-01-01 00:10"))), "2027-01-01 00:11")
        XCTAssertNil(range.next(after: ms("2027-01-01 00:12")))
        let stepRange = try Schedule.parse("cron(10-40/15 0 1 1 ? 2027)")
        XCTAssertEqual(minuteText(stepRange.previous(atOrBefore: ms("2030-01-01 00:00"))), "2027-01-01 00:40")
    }

    func testCronInvalid() {
        assertError("cron(0 10 * * * *)", column: 15, "set exactly one of day-of-month and day-of-week to `?`")
        assertError("cron(0 10 ? * ? *)", column: 15, "set exactly one of day-of-month and day-of-week to `?`")
        assertError("cron(0 10 * * ?)", column: 16, "six fields")
        assertError("cron(0 10 * * ? * 1)", column: 19, "six fields (minutes hours day-of-month month day-of-week year), found 7")
        assertError("cron(0 0 LW * ? *)", column: 10, "`LW` is not documented by EventBridge")
        assertError("cron(0 0 L-3 * ? *)", column: 10, "`L-n` is not documented by EventBridge")
        assertError("cron(50-10 * * * ? *)", column: 6, "wraps around")
        assertError("cron(0 0 ? * 0 *)", column: 14, "EventBridge numbers days 1 (SUN) to 7 (SAT)")
        assertError("cron(0 0 ? * 1,0 *)", column: 16, "EventBridge numbers days 1 (SUN) to 7 (SAT)")
        assertError("cron(60 0 * * ? *)", column: 6, "60 is out of range 0–59")
        assertError("cron(0 24 * * ? *)", column: 8, "out of range 0–23")
        assertError("cron(0 0 32 * ? *)", column: 10, "out of range 1–31")
        assertError("cron(0 0 32W * ? *)", column: 10, "out of range 1–31")
        assertError("cron(0 0 * 13 ? *)", column: 12, "out of range 1–12")
        assertError("cron(0 0 * FOO ? *)", column: 12, "`FOO` is not a valid value (1–12 or JAN–DEC)")
        assertError("cron(0 0 ? * 8 *)", column: 14, "out of range 1–7")
        assertError("cron(0 0 * * ? 1969)", column: 16, "out of range 1970–2199")
        assertError("cron(0 0 * * ? 2200)", column: 16, "out of range 1970–2199")
        assertError("cron(0 0 ? * 3#6 *)", column: 16, "occurrence 1–5")
        assertError("cron(0/0 * * * ? *)", column: 8, "step")
        assertError("cron(0 0 ? * */2 *)", column: 14, "`/` is not allowed in day-of-week")
        assertError("cron(? 0 * * ? *)", column: 6, "`?` is allowed only in day-of-month or day-of-week")
        assertError("cron(0 0 ? * 1W *)", column: 14, "`W` is allowed only in day-of-month")
        assertError("cron(0 0 1#2 * ? *)", column: 10, "`#` is allowed only in day-of-week")
        assertError("cron(0 0 L * ? *", column: 17, "expected `)`")
        assertError("cron(5,,10 * * * ? *)", column: 8, "empty item")
        assertError("cron(0 0 1-x * ? *)", column: 12, "`X` is not a valid value")
        assertError("  cron(0 0 1 1 ? 1969)", column: 18, "1970–2199")
    }
}
