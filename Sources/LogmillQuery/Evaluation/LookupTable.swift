import Foundation

/// A lookup table: a CSV file with a header row, joined exactly and case-sensitively on key columns.
final class LookupTable {
    struct LoadError: Error { let message: String }

    let name: String
    let columns: [String]
    let rows: [[String]]
    private var index: [String: Int] = [:]
    private(set) var outputColumns: [Int] = []

    init(name: String, columns: [String], rows: [[String]]) {
        self.name = name
        self.columns = columns
        self.rows = rows
    }

    /// Finds `<name>.csv` (or `name` as a path) in `directories` and reads it (at most 10 MB, as in CloudWatch).
    static func load(named name: String, in directories: [String]) throws -> LookupTable {
        let candidates = (name.hasSuffix(".csv") ? [name] : []) + directories.map { $0 + "/" + name + ".csv" }
        guard let path = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) else {
            throw LoadError(message: "lookup table '\(name)' not found (looked for \(candidates.joined(separator: ", ")))")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw LoadError(message: "cannot read \(path)") }
        if data.count > 10_000_000 { throw LoadError(message: "\(path) is larger than the 10 MB a lookup table may have") }
        let records = parseCSV(String(decoding: data, as: UTF8.self))
        guard let header = records.first, !header.isEmpty else { throw LoadError(message: "\(path) has no header row") }
        return LookupTable(name: name, columns: header, rows: Array(records.dropFirst()))
    }

    /// RFC 4180: quoted fields with doubled quotes and embedded newlines; CRLF or LF.
    static func parseCSV(_ text: String) -> [[String]] {
        var out: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var chars = Array(text.unicodeScalars)
        if chars.first == "\u{feff}" { chars.removeFirst() }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" { field.unicodeScalars.append("\""); i += 2; continue }
                    inQuotes = false
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                inQuotes = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" || c == "\r" {
                if c == "\r" && i + 1 < chars.count && chars[i + 1] == "\n" { i += 1 }
                row.append(field); field = ""
                if !(row.count == 1 && row[0].isEmpty) { out.append(row) }
                row = []
            } else {
                field.unicodeScalars.append(c)
            }
            i += 1
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); out.append(row) }
        return out
    }

    func buildIndex(keyColumns: [Int], outputColumns: [Int]) {
        self.outputColumns = outputColumns
        index = [:]
        for (r, row) in rows.enumerated() {
            let key = keyColumns.map { $0 < row.count ? row[$0] : "" }.joined(separator: "\u{1f}")
            if index[key] == nil { index[key] = r }
        }
    }

    /// The output values for a key, or nil when no row matches.
    func match(_ key: String) -> [String]? {
        guard let r = index[key] else { return nil }
        let row = rows[r]
        return outputColumns.map { $0 < row.count ? row[$0] : "" }
    }
}
