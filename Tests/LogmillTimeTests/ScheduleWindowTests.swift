import XCTest
@testable import LogmillTime

/// Windows a run covers. All UTC: no daylight saving time applies anywhere.
final class ScheduleWindowTests: XCTestCase {
    /// Rows of (schedule, fire time, expected window as `start – end` or `none`).
    func assertWindows(_ rows: [(String, String, String)], file: StaticString = #filePath, line: UInt = #line) throws {
        for (text, fire, expected) in rows {
            let w = try Schedule.parse(text).window(endingAt: ms(fire))
            let got = w.map { "\(minuteText($0.start)) – \(minuteText($0.end))" } ?? "none"
            XCTAssertEqual(got, expected, "\(text) at \(fire)", file: file, line: line)
        }
    }

    func testRateWindowIsTheLastClosedAlignedWindow() throws {
        try assertWindows([
            ("rate(5 minutes)", "2026-11-28 22:15", "2026-11-28 22:10 – 2026-11-28 22:15"),
            // The trigger comes some time after the boundary (rules fire relative to their creation time).
            ("rate(5 minutes)", "2026-11-28T22:17:43Z", "2026-11-28 22:10 – 2026-11-28 22:15"),
            ("rate(5 minutes)", "2026-11-28T22:14:59Z", "2026-11-28 22:05 – 2026-11-28 22:10"),
            ("rate(1 hour)", "2026-11-28T22:13:27Z", "2026-11-28 21:00 – 2026-11-28 22:00"),
            ("rate(1 day)", "2026-11-29T00:00:30Z", "2026-11-28 00:00 – 2026-11-29 00:00"),
            // 7 minutes does not divide an hour: boundaries are multiples of 7 min since 1970-01-01.
            // 22:13 is minute 29_931_733 since the epoch, 6 past 7 × 4_275_961, so the last boundary was 22:07.
            ("rate(7 minutes)", "2026-11-28T22:13:27Z", "2026-11-28 22:00 – 2026-11-28 22:07"),
            ("every 1mo", "2026-12-01T00:05:00Z", "2026-11-01 00:00 – 2026-12-01 00:00"),
            ("every 1w", "2026-11-30T09:00:00Z", "2026-11-23 00:00 – 2026-11-30 00:00"),   // Monday to Monday
        ])
    }

    func testWindowIsHalfOpen() throws {
        let w = try XCTUnwrap(try Schedule.parse("rate(5 minutes)").window(endingAt: ms("2026-11-28 22:15")))
        XCTAssertTrue(w.contains(ms("2026-11-28 22:10")))
        XCTAssertTrue(w.contains(ms("2026-11-28 22:15") - 1))
        XCTAssertFalse(w.contains(ms("2026-11-28 22:15")))
        XCTAssertFalse(w.contains(ms("2026-11-28 22:10") - 1))
        XCTAssertEqual(w.duration, 300_000)
        // The next run's window starts exactly where this one ends.
        let next = try XCTUnwrap(try Schedule.parse("rate(5 minutes)").window(endingAt: ms("2026-11-28 22:20")))
        XCTAssertEqual(next.start, w.end)
    }

    func testRateFiresOnAlignedBoundaries() throws {
        let s = try Schedule.parse("rate(5 minutes)")
        let r = ms("2026-11-28T22:13:27Z")
        XCTAssertEqual(minuteText(s.next(after: r)), "2026-11-28 22:15")
        XCTAssertEqual(minuteText(s.next(after: ms("2026-11-28 22:15"))), "2026-11-28 22:20")
        XCTAssertEqual(minuteText(s.previous(atOrBefore: r)), "2026-11-28 22:10")
        XCTAssertEqual(minuteText(s.previous(atOrBefore: ms("2026-11-28 22:15"))), "2026-11-28 22:15")
        let monthly = try Schedule.parse("every 1mo")
        XCTAssertEqual(minuteText(monthly.next(after: r)), "2026-12-01 00:00")
        XCTAssertEqual(minuteText(monthly.previous(atOrBefore: r)), "2026-11-01 00:00")
    }

    func testCronPeriod() throws {
        let cases: [(String, String?)] = [
            ("cron(0/5 * * * ? *)", "5m"), ("cron(*/5 * * * ? *)", "5m"), ("cron(1/10 * * * ? *)", "10m"),
            ("cron(0 * * * ? *)", "1h"), ("cron(30 */2 * * ? *)", "2h"), ("cron(0 10 * * ? *)", "1d"),
            ("cron(0 0/6 ? * * *)", "6h"), ("cron(0,30 * ? * 1-7 *)", "30m"),
            ("cron(0/5 8-17 ? * MON-FRI *)", nil), ("cron(0/10 * ? * MON-FRI *)", nil), ("cron(0 8 1 * ? *)", nil),
            ("cron(5,35 14 * * ? *)", nil), ("cron(0/7 * * * ? *)", nil), ("cron(0 0/5 * * ? *)", nil),
            ("cron(0/5 * * 1-6 ? *)", nil), ("cron(0/5 * * * ? 2027)", nil), ("cron(0 12 L * ? *)", nil),
        ]
        for (text, period) in cases {
            XCTAssertEqual(try Schedule.parse(text).period?.description, period, text)
        }
    }

    func testEvenlySpacedCronWindowsAreAligned() throws {
        try assertWindows([
            ("cron(1/10 * * * ? *)", "2026-11-28T22:21:05Z", "2026-11-28 22:10 – 2026-11-28 22:20"),
            ("cron(0 10 * * ? *)", "2026-11-29 10:00", "2026-11-28 00:00 – 2026-11-29 00:00"),
        ])
    }

    func testIrregularCronWindowRunsFromThePreviousFire() throws {
        // Monday 08:00 covers everything since Friday 17:55.
        try assertWindows([
            ("cron(0/5 8-17 ? * MON-FRI *)", "2026-11-30T08:00:12Z", "2026-11-27 17:55 – 2026-11-30 08:00"),
            ("cron(0/5 8-17 ? * MON-FRI *)", "2026-11-30 08:05", "2026-11-30 08:00 – 2026-11-30 08:05"),
            ("cron(5,35 14 * * ? *)", "2026-11-29 14:05", "2026-11-28 14:35 – 2026-11-29 14:05"),
            ("cron(0 8 1 * ? *)", "2027-03-01 08:00", "2027-02-01 08:00 – 2027-03-01 08:00"),
            ("cron(0 6 29 2 ? *)", "2028-02-29 06:00", "2024-02-29 06:00 – 2028-02-29 06:00"),
            // The first fire there ever was has no window.
            ("cron(0 6 29 2 ? *)", "1972-02-29 06:00", "none"),
            ("cron(0 0 1 1 ? 2027)", "2027-01-01 00:00", "none"),
        ])
    }
}
