import Foundation
import LogmillMetrics

/// Datums as a readable table, written to the injected output.
public struct TableSink: MetricSink {
    public let output: any TextOutput
    public init(output: any TextOutput) { self.output = output }
    public var label: String { "table" }

    public func encode(_ datums: [MetricDatum]) -> SinkPayload {
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
        return TextDelivery.payload(TextTable.render(["timestamp", "namespace", "metric", "dimensions", "value", "unit"], rows), count: datums.count)
    }

    public func deliver(_ payload: SinkPayload) -> SinkOutcome {
        TextDelivery.deliver(payload, sink: label) { try output.write($0) }
    }
}

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
