import Foundation
import LogmillMetrics
import LogmillNet

/// Pushes datums to a Prometheus Pushgateway group:
/// `sink: pushgateway URL job=NAME [LABEL=VALUE…] [method=put|post] [timeout=S] [attempts=N] [header=Name:Value…] [bearer-token=T] [basic-auth=U:P]`.
///
/// The group is `URL/metrics/job/<job>{/<label>/<value>}` (extra labels sorted by name). A value (or
/// the job) that is empty or contains `/` is sent base64url-encoded under `<label>@base64`, as the
/// Pushgateway API requires; other values are percent-encoded. The body is text exposition 0.0.4
/// without timestamps (the Pushgateway rejects them), each series with its newest datum, mapped as
/// `PromModel` describes. `PUT` (the default) replaces the whole group, so a re-push replaces what the
/// previous run pushed; `method=post` replaces only the metric names in the body. A run with no
/// datums pushes nothing (it does not wipe the group). 2xx is success; 4xx fails at once with the
/// gateway's message; 5xx, 429 and connection errors are retried by the shared client.
public struct PushgatewaySink: MetricSink {
    public let baseURL: String
    public let job: String
    /// The grouping labels after `job`, in path order.
    public let grouping: [(name: String, value: String)]
    public let method: String
    public let headers: [(name: String, value: String)]
    let client: HTTPClient

    public init(url: String, job: String, grouping: [(name: String, value: String)] = [], method: String = "PUT",
                headers: [(name: String, value: String)] = [], client: HTTPClient = HTTPClient()) {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.job = job
        self.grouping = grouping
        self.method = method
        self.headers = headers
        self.client = client
        client.isRetryable = HTTPDelivery.retryable5xx
    }

    /// From a checked job-file line: grouping labels sorted by name.
    init(_ c: SinkConfiguration, client: HTTPClient) {
        self.init(url: c.argument!, job: c.text("job")!, grouping: c.labels.sorted { $0.name < $1.name }, method: c.text("method")!.uppercased(),
                  headers: HTTPDelivery.headers(c), client: client)
    }

    static let textContentType = "text/plain; version=0.0.4; charset=utf-8"

    public var label: String { "pushgateway \(Redaction.url(groupURL))" }

    /// `…/metrics/job/<job>/<label>/<value>…`, after the base URL's path and before its query (a
    /// base URL with `?…` keeps its query at the end, where it belongs).
    public var groupURL: String {
        var path = "/metrics/" + Self.pathPair("job", job)
        for g in grouping { path += "/" + Self.pathPair(g.name, g.value) }
        guard var c = URLComponents(string: baseURL) else { return baseURL + path }
        var basePath = c.percentEncodedPath
        while basePath.hasSuffix("/") { basePath.removeLast() }
        c.percentEncodedPath = basePath + path
        return c.string ?? baseURL + path
    }

    /// `name/value`, or `name@base64/<base64url>` for a value that is empty or contains `/`.
    static func pathPair(_ name: String, _ value: String) -> String {
        if value.isEmpty { return name + "@base64/=" }
        if value.contains("/") {
            var b = Data(value.utf8).base64EncodedString()
            b = b.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            while b.hasSuffix("=") { b.removeLast() }
            return name + "@base64/" + b
        }
        return name + "/" + percentEncode(value)
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func percentEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(b >> 4)])
                out.unicodeScalars.append(hex[Int(b & 15)])
            }
        }
        return out
    }

    /// The request body: 0.0.4 text, newest point per series, no timestamps.
    public func body(_ datums: [MetricDatum]) -> String {
        PromModel(datums, style: .classic, dropEmptyLabels: false).textExposition(timestamps: false)
    }

    /// The request as text; the payload carries the body (none when there are no datums: a run with
    /// nothing to push does not wipe the group).
    public func encode(_ datums: [MetricDatum]) -> SinkPayload {
        if datums.isEmpty { return SinkPayload(text: "\(method) \(Redaction.url(groupURL)): nothing to push\n", count: 0, content: [String]()) }
        let body = body(datums)
        return SinkPayload(text: "\(method) \(Redaction.url(groupURL))\nContent-Type: \(Self.textContentType)\n\n" + body, count: datums.count, content: [body])
    }

    public func deliver(_ payload: SinkPayload) -> SinkOutcome {
        guard let bodies = payload.content(as: [String].self) else { return .foreign(label, payload) }
        return SinkOutcome.inOrder(label, payload, steps: bodies.count) { _ in
            guard let url = URL(string: groupURL) else { throw SinkError(sink: label, message: "not a valid URL: \(Redaction.url(groupURL))") }
            let request = HTTPRequest(method: method, url: url,
                                      headers: [("Content-Type", Self.textContentType), ("User-Agent", HTTPDelivery.userAgent)] + headers,
                                      body: Data(bodies[0].utf8))
            try HTTPDelivery.send(request, with: client, sink: label)
        }
    }
}
