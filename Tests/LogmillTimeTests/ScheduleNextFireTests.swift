import XCTest
@testable import LogmillTime
import LogmillTestSupport

/// jobs.md 1.4: next fire times after R = 2026-11-28T22:13:27Z (a Saturday), strictly after R, at
/// minute resolution, UTC. Daylight saving time is irrelevant: every schedule is evaluated in UTC.
final class ScheduleNextFireTests: XCTestCase {
    let r = ms("2026-11-28T22:13:27Z")

    let table: [(String, [String])] = [
        ("cron(0/5 * * * ? *)", ["2026-11-28 22:15", "2026-11-28 22:20", "2026-11-28 22:25"]),
        ("cron(*/5 * * * ? *)", ["2026-11-28 22:15", "2026-11-28 22:20", "2026-11-28 22:25"]),
        ("cron(1/10 * * * ? *)", ["2026-11-28 22:21", "2026-11-28 22:31", "2026-11-28 22:41"]),
        ("cron(0 10 * * ? *)", ["2026-11-29 10:00", "2026-11-30 10:00", "2026-12-01 10:00"]),
        ("cron(0 18 ? * MON-FRI *)", ["2026-11-30 18:00", "2026-12-01 18:00", "2026-12-02 18:00"]),
        ("cron(0 8 1 * ? *)", ["2026-12-01 08:00", "2027-01-01 08:00", "2027-02-01 08:00"]),
        ("cron(0/10 * ? * MON-FRI *)", ["2026-11-30 00:00", "2026-11-30 00:10", "2026-11-30 00:20"]),
        ("cron(0/5 8-17 ? * MON-FRI *)", ["2026-11-30 08:00", "2026-11-30 08:05", "2026-11-30 08:10"]),
        ("cron(5,35 14 * * ? *)", ["2026-11-29 14:05", "2026-11-29 14:35", "2026-11-30 14:05"]),
        ("cron(0 12 L * ? *)", ["2026-11-30 12:00", "2026-12-31 12:00", "2027-01-31 12:00"]),
        ("cron(0 9 1W * ? *)", ["2026-12-01 09:00", "2027-01-01 09:00", "2027-02-01 09:00"]),
        ("cron(0 9 15W * ? *)", ["2026-12-15 09:00", "2027-01-15 09:00", "2027-02-15 09:00"]),
        ("cron(0 9 ? * 2#1 *)", ["2026-12-07 09:00", "2027-01-04 09:00", "2027-02-01 09:00"]),
        ("cron(0 0 ? * 1#5 *)", ["2026-11-29 00:00", "2027-01-31 00:00", "2027-05-30 00:00"]),
        ("cron(30 23 ? * 6L *)", ["2026-12-25 23:30", "2027-01-29 23:30", "2027-02-26 23:30"]),
        ("cron(0 0 ? * L *)", ["2026-12-05 00:00", "2026-12-12 00:00", "2026-12-19 00:00"]),
        ("cron(0 6 29 2 ? *)", ["2028-02-29 06:00", "2032-02-29 06:00", "2036-02-29 06:00"]),
        ("cron(0 0/6 ? * SAT,SUN 2027)", ["2027-01-02 00:00", "2027-01-02 06:00", "2027-01-02 12:00"]),
    ]

    func testReferenceTable() throws {
        for (text, expected) in table {
            let schedule = try Schedule.parse(text)
            XCTAssertEqual(try Schedule.parse(schedule.description), schedule, text)
            var t = r
            var got: [String] = []
            for _ in expected {
                let next = schedule.next(after: t)
                got.append(minuteText(next))
                guard let next else { break }
                t = next
            }
            XCTAssertEqual(got, expected, text)
        }
    }

    func testFirstOfMayIsASaturdaySoOneWFiresOnMondayTheThird() throws {
        let s = try Schedule.parse("cron(0 9 1W * ? *)")
        XCTAssertEqual(minuteText(s.next(after: ms("2027-04-02 00:00"))), "2027-05-03 09:00")
    }

    func testNearestWeekdayMovesOffWeekends() throws {
        // 2026-11-01 is a Sunday: 1W is Monday the 2nd. 2026-11-15 is a Sunday too: 15W is Monday the 16th.
        XCTAssertEqual(minuteText(try Schedule.parse("cron(0 9 1W * ? *)").previous(atOrBefore: r)), "2026-11-02 09:00")
        XCTAssertEqual(minuteText(try Schedule.parse("cron(0 9 15W * ? *)").previous(atOrBefore: r)), "2026-11-16 09:00")
        // 2026-08-15 is a Saturday: 15W is Friday the 14th.
        XCTAssertEqual(minuteText(try Schedule.parse("cron(0 9 15W * ? *)").next(after: ms("2026-08-01 00:00"))), "2026-08-14 09:00")
        // 30W never fires in February.
        XCTAssertEqual(minuteText(try Schedule.parse("cron(0 9 30W * ? *)").next(after: ms("2027-01-30 00:00"))), "2027-03-30 09:00")
    }

    func testDaylightSavingTimeIsIrrelevant() throws {
        // Everything is UTC: across the EU (2026-03-29) and US (2026-11-01) clock changes a daily
        // schedule still fires exactly 24 hours apart, at 10:00 UTC.
        let daily = try Schedule.parse("cron(0 10 * * ? *)")
        for day in ["2026-03-28 10:00", "2026-03-29 10:00", "2026-10-31 10:00", "2026-11-01 10:00"] {
            XCTAssertEqual(daily.next(after: ms(day)), ms(day) + 86_400_000, day)
        }
        XCTAssertEqual(try Schedule.parse("rate(1 day)").next(after: ms("2026-03-29 00:30")), ms("2026-03-30 00:00"))
    }

    func testLastDayOfMonthNearestWeekdayStaysInTheMonth() throws {
        // 2027-01-31 is a Sunday: 31W goes back to Friday the 29th, not forward to 1 February.
        let s = try Schedule.parse("cron(0 9 31W * ? *)")
        XCTAssertEqual(minuteText(s.next(after: ms("2027-01-01 00:00"))), "2027-01-29 09:00")
        // February has no 31st, nor April: the next is 2027-03-31 (a Wednesday).
        XCTAssertEqual(minuteText(s.next(after: ms("2027-01-30 00:00"))), "2027-03-31 09:00")
        // 2027-07-31 is a Saturday: Friday the 30th.
        XCTAssertEqual(minuteText(s.next(after: ms("2027-07-01 00:00"))), "2027-07-30 09:00")
    }

    func testNeverFiresAgain() throws {
        let s = try Schedule.parse("cron(15 10 ? * 6L 2002-2005)")
        XCTAssertNil(s.next(after: r))
        // It did fire: the last Friday of December 2005 was the 30th.
        XCTAssertEqual(minuteText(s.previous(atOrBefore: r)), "2005-12-30 10:15")
        XCTAssertEqual(minuteText(s.next(after: ms("2002-01-01 00:00"))), "2002-01-25 10:15")
    }

    func testImpossibleDatesAnswerFastUpTo2199() throws {
        let start = Date()
        for text in ["cron(0 6 30 2 ? *)", "cron(0 6 31 4,6,9,11 ? *)", "cron(0 0 ? 2 1#5 *)", "cron(59 23 31 12 ? 2199)"] {
            let s = try Schedule.parse(text)
            _ = s.next(after: r)
        }
        XCTAssertNil(try Schedule.parse("cron(0 6 30 2 ? *)").next(after: r))
        XCTAssertNil(try Schedule.parse("cron(0 6 31 4,6,9,11 ? *)").next(after: 0))
        // February has a fifth Sunday only in leap years starting on a Sunday: 2032-02-29 is one.
        XCTAssertEqual(minuteText(try Schedule.parse("cron(0 0 ? 2 1#5 *)").next(after: r)), "2032-02-29 00:00")
        XCTAssertEqual(minuteText(try Schedule.parse("cron(59 23 31 12 ? 2199)").next(after: r)), "2199-12-31 23:59")
        XCTAssertNil(try Schedule.parse("cron(59 23 31 12 ? 2199)").next(after: ms("2199-12-31 23:59")))
        XCTAssertNil(try Schedule.parse("cron(0 6 30 2 ? *)").previous(atOrBefore: r))
        XCTAssertLessThan(Date().timeIntervalSince(start), 2.0)
    }

    func testNextIsStrictlyAfterAndMinuteAligned() throws {
        let s = try Schedule.parse("cron(0/5 * * * ? *)")
        XCTAssertEqual(minuteText(s.next(after: ms("2026-11-28 22:15"))), "2026-11-28 22:20")
        XCTAssertEqual(minuteText(s.next(after: ms("2026-11-28 22:15") - 1)), "2026-11-28 22:15")
        XCTAssertEqual(minuteText(s.next(after: ms("2026-11-28 22:15") + 1)), "2026-11-28 22:20")
        // Across a year end.
        XCTAssertEqual(minuteText(s.next(after: ms("2026-12-31T23:58:00Z"))), "2027-01-01 00:00")
        // Before 1970 the first fire is 1970-01-01 00:00.
        XCTAssertEqual(minuteText(s.next(after: -86_400_000)), "1970-01-01 00:00")
    }

    func testPreviousAtOrBefore() throws {
        let five = try Schedule.parse("cron(0/5 * * * ? *)")
        XCTAssertEqual(minuteText(five.previous(atOrBefore: r)), "2026-11-28 22:10")
        XCTAssertEqual(minuteText(five.previous(atOrBefore: ms("2026-11-28 22:15"))), "2026-11-28 22:15")
        XCTAssertEqual(minuteText(five.previous(atOrBefore: ms("2026-11-28 22:15") - 1)), "2026-11-28 22:10")
        let weekdays = try Schedule.parse("cron(0 18 ? * MON-FRI *)")
        // R is a Saturday: the last weekday 18:00 was Friday 2026-11-27.
        XCTAssertEqual(minuteText(weekdays.previous(atOrBefore: r)), "2026-11-27 18:00")
        let lastDay = try Schedule.parse("cron(0 12 L * ? *)")
        XCTAssertEqual(minuteText(lastDay.previous(atOrBefore: r)), "2026-10-31 12:00")
        XCTAssertEqual(minuteText(lastDay.previous(atOrBefore: ms("2024-03-15 00:00"))), "2024-02-29 12:00")
        let leap = try Schedule.parse("cron(0 6 29 2 ? *)")
        XCTAssertEqual(minuteText(leap.previous(atOrBefore: r)), "2024-02-29 06:00")
        XCTAssertNil(leap.previous(atOrBefore: ms("1972-02-29 05:59")))
        XCTAssertEqual(minuteText(leap.previous(atOrBefore: ms("1972-02-29 06:00"))), "1972-02-29 06:00")
        let fifthSunday = try Schedule.parse("cron(0 0 ? * 1#5 *)")
        XCTAssertEqual(minuteText(fifthSunday.previous(atOrBefore: r)), "2026-08-30 00:00")
        XCTAssertNil(five.previous(atOrBefore: -1))
        // After 2199 the last fire is the last minute of 2199.
        XCTAssertEqual(minuteText(five.previous(atOrBefore: ms("2300-01-01 00:00"))), "2199-12-31 23:55")
    }

    func testPreviousUndoesNextAroundEveryFire() throws {
        // Every fire in two months for expressions with every kind of token: previous() finds each one
        // from within its minute, and the one before it from just before the next.
        let texts = ["cron(0/5 8-17 ? * MON-FRI *)", "cron(0 9 1W,15W * ? *)", "cron(30 23 ? * 6L,2#1 *)",
                     "cron(0 0 L * ? *)", "cron(7 3,15 ? JAN-MAR,NOV,DEC 1#5,L *)", "cron(0 12 1-7/2 * ? *)"]
        for text in texts {
            let s = try Schedule.parse(text)
            var fires: [Int64] = []
            var t = ms("2026-11-01 00:00") - 60_000
            while let n = s.next(after: t), n < ms("2027-01-01 00:00") { fires.append(n); t = n }
            XCTAssertFalse(fires.isEmpty, text)
            for f in fires { XCTAssertEqual(s.previous(atOrBefore: f + 59_999), f, text) }
            for (a, b) in zip(fires, fires.dropFirst()) { XCTAssertEqual(s.previous(atOrBefore: b - 1), a, text) }
        }
    }
}

/// next() and previous() skip days, months and years; a minute-by-minute walk with the plain
/// per-minute predicate must find the same fires.
final class CronSearchTests: XCTestCase {
    func testNextAndPreviousAgreeWithAMinuteWalk() throws {
        var random = SeededRandom(seed: 20261128)
        let minutes = ["*", "0/5", "7", "1-3,30", "*/15", "59", "0"]
        let hours = ["*", "0", "8-17", "0/6", "23", "12"]
        let doms = ["*", "1", "L", "15W", "1W", "31", "29", "30W", "1-7", "28-31"]
        let dows = ["*", "MON-FRI", "1", "6L", "L", "2#1", "1#5", "7#4", "SAT,SUN"]
        let months = ["*", "2", "JAN,JUL", "2-3", "12", "11,12"]
        let years = ["*", "2026-2027", "2028", "2026"]
        var firing = 0
        for _ in 0..<30 {
            let day = random.chance(50) ? "\(random.pick(doms)) \(random.pick(months)) ? "
                                        : "? \(random.pick(months)) \(random.pick(dows)) "
            let text = "cron(\(random.pick(minutes)) \(random.pick(hours)) \(day)\(random.pick(years)))"
            guard case .cron(let cron) = try Schedule.parse(text).kind else { return XCTFail(text) }
            // Walk 12,000 minutes (a bit over eight days) from up to 6,000 minutes before a fire after a
            // random minute of 2026–2028, so that most walks hold fires.
            let random2026to2028 = ms("2026-01-01 00:00") + Int64(random.below(3 * 365 * 1440)) * 60_000
            guard let some = cron.next(after: random2026to2028) else { continue }
            let start = some / 60_000 - Int64(random.below(6_000))
            var expected: [Int64] = []
            for m in start..<(start + 12_000) where cron.fires(atMinute: m) { expected.append(m * 60_000) }
            var got: [Int64] = []
            var t = start * 60_000 - 1
            while let n = cron.next(after: t), n < (start + 12_000) * 60_000 { got.append(n); t = n }
            XCTAssertEqual(got, expected, text)
            if !expected.isEmpty { firing += 1 }
            var back: [Int64] = []
            t = (start + 12_000) * 60_000 - 1
            while let p = cron.previous(atOrBefore: t), p >= start * 60_000 { back.append(p); t = p - 1 }
            XCTAssertEqual(back.reversed(), expected, text)
        }
        XCTAssertGreaterThan(firing, 15, "most random expressions should fire in their walk")
    }
}
