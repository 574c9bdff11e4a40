import Foundation
import LogmillMetrics
import LogmillNet
import LogmillTime

/// OTLP/HTTP metrics with the JSON encoding: `sink: otlp URL [service=NAME]`.
///
/// POSTs an `ExportMetricsServiceRequest` (Content-Type `application/json`) to URL; a URL without a
/// path gets `/v1/metrics`, as `OTEL_EXPORTER_OTLP_ENDPOINT` does. Mapping:
///
/// * one `resourceMetrics` entry per CloudWatch namespace, with resource attributes
///   `service.name` (the `service=` option, default `logmill`) and `logmill.namespace`;
///   one `scopeMetrics` with scope name `logmill`;
/// * one `Metric` per (metric name, unit, kind), holding every data point of that metric;
///   dimensions become data-point attributes `{"key":…,"value":{"stringValue":…}}` in order;
///   `timeUnixNano` is the datum timestamp in nanoseconds, as a string; no start time (the
///   datum does not carry its period);
/// * a single value is a `gauge` point with `asDouble` (also for Count: a query result is a
///   value per period, not a running counter);
/// * a statistic set is a `summary` point: `count` = SampleCount (rounded; the field is an
///   integer), `sum` = Sum, `quantileValues` 0.0 = Minimum and 1.0 = Maximum (the OTLP spec's
///   own reading of quantiles 0 and 1);
/// * a distribution is a DELTA `histogram` point (`aggregationTemporality` 1) whose
///   `explicitBounds` are the distinct values in increasing order, so each value sits alone in
///   the bucket whose upper bound it is (`(previous, value]`) and the last bucket `(max, +Inf)`
///   is 0: the values and counts survive exactly. `count`, `sum`, `min` and `max` are filled in.
///   Counts are rounded to whole numbers (bucket counts are integers); values counted 0 are dropped;
/// * units follow UCUM as OpenTelemetry uses it (`ucum(_:)`); `None` leaves `unit` out;
/// * the storage resolution has no OTLP equivalent and is not sent; NaN and infinite values are
///   skipped (OTLP JSON would need the strings "NaN"/"Infinity").
///
/// At most `maxPointsPerRequest` data points go in one request. Retries follow the OTLP spec:
/// 429, 502, 503, 504 and lost connections are retried, every other failure is not. A 200 that reports
/// `partialSuccess.rejectedDataPoints` is an error (not retried: the collector will not take them).
public struct OTLPSink: MetricSink {
    public static let maxPointsPerRequest = 2000

    public let url: URL
    public let service: String
    let delivery: NetSinkDelivery

    public init(url: URL, service: String = "logmill", policy: RetryPolicy = RetryPolicy(), clock: any Clock = SystemClock(),
                client: HTTPClient? = nil) {
        self.url = url
        self.service = service
        delivery = NetSinkDelivery(label: "otlp \(HTTPClient.endpoint(url))", client: client ?? HTTPClient(policy: policy, clock: clock),
                                   retryable: OTLPSink.retryable)
    }

    /// From a checked job-file line; a URL without a path gets `/v1/metrics`.
    init(_ c: SinkConfiguration, clock: any Clock) {
        var url = URLComponents(string: c.argument!)!
        if url.path.isEmpty || url.path == "/" { url.path = "/v1/metrics" }
        self.init(url: url.url!, service: c.text("service")!, policy: HTTPDelivery.policy(c), clock: clock)
    }

    public var label: String { delivery.label }

    /// The OTLP/HTTP exporter rule: retry 429, 502, 503 and 504 only.
    public static func retryable(_ r: HTTPResponse) -> Bool { [429, 502, 503, 504].contains(r.status) }

    /// CloudWatch unit -> UCUM (as OpenTelemetry writes it). Decimal prefixes, as CloudWatch's names say.
    public static func ucum(_ unit: MetricUnit) -> String? {
        switch unit {
        case .seconds: return "s"
        case .milliseconds: return "ms"
        case .microseconds: return "us"
        case .bytes: return "By"
        case .kilobytes: return "kBy"
        case .megabytes: return "MBy"
        case .gigabytes: return "GBy"
        case .terabytes: return "TBy"
        case .bits: return "bit"
        case .kilobits: return "kbit"
        case .megabits: return "Mbit"
        case .gigabits: return "Gbit"
        case .terabits: return "Tbit"
        case .percent: return "%"
        case .count: return "1"
        case .bytesPerSecond: return "By/s"
        case .kilobytesPerSecond: return "kBy/s"
        case .megabytesPerSecond: return "MBy/s"
        case .gigabytesPerSecond: return "GBy/s"
        case .terabytesPerSecond: return "TBy/s"
        case .bitsPerSecond: return "bit/s"
        case .kilobitsPerSecond: return "kbit/s"
        case .megabitsPerSecond: return "Mbit/s"
        case .gigabitsPerSecond: return "Gbit/s"
        case .terabitsPerSecond: return "Tbit/s"
        case .countPerSecond: return "1/s"
        case .none: return nil
        }
    }

    /// The request bodies, in order.
    public func bodies(_ datums: [MetricDatum]) -> [String] {
        var out: [String] = []
        var chunk: [(datum: MetricDatum, point: String, kind: Kind)] = []
        for d in datums {
            guard let (kind, point) = Self.point(d) else { continue }
            chunk.append((d, point, kind))
            if chunk.count == Self.maxPointsPerRequest {
                out.append(request(chunk))
                chunk.removeAll()
            }
        }
        if !chunk.isEmpty { out.append(request(chunk)) }
        return out
    }

    /// One JSON body per line.
    public func encode(_ datums: [MetricDatum]) -> SinkPayload {
        let bodies = bodies(datums)
        let rejections = SinkRejection.unsent(datums, format: "OTLP JSON") { Self.point($0) != nil }
        return SinkPayload(text: bodies.map { $0 + "\n" }.joined(), count: datums.count - rejections.count, rejections: rejections, content: bodies)
    }

    public func deliver(_ payload: SinkPayload) -> SinkOutcome {
        delivery.postAll(payload, url: url, headers: [("Content-Type", "application/json")], describe: Self.statusMessage) { response in
            if let rejected = Self.partialRejection(response) {
                throw RequestFailure(SinkError(sink: label, message: "the collector rejected \(rejected.count) data point(s)"
                    + (rejected.message.isEmpty ? "" : ": \(response.shown(rejected.message))")), inDoubt: true)
            }
        }
    }

    // MARK: - Encoding

    enum Kind: String { case gauge, summary, histogram }

    /// A data point's JSON, or nil when the datum cannot be expressed (non-finite, empty).
    static func point(_ d: MetricDatum) -> (Kind, String)? {
        var head = "{"
        if !d.dimensions.isEmpty {
            head += "\"attributes\":[" + d.dimensions.map { attribute($0.name, $0.value) }.joined(separator: ",") + "],"
        }
        head += "\"timeUnixNano\":\"\(nanos(d.timestamp))\""
        switch d.value {
        case .single(let v):
            guard v.isFinite else { return nil }
            return (.gauge, head + ",\"asDouble\":\(formatNumber(v))}")
        case .statistics(let s):
            guard s.sampleCount.isFinite, s.sum.isFinite, s.minimum.isFinite, s.maximum.isFinite, s.sampleCount >= 0 else { return nil }
            return (.summary, head + ",\"count\":\"\(uint(s.sampleCount))\",\"sum\":\(formatNumber(s.sum)),\"quantileValues\":["
                + "{\"quantile\":0,\"value\":\(formatNumber(s.minimum))},{\"quantile\":1,\"value\":\(formatNumber(s.maximum))}]}")
        case .distribution(let values, let counts):
            var merged: [Double: UInt64] = [:]
            for (v, c) in zip(values, counts) where v.isFinite && c.isFinite {
                let n = uint(c)
                if n > 0 { merged[v, default: 0] += n }
            }
            guard !merged.isEmpty else { return nil }
            let bounds = merged.keys.sorted()
            let total = merged.values.reduce(0, +)
            let sum = bounds.reduce(0.0) { $0 + $1 * Double(merged[$1]!) }
            let buckets = bounds.map { "\"\(merged[$0]!)\"" } + ["\"0\""]
            return (.histogram, head + ",\"count\":\"\(total)\",\"sum\":\(formatNumber(sum)),\"min\":\(formatNumber(bounds.first!))"
                + ",\"max\":\(formatNumber(bounds.last!)),\"bucketCounts\":[\(buckets.joined(separator: ","))]"
                + ",\"explicitBounds\":[\(bounds.map(formatNumber).joined(separator: ","))]}")
        }
    }

    func request(_ points: [(datum: MetricDatum, point: String, kind: Kind)]) -> String {
        // namespace -> metric (name, unit, kind) -> points, each in order of first appearance.
        struct MetricKey: Hashable { let name: String; let unit: String?; let kind: Kind }
        var namespaces: [String] = []
        var metricsByNS: [String: [MetricKey]] = [:]
        var pointsByMetric: [String: [MetricKey: [String]]] = [:]
        for p in points {
            let ns = p.datum.namespace
            let key = MetricKey(name: p.datum.name, unit: Self.ucum(p.datum.unit), kind: p.kind)
            if metricsByNS[ns] == nil { namespaces.append(ns); metricsByNS[ns] = [] }
            if pointsByMetric[ns, default: [:]][key] == nil { metricsByNS[ns]!.append(key) }
            pointsByMetric[ns, default: [:]][key, default: []].append(p.point)
        }
        let resources = namespaces.map { ns -> String in
            let metrics = metricsByNS[ns]!.map { key -> String in
                var m = "{\"name\":\(quote(key.name))"
                if let unit = key.unit { m += ",\"unit\":\(quote(unit))" }
                let dataPoints = "\"dataPoints\":[" + pointsByMetric[ns]![key]!.joined(separator: ",") + "]"
                switch key.kind {
                case .gauge: m += ",\"gauge\":{\(dataPoints)}"
                case .summary: m += ",\"summary\":{\(dataPoints)}"
                case .histogram: m += ",\"histogram\":{\"aggregationTemporality\":1,\(dataPoints)}"
                }
                return m + "}"
            }
            return "{\"resource\":{\"attributes\":[\(Self.attribute("service.name", service)),\(Self.attribute("logmill.namespace", ns))]},"
                + "\"scopeMetrics\":[{\"scope\":{\"name\":\"logmill\"},\"metrics\":[\(metrics.joined(separator: ","))]}]}"
        }
        return "{\"resourceMetrics\":[\(resources.joined(separator: ","))]}"
    }

    static func attribute(_ key: String, _ value: String) -> String {
        "{\"key\":\(quote(key)),\"value\":{\"stringValue\":\(quote(value))}}"
    }

    /// Epoch milliseconds as nanoseconds, clamped to the non-negative int64 range the field allows.
    static func nanos(_ ms: Int64) -> Int64 {
        guard ms > 0 else { return 0 }
        let (n, overflow) = ms.multipliedReportingOverflow(by: 1_000_000)
        return overflow ? Int64.max : n
    }

    static func uint(_ d: Double) -> UInt64 {
        let r = d.rounded()
        if !(r > 0) { return 0 }
        return r >= 1.8e19 ? UInt64.max : UInt64(r)
    }

    // MARK: - Responses

    /// `google.rpc.Status.message` when the body is one, else the body's start.
    static func statusMessage(_ r: HTTPResponse) -> String {
        if let obj = try? JSONSerialization.jsonObject(with: r.body) as? [String: Any], let m = obj["message"] as? String, !m.isEmpty {
            return m
        }
        return HTTPDelivery.bodySnippet(r)
    }

    /// `partialSuccess.rejectedDataPoints` when positive (a JSON string or number).
    static func partialRejection(_ r: HTTPResponse) -> (count: Int64, message: String)? {
        guard let obj = try? JSONSerialization.jsonObject(with: r.body) as? [String: Any],
              let partial = obj["partialSuccess"] as? [String: Any] else { return nil }
        let raw = partial["rejectedDataPoints"]
        let n = (raw as? String).flatMap { Int64($0) } ?? (raw as? NSNumber)?.int64Value ?? 0
        guard n > 0 else { return nil }
        return (n, partial["errorMessage"] as? String ?? "")
    }
}
