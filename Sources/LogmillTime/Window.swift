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
    /// `YYYY-MM-DDTHH:MM:SS[.mmm]Z` for epoch milliseconds (years outside 0…9999 are written with a sign).
    public static func iso(_ ms: Int64) -> String {
        let day: Int64 = 86_400_000
        let days = ms >= 0 ? ms / day : (ms - day + 1) / day
        let rem = ms - days * day
        let (y, m, d) = civilFromDays(Int(days))
        func pad(_ v: Int64, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        let year = (0...9999).contains(y) ? pad(Int64(y), 4) : (y < 0 ? "-" + pad(Int64(-y), 6) : "+" + pad(Int64(y), 6))
        var out = "\(year)-\(pad(Int64(m), 2))-\(pad(Int64(d), 2))T\(pad(rem / 3_600_000, 2)):\(pad(rem / 60_000 % 60, 2)):\(pad(rem / 1000 % 60, 2))"
        if rem % 1000 != 0 { out += "." + pad(rem % 1000, 3) }
        return out + "Z"
    }
}
