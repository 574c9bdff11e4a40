/// Proleptic Gregorian calendar arithmetic in UTC on day counts (Howard Hinnant's algorithms),
/// shared by timestamp parsing, periods and windows.
public enum CivilCalendar {
    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    @inlinable public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The date of a day count since the epoch.
    public static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

}

extension CivilCalendar {
    public static let millisecondsPerDay: Int64 = 86_400_000

    /// Floor division (rounds toward negative infinity), for epoch times before 1970.
    @inlinable public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Day of the week of a day count, numbered as EventBridge and Quartz do: 1 = Sunday … 7 = Saturday
    /// (1970-01-01 was a Thursday, 5).
    @inlinable public static func weekday(ofDay days: Int) -> Int {
        let r = (days + 4) % 7
        return (r < 0 ? r + 7 : r) + 1
    }

    /// Days in a month of the proleptic Gregorian calendar (28–31).
    public static func daysInMonth(year: Int, month: Int) -> Int {
        let next = month == 12 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, month + 1, 1)
        return next - daysFromCivil(year, month, 1)
    }
}
