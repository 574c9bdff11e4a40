import Foundation
import LogmillAWS
import LogmillMetrics

/// A destination for datums. `render` is what `--dry-run` prints; `emit` sends or writes.
public protocol MetricSink {
    /// A short description, e.g. `prometheus out/metrics.prom`.
    var label: String { get }
    func render(_ datums: [MetricDatum]) -> String
    func emit(_ datums: [MetricDatum]) throws
}

/// A sink that failed, naming it.
public struct SinkError: Error, CustomStringConvertible, Sendable {
    public let sink: String
    public let message: String
    public init(sink: String, message: String) {
        self.sink = sink
        self.message = message
    }
    public var description: String { "\(sink): \(message)" }
}

/// Formats numbers for text outputs: integral values without a fraction, others with the shortest round-trip digits.
func formatNumber(_ d: Double) -> String {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d < 0 ? "-Inf" : "+Inf" }
    if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
    return "\(d)"
}

/// Writes `text` to `path` atomically: a temporary file in the same directory, then rename(2).
public func writeAtomically(_ text: String, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let dir = url.deletingLastPathComponent().path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let tmp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())"
    guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8)) else {
        throw SinkError(sink: path, message: "cannot write \(tmp)")
    }
    if rename(tmp, path) != 0 {
        let err = String(cString: strerror(errno))
        unlink(tmp)
        throw SinkError(sink: path, message: "cannot replace the file: \(err)")
    }
}

/// Prints datums as a readable table on stdout.
public struct TableSink: MetricSink {
    public init() {}
    public var label: String { "table" }

    public func render(_ datums: [MetricDatum]) -> String {
        var rows: [[String]] = []
        for d in datums {
            let dims = d.dimensions.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
            let value: String
            switch d.value {
            case .single(let v): value = formatNumber(v)
            case .statistics(let s):
                value = "n=\(formatNumber(s.sampleCount)) sum=\(formatNumber(s.sum)) min=\(formatNumber(s.minimum)) max=\(formatNumber(s.maximum))"
            case .distribution(let v, let c): value = "\(v.count) values, n=\(formatNumber(c.reduce(0, +)))"
            }
            rows.append([timeText(d.timestamp), d.namespace, d.name, dims, value, d.unit.rawValue])
        }
        return TextTable.render(["timestamp", "namespace", "metric", "dimensions", "value", "unit"], rows)
    }

    public func emit(_ datums: [MetricDatum]) throws {
        FileHandle.standardOutput.write(Data(render(datums).utf8))
    }
}

/// RFC 3339 UTC, with milliseconds only when there are some. (No DateFormatter: creating one per
/// datum cost more than encoding the datum.)
func timeText(_ ms: Int64) -> String { AWSTime.iso8601Millis(ms) }

enum TextTable {
    static func render(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ r: [String]) -> String {
            var s = zip(r, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
            while s.hasSuffix(" ") { s.removeLast() }
            return s + "\n"
        }
        return line(header) + line(widths.map { String(repeating: "-", count: $0) }) + rows.map(line).joined()
    }
}
