import Foundation
/// Record framing and decoding for inputs whose records are not single lines: console CSV
/// downloads (quoted messages with newlines), CloudTrail files and subscription payloads.
public enum RecordFraming {
    /// The end of the last complete record in `buf[from..<to]` (the index after it), or nil when
    /// none is complete yet. At the end of the input everything left is one final record.
    public static func lastBoundary(_ format: LogFormat, _ buf: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        switch format {
        case .csv:
            var last: Int? = nil
            forEachCSVRecordStart(buf, from: from, to: to) { start in if start > from { last = start } }
            return last
        case .cloudtrail, .subscription:
            var last: Int? = nil
            forEachJSONDocument(buf, from: from, to: to) { r in last = r.upperBound }
            return last
        default:
            return Bytes.findLast(0x0a, in: buf, from: from, to: to).map { $0 + 1 }
        }
    }

    /// Calls `body` with the start of every CSV record in `buf[from..<to]` (which starts at a record).
    /// A record starts at a line that begins with a time value and a comma, unless a quoted field is
    /// still open; this tolerates the console's unquoted multi-line messages and `'"` escapes.
    public static func forEachCSVRecordStart(_ b: UnsafeRawBufferPointer, from: Int, to: Int, _ body: (Int) -> Void) {
        var i = from
        var inQuotes = false
        var lineStart = true
        var fieldStart = false
        while i < to {
            let c = b[i]
            if lineStart && !inQuotes && startsRecord(b, i, to) { body(i); fieldStart = true }
            lineStart = false
            if inQuotes {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < to && b[i + 1] == UInt8(ascii: "\"") { i += 2; continue }
                    inQuotes = false
                }
            } else if c == UInt8(ascii: "\"") && fieldStart {
                inQuotes = true
            }
            fieldStart = c == UInt8(ascii: ",")
            // A continuation line is more text of the open record's last field, not a new field.
            if c == 0x0a { lineStart = true; fieldStart = false }
            i += 1
        }
    }

    /// A line that opens a CSV record: epoch digits, a spreadsheet number (`1.7284E+12`), an
    /// ISO time, or a quoted one, then a comma.
    static func startsRecord(_ b: UnsafeRawBufferPointer, _ i: Int, _ to: Int) -> Bool {
        var j = i
        if j < to, b[j] == UInt8(ascii: "\"") { j += 1 }
        let s = j
        while j < to, j - s < 40 {
            let c = b[j]
            if c == UInt8(ascii: ",") || c == UInt8(ascii: "\"") { break }
            if !(Bytes.isDigit(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") ||
                 c == UInt8(ascii: ":") || c == UInt8(ascii: "T") || c == UInt8(ascii: "Z") || c == 0x20) { return false }
            j += 1
        }
        guard j > s, j < to, Bytes.isDigit(b[s]) else { return false }
        if b[j] == UInt8(ascii: "\"") { j += 1 }
        return j < to && b[j] == UInt8(ascii: ",")
    }

    /// Calls `body` with the range of every complete top-level JSON value in `buf[from..<to]`. Returns
    /// where an unfinished last value starts (the input was cut inside it), or nil.
    @discardableResult
    public static func forEachJSONDocument(_ b: UnsafeRawBufferPointer, from: Int, to: Int, _ body: (Range<Int>) -> Void) -> Int? {
        var depth = 0
        var start = -1
        JSONCursor.forEachBracket(b, from: from, to: to) { i, opens in
            if opens {
                if depth == 0 { start = i }
                depth += 1
            } else {
                depth -= 1
                if depth == 0 && start >= 0 { body(start..<(i + 1)); start = -1 }
                if depth < 0 { depth = 0 }
            }
            return true
        }
        return depth > 0 && start >= 0 ? start : nil
    }

    /// Where an input of a JSON document format that ends at `to` was cut inside a document (the
    /// document's start), or nil when its last document is complete.
    public static func unfinishedDocument(_ format: LogFormat, _ b: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        guard format == .cloudtrail || format == .subscription else { return nil }
        return forEachJSONDocument(b, from: from, to: to) { _ in }
    }
}

/// Turns framed blocks of a document format into records. One per worker; it keeps each input's CSV header.
public final class DocumentDecoder {
    private var message: [UInt8] = []
    private var stream: [UInt8] = []
    private var group: [UInt8] = []
    private var fields: [Range<Int>] = []
    private var tokens: [Range<Int>] = []
    /// CSV column positions per input index: time, message, stream, group.
    private var headers: [Int: (time: Int, message: Int, stream: Int?, group: Int?, count: Int)] = [:]
    public private(set) var failures = 0

    public init() {}

    /// Decodes every record of `block` and calls `body` with each; returns how many records it found.
    @discardableResult
    public func forEachRecord(_ block: UnsafeRawBufferPointer, input: InputContext, offset: Int, _ body: (Record) -> Void) -> Int {
        switch input.format {
        case .csv: return csvRecords(block, input, offset, body)
        case .cloudtrail, .subscription:
            var n = 0
            let cut = RecordFraming.forEachJSONDocument(block, from: 0, to: block.count) { r in
                n += document(UnsafeRawBufferPointer(rebasing: block[r]), input.format, offset + r.lowerBound, body)
            }
            if let cut {
                // The input ends inside a document (a truncated file): read its complete records and
                // count the cut one. The scan reports where it was cut.
                n += document(UnsafeRawBufferPointer(rebasing: block[cut...]), input.format, offset + cut, body)
            }
            return n
        default: return 0
        }
    }

    // MARK: CSV

    private func csvRecords(_ block: UnsafeRawBufferPointer, _ input: InputContext, _ offset: Int, _ body: (Record) -> Void) -> Int {
        var starts: [Int] = []
        var from = 0
        if offset == 0 || headers[input.ordinal] == nil {
            // The first line is the header.
            let end = Bytes.find(0x0a, in: block, from: 0, to: block.count) ?? block.count
            if headers[input.ordinal] == nil {
                parseHeader(UnsafeRawBufferPointer(rebasing: block[0..<end]), input.ordinal)
                from = min(block.count, end + 1)
            }
        }
        RecordFraming.forEachCSVRecordStart(block, from: from, to: block.count) { starts.append($0) }
        if starts.first != from && from < block.count {
            // Text before the first recognisable record: count it as one bad record.
            starts.insert(from, at: 0)
        }
        guard let h = headers[input.ordinal] else { return 0 }
        for (k, s) in starts.enumerated() {
            let e = k + 1 < starts.count ? starts[k + 1] : block.count
            var record = Record()
            var r = UnsafeRawBufferPointer(rebasing: block[s..<e])
            while r.count > 0, r[r.count - 1] == 0x0a || r[r.count - 1] == 0x0d { r = UnsafeRawBufferPointer(rebasing: r[0..<(r.count - 1)]) }
            record.line = r
            record.offset = offset + s
            splitCSV(r, columns: h.count, messageColumn: h.message)
            guard fields.count > h.message, fields.count > h.time else {
                failures += 1
                record.message = r
                body(record)
                continue
            }
            record.message = unquote(r, fields[h.message], into: &message)
            record.timestamp = csvTime(unquoteView(r, fields[h.time]))
            let misfit = input.isPositional && !input.positional(record.message, tokens: &tokens).fits
            if record.timestamp == Record.absent || misfit || JSONCursor.tooDeep(record.message) { failures += 1 }
            if let sc = h.stream, sc < fields.count { record.logStream = unquote(r, fields[sc], into: &stream) }
            if let gc = h.group, gc < fields.count { record.logGroup = unquote(r, fields[gc], into: &group) }
            body(record)
        }
        return starts.count
    }

    private func parseHeader(_ line: UnsafeRawBufferPointer, _ index: Int) {
        var l = line
        if l.count >= 3, l[0] == 0xEF, l[1] == 0xBB, l[2] == 0xBF { l = UnsafeRawBufferPointer(rebasing: l[3...]) }
        let names = String(decoding: l, as: UTF8.self).trimmingSuffix("\r").split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.replacingQuotes().lowercased() }
        let time = names.firstIndex { ["timestamp", "@timestamp", "event time"].contains($0) } ?? 0
        let msg = names.firstIndex { ["message", "@message"].contains($0) } ?? min(1, names.count - 1)
        let stream = names.firstIndex { ["logstreamname", "@logstream", "log stream"].contains($0) }
        let group = names.firstIndex { ["@log", "log group", "loggroupname"].contains($0) }
        headers[index] = (time, msg, stream, group, names.count)
    }

    /// Splits a record into field ranges (quotes kept). The message column, when unquoted and last,
    /// takes the rest of the record, commas included.
    private func splitCSV(_ r: UnsafeRawBufferPointer, columns: Int, messageColumn: Int) {
        fields.removeAll(keepingCapacity: true)
        var i = 0
        let n = r.count
        while i <= n {
            let k = fields.count
            if k == messageColumn && k == columns - 1 && (i >= n || r[i] != UInt8(ascii: "\"")) {
                fields.append(i..<n)
                return
            }
            if i < n, r[i] == UInt8(ascii: "\"") {
                var j = i + 1
                while j < n {
                    if r[j] == UInt8(ascii: "\"") {
                        if j + 1 < n && r[j + 1] == UInt8(ascii: "\"") { j += 2; continue }
                        break
                    }
                    j += 1
                }
                let end = min(n, j + 1)
                if k == messageColumn && k == columns - 1 { fields.append(i..<n); return }
                fields.append(i..<end)
                i = end
                while i < n, r[i] != UInt8(ascii: ",") { i += 1 }
                i += 1
            } else {
                var j = i
                while j < n, r[j] != UInt8(ascii: ",") { j += 1 }
                fields.append(i..<j)
                i = j + 1
            }
        }
    }

    private func unquoteView(_ r: UnsafeRawBufferPointer, _ f: Range<Int>) -> UnsafeRawBufferPointer {
        var f = f
        if f.count >= 2, r[f.lowerBound] == UInt8(ascii: "\""), r[f.upperBound - 1] == UInt8(ascii: "\"") { f = (f.lowerBound + 1)..<(f.upperBound - 1) }
        return UnsafeRawBufferPointer(rebasing: r[f])
    }

    /// A field's text: `"…"` unquoted with `""` → `"`; a spreadsheet `'` before a quote dropped.
    private func unquote(_ r: UnsafeRawBufferPointer, _ f: Range<Int>, into out: inout [UInt8]) -> UnsafeRawBufferPointer {
        var lo = f.lowerBound, hi = f.upperBound
        if hi - lo >= 2, r[lo] == UInt8(ascii: "'"), r[lo + 1] == UInt8(ascii: "\"") { lo += 1 }
        guard hi - lo >= 1, r[lo] == UInt8(ascii: "\"") else { return UnsafeRawBufferPointer(rebasing: r[lo..<hi]) }
        lo += 1
        if hi > lo, r[hi - 1] == UInt8(ascii: "\"") { hi -= 1 }
        out.removeAll(keepingCapacity: true)
        var i = lo
        while i < hi {
            out.append(r[i])
            if r[i] == UInt8(ascii: "\"") && i + 1 < hi && r[i + 1] == UInt8(ascii: "\"") { i += 2 } else { i += 1 }
        }
        return out.withUnsafeBytes { $0 }
    }

    /// Epoch milliseconds (or seconds), a spreadsheet-rounded number, or an ISO time; absent when
    /// unreadable or outside `Timestamps.validRange`.
    private func csvTime(_ v: UnsafeRawBufferPointer) -> Int64 {
        if let (ms, _) = Timestamps.parseISO8601(v) { return ms }
        guard let d = Bytes.parseDouble(v) else { return Record.absent }
        return Timestamps.fromEpoch(d, unit: abs(d) < 1e11 ? 1000 : 1) ?? Record.absent
    }

    // MARK: JSON documents

    private func document(_ doc: UnsafeRawBufferPointer, _ format: LogFormat, _ offset: Int, _ body: (Record) -> Void) -> Int {
        var c = JSONCursor(doc)
        c.skipSpace()
        guard c.peek() == UInt8(ascii: "{") else { failures += 1; return 0 }
        c.i += 1
        var count = 0
        var eventsRange: Range<Int>? = nil
        var malformed = false
        stream.removeAll(keepingCapacity: true)
        group.removeAll(keepingCapacity: true)
        while true {
            c.skipSpace()
            if c.peek() == UInt8(ascii: "}") { break }
            guard let (k, _) = c.scanString() else { malformed = true; break }
            c.skipSpace()
            guard c.peek() == UInt8(ascii: ":") else { malformed = true; break }
            c.i += 1
            c.skipSpace()
            let key = String(decoding: doc[k], as: UTF8.self)
            let vStart = c.i
            if (key == "Records" && format == .cloudtrail) || (key == "logEvents" && format == .subscription) {
                guard c.skipValue() else {
                    // Cut inside the events: read those that are complete.
                    eventsRange = vStart..<doc.count
                    break
                }
                eventsRange = vStart..<c.i
            } else if format == .subscription && (key == "logGroup" || key == "logStream"), let (r, esc) = c.scanString() {
                if key == "logGroup" {
                    if esc { JSONCursor.unescape(doc, r, into: &group) } else { group.append(contentsOf: doc[r]) }
                } else {
                    if esc { JSONCursor.unescape(doc, r, into: &stream) } else { stream.append(contentsOf: doc[r]) }
                }
            } else {
                guard c.skipValue() else { malformed = true; break }
            }
            c.skipSpace()
            if c.peek() == UInt8(ascii: ",") { c.i += 1 }
        }
        // A malformed (or cut) document still gives the complete events it holds, and counts once.
        if malformed || eventsRange == nil { failures += 1 }
        guard let events = eventsRange else { return 0 }
        var e = JSONCursor(doc, from: events.lowerBound, to: events.upperBound)
        guard e.peek() == UInt8(ascii: "[") else { failures += 1; return 0 }
        e.i += 1
        while true {
            e.skipSpace()
            guard let ch = e.peek(), ch != UInt8(ascii: "]") else { break }
            let s = e.i
            guard e.skipValue() else { failures += 1; break }
            let item = UnsafeRawBufferPointer(rebasing: doc[s..<e.i])
            var record = Record()
            record.line = item
            record.offset = offset + s
            var ok = true
            if format == .cloudtrail {
                record.message = item
                (record.timestamp, ok) = eventTime(item)
            } else {
                ok = subscriptionEvent(item, &record)
                record.logGroup = group.isEmpty ? nil : group.withUnsafeBytes { $0 }
                record.logStream = stream.isEmpty ? nil : stream.withUnsafeBytes { $0 }
            }
            if !ok || JSONCursor.tooDeep(record.message) { failures += 1 }
            body(record)
            count += 1
            e.skipSpace()
            if e.peek() == UInt8(ascii: ",") { e.i += 1 }
        }
        return count
    }

    /// A CloudTrail event's `eventTime`, and false when it is present but unreadable or out of range.
    private func eventTime(_ item: UnsafeRawBufferPointer) -> (Int64, Bool) {
        guard let k = Bytes.find(UnsafeRawBufferPointer(staticString: "\"eventTime\""), in: item, from: 0, to: item.count) else { return (Record.absent, true) }
        var c = JSONCursor(item, from: k + 11)
        c.skipSpace()
        guard c.peek() == UInt8(ascii: ":") else { return (Record.absent, true) }
        c.i += 1
        c.skipSpace()
        guard let (r, _) = c.scanString(), let (ms, _) = Timestamps.parseISO8601(UnsafeRawBufferPointer(rebasing: item[r])) else { return (Record.absent, false) }
        return (ms, true)
    }

    /// Reads one subscription event into `record`; false when it is malformed or its time unreadable.
    private func subscriptionEvent(_ item: UnsafeRawBufferPointer, _ record: inout Record) -> Bool {
        var c = JSONCursor(item)
        c.skipSpace()
        record.message = item
        guard c.peek() == UInt8(ascii: "{") else { return false }
        c.i += 1
        var ok = true
        while true {
            c.skipSpace()
            guard let ch = c.peek(), ch != UInt8(ascii: "}") else { return ok }
            guard let (k, _) = c.scanString() else { return false }
            c.skipSpace()
            guard c.peek() == UInt8(ascii: ":") else { return false }
            c.i += 1
            c.skipSpace()
            let key = UnsafeRawBufferPointer(rebasing: item[k])
            let vs = c.i
            if key.count == 7 && Bytes.hasPrefix(key, "message"), let (r, esc) = c.scanString() {
                if esc {
                    message.removeAll(keepingCapacity: true)
                    JSONCursor.unescape(item, r, into: &message)
                    record.message = message.withUnsafeBytes { $0 }
                } else {
                    record.message = UnsafeRawBufferPointer(rebasing: item[r])
                }
            } else {
                guard c.skipValue() else { return false }
                if key.count == 9 && Bytes.hasPrefix(key, "timestamp") {
                    if let d = Bytes.parseDouble(UnsafeRawBufferPointer(rebasing: item[vs..<c.i])), let t = Timestamps.fromEpoch(d, unit: 1) {
                        record.timestamp = t
                    } else {
                        ok = false
                    }
                }
            }
            c.skipSpace()
            if c.peek() == UInt8(ascii: ",") { c.i += 1 }
        }
    }
}

private extension String {
    func trimmingSuffix(_ s: String) -> String { hasSuffix(s) ? String(dropLast(s.count)) : self }
}

private extension Substring {
    func replacingQuotes() -> String { String(filter { $0 != "\"" }).trimmingCharacters(in: .whitespaces) }
}
