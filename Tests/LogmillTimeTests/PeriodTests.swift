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
