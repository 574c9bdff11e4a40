import LogmillRecords

/// The "updated natural sort" of Insights' `sort`: non-numbers before numbers; numbers by value;
/// other text chunk by chunk, digit runs by length then value, other runs by code point.
enum NaturalOrder {
    /// -1, 0 or 1; nulls sort after everything.
    static func compare(_ a: Value, _ b: Value) -> Int {
        switch (a.isNull, b.isNull) {
        case (true, true): return 0
        case (true, false): return 1
        case (false, true): return -1
        default: break
        }
        if case .timestamp(let x) = a, case .timestamp(let y) = b { return x < y ? -1 : (x > y ? 1 : 0) }
        // Counts: integers a double holds exactly are equal only when their texts are, so they need
        // no text tie-break (which would render both).
        if case .int(let x) = a, case .int(let y) = b, x.magnitude <= 1 << 53, y.magnitude <= 1 << 53 { return x < y ? -1 : (x > y ? 1 : 0) }
        let an = numericValue(a), bn = numericValue(b)
        switch (an, bn) {
        case let (x?, y?):
            if x < y { return -1 }
            if x > y { return 1 }
            if x.isNaN != y.isNaN { return x.isNaN ? 1 : -1 }   // NaN after every other number
            // Equal numbers (0, 01, 1) tie-break by code point.
            return a.withText { p in b.withText { q in Value.compareBytes(p, q) } ?? 0 } ?? 0
        case (nil, _?): return -1
        case (_?, nil): return 1
        default: return textCompare(a, b)
        }
    }

    /// A number value: exactly what `filter` compares as a number (`Value.number`): numbers, and text
    /// that is entirely a decimal number, exponent allowed (`1.5e3`, `2E-3`).
    @inline(__always) static func numericValue(_ v: Value) -> Double? { v.number }

    static func textCompare(_ a: Value, _ b: Value) -> Int {
        a.withText { x in b.withText { y in chunkCompare(x, y) } ?? 0 } ?? 0
    }

    static func chunkCompare(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Int {
        var i = 0, j = 0
        while i < x.count && j < y.count {
            let dx = Bytes.isDigit(x[i]), dy = Bytes.isDigit(y[j])
            var ie = i, je = j
            while ie < x.count && Bytes.isDigit(x[ie]) == dx { ie += 1 }
            while je < y.count && Bytes.isDigit(y[je]) == dy { je += 1 }
            if dx && dy {
                let lx = ie - i, ly = je - j
                if lx != ly { return lx < ly ? -1 : 1 }
            }
            let c = Value.compareBytes(UnsafeRawBufferPointer(rebasing: x[i..<ie]), UnsafeRawBufferPointer(rebasing: y[j..<je]))
            if c != 0 {
                return c
            }
            i = ie; j = je
        }
        if i < x.count { return 1 }
        if j < y.count { return -1 }
        return 0
    }
}
