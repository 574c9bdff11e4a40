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
        guard start >= 0, let v = Bytes.parseDouble(m, from: start, to: end)?.value else { return nil }
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
        let n = m.count
        f.end = n
        guard n >= 12, let base = m.baseAddress else { return f }
        let idStart: Int
        switch m[0] {
        case UInt8(ascii: "R") where Bytes.hasPrefix(m, "REPORT RequestId: "): f.type = .report; idStart = 18
        case UInt8(ascii: "S") where Bytes.hasPrefix(m, "START RequestId: "): f.type = .start; idStart = 17
        case UInt8(ascii: "E") where Bytes.hasPrefix(m, "END RequestId: "): f.type = .end; idStart = 15
        default: return f
        }
        var i = idStart
        if f.type == .report, let tab = memchr(base + idStart, 0x09, n - idStart) {
            // REPORT: the request ID runs to the first TAB.
            i = UnsafeRawPointer(tab) - base
            while i > idStart, m[i - 1] == 0x20 { i -= 1 }
        } else {
            while i < n {
                let c = m[i]
                if c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d { break }
                i += 1
            }
        }
        f.requestId = idStart..<i
        guard f.type == .report else { return f }
        var missing = wanted
        // Segments are `Name: value unit`, each ended by a TAB (a newline precedes the XRAY part).
        while i < n {
            while i < n, m[i] == 0x09 || m[i] == 0x0a || m[i] == 0x0d || m[i] == 0x20 { i += 1 }
            if i >= n { break }
            let s = i
            let tab = memchr(base + s, 0x09, n - s).map { UnsafeRawPointer($0) - base } ?? n
            i = tab
            @inline(__always) func named(_ name: StaticString) -> Int? {
                Bytes.hasPrefix(m, at: s, name) ? s + name.utf8CodeUnitCount : nil
            }
            @inline(__always) func token(_ v: Int) -> Range<Int> {
                var e = v
                while e < tab, m[e] != 0x20, m[e] != 0x0a, m[e] != 0x0d { e += 1 }
                return v..<e
            }
            switch m[s] {
            case UInt8(ascii: "D"): if let v = named("Duration: ") { f.numericStart.0 = v; missing.remove(.duration) }
            case UInt8(ascii: "B"): if let v = named("Billed Duration: ") { f.numericStart.1 = v; missing.remove(.billedDuration) }
            case UInt8(ascii: "M"):
                if let v = named("Max Memory Used: ") { f.numericStart.3 = v; missing.remove(.maxMemoryUsed) }
                else if let v = named("Memory Size: ") { f.numericStart.2 = v; missing.remove(.memorySize) }
            case UInt8(ascii: "I"): if let v = named("Init Duration: ") { f.numericStart.4 = v; missing.remove(.initDuration) }
            case UInt8(ascii: "X"): if let v = named("XRAY TraceId: ") { f.xrayTraceId = token(v) }
            case UInt8(ascii: "S"): if let v = named("SegmentId: ") { f.xraySegmentId = token(v) }
            default: break
            }
            if missing.isEmpty { break }
        }
        return f
    }
}
