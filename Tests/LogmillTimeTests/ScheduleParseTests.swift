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

    /// Rows of (text, column, a fragment of the message).
    func assertErrors(_ rows: [(String, Int, String)], file: StaticString = #filePath, line: UInt = #line) {
        for (text, column, fragment) in rows { assertError(text, column: column, fragment, file: file, line: line) }
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
        assertErrors([
            ("rate(0 minutes)", 6, "at least 1"),
            ("rate(1 minutes)", 8, "use `minute` for a value of 1"),
            ("rate(5 minute)", 8, "use `minutes` for a value other than 1"),
            ("rate(1 hours)", 8, "use `hour`"),
            ("rate(5 hour)", 8, "use `hours`"),
            ("rate(5m)", 7, "unknown unit `m`"),
            ("rate(5 min)", 8, "unknown unit `min`"),
            ("rate(1.5 hours)", 6, "integer"),
            ("rate(5 seconds)", 8, "smallest unit is minute"),
            ("rate(-5 minutes)", 6, "positive integer"),
            ("rate(5minutes)", 7, "space between the value and the unit"),
            ("rate(5 minutes", 15, "expected `)`"),
            ("rate 5 minutes", 5, "expected `(`"),
            ("rate()", 6, "positive integer"),
            ("rate(0 10 * * ? *)", 6, "looks like cron fields; write cron(0 10 * * ? *)"),
            ("rate(5 minutes) x", 17, "after `)`"),
        ])
    }

    // MARK: every

    func testEvery() throws {
        XCTAssertEqual(try Schedule.parse("every 5m").period, Period(unit: .fixed, amount: 300_000))
        XCTAssertEqual(try Schedule.parse("every 1h").description, "every 1h")
        XCTAssertEqual(try Schedule.parse("every 60m").description, "every 1h")
        XCTAssertEqual(try Schedule.parse("every 1mo").period, Period(unit: .month, amount: 1))
        XCTAssertEqual(try Schedule.parse("every 2w").period, Period(unit: .week, amount: 2))
        assertErrors([
            ("every 5x", 7, "not a period"),
            ("every", 6, "expected a period"),
            ("every5m", 6, "expected a period"),
            ("hourly", 1, "expected rate(5 minutes), cron(0/5 * * * ? *) or every 5m"),
            ("   ", 4, "empty schedule"),
        ])
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
        assertErrors([
            ("cron(0 10 * * * *)", 15, "set exactly one of day-of-month and day-of-week to `?`"),
            ("cron(0 10 ? * ? *)", 15, "set exactly one of day-of-month and day-of-week to `?`"),
            ("cron(0 10 * * ?)", 16, "six fields"),
            ("cron(0 10 * * ? * 1)", 19, "six fields (minutes hours day-of-month month day-of-week year), found 7"),
            ("cron(0 0 LW * ? *)", 10, "`LW` is not documented by EventBridge"),
            ("cron(0 0 L-3 * ? *)", 10, "`L-n` is not documented by EventBridge"),
            ("cron(50-10 * * * ? *)", 6, "wraps around"),
            ("cron(0 0 ? * 0 *)", 14, "EventBridge numbers days 1 (SUN) to 7 (SAT)"),
            ("cron(0 0 ? * 1,0 *)", 16, "EventBridge numbers days 1 (SUN) to 7 (SAT)"),
            ("cron(60 0 * * ? *)", 6, "60 is out of range 0–59"),
            ("cron(0 24 * * ? *)", 8, "out of range 0–23"),
            ("cron(0 0 32 * ? *)", 10, "out of range 1–31"),
            ("cron(0 0 32W * ? *)", 10, "out of range 1–31"),
            ("cron(0 0 * 13 ? *)", 12, "out of range 1–12"),
            ("cron(0 0 * FOO ? *)", 12, "`FOO` is not a valid value (1–12 or JAN–DEC)"),
            ("cron(0 0 ? * 8 *)", 14, "out of range 1–7"),
            ("cron(0 0 * * ? 1969)", 16, "out of range 1970–2199"),
            ("cron(0 0 * * ? 2200)", 16, "out of range 1970–2199"),
            ("cron(0 0 ? * 3#6 *)", 16, "occurrence 1–5"),
            ("cron(0/0 * * * ? *)", 8, "step"),
            ("cron(0 0 ? * */2 *)", 14, "`/` is not allowed in day-of-week"),
            ("cron(? 0 * * ? *)", 6, "`?` is allowed only in day-of-month or day-of-week"),
            ("cron(0 0 ? * 1W *)", 14, "`W` is allowed only in day-of-month"),
            ("cron(0 0 1#2 * ? *)", 10, "`#` is allowed only in day-of-week"),
            ("cron(0 0 L * ? *", 17, "expected `)`"),
            ("cron(5,,10 * * * ? *)", 8, "empty item"),
            ("cron(0 0 1-x * ? *)", 12, "`X` is not a valid value"),
            ("  cron(0 0 1 1 ? 1969)", 18, "1970–2199"),
        ])
    }
}
