/// The Lambda platform line a message is, if any (`@type`).
public enum LambdaLineType: UInt8, Sendable {
    case none, start, end, report
    public var name: String {
        switch self {
        case .none: return ""
        case .start: return "START"
        case .end: return "END"
        case .report: return "REPORT"
        }
    }
}

/// The fields Insights discovers in Lambda's plain-text START/END/REPORT lines.
/// Ranges index into the message; numbers are in the service's units (memory in bytes, durations in ms).
public struct LambdaFields {
    public var type: LambdaLineType = .none
    public var requestId: Range<Int>? = nil
    public var duration: Double? = nil
    public var billedDuration: Double? = nil
    public var memorySize: Double? = nil
    public var maxMemoryUsed: Double? = nil
    public var initDuration: Double? = nil
    public var xrayTraceId: Range<Int>? = nil
    public var xraySegmentId: Range<Int>? = nil

    public init() {}

    /// Parses a message. Non-platform messages give `type == .none` and nothing else.
    public static func parse(_ m: UnsafeRawBufferPointer) -> LambdaFields {
        var f = LambdaFields()
        guard m.count >= 12 else { return f }
        let c0 = m[0]
        let idStart: Int
        if c0 == UInt8(ascii: "R"), Bytes.hasPrefix(m, "REPORT RequestId: ") { f.type = .report; idStart = 18 }
        else if c0 == UInt8(ascii: "S"), Bytes.hasPrefix(m, "START RequestId: ") { f.type = .start; idStart = 17 }
        else if c0 == UInt8(ascii: "E"), Bytes.hasPrefix(m, "END RequestId: ") { f.type = .end; idStart = 15 }
        else { return f }
        var i = idStart
        let n = m.count
        while i < n {
            let c = m[i]
            if c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d { break }
            i += 1
        }
        f.requestId = idStart..<i
        guard f.type == .report else { return f }
        // Segments are `Name: value unit`, separated by TAB (and a newline before the XRAY part).
        while i < n {
            while i < n, m[i] == 0x09 || m[i] == 0x0a || m[i] == 0x0d || m[i] == 0x20 { i += 1 }
            if i >= n { break }
            let segStart = i
            // Find the ": " that ends the name.
            var colon = -1
            var j = i
            while j < n {
                let c = m[j]
                if c == 0x09 || c == 0x0a { break }
                if c == UInt8(ascii: ":") && colon < 0 { colon = j }
                j += 1
            }
            let segEnd = j
            i = segEnd
            guard colon > segStart, colon + 1 < segEnd else { continue }
            var v = colon + 1
            while v < segEnd, m[v] == 0x20 { v += 1 }
            let nameLen = colon - segStart
            let first = m[segStart]
            @inline(__always) func number() -> Double? { Bytes.parseDouble(m, from: v, to: segEnd)?.value }
            @inline(__always) func token() -> Range<Int> {
                var e = v
                while e < segEnd, m[e] != 0x20 { e += 1 }
                return v..<e
            }
            switch (first, nameLen) {
            case (UInt8(ascii: "D"), 8): f.duration = number()                                   // Duration
            case (UInt8(ascii: "B"), 15): f.billedDuration = number()                           // Billed Duration
            case (UInt8(ascii: "M"), 11): f.memorySize = number().map { $0 * 1_000_000 }        // Memory Size
            case (UInt8(ascii: "M"), 15): f.maxMemoryUsed = number().map { $0 * 1_000_000 }     // Max Memory Used
            case (UInt8(ascii: "I"), 13): f.initDuration = number()                             // Init Duration
            case (UInt8(ascii: "X"), 12): f.xrayTraceId = token()                               // XRAY TraceId
            case (UInt8(ascii: "S"), 9): if Bytes.hasPrefix(m, at: segStart, "SegmentId") { f.xraySegmentId = token() }
            default: break
            }
        }
        return f
    }
}
