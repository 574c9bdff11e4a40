import Foundation
import XCTest
import LogmillRecords
@testable import LogmillQuery

/// parseDate (Java patterns), formatDate/strftime and the query window.
final class DateFunctionTests: FunctionTestCase {
    func ms(_ iso: String) -> String { String(Timestamps.parseISO8601(iso)!) }

    func testParseDate() {
        assertText("parseDate('2024-03-15', 'yyyy-MM-dd')", ms("2024-03-15T00:00:00Z"))
        assertText("parseDate('2024-03-15 12:34:56', 'yyyy-MM-dd HH:mm:ss')", ms("2024-03-15T12:34:56Z"))
        assertText("parseDate('2024-03-15T12:34:56.789Z', \"yyyy-MM-dd'T'HH:mm:ss.SSSX\")", ms("2024-03-15T12:34:56.789Z"))
        // The reference's toMillis example: a -08:00 time is 1642195111000 in UTC.
        assertText("parseDate('2022-01-14T13:18:31-08:00', \"yyyy-MM-dd'T'HH:mm:ssXXX\")", "1642195111000")
        assertText("parseDate('2022-01-14 13:18:31 -0800', 'yyyy-MM-dd HH:mm:ss Z')", "1642195111000")
        // The time-zone argument applies when the text has no offset of its own.
        assertText("parseDate('2022-01-14 23:18:31', 'yyyy-MM-dd HH:mm:ss', '+02:00')", "1642195111000")
        assertText("parseDate('2022-01-14 21:18:31', 'yyyy-MM-dd HH:mm:ss', 'UTC')", "1642195111000")
        assertText("parseDate('2022-01-14 13:18:31', 'yyyy-MM-dd HH:mm:ss', 'GMT-8')", "1642195111000")
        assertText("parseDate('2022-01-14T13:18:31-08:00', \"yyyy-MM-dd'T'HH:mm:ssXXX\", '+05:00')", "1642195111000")
        // Month and day names, 12-hour clock, two-digit year, single-letter fields.
        assertText("parseDate('15/Mar/2024:01:02:03 +0000', 'dd/MMM/yyyy:HH:mm:ss Z')", ms("2024-03-15T01:02:03Z"))
        assertText("parseDate('Friday, March 15, 2024 1:05 PM', 'EEEE, MMMM d, yyyy h:mm a')", ms("2024-03-15T13:05:00Z"))
        assertText("parseDate('Fri Mar 15 2024 12:05 am', 'EEE MMM d yyyy hh:mm a')", ms("2024-03-15T00:05:00Z"))
        assertText("parseDate('3/5/24', 'M/d/yy')", ms("2024-03-05T00:00:00Z"))
        assertText("parseDate('20240315123456', 'yyyyMMddHHmmss')", ms("2024-03-15T12:34:56Z"))
        assertText("parseDate('2024-075', 'yyyy-DDD')", ms("2024-03-15T00:00:00Z"))
        assertText("parseDate('12:30', 'HH:mm')", "45000000")
        assertText("parseDate(\"at 10 o'clock\", \"'at' H 'o''clock'\")", "36000000")
        assertText("parseDate('2024-03-15 12:34:56.123456', 'yyyy-MM-dd HH:mm:ss.SSSSSS')", ms("2024-03-15T12:34:56.123Z"))
        // Optional sections.
        assertText("parseDate('2024-03-15 12:34', 'yyyy-MM-dd HH:mm[:ss]')", ms("2024-03-15T12:34:00Z"))
        assertText("parseDate('2024-03-15 12:34:56', 'yyyy-MM-dd HH:mm[:ss]')", ms("2024-03-15T12:34:56Z"))
        // Zone names and IANA zones (daylight saving applies).
        assertText("parseDate('2024-07-01 12:00 UTC', 'yyyy-MM-dd HH:mm z')", ms("2024-07-01T12:00:00Z"))
        assertText("parseDate('2024-07-01 12:00', 'yyyy-MM-dd HH:mm', 'America/New_York')", ms("2024-07-01T16:00:00Z"))
        assertText("parseDate('2024-01-01 12:00', 'yyyy-MM-dd HH:mm', 'America/New_York')", ms("2024-01-01T17:00:00Z"))
        assertText("parseDate('2024-07-01 12:00 Europe/Paris', 'yyyy-MM-dd HH:mm VV')", ms("2024-07-01T10:00:00Z"))
        // Failures: mismatched text, trailing text, impossible dates, a wrong weekday, bad patterns, bad zones.
        assertText("parseDate('2024/03/15', 'yyyy-MM-dd')", nil)
        assertText("parseDate('2024-03-15 junk', 'yyyy-MM-dd')", nil)
        assertText("parseDate('2023-02-29', 'yyyy-MM-dd')", nil)
        assertText("parseDate('2024-13-01', 'yyyy-MM-dd')", nil)
        assertText("parseDate('Mon 2024-03-15', 'EEE yyyy-MM-dd')", nil)
        assertText("parseDate('2024-03-15T00:00', 'yyyy-MM-ddTHH:mm')", nil)  // unquoted T is not a pattern letter
        assertText("parseDate('2024-03-15', 'yyyy-MM-dd', 'Mars/Olympus')", nil)
        assertText("parseDate('2024-03-15', \"yyyy-MM-dd'\")", nil)
    }

    func testFormatDate() {
        // 2024-03-05T07:08:09.045Z, a Tuesday, day 65 of a leap year.
        let t = Timestamps.parseISO8601("2024-03-05T07:08:09.045Z")!
        assertText("formatDate(\(t), '%Y-%m-%d %H:%M:%S')", "2024-03-05 07:08:09")
        assertText("strftime(\(t), '%Y-%m-%d %H:%M:%S')", "2024-03-05 07:08:09")
        assertText("formatDate(\(t), '%y|%j|%a|%A|%b|%B|%e|%L|%f|%s|%%|%Z|%z')",
                   "24|065|Tue|Tuesday|Mar|March| 5|045|045000|\(t / 1000)|%|UTC|+0000")
        assertText("formatDate(\(t), '%F %T %D %R %I %p %u %w %-d %-H %_m')", "2024-03-05 07:08:09 03/05/24 07:08 07 AM 2 2 5 7  3")
        assertText("formatDate(\(t), '%H:%M %Z %z %:z', '+05:30')", "12:38 UTC+05:30 +0530 +05:30")
        assertText("formatDate(\(t), '%Y-%m-%d %H:%M', '-08:00')", "2024-03-04 23:08")
        assertText("formatDate(\(t), '%H:%M %z', 'America/New_York')", "02:08 -0500")
        // ISO weeks: 2021-01-03 is in week 53 of 2020; 2024-12-30 in week 1 of 2025.
        assertText("formatDate('2021-01-03T10:00:00Z', '%G-W%V-%u')", "2020-W53-7")
        assertText("formatDate('2024-12-30T10:00:00Z', '%G-W%V-%u %U %W')", "2025-W01-1 52 53")
        // @timestamp itself, and unknown conversions copied as they are.
        assertText("formatDate(@timestamp, '%Y/%m/%d %Q')", "2026/01/01 %Q")
        // Before the epoch.
        assertText("formatDate(-1, '%Y-%m-%d %H:%M:%S.%L %s')", "1969-12-31 23:59:59.999 -1")
        assertText("formatDate('nope', '%Y')", nil)
        assertText("formatDate(0, '%Y', 'Nowhere/Zone')", nil)
        // parseDate and formatDate round-trip.
        assertText("formatDate(parseDate('2024-03-15 12:34:56', 'yyyy-MM-dd HH:mm:ss'), '%Y-%m-%dT%H:%M:%S')", "2024-03-15T12:34:56")
    }

    func testQueryWindow() {
        let end = Int64(FunctionTestCase.now * 1000)
        assertText("queryEndTime()", String(end))
        assertText("queryStartTime()", "0")
        assertText("queryTimeRange()", String(end))
        assertText("queryEndTime() - queryStartTime() = queryTimeRange()", "1")
    }
}
