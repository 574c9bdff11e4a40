import Foundation
import LogmillRecords
import LogmillSources

/// How `logmill query` prints rows.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table, json, ndjson, csv
}

/// Renders query results as text.
public enum ResultWriter {
    public static func render(_ result: QueryResult, as format: OutputFormat) -> String {
        switch format {
        case .json:
            var out = "["
            for (i, row) in result.rows.enumerated() {
                out += i == 0 ? "\n  " : ",\n  "
                out += jsonObject(result.columns, row)
            }
            out += result.rows.isEmpty ? "]\n" : "\n]\n"
            return out
        case .ndjson:
            return result.rows.map { jsonObject(result.columns, $0) + "\n" }.joined()
        case .csv:
            var out = result.columns.map(csvField).joined(separator: ",") + "\n"
            for row in result.rows {
                out += row.map { csvField($0.render() ?? "") }.joined(separator: ",") + "\n"
            }
            return out
        case .table:
            return table(result.columns, result.rows.map { $0.map { $0.render() ?? "" } })
        }
    }

    /// One row as a JSON object: numbers as JSON numbers, everything else as strings; nulls left out.
    public static func jsonObject(_ columns: [String], _ row: [Value]) -> String {
        var parts: [String] = []
        for (c, v) in zip(columns, row) {
            guard let j = jsonValue(v) else { continue }
            parts.append(jsonString(c) + ":" + j)
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func jsonValue(_ v: Value) -> String? {
        switch v {
        case .null: return nil
        case .number(let d): return d.isFinite ? formatJavaDouble(d) : "null"
        case .int(let i): return String(i)
        case .bool(let b): return b ? "1" : "0"
        case .structure(let st): return st.json
        default: return jsonString(v.render() ?? "")
        }
    }

    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    static func csvField(_ s: String) -> String {
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    /// A fixed-width table; long cells are cut with an ellipsis, control characters shown as spaces.
    public static func table(_ columns: [String], _ rows: [[String]], maxWidth: Int = 80) -> String {
        func clean(_ s: String) -> String {
            var t = String(s.map { $0 == "\n" || $0 == "\t" || $0 == "\r" ? " " : $0 })
            while t.hasSuffix(" ") { t.removeLast() }
            if t.count > maxWidth { t = String(t.prefix(maxWidth - 1)) + "…" }
            return t
        }
        let cells = rows.map { $0.map(clean) }
        var widths = columns.map { $0.count }
        for r in cells { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ items: [String]) -> String {
            var s = ""
            for (i, item) in items.enumerated() {
                if i > 0 { s += " │ " }
                s += item + String(repeating: " ", count: max(0, widths[i] - item.count))
            }
            while s.hasSuffix(" ") { s.removeLast() }
            return s + "\n"
        }
        var out = line(columns)
        out += widths.map { String(repeating: "─", count: $0) }.joined(separator: "─┼─") + "\n"
        for r in cells { out += line(r) }
        return out
    }

    /// The `--stats` summary, like the Insights console's.
    public static func statistics(_ s: QueryStatistics) -> String {
        func mb(_ n: Int) -> String { String(format: "%.1f MB", Double(n) / 1_000_000) }
        var out = "records scanned: \(s.recordsScanned), matched: \(s.recordsMatched)"
        out += "; bytes read: \(mb(s.bytesRead))"
        if s.bytesDecompressed > 0 { out += " (\(mb(s.bytesDecompressed)) decompressed)" }
        out += "; files: \(s.objects); lines not fitting their format: \(s.parseFailures)"
        out += "; rows held: \(s.rowsHeld)"
        out += String(format: "; %.3f s", s.seconds)
        if s.seconds > 0 { out += String(format: " (%.0f MB/s)", Double(s.bytesRead) / 1_000_000 / s.seconds) }
        for (service, t) in s.remote.sorted(by: { $0.key < $1.key }) {
            out += "\n\(service): objects listed: \(t.listed), fetched: \(t.fetched), skipped (unchanged): \(t.skipped)"
            out += "; bytes over the wire: \(mb(t.bytesOverWire)), decompressed: \(mb(t.bytesDecompressed))"
            out += "; requests: \(t.requests), retries: \(t.retries)"
        }
        for f in s.failureSamples { out += "\n  \(f)" }
        return out
    }
}
