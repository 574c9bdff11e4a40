import Foundation
import LogmillMetrics
import LogmillNet

/// JSON webhooks: `sink: webhook URL [shape=datums|kv] [category=NAME] [host=NAME] [header=Name:Value] [header2=…]
/// [batch=N] [timestamp=ms|s] [timeout=SECONDS] [attempts=N]`.
///
/// Every request is a `POST` with `Content-Type: application/json` plus the `header…=` options. The job file
/// keeps one value per option name, so further headers go in `header2=`, `header3=`, `header-auth=` … (any
/// option whose name starts with `header`); `${VAR}` in a header value is replaced by the environment
/// variable, which keeps secrets (and spaces, as in `Bearer xyz`) out of job files.
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
/// field: the receiver stamps the data on arrival; `timestamp=ms` or `timestamp=s` adds
/// `"timestamp":<epoch ms or s>` for receivers that take one. Units are not sent in the kv form.
///
/// NaN and infinite numbers are skipped. Retried: connection failures, timeouts, 408, 429 and 5xx.
public struct WebhookSink: MetricSink {
    public enum Shape: String, Sendable { case datums, kv }
    public enum TimestampField: String, Sendable { case ms, s }
    public static let usage = "webhook URL [shape=datums|kv] [category=NAME] [host=NAME] [header=Name:Value]"

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
                policy: RetryPolicy = RetryPolicy(), client: HTTPClient? = nil) {
        self.url = url
        self.shape = shape
        self.category = category
        self.host = host ?? WebhookSink.localHostName()
        self.headers = headers
        self.batch = max(1, batch)
        self.timestampField = timestampField
        delivery = NetSinkDelivery(label: "webhook \(HTTPClient.endpoint(url))", policy: client?.policy ?? policy, client: client,
                                retryable: WebhookSink.retryable)
    }

    init(spec: SinkSpec) throws {
        try NetSinkOptions.checkKnown(spec, ["shape", "category", "host", "batch", "timestamp", "timeout", "attempts"], prefixes: ["header"])
        let url = try NetSinkOptions.url(spec, usage: Self.usage)
        var shape = Shape.datums
        if let s = spec.options["shape"] {
            guard let v = Shape(rawValue: s) else { throw NetSinkOptions.fail(spec, "shape must be datums or kv, not '\(s)'") }
            shape = v
        }
        var stamp: TimestampField?
        if let t = spec.options["timestamp"] {
            guard let v = TimestampField(rawValue: t), shape == .kv else {
                throw NetSinkOptions.fail(spec, "timestamp=ms or timestamp=s applies to shape=kv only")
            }
            stamp = v
        }
        var headers: [(name: String, value: String)] = []
        for key in spec.options.keys.filter({ $0.hasPrefix("header") }).sorted() {
            let raw = spec.options[key]!
            guard let colon = raw.firstIndex(of: ":"), colon != raw.startIndex else {
                throw NetSinkOptions.fail(spec, "\(key) must look like Name:Value, not '\(raw)'")
            }
            let name = String(raw[..<colon])
            guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) else {
                throw NetSinkOptions.fail(spec, "'\(name)' is not a valid header name")
            }
            headers.append((name, Self.expand(String(raw[raw.index(after: colon)...]))))
        }
        self.init(url: url, shape: shape, category: spec.options["category"], host: spec.options["host"], headers: headers,
                  batch: try NetSinkOptions.int(spec, "batch", range: 1...100_000) ?? 500, timestampField: stamp,
                  policy: try NetSinkOptions.policy(spec))
    }

    public var label: String { delivery.label }

    public static func retryable(_ r: HTTPResponse) -> Bool { r.status == 408 || r.status == 429 || r.status >= 500 }

    /// `${NAME}` -> the environment variable (empty when unset).
    static func expand(_ s: String) -> String {
        guard s.contains("${") else { return s }
        var out = ""
        var rest = Substring(s)
        while let open = rest.range(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            out += rest[..<open.lowerBound]
            out += ProcessInfo.processInfo.environment[String(rest[open.upperBound..<close])] ?? ""
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
    public func render(_ datums: [MetricDatum]) -> String {
        bodies(datums).map { $0 + "\n" }.joined()
    }

    public func emit(_ datums: [MetricDatum]) throws {
        let bodies = bodies(datums)
        guard !bodies.isEmpty else { return }
        let client = delivery.makeClient()
        var sendHeaders = headers
        if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            sendHeaders.insert(("Content-Type", "application/json"), at: 0)
        }
        for (i, body) in bodies.enumerated() {
            do {
                _ = try delivery.post(client, url: url, headers: sendHeaders, body: body)
            } catch let e as HTTPError where bodies.count > 1 {
                throw SinkError(sink: label, message: "request \(i + 1) of \(bodies.count) failed (earlier ones were delivered): \(e)")
            }
        }
    }
}
