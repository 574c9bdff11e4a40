import Foundation
/// How the lines of one input are read into records.
public enum LogFormat: String, Sendable, CaseIterable {
    /// CloudWatch Logs export lines: `2026-11-01T00:00:00.024Z <message>`.
    case cloudwatchExport = "cloudwatch"
    /// JSON events as printed by `aws logs filter-log-events` / `get-log-events` (`timestamp`, `message`, `logStreamName`).
    case cliEvents = "events"
    /// JSON objects, one per line; the whole line is the message and its fields are discovered.
    case jsonLines = "json"
    /// Any other text; a leading ISO-8601 timestamp is taken when present.
    case plain = "plain"
    /// CSV downloads of the CloudWatch console (`timestamp,message[,logStreamName]`), Logs Insights
    /// (`@timestamp,@message,…`) and Live Tail (`Event Time,Message,Log group,Log stream`): quoted
    /// messages with embedded newlines, one record per row.
    case csv = "csv"
    /// CloudTrail log files: JSON objects whose `Records` array holds the events.
    case cloudtrail = "cloudtrail"
    /// CloudWatch Logs subscription payloads (`logGroup`, `logStream`, `logEvents`), back to back.
    case subscription = "subscription"

    /// Whether every record is one line (so inputs can be split at any newline).
    public var isLineFramed: Bool { self != .csv && self != .cloudtrail && self != .subscription }

    /// Whether the message bytes of this format appear verbatim in the line only when they need no JSON escaping.
    public var messageIsJSONEncoded: Bool { self == .cliEvents }
}

/// What is known about one input while its lines are read.
public final class InputContext: Sendable {
    /// The object's name as people see it (a path, `(stdin)`).
    public let name: String
    /// The object's position in the scan, for the default row order.
    public let ordinal: Int
    public let format: LogFormat
    /// `@logStream` from the CloudWatch export path layout (`<group>/<stream>/000000.gz`), if recognised.
    public let logStream: String?
    /// `@log` for the input, if known.
    public let logGroup: String?
    /// The positional log type of its messages (VPC flow, S3 access, ALB), if any.
    public let logType: LogType
    /// Field names of `logType`, as bytes, in position order.
    public let fieldNames: [[UInt8]]
    /// `logType != .generic`, computed once: the hot path asks per line.
    public let isPositional: Bool
    /// The object's own fields (labels of a discovered source: `service`, `env`, `__meta_owner`), as
    /// names in bytes with their values: a field the record does not have is looked up here.
    public let labels: [(name: [UInt8], value: String)]
    /// `!labels.isEmpty`, computed once.
    public let hasLabels: Bool

    /// The top-level keys a JSON line's `@timestamp` is read from, in order of preference, as the
    /// needles `"key"`: `timestampField` alone when one is named, else `timestamp`, `@timestamp`, `time`, `ts`.
    public let timeKeys: [[UInt8]]
    public static let defaultTimeKeys = ["timestamp", "@timestamp", "time", "ts"]
    public static let defaultTimeNeedles = defaultTimeKeys.map(needle)
    static func needle(_ key: String) -> [UInt8] { Array("\"\(key)\"".utf8) }

    public init(name: String, ordinal: Int, format: LogFormat, logStream: String? = nil, logGroup: String? = nil, logType: LogType = .generic,
                timestampField: String? = nil, labels: [String: String] = [:]) {
        self.labels = labels.sorted { $0.key < $1.key }.map { (Array($0.key.utf8), $0.value) }
        hasLabels = !labels.isEmpty
        timeKeys = timestampField.map { [InputContext.needle($0)] } ?? InputContext.defaultTimeNeedles
        self.name = name
        self.ordinal = ordinal
        self.format = format
        self.logStream = logStream
        self.logGroup = logGroup
        self.logType = logType
        isPositional = logType != .generic
        switch logType {
        case .generic: fieldNames = []
        case .vpcFlow(let fields, _): fieldNames = fields.map { Array($0.utf8) }
        case .s3Access: fieldNames = LogType.s3Fields.map { Array($0.utf8) }
        case .alb: fieldNames = LogType.albFields.map { Array($0.utf8) }
        }
    }

    /// The value of the label `name`, if the object has one.
    public func label(_ name: UnsafeRawBufferPointer) -> String? {
        for l in labels where l.name.count == name.count && l.name.elementsEqual(name) {
            return l.value
        }
        return nil
    }

    /// Checks a positional message against its log type (`PositionalFields.check`) and reads its own
    /// time: S3's bracketed time, ALB's `time`, a VPC flow record's `start`.
    public func positional(_ m: UnsafeRawBufferPointer, tokens: inout [Range<Int>]) -> PositionalFields.Check {
        PositionalFields.tokenize(m, into: &tokens)
        return PositionalFields.check(logType, m, tokens)
    }

    /// `positional`, splitting only the fields the check needs; returns where the split stopped.
    public func positional(_ m: UnsafeRawBufferPointer, leading tokens: inout [Range<Int>]) -> (check: PositionalFields.Check, resume: Int) {
        tokens.removeAll(keepingCapacity: true)
        let resume = PositionalFields.tokenize(m, into: &tokens, from: 0, limit: logType.fieldsForCheck)
        return (PositionalFields.check(logType, m, tokens), resume)
    }

    /// Whether a line is the header line of its log type (VPC flow logs delivered to S3 start with one).
    public func isHeader(_ line: UnsafeRawBufferPointer) -> Bool {
        if case .vpcFlow(_, true) = logType { return Bytes.hasPrefix(line, "version ") }
        return false
    }
}

/// One log event, viewed in place. Every buffer is valid only until the next record is decoded.
public struct Record {
    public var line = UnsafeRawBufferPointer(start: nil, count: 0)
    public var message = UnsafeRawBufferPointer(start: nil, count: 0)
    /// Epoch milliseconds, or `Record.absent`.
    public var timestamp: Int64 = Record.absent
    public var ingestionTime: Int64 = Record.absent
    /// `@logStream` carried by the event itself (CLI JSON events).
    public var logStream: UnsafeRawBufferPointer? = nil
    public var logGroup: UnsafeRawBufferPointer? = nil
    /// Position of the line within its input's decoded bytes, for ordering and error reports.
    public var offset: Int = 0
    public static let absent = Int64.min
    public init() {}
}

/// Decodes lines into records for one format, reusing its buffers (one decoder per worker).
public final class RecordDecoder {
    /// Keeps other workers' objects off this one's cache lines (see `CacheLinePad`).
    private let padHead = CacheLinePad()
    /// Why the last `decode` returned false.
    public enum Problem: Sendable {
        /// The line does not have the shape of its format.
        case format
        /// A time field is present but unreadable or outside `Timestamps.validRange`.
        case time
        /// The message does not fit its input's positional log type (an NLB line among ALB lines).
        case positional
        /// The message is JSON nested deeper than `JSONCursor.maxDepth`.
        case depth
    }
    // A decoder belongs to one worker and is used by one thread at a time: its per-line state skips
    // the dynamic exclusivity checks, which cost more than decoding a REPORT line's time.
    @exclusivity(unchecked) public private(set) var problem = Problem.format
    @exclusivity(unchecked) private var tokens: [Range<Int>] = []
    /// Whether the last line decoded fit its positional log type (then `tokens` are its first fields).
    @exclusivity(unchecked) private var positionalFit = false
    /// Where splitting the line's fields stopped (its length once every field is split).
    @exclusivity(unchecked) private var tokenResume = 0
    @exclusivity(unchecked) private var messageScratch: [UInt8] = []
    @exclusivity(unchecked) private var streamScratch: [UInt8] = []
    @exclusivity(unchecked) private var groupScratch: [UInt8] = []
    @exclusivity(unchecked) public private(set) var record = Record()
    /// The date part (`YYYY-MM-DD`) of the previous export line and its day number: consecutive
    /// lines almost always share it, which saves the calendar arithmetic.
    @exclusivity(unchecked) private var lastDate: (UInt64, UInt16) = (0, 0)
    @exclusivity(unchecked) private var lastDays: Int64 = 0

    /// Ends the object too, so its last fields never share a cache line with what is allocated after it.
    private let padTail = CacheLinePad()

    public init() {
        messageScratch.reserveCapacity(4096)
    }

    /// Field `k` of the last positional line decoded, as a range of its `record.message`; nil when
    /// the line did not fit its type or has fewer fields. Decoding already split the line to find its
    /// time, so a query reads its fields from here instead of splitting the line again.
    @inline(__always) public func positionalField(_ k: Int, of message: UnsafeRawBufferPointer) -> Range<Int>? {
        guard positionalFit, message.baseAddress == record.message.baseAddress, message.count == record.message.count else { return nil }
        if k >= tokens.count && tokenResume < message.count {
            tokenResume = PositionalFields.tokenize(message, into: &tokens, from: tokenResume, limit: k + 1)
        }
        return k < tokens.count ? tokens[k] : nil
    }

    /// Whether `positionalField` answers for `message` (the last line decoded, which fit its type).
    @inline(__always) public func hasPositionalFields(of message: UnsafeRawBufferPointer) -> Bool {
        positionalFit && message.baseAddress == record.message.baseAddress && message.count == record.message.count
    }

    /// What a failed `decode` of `input` means, for the parse-failure samples.
    public func describeProblem(_ input: InputContext) -> String {
        switch problem {
        case .format: return "not a \(input.format.rawValue) line"
        case .time: return "a time that cannot be read or lies outside years 0000-9999 (read without @timestamp)"
        case .positional: return "does not fit the \(input.logType.name) format (read as a plain message)"
        case .depth: return "JSON nested deeper than \(JSONCursor.maxDepth) levels"
        }
    }

    /// Decodes a line of `input`: its format, the JSON-lines time keys, and its positional log type
    /// (a line that does not fit the type is read as a plain message). Returns false, with `problem`
    /// set, when the line does not fit or a time in it cannot be read; the record is still usable.
    public func decode(_ line: UnsafeRawBufferPointer, input: InputContext, offset: Int) -> Bool {
        var ok = decode(line, format: input.format, offset: offset, timeKeys: input.timeKeys)
        positionalFit = false
        if input.isPositional {
            let (c, resume) = input.positional(record.message, leading: &tokens)
            tokenResume = resume
            positionalFit = c.fits
            if !c.fits {
                if ok { problem = .positional; ok = false }
            } else if record.timestamp == Record.absent {
                if let t = c.time { record.timestamp = t } else if c.timeUnreadable && ok { problem = .time; ok = false }
            }
        }
        return ok
    }

    /// Decodes `line` (without its newline). Returns false when the line does not fit `format`, or a
    /// time in it cannot be read (`problem` says which); the record then holds the raw line (or the
    /// message it found) so it can still be queried. JSON lines take `@timestamp` from `timeKeys`.
    public func decode(_ lineIn: UnsafeRawBufferPointer, format: LogFormat, offset: Int,
                       timeKeys: [[UInt8]] = InputContext.defaultTimeNeedles) -> Bool {
        problem = .format
        let ok = decodeFormat(lineIn, format: format, timeKeys: timeKeys, offset: offset)
        if ok && JSONCursor.tooDeep(record.message) { problem = .depth; return false }
        return ok
    }

    private func decodeFormat(_ lineIn: UnsafeRawBufferPointer, format: LogFormat, timeKeys: [[UInt8]], offset: Int) -> Bool {
        var line = lineIn
        if line.count > 0, line[line.count - 1] == 0x0d { line = UnsafeRawBufferPointer(rebasing: line[0..<(line.count - 1)]) }
        record.line = line
        record.offset = offset
        record.timestamp = Record.absent
        record.ingestionTime = Record.absent
        record.logStream = nil
        record.logGroup = nil
        switch format {
        case .cloudwatchExport:
            if let ms = fastExportTime(line) {
                record.timestamp = ms
                record.message = UnsafeRawBufferPointer(rebasing: line[25...])
                return true
            }
            if let (ms, end) = Timestamps.parseISO8601(line), end < line.count, line[end] == 0x20 {
                record.timestamp = ms
                record.message = UnsafeRawBufferPointer(rebasing: line[(end + 1)...])
                return true
            }
            record.message = line
            if let (ms, _) = Timestamps.parseISO8601(line) { record.timestamp = ms }
            return line.count == 0
        case .plain:
            record.message = line
            if line.count >= 19, Bytes.isDigit(line[0]), let (ms, _) = Timestamps.parseISO8601(line) { record.timestamp = ms }
            return true
        case .jsonLines:
            record.message = line
            var c = JSONCursor(line)
            c.skipSpace()
            guard c.peek() == UInt8(ascii: "{") else { return line.count == 0 }
            switch JSONTime.find(line, object: c.i, keys: timeKeys) {
            case .absent: return true
            case .time(let t): record.timestamp = t; return true
            case .unreadable: problem = .time; return false
            }
        case .cliEvents:
            return decodeEvent(line)
        case .csv, .cloudtrail, .subscription:
            // Not line formats: `DocumentDecoder` reads them. A line here is taken as it is.
            record.message = line
            return false
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ ` exactly, as CloudWatch writes it; nil for anything else.
    @inline(__always) private func fastExportTime(_ b: UnsafeRawBufferPointer) -> Int64? {
        guard b.count >= 25, b[24] == 0x20, b[23] == UInt8(ascii: "Z"), b[19] == UInt8(ascii: "."), b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":") else { return nil }
        let date = (b.loadUnaligned(fromByteOffset: 0, as: UInt64.self), b.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        if date != lastDate {
            guard b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), let y = d(b, 0, 4), let mo = d(b, 5, 2), let day = d(b, 8, 2),
                  mo >= 1, mo <= 12, day >= 1, day <= 31 else { return nil }
            lastDays = Int64(Timestamps.daysFromCivil(y, mo, day))
            lastDate = date
        }
        guard let h = d(b, 11, 2), let mi = d(b, 14, 2), let s = d(b, 17, 2), let ms = d(b, 20, 3), h < 24, mi < 60, s <= 60 else { return nil }
        return ((lastDays * 24 + Int64(h)) * 60 + Int64(mi)) * 60_000 + Int64(s) * 1000 + Int64(ms)
    }

    @inline(__always) private func d(_ b: UnsafeRawBufferPointer, _ at: Int, _ n: Int) -> Int? { Timestamps.digits(b, at, n) }

    private func decodeEvent(_ line: UnsafeRawBufferPointer) -> Bool {
        record.message = line
        var c = JSONCursor(line)
        c.skipSpace()
        guard c.peek() == UInt8(ascii: "{") else { return line.count == 0 }
        c.i += 1
        var sawMessage = false
        var timeUnreadable = false
        while true {
            c.skipSpace()
            if c.peek() == UInt8(ascii: "}") { break }
            guard let (k, _) = c.scanString() else { return false }
            c.skipSpace()
            guard c.peek() == UInt8(ascii: ":") else { return false }
            c.i += 1
            c.skipSpace()
            let key = UnsafeRawBufferPointer(rebasing: line[k])
            let vStart = c.i
            if Bytes.hasPrefix(key, "message") && key.count == 7 {
                guard let (r, esc) = c.scanString() else { return false }
                record.message = stringValue(line, r, esc, &messageScratch)
                sawMessage = true
            } else if key.count == 9 && Bytes.hasPrefix(key, "timestamp") {
                guard c.skipValue() else { return false }
                if let t = eventTime(UnsafeRawBufferPointer(rebasing: line[vStart..<c.i])) { record.timestamp = t } else { timeUnreadable = true }
            } else if key.count == 13 && Bytes.hasPrefix(key, "ingestionTime") {
                guard c.skipValue() else { return false }
                if let t = eventTime(UnsafeRawBufferPointer(rebasing: line[vStart..<c.i])) { record.ingestionTime = t } else { timeUnreadable = true }
            } else if key.count == 13 && Bytes.hasPrefix(key, "logStreamName") {
                guard let (r, esc) = c.scanString() else { return false }
                record.logStream = stringValue(line, r, esc, &streamScratch)
            } else if key.count == 12 && Bytes.hasPrefix(key, "logGroupName") {
                guard let (r, esc) = c.scanString() else { return false }
                record.logGroup = stringValue(line, r, esc, &groupScratch)
            } else {
                guard c.skipValue() else { return false }
            }
            c.skipSpace()
            if c.peek() == UInt8(ascii: ",") { c.i += 1; continue }
            if c.peek() == UInt8(ascii: "}") { break }
            return false
        }
        if !sawMessage { record.message = line }
        if timeUnreadable { problem = .time; return false }
        return true
    }

    private func stringValue(_ line: UnsafeRawBufferPointer, _ r: Range<Int>, _ escaped: Bool, _ scratch: inout [UInt8]) -> UnsafeRawBufferPointer {
        if !escaped { return UnsafeRawBufferPointer(rebasing: line[r]) }
        scratch.removeAll(keepingCapacity: true)
        JSONCursor.unescape(line, r, into: &scratch)
        // The scratch array is owned by the decoder and not mutated until the next decode.
        return scratch.withUnsafeBytes { $0 }
    }

    /// An event's time as JSON lines read it (ISO-8601, 10-digit epoch seconds, 13-digit epoch ms,
    /// quoted or not), else any other number as epoch ms as the CLI writes it; nil when unreadable or out of range.
    private func eventTime(_ v: UnsafeRawBufferPointer) -> Int64? {
        let quoted = v.count >= 2 && v[0] == UInt8(ascii: "\"") && v[v.count - 1] == UInt8(ascii: "\"")
        if let t = JSONTime.readTime(quoted ? UnsafeRawBufferPointer(rebasing: v[1..<(v.count - 1)]) : v) { return t }
        if let d = Bytes.parseDouble(v) { return Timestamps.fromEpoch(d, unit: 1) }
        return nil
    }
}

/// Chooses a format from the first bytes of an input: the kind most of its first lines fit.
public enum FormatDetector {
    public static func detect(_ head: UnsafeRawBufferPointer) -> LogFormat {
        if let doc = detectDocument(head) { return doc }
        var votes: [LogFormat: Int] = [:]
        var start = 0
        var lines = 0
        while start < head.count && lines < 50 {
            let end = Bytes.find(0x0a, in: head, from: start, to: head.count) ?? head.count
            if end == head.count && start > 0 { break } // a partial last line says little
            var line = UnsafeRawBufferPointer(rebasing: head[start..<end])
            if line.count > 0, line[line.count - 1] == 0x0d { line = UnsafeRawBufferPointer(rebasing: line[0..<(line.count - 1)]) }
            start = end + 1
            if line.count == 0 { continue }
            lines += 1
            votes[classify(line), default: 0] += 1
        }
        return votes.max { a, b in a.value < b.value || (a.value == b.value && a.key.rawValue > b.key.rawValue) }?.key ?? .plain
    }

    /// Detects the positional log type of the messages in the first lines of an input.
    public static func detectLogType(_ head: UnsafeRawBufferPointer, format: LogFormat) -> LogType {
        var copies: [[UInt8]] = []
        if format == .csv {
            // Console CSV downloads of VPC flow logs and other text logs: look at the decoded messages.
            let end = RecordFraming.lastBoundary(.csv, head, from: 0, to: head.count) ?? head.count
            let probe = InputContext(name: "", ordinal: -1, format: .csv)
            DocumentDecoder().forEachRecord(UnsafeRawBufferPointer(rebasing: head[0..<end]), input: probe, offset: 0) { r in
                if copies.count < 20 { copies.append(Array(r.message)) }
            }
            return withBuffers(copies) { PositionalFields.detect($0) }
        }
        guard format == .plain || format == .cloudwatchExport || format == .cliEvents else { return .generic }
        let decoder = RecordDecoder()
        var start = 0
        while start < head.count && copies.count < 20 {
            let end = Bytes.find(0x0a, in: head, from: start, to: head.count) ?? head.count
            if end == head.count && start > 0 { break }
            let line = UnsafeRawBufferPointer(rebasing: head[start..<end])
            start = end + 1
            if line.count == 0 { continue }
            _ = decoder.decode(line, format: format, offset: 0)
            var m = Array(decoder.record.message)
            while let last = m.last, last == 0x0a || last == 0x0d { m.removeLast() }
            copies.append(m)
        }
        return withBuffers(copies) { PositionalFields.detect($0) }
    }

    private static func withBuffers<R>(_ arrays: [[UInt8]], _ body: ([UnsafeRawBufferPointer]) -> R) -> R {
        var pointers: [UnsafeRawBufferPointer] = []
        func go(_ i: Int) -> R {
            if i == arrays.count { return body(pointers) }
            return arrays[i].withUnsafeBytes { b in pointers.append(b); return go(i + 1) }
        }
        return go(0)
    }

    /// Formats recognised from the start of an input rather than line by line.
    static func detectDocument(_ head: UnsafeRawBufferPointer) -> LogFormat? {
        var c = JSONCursor(head)
        c.skipSpace()
        if c.peek() == UInt8(ascii: "{") {
            let window = UnsafeRawBufferPointer(rebasing: head[c.i..<min(head.count, c.i + 8192)])
            if let k = Bytes.find(UnsafeRawBufferPointer(staticString: "\"logEvents\""), in: window, from: 0, to: window.count),
               Bytes.find(UnsafeRawBufferPointer(staticString: "\"messageType\""), in: window, from: 0, to: window.count) != nil || k > 0 {
                if Bytes.find(UnsafeRawBufferPointer(staticString: "\"logGroup\""), in: window, from: 0, to: window.count) != nil { return .subscription }
            }
            if Bytes.find(UnsafeRawBufferPointer(staticString: "\"Records\""), in: window, from: 0, to: min(window.count, 64)) != nil { return .cloudtrail }
            return nil
        }
        // A CSV header naming a time column and a message column.
        let end = Bytes.find(0x0a, in: head, from: 0, to: head.count) ?? head.count
        let header = String(decoding: head[0..<end], as: UTF8.self).trimmingCharacters(in: ["\r", "\u{feff}"]).lowercased()
        let cols = header.split(separator: ",").map { $0.trimmingCharacters(in: ["\""]) }
        if cols.count >= 2, cols.contains(where: { ["timestamp", "@timestamp", "event time"].contains($0) }),
           cols.contains(where: { ["message", "@message"].contains($0) }) {
            return .csv
        }
        return nil
    }

    static func classify(_ line: UnsafeRawBufferPointer) -> LogFormat {
        var c = JSONCursor(line)
        c.skipSpace()
        if c.peek() == UInt8(ascii: "{") {
            // An event object names both `timestamp` and `message` at its top level.
            if Bytes.find(UnsafeRawBufferPointer(staticString: "\"message\""), in: line, from: 0, to: line.count) != nil,
               Bytes.find(UnsafeRawBufferPointer(staticString: "\"timestamp\""), in: line, from: 0, to: line.count) != nil {
                return .cliEvents
            }
            return .jsonLines
        }
        if let (_, end) = Timestamps.parseISO8601(line), end < line.count, line[end] == 0x20,
           line[end - 1] == UInt8(ascii: "Z") || line[end - 1] == UInt8(ascii: "z") || Bytes.isDigit(line[end - 1]) {
            return .cloudwatchExport
        }
        return .plain
    }
}

extension UnsafeRawBufferPointer {
    /// Views a static string's bytes.
    public init(staticString s: StaticString) {
        self.init(start: UnsafeRawPointer(s.utf8Start), count: s.utf8CodeUnitCount)
    }
}
