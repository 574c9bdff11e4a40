import Foundation
import LogmillTime
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An HTTP request as sinks build it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(method: String = "POST", url: URL, headers: [(name: String, value: String)] = [], body: Data = Data()) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: Data
    /// An earlier attempt of the same request timed out or lost its connection after sending, so the
    /// receiver may have taken it before this answer came.
    public var earlierAttemptInDoubt = false
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// When and how often to try again.
public struct RetryPolicy: Sendable {
    public var maxAttempts = 5
    /// The first backoff; each retry doubles it, with full jitter, up to `maxDelay`.
    public var baseDelay = 0.2
    public var maxDelay = 10.0
    /// Per-attempt timeout in seconds.
    public var timeout = 15.0
    public init() {}
}

/// A request that failed for good, naming the endpoint and (for AWS) the error code.
public struct HTTPError: Error, CustomStringConvertible, Sendable {
    public let endpoint: String
    public let status: Int?
    /// The service's error code (`Throttling`, `InvalidParameterValue`, …) when it gave one.
    public let code: String?
    public let message: String
    public let attempts: Int
    /// Some attempt may have reached the receiver (it timed out or lost the connection after sending):
    /// whether the receiver took the request is not known.
    public let inDoubt: Bool

    public init(endpoint: String, status: Int?, code: String?, message: String, attempts: Int, inDoubt: Bool = false) {
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.message = message
        self.attempts = attempts
        self.inDoubt = inDoubt
    }

    public var description: String {
        var s = "\(endpoint): "
        if let status { s += "HTTP \(status)" }
        if let code { s += (status == nil ? "" : " ") + code }
        if !message.isEmpty { s += (status == nil && code == nil ? "" : ": ") + message }
        if attempts > 1 { s += " (after \(attempts) attempts)" }
        return s
    }
}

/// One HTTP client for every sink: timeouts, and retries with exponential backoff and full jitter
/// for throttling, 5xx answers and connection errors. A request that got a success is never sent again.
/// The waits between attempts go through the injected clock (a `ManualClock` in tests: no real waiting).
public final class HTTPClient: @unchecked Sendable {
    public let policy: RetryPolicy
    /// Sleeps between attempts.
    public let clock: any Clock
    private let session: URLSession
    /// Decides whether a response is worth retrying; default: 429, 5xx, and AWS throttling codes.
    public var isRetryable: (HTTPResponse) -> Bool = HTTPClient.defaultRetryable

    public init(policy: RetryPolicy = RetryPolicy(), clock: any Clock = SystemClock()) {
        self.policy = policy
        self.clock = clock
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = policy.timeout
        config.timeoutIntervalForResource = policy.timeout * 2
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.httpMaximumConnectionsPerHost = 4
        session = URLSession(configuration: config)
    }

    public static func defaultRetryable(_ r: HTTPResponse) -> Bool {
        if r.status == 429 || r.status >= 500 { return true }
        if r.status == 400 {
            let t = r.text
            return t.contains("Throttling") || t.contains("ThrottlingException") || t.contains("RequestLimitExceeded") || t.contains("SlowDown")
        }
        return false
    }

    /// Sends `request`, retrying as the policy says. Returns the final response whatever its status
    /// (callers decide what a 4xx means); throws only when no response could be had.
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        var attempt = 0
        var lastError = ""
        var inDoubt = false
        while true {
            attempt += 1
            var retryAfter = 0.0
            switch perform(request) {
            case .success(var response):
                response.earlierAttemptInDoubt = inDoubt
                if attempt < policy.maxAttempts && isRetryable(response) {
                    lastError = "HTTP \(response.status)"
                    // Honour the server's Retry-After (seconds), within the policy's longest wait.
                    if let ra = response.headers["retry-after"].flatMap(Double.init), ra > 0 { retryAfter = min(ra, policy.maxDelay) }
                } else {
                    return response
                }
            case .failure(let message, let sent):
                lastError = message
                inDoubt = inDoubt || sent
                if attempt >= policy.maxAttempts {
                    throw HTTPError(endpoint: HTTPClient.endpoint(request.url), status: nil, code: nil, message: lastError, attempts: attempt,
                                    inDoubt: inDoubt)
                }
            }
            let cap = min(policy.maxDelay, policy.baseDelay * Double(1 << min(attempt - 1, 20)))
            clock.sleep(seconds: max(retryAfter, Double.random(in: 0...max(0, cap))))
        }
    }

    /// A failure with whether the request may have reached the receiver (`sent`): a timeout or a
    /// connection lost mid-exchange may come after the receiver took it; a refused connection cannot.
    private enum Outcome { case success(HTTPResponse), failure(String, sent: Bool) }

    private static func mayHaveBeenSent(_ error: Error) -> Bool {
        guard let code = (error as? URLError)?.code else { return true }
        switch code {
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet, .badURL, .unsupportedURL:
            return false
        default:
            return true
        }
    }

    private func perform(_ r: HTTPRequest) -> Outcome {
        var req = URLRequest(url: r.url)
        req.httpMethod = r.method
        req.timeoutInterval = policy.timeout
        for h in r.headers { req.addValue(h.value, forHTTPHeaderField: h.name) }
        if !r.body.isEmpty || r.method == "POST" || r.method == "PUT" { req.httpBody = r.body }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome = Outcome.failure("no response", sent: true)
        let task = session.dataTask(with: req) { data, response, error in
            if let error {
                outcome = .failure(error.localizedDescription, sent: HTTPClient.mayHaveBeenSent(error))
            } else if let http = response as? HTTPURLResponse {
                var headers: [String: String] = [:]
                for (k, v) in http.allHeaderFields { headers["\(k)".lowercased()] = "\(v)" }
                outcome = .success(HTTPResponse(status: http.statusCode, headers: headers, body: data ?? Data()))
            }
            done.signal()
        }
        task.resume()
        done.wait()
        return outcome
    }

    /// `scheme://host:port/path` without the query, for messages.
    public static func endpoint(_ url: URL) -> String {
        var c = URLComponents(url: url, resolvingAgainstBaseURL: false)
        c?.query = nil
        c?.user = nil
        c?.password = nil
        return c?.string ?? url.absoluteString
    }
}
