import Foundation
import LogmillNet

/// Delivery over HTTP, shared by the OTLP, webhook, Pushgateway and remote-write sinks.
enum HTTPDelivery {
    static let userAgent = "logmill/0.1.0"

    /// Remote write and Pushgateway: retry 5xx and 429 only (the shared default also retries AWS throttling 400s).
    @Sendable static func retryable5xx(_ r: HTTPResponse) -> Bool { r.status == 429 || r.status >= 500 }

    /// Sends `request` through `client` for the Prometheus kinds: a 2xx answer, else a `RequestFailure`
    /// around a `SinkError` reading `prefix` + the problem (status and the receiver's text) + `suffix`.
    static func send(_ request: HTTPRequest, with client: HTTPClient, sink: String, prefix: String = "", suffix: String = "") throws {
        let response: HTTPResponse
        do {
            response = try client.send(request)
        } catch {
            throw RequestFailure(SinkError(sink: sink, message: prefix + "\(error)" + suffix), inDoubt: (error as? HTTPError)?.inDoubt == true)
        }
        guard (200..<300).contains(response.status) else {
            let text = bodySnippet(response)
            let gaveUp = retryable5xx(response) ? " (gave up after \(client.policy.maxAttempts) attempts)" : ""
            throw RequestFailure(SinkError(sink: sink, message: prefix + "HTTP \(response.status)" + (text.isEmpty ? "" : ": \(text)") + gaveUp + suffix),
                                 inDoubt: response.earlierAttemptInDoubt)
        }
    }

    /// The start of a response body on one line, for error messages: at most `Redaction.echoLimit`
    /// bytes, with the request's credentials and any URL redacted (a server may echo the request).
    static func bodySnippet(_ r: HTTPResponse) -> String {
        r.echoText.split(whereSeparator: { $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// `Authorization` headers from `bearer-token=` and `basic-auth=`, then the `header=` options.
    static func headers(_ c: SinkConfiguration) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        if let t = c.text("bearer-token") { out.append(("Authorization", "Bearer " + t)) }
        if let b = c.text("basic-auth") { out.append(("Authorization", "Basic " + Data(b.utf8).base64EncodedString())) }
        return out + c.headers()
    }

    /// `timeout=` (seconds per attempt) and `attempts=` (first try included) over `base`.
    static func policy(_ c: SinkConfiguration, base: RetryPolicy = RetryPolicy()) -> RetryPolicy {
        var p = base
        if let t = c.number("timeout") { p.timeout = t }
        if let n = c.integer("attempts") { p.maxAttempts = n }
        return p
    }
}

/// POSTs for the OTLP and webhook sinks: a 2xx answer or an `HTTPError` naming the endpoint.
struct NetSinkDelivery {
    let label: String
    let client: HTTPClient
    /// Which answers are worth another attempt, by protocol.
    let retryable: @Sendable (HTTPResponse) -> Bool

    init(label: String, client: HTTPClient, retryable: @escaping @Sendable (HTTPResponse) -> Bool) {
        self.label = label
        self.client = client
        self.retryable = retryable
        client.isRetryable = retryable
    }

    /// POSTs `body`; returns the 2xx response, or throws a `RequestFailure` around an `HTTPError`.
    func post(url: URL, headers: [(name: String, value: String)], body: String,
              describe: (HTTPResponse) -> String = HTTPDelivery.bodySnippet) throws -> HTTPResponse {
        let request = HTTPRequest(method: "POST", url: url, headers: headers, body: Data(body.utf8))
        let response: HTTPResponse
        do { response = try client.send(request) } catch let e as HTTPError { throw RequestFailure(e) }
        if (200..<300).contains(response.status) { return response }
        // The client returns the last answer; a retryable one means every attempt was used.
        let attempts = retryable(response) ? client.policy.maxAttempts : 1
        throw RequestFailure(HTTPError(endpoint: HTTPClient.endpoint(url), status: response.status, code: nil, message: response.shown(describe(response)),
                                       attempts: attempts), inDoubt: response.earlierAttemptInDoubt)
    }

    /// POSTs every body in order (see `SinkOutcome.inOrder`); `check` may refuse a 2xx answer (OTLP partial success).
    func postAll(_ payload: SinkPayload, url: URL, headers: [(name: String, value: String)],
                 describe: (HTTPResponse) -> String = HTTPDelivery.bodySnippet, check: (HTTPResponse) throws -> Void = { _ in }) -> SinkOutcome {
        guard let bodies = payload.content(as: [String].self) else { return .foreign(label, payload) }
        return SinkOutcome.inOrder(label, payload, steps: bodies.count) { i in
            let response: HTTPResponse
            do {
                response = try post(url: url, headers: headers, body: bodies[i], describe: describe)
            } catch let f as RequestFailure where i > 0 {
                throw RequestFailure(SinkError(sink: label, message: "request \(i + 1) of \(bodies.count) failed (earlier ones were delivered): \(f.error)"))
            }
            try check(response)
        }
    }
}
