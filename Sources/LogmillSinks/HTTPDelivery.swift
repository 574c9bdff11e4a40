import Foundation
import LogmillMetrics
import LogmillNet

/// Sink kinds: OTLP/HTTP JSON, StatsD, JSON webhooks.
enum HTTPSinks {
    static let kinds: [(kind: String, usage: String)] = [
        ("otlp", "otlp URL [service=NAME] [timeout=SECONDS] [attempts=N]"),
        ("statsd", "statsd HOST:PORT [dogstatsd=true] [prefix=NAME] [timestamps=true] [max_datagram=BYTES]"),
        ("webhook", "webhook URL [shape=datums|kv] [category=NAME] [host=NAME] [header=Name:Value] [header2=Name:Value…] "
            + "[batch=N] [timestamp=ms|s] [timeout=SECONDS] [attempts=N]"),
    ]
    static let builders: [String: SinkFactory.Builder] = [
        "otlp": { spec, _ in try OTLPSink(spec: spec) },
        "statsd": { spec, _ in try StatsDSink(spec: spec) },
        "webhook": { spec, _ in try WebhookSink(spec: spec) },
    ]
}

/// Option parsing shared by the OTLP, StatsD and webhook sinks.
enum NetSinkOptions {
    static func fail(_ spec: SinkSpec, _ message: String) -> SinkError { SinkError(sink: spec.kind, message: message) }

    /// Rejects option names the kind does not know (a typo would otherwise be ignored silently).
    static func checkKnown(_ spec: SinkSpec, _ known: [String], prefixes: [String] = []) throws {
        for key in spec.options.keys.sorted() where !known.contains(key) && !prefixes.contains(where: { key.hasPrefix($0) }) {
            throw fail(spec, "unknown option '\(key)'; \(spec.kind) takes: \((known + prefixes.map { $0 + "…" }).joined(separator: ", "))")
        }
    }

    static func bool(_ spec: SinkSpec, _ key: String) throws -> Bool {
        guard let v = spec.options[key] else { return false }
        switch v.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw fail(spec, "\(key) must be true or false, not '\(v)'")
        }
    }

    static func int(_ spec: SinkSpec, _ key: String, range: ClosedRange<Int>) throws -> Int? {
        guard let v = spec.options[key] else { return nil }
        guard let n = Int(v), range.contains(n) else {
            throw fail(spec, "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(v)'")
        }
        return n
    }

    /// `timeout=SECONDS` (per attempt) and `attempts=N` (first try included).
    static func policy(_ spec: SinkSpec) throws -> RetryPolicy {
        var p = RetryPolicy()
        if let t = spec.options["timeout"] {
            guard let s = Double(t), s > 0, s <= 600 else { throw fail(spec, "timeout must be a number of seconds (0 to 600], not '\(t)'") }
            p.timeout = s
        }
        if let n = try int(spec, "attempts", range: 1...20) { p.maxAttempts = n }
        return p
    }

    /// The single URL argument, http or https; `defaultPath` replaces an empty path.
    static func url(_ spec: SinkSpec, usage: String, defaultPath: String? = nil) throws -> URL {
        guard spec.arguments.count == 1 else { throw fail(spec, "write 'sink: \(usage)'") }
        let text = spec.arguments[0]
        guard var c = URLComponents(string: text), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = c.host, !host.isEmpty
        else { throw fail(spec, "'\(text)' is not an http:// or https:// URL") }
        if let defaultPath, c.path.isEmpty || c.path == "/" { c.path = defaultPath }
        guard let url = c.url else { throw fail(spec, "'\(text)' is not a valid URL") }
        return url
    }
}

/// HTTP delivery shared by the OTLP and webhook sinks, over the shared `HTTPClient`.
struct NetSinkDelivery {
    let label: String
    let policy: RetryPolicy
    /// An injected client (tests); otherwise one is made per `emit`.
    let client: HTTPClient?
    /// Which answers are worth another attempt, by protocol.
    let retryable: @Sendable (HTTPResponse) -> Bool

    func makeClient() -> HTTPClient {
        let c = client ?? HTTPClient(policy: policy)
        c.isRetryable = retryable
        return c
    }

    /// POSTs `body`; returns the 2xx response, or throws an `HTTPError` naming the endpoint
    /// (connection failures come from the client already named).
    func post(_ client: HTTPClient, url: URL, headers: [(name: String, value: String)], body: String,
              describe: (HTTPResponse) -> String = NetSinkDelivery.bodySnippet) throws -> HTTPResponse {
        let request = HTTPRequest(method: "POST", url: url, headers: headers, body: Data(body.utf8))
        let response = try client.send(request)
        if (200..<300).contains(response.status) { return response }
        // The client returns the last answer; a retryable one means every attempt was used.
        let attempts = retryable(response) ? client.policy.maxAttempts : 1
        throw HTTPError(endpoint: HTTPClient.endpoint(url), status: response.status, code: nil, message: describe(response), attempts: attempts)
    }

    /// The start of a response body on one line, for error messages.
    static func bodySnippet(_ r: HTTPResponse) -> String {
        let flat = r.text.split(whereSeparator: { $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return flat.count > 300 ? String(flat.prefix(300)) + "…" : flat
    }
}
