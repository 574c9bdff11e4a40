import Glibc

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
/// Parsing only locates each value; numbers are read when asked for (`number(_:in:)`), so a
/// query pays only for the fields it uses. Ranges index into the message.
public struct LambdaFields {
    public enum Numeric: Int { case duration, billedDuration, memorySize, maxMemoryUsed, initDuration }

    public var type: LambdaLineType = .none
    public var requestId: Range<Int>? = nil
    public var xrayTraceId: Range<Int>? = nil
    public var xraySegmentId: Range<Int>? = nil
    /// Where each numeric value starts (the number runs to its unit).
    var numericStart: (Int, Int, Int, Int, Int) = (-1, -1, -1, -1, -1)
    var end = 0

    public init() {}

    /// The value of a numeric field in the service's units: durations in ms, memory in bytes (MB × 1,000,000).
    @inline(__always)
    public func number(_ f: Numeric, in m: UnsafeRawBufferPointer) -> Double? {
        let start: Int
        switch f {
        case .duration: start = numericStart.0
        case .billedDuration: start = numericStart.1
        case .memorySize: start = numericStart.2
        case .maxMemoryUsed: start = numericStart.3
        case .initDuration: start = numericStart.4
        }
        guard start >= 0, let v = (Bytes.parsePlainDecimal(m, from: start, to: end) ?? Bytes.parseDouble(m, from: start, to: end))?.value else { return nil }
        return f == .memorySize || f == .maxMemoryUsed ? v * 1_000_000 : v
    }

    /// Which REPORT fields a caller reads; parsing stops once it has located all of them.
    public struct Wanted: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let duration = Wanted(rawValue: 1), billedDuration = Wanted(rawValue: 2), memorySize = Wanted(rawValue: 4)
        public static let maxMemoryUsed = Wanted(rawValue: 8), initDuration = Wanted(rawValue: 16), xray = Wanted(rawValue: 32)
        public static let all: Wanted = [.duration, .billedDuration, .memorySize, .maxMemoryUsed, .initDuration, .xray]
    }

    /// Locates the fields of a message. Non-platform messages give `type == .none` and nothing else.
    public static func parse(_ m: UnsafeRawBufferPointer, wanted: Wanted = .all) -> LambdaFields {
        var f = LambdaFields()
        parse(m, wanted: wanted, into: &f)
        return f
    }

    /// `parse`, writing into `f` (a worker's fields, reused line after line without copying them).
    /// A segment whose field is not wanted is only skipped over.
    public static func parse(_ m: UnsafeRawBufferPointer, wanted: Wanted = .all, into f: inout LambdaFields) {
        f.type = .none
        f.requestId = nil
        f.xrayTraceId = nil
        f.xraySegmentId = nil
        f.numericStart = (-1, -1, -1, -1, -1)
        let n = m.count
        f.end = n
        guard n >= 12, let base = m.baseAddress else { return }
        @inline(__always) func at(_ k: Int) -> UInt8 { base.load(fromByteOffset: k, as: UInt8.self) }
        let idStart: Int
        switch at(0) {
        case UInt8(ascii: "R") where Bytes.hasPrefix(m, "REPORT RequestId: "): f.type = .report; idStart = 18
        case UInt8(ascii: "S") where Bytes.hasPrefix(m, "START RequestId: "): f.type = .start; idStart = 17
        case UInt8(ascii: "E") where Bytes.hasPrefix(m, "END RequestId: "): f.type = .end; idStart = 15
        default: return
        }
        var i = idStart
        if f.type == .report, let tab = memchr(base + idStart, 0x09, n - idStart) {
            // REPORT: the request ID runs to the first TAB.
            i = UnsafeRawPointer(tab) - base
            while i > idStart, at(i - 1) == 0x20 { i -= 1 }
        } else {
            while i < n {
                let c = at(i)
                if c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d { break }
                i += 1
            }
        }
        f.requestId = idStart..<i
        guard f.type == .report else { return }
        var missing = wanted
        // Segments are `Name: value unit`, each ended by a TAB (a newline precedes the XRAY part).
        while i < n, !missing.isEmpty {
            var c = at(i)
            while c == 0x09 || c == 0x0a || c == 0x0d || c == 0x20 {
                i += 1
                if i >= n { return }
                c = at(i)
            }
            let s = i
            // Where the segment's value starts, when it is a wanted field's.
            var v = -1
            @inline(__always) func named(_ name: StaticString, _ field: Wanted) -> Int {
                missing.contains(field) && Bytes.hasPrefix(m, at: s, name) ? s + name.utf8CodeUnitCount : -1
            }
            switch c {
            case UInt8(ascii: "D"): v = named("Duration: ", .duration); if v >= 0 { f.numericStart.0 = v; missing.remove(.duration) }
            case UInt8(ascii: "B"): v = named("Billed Duration: ", .billedDuration); if v >= 0 { f.numericStart.1 = v; missing.remove(.billedDuration) }
            case UInt8(ascii: "M"):
                v = named("Max Memory Used: ", .maxMemoryUsed)
                if v >= 0 { f.numericStart.3 = v; missing.remove(.maxMemoryUsed) } else {
                    v = named("Memory Size: ", .memorySize)
                    if v >= 0 { f.numericStart.2 = v; missing.remove(.memorySize) }
                }
            case UInt8(ascii: "I"): v = named("Init Duration: ", .initDuration); if v >= 0 { f.numericStart.4 = v; missing.remove(.initDuration) }
            case UInt8(ascii: "X"):
                v = named("XRAY TraceId: ", .xray)
                if v >= 0 { f.xrayTraceId = token(v) }
            case UInt8(ascii: "S"):
                v = named("SegmentId: ", .xray)
                if v >= 0 {
                    f.xraySegmentId = token(v)
                    // The segment ID comes after the trace ID: both are found.
                    if f.xrayTraceId != nil { missing.remove(.xray) }
                }
            default: break
            }
            // On to the TAB that ends the segment: after a value a few bytes, read one by one; a
            // segment not wanted is passed over with `memchr`.
            if v >= 0 {
                i = v
                while i < n, at(i) != 0x09 { i += 1 }
            } else {
                i = memchr(base + s, 0x09, n - s).map { UnsafeRawPointer($0) - base } ?? n
            }
            @inline(__always) func token(_ v: Int) -> Range<Int> {
                var e = v
                while e < n {
                    let c = at(e)
                    if c == 0x09 || c == 0x20 || c == 0x0a || c == 0x0d { break }
                    e += 1
                }
                return v..<e
            }
        }
    }
}
