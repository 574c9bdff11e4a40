import Foundation
import LogmillMetrics
import LogmillQuery

/// CloudWatch Embedded Metric Format: one JSON object per line, appended to a file or written to the
/// injected output (the program's stdout).
/// Datums with the same namespace, timestamp and dimensions share an event (at most 100 metrics each).
/// A statistic set becomes four metrics, `<name>.SampleCount`, `.Sum`, `.Minimum` and `.Maximum`,
/// because EMF has no statistic-set value; a distribution becomes a value array (repeated by count, at most 100 values).
public struct EMFSink: MetricSink {
    /// The file lines are appended to; nil: `output`.
    public let path: String?
    let output: (any TextOutput)?
    /// Appends to the file at `path`.
    public init(path: String) {
        self.path = path
        output = nil
    }
    /// Writes to `output`.
    public init(output: any TextOutput) {
        path = nil
        self.output = output
    }
    public var label: String { path.map { "emf \($0)" } ?? "emf" }

    public func encode(_ datums: [MetricDatum]) -> SinkPayload {
        TextDelivery.payload(text(datums), count: datums.count)
    }

    func text(_ datums: [MetricDatum]) -> String {
        struct Key: Hashable { let ns: String; let ts: Int64; let dims: [String] }
        var order: [Key] = []
        var groups: [Key: [MetricDatum]] = [:]
        for d in datums {
            let k = Key(ns: d.namespace, ts: d.timestamp, dims: d.dimensions.flatMap { [$0.name, $0.value] })
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(d)
        }
        var out = ""
        for k in order {
            let members = groups[k]!
            var metrics: [(name: String, unit: String, resolution: Int, value: String)] = []
            for d in members {
                switch d.value {
                case .single(let v): metrics.append((d.name, d.unit.rawValue, d.storageResolution, json(v)))
                case .statistics(let s):
                    metrics.append((d.name + ".SampleCount", "Count", d.storageResolution, json(s.sampleCount)))
                    metrics.append((d.name + ".Sum", d.unit.rawValue, d.storageResolution, json(s.sum)))
                    metrics.append((d.name + ".Minimum", d.unit.rawValue, d.storageResolution, json(s.minimum)))
                    metrics.append((d.name + ".Maximum", d.unit.rawValue, d.storageResolution, json(s.maximum)))
                case .distribution(let values, let counts):
                    var expanded: [String] = []
                    for (v, c) in zip(values, counts) {
                        for _ in 0..<max(1, Int(c)) where expanded.count < 100 { expanded.append(json(v)) }
                    }
                    metrics.append((d.name, d.unit.rawValue, d.storageResolution, "[" + expanded.joined(separator: ",") + "]"))
                }
            }
            let first = members[0]
            for chunkStart in stride(from: 0, to: metrics.count, by: 100) {
                let chunk = metrics[chunkStart..<min(metrics.count, chunkStart + 100)]
                let dimNames = "[" + first.dimensions.map { quote($0.name) }.joined(separator: ",") + "]"
                let defs = chunk.map { m in
                    "{\"Name\":\(quote(m.name)),\"Unit\":\(quote(m.unit))" + (m.resolution == 1 ? ",\"StorageResolution\":1" : "") + "}"
                }.joined(separator: ",")
                var obj = "{\"_aws\":{\"Timestamp\":\(k.ts),\"CloudWatchMetrics\":[{\"Namespace\":\(quote(k.ns)),\"Dimensions\":[\(dimNames)],\"Metrics\":[\(defs)]}]}"
                for d in first.dimensions { obj += ",\(quote(d.name)):\(quote(d.value))" }
                for m in chunk { obj += ",\(quote(m.name)):\(m.value)" }
                out += obj + "}\n"
            }
        }
        return out
    }

    public func deliver(_ payload: SinkPayload) -> SinkOutcome {
        TextDelivery.deliver(payload, sink: label, write: append)
    }

    func append(_ text: String) throws {
        if let path {
            try FileOutput.append(text, to: path)
        } else {
            try output?.write(text)
        }
    }

    func json(_ v: Double) -> String { v.isFinite ? formatNumber(v) : "null" }
}

/// A JSON string literal.
func quote(_ s: String) -> String { ResultWriter.jsonString(s) }
