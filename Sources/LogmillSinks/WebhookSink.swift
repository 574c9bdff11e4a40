import Foundation
import LogmillMetrics
import LogmillNet
import LogmillTime

/// JSON webhooks: `sink: webhook URL [shape=datums|kv] [category=NAME] [host=NAME] [header=Name:Value…]
/// [batch=N] [timestamps=ms|s] [timeout=SECONDS] [attempts=N]`.
///
/// Every request is a `POST` with `Content-Type: application/json` plus the `header=` options (repeat it
/// for more headers); `${VAR}` in a header value is replaced by the environment variable, which keeps
/// secrets (and spaces, as in `Bearer xyz`) out of job files.
///
/// `shape=datums` (default): a JSON array of datum objects, at most `batch` (default 500) per request:
/// ```
/// [{"namespace":"MyApp","name":"Latency","dimensions":{"Host":"web-1"},"timestamp":"2026-01-15T10:00:00Z",
///   "unit":"Milliseconds","value":12.5},
///  {…,"statistics":{"SampleCount":4,"Sum":10,"Minimum":1,"Maximum":4}},
///  {…,"values":[1,2],"counts":[3,1]}]
/// ```
/// `timestamp` is ISO 8601 UTC (milliseconds only when not zero); `storageResolution` is added when it is 1
/// (high resolution); statistic names follow CloudWatch's `StatisticValues`.
///
/// `shape=kv`: the key/value form of monitoring services' custom-data APIs, one request per group of
/// datums sharing namespace, timestamp and dimensions:
/// ```
/// {"datas":[{"key":"Errors","value":3},{"key":"Latency.count","value":4},…],
///  "tags":[{"key":"Host","value":"web-1"}],"category":"MyApp","host":"batch-1"}
/// ```
/// Keys are metric names, tags the dimensions in order, `category` the `category=` option or else the
/// namespace, `host` the `host=` option or else this machine's host name. A statistic set or a distribution
/// becomes the keys `NAME.count`, `NAME.sum`, `NAME.min`, `NAME.max` and, when the count is above 0,
/// `NAME.avg` (sum / count), because such APIs take one number per key. The kv form has no time
/// field: the receiver stamps the data on arrival; `timestamps=ms` or `timestamps=s` adds
/// `"timestamp":<epoch ms or s>` for receivers that take one. Units are not sent in the kv form.
///
/// NaN and infinite numbers are skipped. Retried: connection failures, timeouts, 408, 429 and 5xx.
public struct WebhookSink: MetricSink {
    public enum Shape: String, Sendable { case datums, kv }
    public enum TimestampField: String, Sendable { case ms, s }

    public let url: URL
    public let shape: Shape
    public let category: String?
    public let host: String
    public let headers: [(name: String, value: String)]
    public let batch: Int
    public let timestampField: TimestampField?
    let delivery: NetSinkDelivery

    public init(url: URL, shape: Shape = .datums, category: String? = nil, host: String? = nil,
                headers: [(name: String, value: String)] = [], batch: Int = 500, timestampField: TimestampField? = nil,
                policy: RetryPolicy = RetryPolicy(), clock: any Clock = SystemClock(), client: HTTPClient? = nil) {
        self.url = url
        self.shape = shape
        self.category = category
        self.host = host ?? WebhookSink.localHostName()
        self.headers = headers
        self.batch = max(1, batch)
        self.timestampField = timestampField
        delivery = NetSinkDelivery(label: "webhook \(HTTPClient.endpoint(url))", client: client ?? HTTPClient(policy: policy, clock: clock),
                                   retryable: WebhookSink.retryable)
    }

    /// From a checked job-file line; `${VAR}` in header values is read from `environment`.
    init(_ c: SinkConfiguration, clock: any Clock, environment: [String: String]) {
        self.init(url: URL(string: c.argument!)!, shape: Shape(rawValue: c.text("shape")!)!, category: c.text("category"),
                  host: c.text("host"), headers: c.headers().map { ($0.name, Self.expand($0.value, environment)) },
                  batch: c.integer("batch")!, timestampField: c.text("timestamps").flatMap(TimestampField.init(rawValue:)),
                  policy: HTTPDelivery.policy(c), clock: clock)
    }

    public var label: String { delivery.label }

    public static func retryable(_ r: HTTPResponse) -> Bool { r.status == 408 || r.status == 429 || r.status >= 500 }

    /// `${NAME}` -> the environment variable (empty when unset).
    static func expand(_ s: String, _ environment: [String: String]) -> String {
        guard s.contains("${") else { return s }
        var out = ""
        var rest = Substring(s)
        while let open = rest.range(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            out += rest[..<open.lowerBound]
            out += environment[String(rest[open.upperBound..<close])] ?? ""
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    static func localHostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "localhost" }
        return String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: - Bodies

    public func bodies(_ datums: [MetricDatum]) -> [String] {
        switch shape {
        case .datums:
            let objects = datums.compactMap(Self.datumObject)
            return stride(from: 0, to: objects.count, by: batch).map {
                "[" + objects[$0..<min(objects.count, $0 + batch)].joined(separator: ",") + "]"
            }
        case .kv:
            return kvBodies(datums)
        }
    }

    static func datumObject(_ d: MetricDatum) -> String? {
        var o = "{\"namespace\":\(quote(d.namespace)),\"name\":\(quote(d.name)),\"dimensions\":{"
            + d.dimensions.map { "\(quote($0.name)):\(quote($0.value))" }.joined(separator: ",")
            + "},\"timestamp\":\(quote(timeText(d.timestamp))),\"unit\":\(quote(d.unit.rawValue))"
        switch d.value {
        case .single(let v):
            guard v.isFinite else { return nil }
            o += ",\"value\":\(formatNumber(v))"
        case .statistics(let s):
            guard s.sampleCount.isFinite, s.sum.isFinite, s.minimum.isFinite, s.maximum.isFinite else { return nil }
            o += ",\"statistics\":{\"SampleCount\":\(formatNumber(s.sampleCount)),\"Sum\":\(formatNumber(s.sum)),"
                + "\"Minimum\":\(formatNumber(s.minimum)),\"Maximum\":\(formatNumber(s.maximum))}"
        case .distribution(let values, let counts):
            let pairs = zip(values, counts).filter { $0.0.isFinite && $0.1.isFinite }
            guard !pairs.isEmpty else { return nil }
            o += ",\"values\":[\(pairs.map { formatNumber($0.0) }.joined(separator: ","))]"
                + ",\"counts\":[\(pairs.map { formatNumber($0.1) }.joined(separator: ","))]"
        }
        if d.storageResolution == 1 { o += ",\"storageResolution\":1" }
        return o + "}"
    }

    /// The key/value pairs one datum contributes to a kv group.
    static func kvPairs(_ d: MetricDatum) -> [(String, Double)] {
        func summary(_ n: Double, _ sum: Double, _ lo: Double, _ hi: Double) -> [(String, Double)] {
            var out = [(d.name + ".count", n), (d.name + ".sum", sum), (d.name + ".min", lo), (d.name + ".max", hi)]
            if n > 0 { out.append((d.name + ".avg", sum / n)) }
            return out
        }
        switch d.value {
        case .single(let v):
            return v.isFinite ? [(d.name, v)] : []
        case .statistics(let s):
            guard s.sampleCount.isFinite, s.sum.isFinite, s.minimum.isFinite, s.maximum.isFinite else { return [] }
            return summary(s.sampleCount, s.sum, s.minimum, s.maximum)
        case .distribution(let values, let counts):
            let pairs = zip(values, counts).filter { $0.0.isFinite && $0.1.isFinite && $0.1 > 0 }
            guard !pairs.isEmpty else { return [] }
            let n = pairs.reduce(0) { $0 + $1.1 }
            let sum = pairs.reduce(0) { $0 + $1.0 * $1.1 }
            return summary(n, sum, pairs.map(\.0).min()!, pairs.map(\.0).max()!)
        }
    }

    func kvBodies(_ datums: [MetricDatum]) -> [String] {
        struct Key: Hashable { let ns: String; let ts: Int64; let dims: [String] }
        var order: [Key] = []
        var groups: [Key: (dims: [(name: String, value: String)], pairs: [(String, Double)])] = [:]
        for d in datums {
            let pairs = Self.kvPairs(d)
            guard !pairs.isEmpty else { continue }
            let k = Key(ns: d.namespace, ts: d.timestamp, dims: d.dimensions.flatMap { [$0.name, $0.value] })
            if groups[k] == nil {
                order.append(k)
                groups[k] = (d.dimensions, [])
            }
            groups[k]!.pairs += pairs
        }
        return order.map { k in
            let g = groups[k]!
            var o = "{\"datas\":[" + g.pairs.map { "{\"key\":\(quote($0.0)),\"value\":\(formatNumber($0.1))}" }.joined(separator: ",") + "],"
                + "\"tags\":[" + g.dims.map { "{\"key\":\(quote($0.name)),\"value\":\(quote($0.value))}" }.joined(separator: ",") + "],"
                + "\"category\":\(quote(category ?? k.ns)),\"host\":\(quote(host))"
            switch timestampField {
            case .ms?: o += ",\"timestamp\":\(k.ts)"
            case .s?: o += ",\"timestamp\":\(k.ts >= 0 ? k.ts / 1000 : (k.ts - 999) / 1000)"
            case nil: break
            }
            return o + "}"
        }
    }

    /// One request body per line.
    public func encode(_ datums: [MetricDatum]) -> SinkPayload {
        let bodies = bodies(datums)
        let rejections = SinkRejection.unsent(datums, format: "JSON") { shape == .datums ? Self.datumObject($0) != nil : !Self.kvPairs($0).isEmpty }
        return SinkPayload(text: bodies.map { $0 + "\n" }.joined(), count: datums.count - rejections.count, rejections: rejections, content: bodies)
    }

    public func deliver(_ payload: SinkPayload) -> SinkOutcome {
        var sendHeaders = headers
        if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            sendHeaders.insert(("Content-Type", "application/json"), at: 0)
        }
        return delivery.postAll(payload, url: url, headers: sendHeaders)
    }
}
