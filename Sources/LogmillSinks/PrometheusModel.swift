import Foundation
import LogmillMetrics

/// Datums as Prometheus sees them, shared by the text-exposition file, OpenMetrics, Pushgateway and
/// remote-write sinks.
///
/// Mapping (the same for every Prometheus-family sink):
/// * a single value → a gauge family named after the metric;
/// * a statistic set → a summary family `<name>` without quantiles (samples `<name>_count` and
///   `<name>_sum`) plus gauge families `<name>_min` and `<name>_max`;
/// * a distribution → the same four, computed from its values and counts (min/max over values with
///   a positive count).
/// Remote write has no families: each sample name above is its own series (`_count`, `_sum`,
/// `_min`, `_max`).
///
/// Names: characters outside `[a-zA-Z0-9_:]` become `_`, a leading digit gets a `_` prefix.
/// Labels: `namespace` (the datum's namespace) first, then the dimensions in order; dimension names
/// are sanitised the same way (no `:`), a leading `__` (reserved) is cut to `_`, and a name already
/// taken (e.g. a dimension called `namespace`) becomes `exported_<name>`, as Prometheus does.
///
/// OpenMetrics style differs in two ways: names get the OpenMetrics unit suffix when the datum's unit
/// is a base unit (Seconds → `_seconds`, Bytes → `_bytes`, Bits → `_bits`, Percent → `_percent`; other
/// units are kept only in HELP, values are never converted), with `_min`/`_max` before the unit
/// (`latency_min_seconds`); and a name starting with `_` (reserved there) gets a `logmill` prefix.
///
/// If two datums would produce the same family name with a different type, or a sample name
/// another family already uses (a gauge called `x_count` next to a summary `x`), the later family
/// is renamed `<name>_2`, `_3`, … so that no exposition is ambiguous.
struct PromModel {
    enum Style { case classic, openMetrics }

    struct Metric {
        var labels: [(name: String, value: String)]
        /// Timestamp (ms) → one value per suffix of the family. A later datum with the same timestamp wins.
        var points: [Int64: [Double]] = [:]
    }

    struct Family {
        var name: String
        /// `gauge` or `summary`.
        var type: String
        var help: String
        /// The OpenMetrics unit (`seconds`, `bytes`…), empty when none.
        var unit: String
        /// Sample names are `name + suffix`.
        var suffixes: [String]
        var metrics: [String: Metric] = [:]

        var sampleNames: [String] { suffixes.map { name + $0 } }

        /// The metrics ordered by their label text.
        var sortedMetrics: [(key: String, metric: Metric)] {
            metrics.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
    }

    private(set) var families: [Family] = []

    init(_ datums: [MetricDatum], style: Style, dropEmptyLabels: Bool) {
        var index: [String: Int] = [:]
        var claimed: [String: Int] = [:]
        // The family a datum's part goes to is resolved once per (requested name, type) so that later
        // datums of the same metric land in the same (possibly renamed) family.
        var resolved: [String: Int] = [:]
        for d in datums {
            let labels = PromModel.labels(for: d, dropEmpty: dropEmptyLabels)
            let key = PromModel.labelText(labels)
            for part in PromModel.parts(of: d, style: style) {
                let request = part.family + "\u{0}" + part.type
                let fi: Int
                if let i = resolved[request] {
                    fi = i
                } else {
                    var name = part.family
                    var n = 1
                    while true {
                        let names = part.suffixes.map { name + $0 }
                        let sameFamily = index[name].map { families[$0].type == part.type && families[$0].suffixes == part.suffixes } ?? true
                        let clash = names.contains { s in claimed[s].map { index[name] != $0 } ?? false }
                        if sameFamily && !clash { break }
                        n += 1
                        name = part.family + "_\(n)"
                    }
                    if let i = index[name] {
                        fi = i
                    } else {
                        fi = families.count
                        index[name] = fi
                        families.append(Family(name: name, type: part.type, help: part.help, unit: part.unit, suffixes: part.suffixes))
                        for s in part.suffixes.map({ name + $0 }) { claimed[s] = fi }
                    }
                    resolved[request] = fi
                }
                families[fi].metrics[key, default: Metric(labels: labels)].points[d.timestamp] = part.values
            }
        }
    }

    struct Part {
        var family: String
        var type: String
        var help: String
        var unit: String
        var suffixes: [String]
        var values: [Double]
    }

    /// What one datum contributes, family by family.
    static func parts(of d: MetricDatum, style: Style) -> [Part] {
        var base = sanitize(d.name, label: false)
        var unit = ""
        if style == .openMetrics {
            if base.hasPrefix("_") { base = "logmill" + base }
            unit = openMetricsUnit(d.unit)
            if !unit.isEmpty, base.hasSuffix("_" + unit), base.count > unit.count + 1 { base.removeLast(unit.count + 1) }
        }
        func name(_ extra: String) -> String { base + extra + (unit.isEmpty ? "" : "_" + unit) }
        let unitNote = d.unit == .none ? "" : " (\(d.unit.rawValue))"
        func stats(_ n: Double, _ sum: Double, _ lo: Double?, _ hi: Double?) -> [Part] {
            var out = [Part(family: name(""), type: "summary", help: "\(d.name): count and sum of samples\(unitNote)", unit: unit,
                            suffixes: ["_count", "_sum"], values: [n, sum])]
            if let lo { out.append(Part(family: name("_min"), type: "gauge", help: "\(d.name): minimum\(unitNote)", unit: unit, suffixes: [""], values: [lo])) }
            if let hi { out.append(Part(family: name("_max"), type: "gauge", help: "\(d.name): maximum\(unitNote)", unit: unit, suffixes: [""], values: [hi])) }
            return out
        }
        switch d.value {
        case .single(let v):
            return [Part(family: name(""), type: "gauge", help: "\(d.name)\(unitNote)", unit: unit, suffixes: [""], values: [v])]
        case .statistics(let s):
            return stats(s.sampleCount, s.sum, s.minimum, s.maximum)
        case .distribution(let values, let counts):
            let present = zip(values, counts).filter { $0.1 > 0 }.map(\.0)
            return stats(counts.reduce(0, +), zip(values, counts).map { $0 * $1 }.reduce(0, +), present.min(), present.max())
        }
    }

    /// The OpenMetrics unit for base units; empty for the rest (their name stays in HELP).
    static func openMetricsUnit(_ u: MetricUnit) -> String {
        switch u {
        case .seconds: return "seconds"
        case .bytes: return "bytes"
        case .bits: return "bits"
        case .percent: return "percent"
        default: return ""
        }
    }

    /// Replaces characters outside `[a-zA-Z0-9_:]` (labels: no `:`) with `_`; a leading digit gets a `_` prefix.
    static func sanitize(_ s: String, label: Bool) -> String {
        var out = ""
        for u in s.unicodeScalars {
            let ok = (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9") || u == "_" || (!label && u == ":")
            out.unicodeScalars.append(ok ? u : "_")
        }
        if out.isEmpty || out.first!.isNumber { out = "_" + out }
        return out
    }

    /// `namespace` then the dimensions, with valid, unique, non-reserved names.
    static func labels(for d: MetricDatum, dropEmpty: Bool) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        var taken = Set<String>()
        for (rawName, value) in [("namespace", d.namespace)] + d.dimensions.map({ ($0.name, $0.value) }) {
            if dropEmpty && value.isEmpty { continue }
            var name = sanitize(rawName, label: true)
            while name.hasPrefix("__") { name.removeFirst() }
            while taken.contains(name) { name = "exported_" + name }
            taken.insert(name)
            out.append((name, value))
        }
        return out
    }

    /// `{a="x",b="y"}` with 0.0.4/OpenMetrics escaping; `{}` for no labels.
    static func labelText(_ labels: [(name: String, value: String)]) -> String {
        "{" + labels.map { "\($0.name)=\"\(escapeLabel($0.value))\"" }.joined(separator: ",") + "}"
    }

    static func escapeLabel(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// HELP text in 0.0.4: only `\` and line feeds are escaped.
    static func escapeHelp(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// HELP text in OpenMetrics: `\`, line feeds and double quotes; carriage returns (forbidden) become `\n` too.
    static func escapeOpenMetricsHelp(_ s: String) -> String {
        escapeLabel(s).replacingOccurrences(of: "\r", with: "\\n")
    }

    /// Prometheus text exposition 0.0.4: HELP and TYPE per family, then each series' newest point.
    func textExposition(timestamps: Bool) -> String {
        var out = ""
        for f in families {
            out += "# HELP \(f.name) \(PromModel.escapeHelp(f.help))\n# TYPE \(f.name) \(f.type)\n"
            for (key, m) in f.sortedMetrics {
                guard let ts = m.points.keys.max(), let values = m.points[ts] else { continue }
                let labels = m.labels.isEmpty ? "" : key
                for (suffix, v) in zip(f.suffixes, values) {
                    out += "\(f.name)\(suffix)\(labels) \(formatNumber(v))" + (timestamps ? " \(ts)" : "") + "\n"
                }
            }
        }
        return out
    }
}
