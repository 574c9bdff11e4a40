import Foundation
import LogmillMetrics

/// OpenMetrics 1.0 text, written atomically to a file (`sink: openmetrics FILE [timestamps=false]`).
///
/// Families as in `PromModel` (OpenMetrics style): single values are gauges; a statistic set or a
/// distribution is a `summary` without quantiles (`_count`, `_sum`) plus `_min`/`_max` gauges. Each
/// family has `# TYPE`, `# UNIT` (only for base units, which the name then ends with) and `# HELP`;
/// the file ends with `# EOF`. Labels with empty values are left out (OpenMetrics treats them as absent).
///
/// By default every datum is a MetricPoint with its timestamp (seconds, fractional when the datum has
/// milliseconds), in increasing time order within each metric, so the file can be backfilled with
/// `promtool tsdb create-blocks-from openmetrics`. With `timestamps=false` each metric keeps only
/// its newest point, without a timestamp (a scrapeable snapshot).
public struct OpenMetricsFileSink: MetricSink {
    public let path: String
    public let timestamps: Bool
    public init(path: String, timestamps: Bool = true) {
        self.path = path
        self.timestamps = timestamps
    }
    public var label: String { "openmetrics \(path)" }

    public func encode(_ datums: [MetricDatum]) -> SinkPayload {
        TextDelivery.payload(text(datums), count: datums.count)
    }

    public func deliver(_ payload: SinkPayload) -> SinkOutcome {
        TextDelivery.replaceFile(payload, sink: label, path: path)
    }

    func text(_ datums: [MetricDatum]) -> String {
        let model = PromModel(datums, style: .openMetrics, dropEmptyLabels: true)
        var out = ""
        for f in model.families {
            out += "# TYPE \(f.name) \(f.type)\n"
            if !f.unit.isEmpty { out += "# UNIT \(f.name) \(f.unit)\n" }
            out += "# HELP \(f.name) \(PromModel.escapeOpenMetricsHelp(f.help))\n"
            for (key, m) in f.sortedMetrics {
                let labels = m.labels.isEmpty ? "" : key
                var times = m.points.keys.sorted()
                if !timestamps, let last = times.last { times = [last] }
                for ts in times {
                    for (suffix, v) in zip(f.suffixes, m.points[ts]!) {
                        out += "\(f.name)\(suffix)\(labels) \(formatNumber(v))" + (timestamps ? " " + Self.seconds(ts) : "") + "\n"
                    }
                }
            }
        }
        return out + "# EOF\n"
    }

    /// Milliseconds as OpenMetrics seconds: `1793491200`, `1793491200.5`, `1793491200.123`.
    static func seconds(_ ms: Int64) -> String {
        if ms < 0 { return "\(Double(ms) / 1000)" }
        let (secs, frac) = ms.quotientAndRemainder(dividingBy: 1000)
        if frac == 0 { return String(secs) }
        var f = String(frac)
        f = String(repeating: "0", count: 3 - f.count) + f
        while f.hasSuffix("0") { f.removeLast() }
        return "\(secs).\(f)"
    }
}
