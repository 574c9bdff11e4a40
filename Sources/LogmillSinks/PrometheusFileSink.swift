import Foundation
import LogmillMetrics

/// Prometheus text exposition 0.0.4, written atomically to a file (for node_exporter's textfile collector).
/// Single values are gauges; a statistic set (or a distribution) becomes a summary family `<name>`
/// without quantiles (`<name>_count`, `<name>_sum`) plus `<name>_min` and `<name>_max` gauges (see
/// `PromModel` for the whole mapping). Dimensions are labels; the namespace is a `namespace` label.
/// Each series keeps only its newest datum (an exposition holds one sample per series), with its
/// timestamp unless `timestamps` is false (node_exporter's textfile collector skips files with timestamps).
public struct PrometheusFileSink: MetricSink {
    public let path: String
    public let timestamps: Bool
    public init(path: String, timestamps: Bool = true) {
        self.path = path
        self.timestamps = timestamps
    }
    public var label: String { "prometheus \(path)" }

    public func encode(_ datums: [MetricDatum]) -> SinkPayload {
        TextDelivery.payload(PromModel(datums, style: .classic, dropEmptyLabels: false).textExposition(timestamps: timestamps), count: datums.count)
    }

    public func deliver(_ payload: SinkPayload) -> SinkOutcome {
        TextDelivery.replaceFile(payload, sink: label, path: path)
    }

    /// Replaces characters outside `[a-zA-Z0-9_:]` (labels: no `:`) with `_`; a leading digit gets a `_` prefix.
    public static func sanitize(_ s: String, label: Bool) -> String {
        PromModel.sanitize(s, label: label)
    }

    /// A label value as the text exposition writes it: `\`, `"` and line feeds escaped.
    public static func escapeLabelValue(_ s: String) -> String { PromModel.escapeLabel(s) }
}
