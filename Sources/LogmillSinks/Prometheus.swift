import Foundation
import LogmillMetrics

/// Prometheus text exposition 0.0.4, written atomically to a file (for node_exporter's textfile collector).
/// Single values are gauges; a statistic set becomes `<name>_count`, `_sum`, `_min` and `_max` gauges;
/// a distribution becomes `_count` and `_sum`. Dimensions are labels; the namespace is a `namespace` label.
/// Each series keeps only its newest datum (an exposition holds one sample per series), with its timestamp.
public struct PrometheusFileSink: MetricSink {
    public let path: String
    public let timestamps: Bool
    public init(path: String, timestamps: Bool = true) {
        self.path = path
        self.timestamps = timestamps
    }
    public var label: String { "prometheus \(path)" }

    public func render(_ datums: [MetricDatum]) -> String {
        struct Sample { let labels: String; let value: Double; let ts: Int64 }
        var families: [String: [String: Sample]] = [:]
        var familyOrder: [String] = []
        var help: [String: String] = [:]
        func add(_ name: String, _ d: MetricDatum, _ v: Double, _ helpText: String) {
            let labels = labelText([("namespace", d.namespace)] + d.dimensions.map { (PrometheusFileSink.sanitize($0.name, label: true), $0.value) })
            if families[name] == nil { families[name] = [:]; familyOrder.append(name); help[name] = helpText }
            if let old = families[name]![labels], old.ts > d.timestamp { return }
            families[name]![labels] = Sample(labels: labels, value: v, ts: d.timestamp)
        }
        for d in datums {
            let base = PrometheusFileSink.sanitize(d.name, label: false)
            let unit = d.unit == .none ? "" : " (\(d.unit.rawValue))"
            switch d.value {
            case .single(let v): add(base, d, v, "\(d.name)\(unit)")
            case .statistics(let s):
                add(base + "_count", d, s.sampleCount, "\(d.name): samples")
                add(base + "_sum", d, s.sum, "\(d.name): sum\(unit)")
                add(base + "_min", d, s.minimum, "\(d.name): minimum\(unit)")
                add(base + "_max", d, s.maximum, "\(d.name): maximum\(unit)")
            case .distribution(let values, let counts):
                add(base + "_count", d, counts.reduce(0, +), "\(d.name): samples")
                add(base + "_sum", d, zip(values, counts).map { $0 * $1 }.reduce(0, +), "\(d.name): sum\(unit)")
            }
        }
        var out = ""
        for name in familyOrder {
            out += "# HELP \(name) \(escapeHelp(help[name]!))\n# TYPE \(name) gauge\n"
            for s in families[name]!.values.sorted(by: { $0.labels < $1.labels }) {
                out += "\(name)\(s.labels) \(formatNumber(s.value))" + (timestamps ? " \(s.ts)" : "") + "\n"
            }
        }
        return out
    }

    public func emit(_ datums: [MetricDatum]) throws {
        try writeAtomically(render(datums), to: path)
    }

    /// Replaces characters outside `[a-zA-Z0-9_:]` (labels: no `:`) with `_`; a leading digit gets a `_` prefix.
    public static func sanitize(_ s: String, label: Bool) -> String {
        var out = ""
        for u in s.unicodeScalars {
            let ok = (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9") || u == "_" || (!label && u == ":")
            out.unicodeScalars.append(ok ? u : "_")
        }
        if out.isEmpty || out.first!.isNumber { out = "_" + out }
        return out
    }

    func labelText(_ labels: [(String, String)]) -> String {
        "{" + labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
    }

    func escapeLabel(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    func escapeHelp(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}
