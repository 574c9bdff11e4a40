/// A half-open span of time `[start, end)` in epoch milliseconds. Adjacent windows share no instant:
/// a record at exactly `end` belongs to the next window.
public struct Window: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let start: Int64
    public let end: Int64
    public init(start: Int64, end: Int64) {
        precondition(start <= end, "a window ends after it starts")
        self.start = start
        self.end = end
    }
    @inline(__always) public func contains(_ t: Int64) -> Bool { t >= start && t < end }
    public var duration: Int64 { end - start }
    public static func < (a: Window, b: Window) -> Bool { a.start != b.start ? a.start < b.start : a.end < b.end }
    public var description: String { "[\(CivilCalendar.iso(start)), \(CivilCalendar.iso(end)))" }
}

extension Period {
    /// The aligned window of this period that holds `t`.
    public func window(containing t: Int64) -> Window {
        let s = floor(t)
        return Window(start: s, end: next(after: s))
    }

    /// The start of the period after the one starting at `start` (an aligned boundary); saturates at
    /// `Int64.max` like `floor` (`366 * amount` days of a `1000000000y` period did not fit).
    public func next(after start: Int64) -> Int64 { boundary(start, after: 1) }

    /// Every aligned window that starts at or after `from` and ends at or before `to`, in order.
    /// `from` and `to` are rounded outward to boundaries first, so a range of whole windows is covered
    /// exactly and a partial one is included whole.
    public func windows(from: Int64, to: Int64) -> [Window] {
        var out: [Window] = []
        var s = floor(from)
        while s < to {
            let e = next(after: s)
            out.append(Window(start: s, end: e))
            s = e
        }
        return out
    }
}

extension CivilCalendar {
    /// `YYYY-MM-DDTHH:MM:SS[.mmm]Z` for epoch milliseconds.
    public static func iso(_ ms: Int64) -> String { render(ms, dateTimeSeparator: UInt8(ascii: "T"), alwaysMilliseconds: false, zone: true) }

    /// The one renderer of epoch milliseconds as a UTC date and time, for every `ms` in Int64.
    /// Years 0000 to 9999 take four digits; years outside take a sign and at least six digits, as
    /// ISO 8601 expanded years (`+010000-01-01`, `-000001-12-31`), so no time ever renders as another.
    public static func render(_ ms: Int64, dateTimeSeparator: UInt8, alwaysMilliseconds: Bool, zone: Bool) -> String {
        let day: Int64 = 86_400_000
        var days = ms / day
        var rem = ms % day
        if rem < 0 { rem += day; days -= 1 }
        let (y, m, d) = civilFromDays(Int(days))
        var out = [UInt8]()
        out.reserveCapacity(32)
        func put(_ v: Int, _ width: Int) {
            var digits = [UInt8]()
            var x = v
            repeat { digits.append(UInt8(0x30 + x % 10)); x /= 10 } while x > 0
            for _ in digits.count..<max(width, digits.count) { out.append(0x30) }
            out.append(contentsOf: digits.reversed())
        }
        if (0...9999).contains(y) { put(y, 4) } else { out.append(y < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")); put(abs(y), 6) }
        let r = Int(rem)
        out.append(0x2d); put(m, 2); out.append(0x2d); put(d, 2); out.append(dateTimeSeparator)
        put(r / 3_600_000, 2); out.append(0x3a); put(r / 60_000 % 60, 2); out.append(0x3a); put(r / 1000 % 60, 2)
        if alwaysMilliseconds || r % 1000 != 0 { out.append(0x2e); put(r % 1000, 3) }
        if zone { out.append(UInt8(ascii: "Z")) }
        return String(decoding: out, as: UTF8.self)
    }
}
