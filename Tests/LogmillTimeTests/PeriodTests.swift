import XCTest
@testable import LogmillTime

final class PeriodTests: XCTestCase {
    func p(_ text: String) -> Period { Period.parse(text)! }

    func testFixedFloorNextAndWindows() {
        let five = p("5m")
        XCTAssertEqual(five.floor(ms("2026-11-28T22:13:27Z")), ms("2026-11-28 22:10"))
        XCTAssertEqual(five.floor(ms("2026-11-28 22:10")), ms("2026-11-28 22:10"))
        XCTAssertEqual(five.next(after: ms("2026-11-28 22:10")), ms("2026-11-28 22:15"))
        XCTAssertEqual(five.ceil(ms("2026-11-28T22:13:27Z")), ms("2026-11-28 22:15"))
        XCTAssertEqual(five.floor(-1), -300_000)                       // before 1970 floors downward
        XCTAssertEqual(five.floor(0), 0)
        XCTAssertEqual(five.window(containing: ms("2026-11-28T22:13:27Z")), Window(start: ms("2026-11-28 22:10"), end: ms("2026-11-28 22:15")))
        let ws = five.windows(from: ms("2026-11-28T22:03:00Z"), to: ms("2026-11-28T22:12:00Z"))
        XCTAssertEqual(ws.map { minuteText($0.start) }, ["2026-11-28 22:00", "2026-11-28 22:05", "2026-11-28 22:10"])
        XCTAssertEqual(ws.last?.end, ms("2026-11-28 22:15"))
        XCTAssertEqual(p("1d").floor(ms("2026-11-28T22:13:27Z")), ms("2026-11-28 00:00"))
        XCTAssertEqual(p("1h").fixedMilliseconds, 3_600_000)
    }

    func testWeeksStartOnMonday() {
        let week = p("1w")
        // 1970-01-01 was a Thursday; its week began Monday 1969-12-29, three days before the epoch.
        XCTAssertEqual(week.floor(0), -3 * 86_400_000)
        // 2026-11-28 is a Saturday; its week began Monday 2026-11-23.
        XCTAssertEqual(week.floor(ms("2026-11-28T22:13:27Z")), ms("2026-11-23 00:00"))
        XCTAssertEqual(week.next(after: ms("2026-11-23 00:00")), ms("2026-11-30 00:00"))
        XCTAssertEqual(week.floor(ms("2026-11-30 00:00")), ms("2026-11-30 00:00"))
        XCTAssertEqual(week.floor(ms("2026-11-30 00:00") - 1), ms("2026-11-23 00:00"))
        // Two-week periods count from that Monday: 2026-11-23 is week 2969 (odd), so the pair began 2026-11-16.
        XCTAssertEqual(p("2w").floor(ms("2026-11-28 12:00")), ms("2026-11-16 00:00"))
        XCTAssertEqual(p("2w").next(after: ms("2026-11-16 00:00")), ms("2026-11-30 00:00"))
        XCTAssertEqual(week.fixedMilliseconds, 604_800_000)
    }

    func testMonthsHandleMonthEndsAndLeapYears() {
        let month = p("1mo")
        XCTAssertEqual(month.floor(ms("2024-02-29T13:00:00Z")), ms("2024-02-01 00:00"))
        XCTAssertEqual(month.next(after: ms("2024-02-01 00:00")), ms("2024-03-01 00:00"))
        XCTAssertEqual(month.next(after: ms("2024-01-01 00:00")), ms("2024-02-01 00:00"))
        XCTAssertEqual(month.floor(ms("2023-03-01 00:00") - 1), ms("2023-02-01 00:00"))
        XCTAssertEqual(month.ceil(ms("2024-02-15 00:00")), ms("2024-03-01 00:00"))
        XCTAssertEqual(month.ceil(ms("2024-03-01 00:00")), ms("2024-03-01 00:00"))
        let days = month.windows(from: ms("2024-01-15 00:00"), to: ms("2024-04-01 00:00")).map { $0.duration / 86_400_000 }
        XCTAssertEqual(days, [31, 29, 31])   // 2024 is a leap year
        XCTAssertEqual(month.windows(from: ms("2023-02-01 00:00"), to: ms("2023-03-01 00:00")).map { $0.duration / 86_400_000 }, [28])
        XCTAssertEqual(month.windows(from: ms("2000-02-01 00:00"), to: ms("2000-03-01 00:00")).map { $0.duration / 86_400_000 }, [29])   // 2000: divisible by 400
        XCTAssertEqual(month.next(after: ms("2026-12-01 00:00")), ms("2027-01-01 00:00"))
        XCTAssertEqual(p("2mo").floor(ms("2026-12-15 00:00")), ms("2026-11-01 00:00"))   // pairs from January: Nov–Dec
        XCTAssertEqual(p("1q").floor(ms("2026-11-28 22:13")), ms("2026-10-01 00:00"))
        XCTAssertEqual(p("1q").next(after: ms("2026-10-01 00:00")), ms("2027-01-01 00:00"))
        XCTAssertEqual(p("1y").floor(ms("2024-02-29 00:00")), ms("2024-01-01 00:00"))
        XCTAssertEqual(p("1y").next(after: ms("2024-01-01 00:00")), ms("2025-01-01 00:00"))
        XCTAssertEqual(month.floor(ms("1969-12-31T23:59:59Z")), ms("1969-12-01 00:00"))
        XCTAssertNil(month.fixedMilliseconds)
    }

    func testRoundTrips() {
        for text in ["1ms", "30s", "5m", "90m", "1h", "1d", "1w", "2w", "1mo", "3mo", "1q", "1y"] {
            let period = p(text)
            XCTAssertEqual(Period.parse(period.description), period, text)
            var t = ms("2023-11-17T05:06:07Z")
            for _ in 0..<30 {
                let w = period.window(containing: t)
                XCTAssertTrue(w.contains(t), text)
                XCTAssertEqual(period.floor(w.start), w.start, text)
                XCTAssertEqual(period.floor(w.end), w.end, text)
                XCTAssertEqual(period.floor(w.end - 1), w.start, text)
                XCTAssertEqual(period.ceil(t), t == w.start ? w.start : w.end, text)
                t = w.end + (w.duration / 3)
            }
        }
        XCTAssertEqual(p("60m").description, "1h")
        XCTAssertEqual(p("120s").description, "2m")
        XCTAssertEqual(p("5 minutes".replacingOccurrences(of: " ", with: "")).description, "5m")
        XCTAssertNil(Period.parse("0m"))
        XCTAssertNil(Period.parse("5x"))
    }
}

final class ClockTests: XCTestCase {
    func testManualClockSetAdvanceAndSleep() {
        let clock = ManualClock(milliseconds: ms("2026-11-28T22:13:27Z"))
        XCTAssertEqual(clock.milliseconds(), 1_795_904_007_000)
        XCTAssertEqual(clock.seconds(), 1_795_904_007)
        clock.advance(seconds: 33)
        XCTAssertEqual(clock.milliseconds(), ms("2026-11-28 22:14"))
        clock.sleep(seconds: 1.5)
        clock.sleep(seconds: -1)
        clock.sleep(seconds: 0)
        XCTAssertEqual(clock.sleeps, [1.5, -1, 0])
        XCTAssertEqual(clock.milliseconds(), ms("2026-11-28 22:14") + 1500)
        clock.set(milliseconds: 0)
        XCTAssertEqual(clock.milliseconds(), 0)
        XCTAssertEqual(clock.date(), Date(timeIntervalSince1970: 0))
        XCTAssertEqual(ManualClock(seconds: 1.25).milliseconds(), 1250)
    }

    func testSystemClockIsNearFoundationsClock() {
        let diff = abs(SystemClock().seconds() - Date().timeIntervalSince1970)
        XCTAssertLessThan(diff, 5)
    }
}

final class CivilCalendarTests: XCTestCase {
    func testDaysWeekdaysAndMonthLengths() {
        // 2026-11-23 is day 20_780 since 1970-01-01 (hand: 56 years of 365 days + 14 leap days (1972–2024) + 304 days to 1 November + 22).
        XCTAssertEqual(CivilCalendar.daysFromCivil(2026, 11, 23), 20_780)
        XCTAssertEqual(CivilCalendar.civilFromDays(20_785).day, 28)
        XCTAssertEqual(CivilCalendar.weekday(ofDay: 0), 5)        // 1970-01-01, a Thursday (1 = SUN)
        XCTAssertEqual(CivilCalendar.weekday(ofDay: -1), 4)       // 1969-12-31, a Wednesday
        XCTAssertEqual(CivilCalendar.weekday(ofDay: 20_785), 7)   // 2026-11-28, a Saturday
        XCTAssertEqual(CivilCalendar.weekday(ofDay: 20_786), 1)   // 2026-11-29, a Sunday
        XCTAssertEqual([2023, 2024, 1900, 2000].map { CivilCalendar.daysInMonth(year: $0, month: 2) }, [28, 29, 28, 29])
        XCTAssertEqual((1...12).map { CivilCalendar.daysInMonth(year: 2026, month: $0) }, [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
        XCTAssertEqual(CivilCalendar.floorDiv(-1, 60_000), -1)
        XCTAssertEqual(CivilCalendar.floorDiv(59_999, 60_000), 0)
        XCTAssertEqual(CivilCalendar.floorDiv(-60_000, 60_000), -1)
        XCTAssertEqual(CivilCalendar.iso(-1), "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(CivilCalendar.iso(1_795_904_007_000), "2026-11-28T22:13:27Z")
    }
}
