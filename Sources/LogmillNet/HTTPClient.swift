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
    /// The credential values the request carried (`Redaction.secrets(of:)`), for hiding them in
    /// what the answer echoes.
    public var secrets: [String] = []
    /// The body as text, verbatim: for parsing, never for showing.
    public var text: String { String(decoding: body, as: UTF8.self) }
    /// The body for a message: bounded, the request's credentials and URLs redacted.
    public var echoText: String { Redaction.echo(body, secrets: secrets) }
    /// `text` (e.g. a message parsed from the body) with the request's credentials and URLs redacted.
    public func redacted(_ text: String) -> String { Redaction.scrub(text, secrets: secrets) }
    /// A message taken from the answer (parsed from its body), bounded and redacted as `echoText` is.
    public func shown(_ text: String) -> String { Redaction.echo(Data(text.utf8), secrets: secrets) }

    public init(status: Int, headers: [String: String], body: Data, earlierAttemptInDoubt: Bool = false, secrets: [String] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.earlierAttemptInDoubt = earlierAttemptInDoubt
        self.secrets = secrets
    }
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

    /// `endpoint` is shown redacted (`Redaction.url`), whatever the caller passes.
    public init(endpoint: String, status: Int?, code: String?, message: String, attempts: Int, inDoubt: Bool = false) {
        self.endpoint = Redaction.url(endpoint)
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
///
/// Redirects are never followed: URLSession follows 3xx by default, resending the request (and its
/// `Authorization` header or URL credentials) to whatever host the `Location` names. Here a 3xx is
/// a failure naming the (redacted) `Location`, and the session's delegate refuses every redirect.
public final class HTTPClient: @unchecked Sendable {
    public let policy: RetryPolicy
    /// Sleeps between attempts.
    public let clock: any Clock
    private let session: URLSession
    private let collector = TaskCollector()
    /// Decides whether a response is worth retrying; default: 429, 5xx, and AWS throttling codes.
    public var isRetryable: (HTTPResponse) -> Bool = HTTPClient.defaultRetryable
    /// Told of every attempt (its number, from 1, and the bytes of its answer's body; 0 when none came):
    /// how remote sources count requests, retries and bytes over the wire. Set before the client is used.
    public var onAttempt: (@Sendable (_ attempt: Int, _ bytes: Int) -> Void)? = nil

    /// `maxConnectionsPerHost`: sources that fetch many objects at once (S3, HTTP) ask for more than
    /// the sinks' 4.
    public init(policy: RetryPolicy = RetryPolicy(), clock: any Clock = SystemClock(), maxConnectionsPerHost: Int = 4) {
        self.policy = policy
        self.clock = clock
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = Self.sessionTimeout(policy.timeout)
        config.timeoutIntervalForResource = Self.sessionTimeout(policy.timeout) * 2
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.httpMaximumConnectionsPerHost = maxConnectionsPerHost
        config.httpShouldSetCookies = false
        config.urlCredentialStorage = nil
        session = URLSession(configuration: config, delegate: collector, delegateQueue: nil)
    }

    deinit { session.invalidateAndCancel() }

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
        let secrets = Redaction.secrets(of: request)
        var attempt = 0
        var lastError = ""
        var inDoubt = false
        while true {
            attempt += 1
            var retryAfter = 0.0
            let outcome = perform(request)
            if let onAttempt {
                if case .success(let r) = outcome { onAttempt(attempt, r.body.count) } else { onAttempt(attempt, 0) }
            }
            switch outcome {
            case .success(var response):
                response.earlierAttemptInDoubt = inDoubt
                response.secrets = secrets
                if (300..<400).contains(response.status) {
                    let location = response.headers["location"].map { "to " + Redaction.scrub($0, secrets: secrets) } ?? "without a Location"
                    throw HTTPError(endpoint: HTTPClient.endpoint(request.url), status: response.status, code: nil,
                                    message: "redirected \(location); logmill does not follow redirects (the request's credentials would go along)",
                                    attempts: attempt, inDoubt: inDoubt)
                }
                if attempt < policy.maxAttempts && isRetryable(response) {
                    lastError = "HTTP \(response.status)"
                    // Honour the server's Retry-After (seconds), within the policy's longest wait.
                    if let ra = response.headers["retry-after"].flatMap(Double.init), ra > 0 { retryAfter = min(ra, policy.maxDelay) }
                } else {
                    return response
                }
            case .failure(let message, let sent):
                lastError = Redaction.scrub(message, secrets: secrets)
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
        req.timeoutInterval = Self.sessionTimeout(policy.timeout)
        for h in r.headers { req.addValue(h.value, forHTTPHeaderField: h.name) }
        if !r.body.isEmpty || r.method == "POST" || r.method == "PUT" { req.httpBody = r.body }
        // No completion handler: corelibs Foundation follows redirects without asking the delegate
        // for tasks that have one. The delegate collects the answer and refuses redirects.
        let task = session.dataTask(with: req)
        let result = collector.run(task)
        if let error = result.error {
            return .failure(describe(error), sent: HTTPClient.mayHaveBeenSent(error))
        }
        guard let http = result.response else { return .failure("no response", sent: true) }
        var headers: [String: String] = [:]
        for (k, v) in http.allHeaderFields { headers["\(k)".lowercased()] = "\(v)" }
        return .success(HTTPResponse(status: http.statusCode, headers: headers, body: result.data))
    }

    /// A network error in words (not `NSURLErrorDomain error -1001`).
    func describe(_ error: Error) -> String {
        guard let code = (error as? URLError)?.code else { return "\(error.localizedDescription)" }
        switch code {
        case .timedOut: return "timed out after \(Self.seconds(Self.sessionTimeout(policy.timeout))) s"
        case .cannotConnectToHost: return "connection refused"
        case .cannotFindHost, .dnsLookupFailed: return "could not resolve host"
        case .secureConnectionFailed, .serverCertificateHasBadDate, .serverCertificateUntrusted, .serverCertificateHasUnknownRoot,
             .serverCertificateNotYetValid, .clientCertificateRejected, .clientCertificateRequired:
            return "TLS failure"
        case .networkConnectionLost, .badServerResponse, .zeroByteResource, .cannotParseResponse:
            return "connection closed before the answer"
        case .notConnectedToInternet: return "no network connection"
        case .httpTooManyRedirects, .redirectToNonExistentLocation: return "redirected; logmill does not follow redirects"
        case .badURL, .unsupportedURL: return "not a usable URL"
        case .cancelled: return "cancelled"
        default:
            // libcurl's own words, e.g. "transfer closed with 50 bytes remaining to read".
            let text = error.localizedDescription
            if text.contains("transfer closed") || text.contains("Connection reset") || text.contains("Empty reply") {
                return "connection closed before the answer (\(text))"
            }
            return "network error (URLError \(code.rawValue)): \(text)"
        }
    }

    /// The timeout URLSession is given: whole seconds, at least 1. (FoundationNetworking counts whole
    /// seconds: a timeout below 1 s expired at once, failing every request.)
    static func sessionTimeout(_ t: Double) -> Double { max(1, t.rounded(.up)) }

    /// `15`, `0.5`: seconds for messages.
    static func seconds(_ s: Double) -> String {
        s == s.rounded() && abs(s) < 1e9 ? String(Int(s)) : String(s)
    }

    /// `scheme://host:port/path` without the query or user information, for messages.
    public static func endpoint(_ url: URL) -> String {
        var c = URLComponents(url: url, resolvingAgainstBaseURL: false)
        c?.query = nil
        c?.fragment = nil
        c?.user = nil
        c?.password = nil
        return Redaction.url(c?.string ?? url.absoluteString)
    }
}

/// The session's delegate: collects each task's answer, and refuses every redirect (the 3xx itself
/// becomes the task's answer).
final class TaskCollector: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct Result {
        var response: HTTPURLResponse?
        var data = Data()
        var error: Error?
    }

    private let lock = NSLock()
    private var results: [Int: Result] = [:]
    private var waiting: [Int: DispatchSemaphore] = [:]

    /// Starts `task` and waits for it to complete.
    func run(_ task: URLSessionDataTask) -> Result {
        let done = DispatchSemaphore(value: 0)
        lock.lock()
        results[task.taskIdentifier] = Result()
        waiting[task.taskIdentifier] = done
        lock.unlock()
        task.resume()
        done.wait()
        lock.lock(); defer { lock.unlock() }
        return results.removeValue(forKey: task.taskIdentifier) ?? Result()
    }

    private func update(_ task: URLSessionTask, _ change: (inout Result) -> Void) {
        lock.lock(); defer { lock.unlock() }
        if results[task.taskIdentifier] != nil { change(&results[task.taskIdentifier]!) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        update(dataTask) { $0.response = response as? HTTPURLResponse }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        update(dataTask) { $0.data.append(data) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        if results[task.taskIdentifier] != nil {
            if let error { results[task.taskIdentifier]!.error = error }
            if results[task.taskIdentifier]!.response == nil, let r = task.response as? HTTPURLResponse { results[task.taskIdentifier]!.response = r }
        }
        let done = waiting.removeValue(forKey: task.taskIdentifier)
        lock.unlock()
        done?.signal()
    }
}
