import Foundation
import LogmillAWS
import LogmillMetrics
import LogmillNet
import LogmillTime

/// Prometheus remote write 1.0: `sink: remote-write URL [max-series=500] [max-bytes=1048576] [timeout=S]
/// [attempts=N] [header=Name:Value…] [bearer-token=T] [basic-auth=U:P]`.
///
/// Each request body is a protobuf `prometheus.WriteRequest` (encoded by `ProtobufWriter`) compressed
/// with snappy block format (`Snappy`), sent as `POST` with `Content-Encoding: snappy`,
/// `Content-Type: application/x-protobuf`, `X-Prometheus-Remote-Write-Version: 0.1.0` and a
/// `User-Agent`. Series follow `PromModel` (a statistic set becomes `_count`, `_sum`, `_min` and
/// `_max` series); every series carries `__name__`, its labels sorted by byte value, none empty.
/// Samples are the datums' own timestamps (ms), in increasing order; a later datum with the same
/// series and timestamp replaces an earlier one.
///
/// Batching: at most `maxSeries` series and about `maxBytes` of uncompressed protobuf per request;
/// a series with very many samples is split into consecutive pieces, and requests go out one after
/// another so each series' samples stay ordered. 2xx is success; 5xx and 429 are retried with backoff
/// by the shared client; any other status fails at once (no retry) with the receiver's message.
/// With `sigv4=true` every request is signed with SigV4 for the service `aps` (Amazon Managed Service
/// for Prometheus, as the ADOT collector's `sigv4auth` does), with the AWS CLI's credential chain and
/// region (`region=`, `profile=`; else the workspace URL's region).
public struct RemoteWriteSink: MetricSink {
    /// What signs requests for Amazon Managed Service for Prometheus.
    public struct Signing: Sendable {
        public var region: String
        public var credentials: CredentialProvider
        public var clock: any Clock
        public init(region: String, credentials: CredentialProvider, clock: any Clock) {
            self.region = region; self.credentials = credentials; self.clock = clock
        }
    }

    public let url: URL
    /// nil: unsigned.
    public var signing: Signing?
    /// Why signing is impossible (no region): each delivery fails with it.
    var signingProblem: String?
    public let maxSeries: Int
    public let maxBytes: Int
    public let headers: [(name: String, value: String)]
    let client: HTTPClient
    /// Samples per piece of one series (a piece is at most ~22 bytes a sample, so ~220 KB).
    static let maxSamplesPerPiece = 10_000

    public init(url: URL, maxSeries: Int = 500, maxBytes: Int = 1 << 20, headers: [(name: String, value: String)] = [],
                client: HTTPClient = HTTPClient()) {
        self.url = url
        self.maxSeries = max(1, maxSeries)
        self.maxBytes = max(64, maxBytes)
        self.headers = headers
        self.client = client
        client.isRetryable = HTTPDelivery.retryable5xx
    }

    /// Headers logmill sets itself; `header=` may not replace them.
    static let reservedHeaders: Set<String> = ["content-encoding", "content-type", "x-prometheus-remote-write-version", "user-agent"]

    /// From a checked job-file line.
    init(_ c: SinkConfiguration, client: HTTPClient, context: SinkContext) {
        self.init(url: URL(string: c.argument!)!, maxSeries: c.integer("max-series")!, maxBytes: c.integer("max-bytes")!,
                  headers: HTTPDelivery.headers(c), client: client)
        if c.bool("sigv4") {
            let config = AWSSharedConfig(environment: context.environment, profile: c.text("profile"))
            if let region = c.text("region").flatMap({ $0.isEmpty ? nil : $0 }) ?? config.region ?? RemoteWriteSink.region(of: url) {
                signing = Signing(region: region, credentials: CredentialProvider(chain: CredentialChain(config: config)), clock: context.clock)
            } else {
                signingProblem = "sigv4=true needs a region: region=…, AWS_REGION, the profile's region, or an aps-workspaces.REGION.amazonaws.com URL"
            }
        }
    }

    /// `us-east-1` of `https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-…/api/v1/remote_write`.
    static func region(of url: URL) -> String? {
        guard let host = url.host, host.hasPrefix("aps-workspaces."), host.hasSuffix(".amazonaws.com") else { return nil }
        let parts = host.split(separator: ".")
        return parts.count >= 4 ? String(parts[1]) : nil
    }

    public var label: String { "remote-write \(HTTPClient.endpoint(url))" }

    /// One time series: its labels (with `__name__`, sorted) and samples (increasing timestamps).
    public struct Series: Equatable {
        public var labels: [(name: String, value: String)]
        public var samples: [(timestamp: Int64, value: Double)]
        public var name: String { labels.first { $0.name == "__name__" }?.value ?? "" }
        public static func == (a: Series, b: Series) -> Bool {
            a.labels.map(\.name) == b.labels.map(\.name) && a.labels.map(\.value) == b.labels.map(\.value)
                && a.samples.map(\.timestamp) == b.samples.map(\.timestamp)
                && zip(a.samples, b.samples).allSatisfy { $0.value.bitPattern == $1.value.bitPattern }
        }
    }

    /// The series for `datums`, in first-appearance order.
    public static func series(_ datums: [MetricDatum]) -> [Series] {
        let model = PromModel(datums, style: .classic, dropEmptyLabels: true)
        var order: [String] = []
        var byKey: [String: (labels: [(name: String, value: String)], points: [Int64: Double])] = [:]
        for f in model.families {
            for (_, m) in f.sortedMetrics {
                for (i, suffix) in f.suffixes.enumerated() {
                    let labels = ([("__name__", f.name + suffix)] + m.labels).sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
                        .map { (name: $0.0, value: $0.1) }
                    let key = PromModel.labelText(labels)
                    if byKey[key] == nil { order.append(key); byKey[key] = (labels, [:]) }
                    for (ts, values) in m.points { byKey[key]!.points[ts] = values[i] }
                }
            }
        }
        return order.map { key in
            let e = byKey[key]!
            return Series(labels: e.labels, samples: e.points.keys.sorted().map { ($0, e.points[$0]!) })
        }
    }

    /// A normal NaN (Prometheus' `value.NormalNaN`): never the stale-marker NaN `0x7ff0000000000002`.
    static let normalNaN = Double(bitPattern: 0x7ff8_0000_0000_0001)

    /// `TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }`
    static func encode(_ s: Series) -> ProtobufWriter {
        var w = ProtobufWriter()
        for l in s.labels {
            w.message(1) { $0.string(1, l.name); $0.string(2, l.value) }
        }
        for p in s.samples {
            w.message(2) { $0.double(1, p.value.isNaN ? normalNaN : p.value); $0.int64(2, p.timestamp) }
        }
        return w
    }

    /// `WriteRequest { repeated TimeSeries timeseries = 1; }` — the uncompressed body.
    public static func writeRequest(_ series: [Series]) -> [UInt8] {
        var w = ProtobufWriter()
        for s in series { w.message(1, encode(s)) }
        return w.bytes
    }

    /// The series split into requests: each a list of (possibly partial) series.
    public func batches(_ series: [Series]) -> [[Series]] {
        var out: [[Series]] = []
        var current: [Series] = []
        var bytes = 0
        for s in series {
            var start = 0
            repeat {
                let end = min(start + Self.maxSamplesPerPiece, s.samples.count)
                let piece = Series(labels: s.labels, samples: Array(s.samples[start..<end]))
                let size = Self.encode(piece).count + 6
                if !current.isEmpty && (current.count >= maxSeries || bytes + size > maxBytes) {
                    out.append(current)
                    current = []
                    bytes = 0
                }
                current.append(piece)
                bytes += size
                start = end
            } while start < s.samples.count
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// The series and requests as text; the payload carries the compressed bodies.
    public func encode(_ datums: [MetricDatum]) -> SinkPayload {
        let all = Self.series(datums)
        let requests = batches(all)
        var bodies: [Data] = []
        let samples = all.map(\.samples.count).reduce(0, +)
        var out = "POST \(Redaction.url(url)) (remote write 1.0, protobuf + snappy): \(all.count) series, \(samples) samples in \(requests.count) request(s)\n"
        for (i, batch) in requests.enumerated() {
            let proto = Self.writeRequest(batch)
            let compressed = Snappy.compress(proto)
            bodies.append(Data(compressed))
            out += "request \(i + 1): \(batch.count) series, \(batch.map(\.samples.count).reduce(0, +)) samples, "
                + "\(proto.count) bytes protobuf, \(compressed.count) bytes snappy\n"
            for s in batch {
                out += "  " + PromModel.labelText(s.labels) + "\n"
                for p in s.samples { out += "    \(formatNumber(p.value)) @ \(p.timestamp) (\(timeText(p.timestamp)))\n" }
            }
        }
        return SinkPayload(text: out, count: datums.count, content: bodies)
    }

    public func deliver(_ payload: SinkPayload) -> SinkOutcome {
        guard let bodies = payload.content(as: [Data].self) else { return .foreign(label, payload) }
        return SinkOutcome.inOrder(label, payload, steps: bodies.count) { i in
            if let signingProblem { throw SinkError(sink: label, message: signingProblem) }
            var headers: [(name: String, value: String)] = [
                ("Content-Encoding", "snappy"),
                ("Content-Type", "application/x-protobuf"),
                ("X-Prometheus-Remote-Write-Version", "0.1.0"),
                ("User-Agent", HTTPDelivery.userAgent),
            ] + self.headers
            if let s = signing {
                let creds: Credentials
                do { creds = try s.credentials.credentials(now: s.clock.date()) } catch {
                    throw SinkError(sink: label, message: "sigv4: no credentials: \(error)")
                }
                headers += SigV4(region: s.region, service: "aps").sign(method: "POST", url: url, headers: headers, body: bodies[i],
                                                                        credentials: creds, date: s.clock.date()).headers
            }
            let request = HTTPRequest(method: "POST", url: url, headers: headers, body: bodies[i])
            let which = bodies.count > 1 ? "request \(i + 1) of \(bodies.count): " : ""
            let earlier = i > 0 ? " (the \(i) earlier request(s) were written)" : ""
            try HTTPDelivery.send(request, with: client, sink: label, prefix: which, suffix: earlier)
        }
    }
}
