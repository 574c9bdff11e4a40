import Foundation
import LogmillAWS
import LogmillNet
import LogmillTime

/// One event as FilterLogEvents returns it.
public struct CloudWatchLogsEvent: Sendable, Equatable, Codable {
    public var logStreamName: String
    public var timestamp: Int64
    public var message: String
    public var ingestionTime: Int64
    public var eventId: String
}

/// A failed CloudWatch Logs request: the service's error type (`ResourceNotFoundException`,
/// `AccessDeniedException`, `ThrottlingException`, …) and message.
public struct CloudWatchLogsError: Error, CustomStringConvertible, Sendable {
    public let target: String
    public let status: Int?
    public let code: String?
    public let message: String
    public var description: String {
        var s = "CloudWatch Logs"
        if let code { s += " \(code)" }
        if let status { s += " (HTTP \(status))" }
        return (message.isEmpty ? s : s + ": " + message) + " (\(target))"
    }
}

/// The read side of CloudWatch Logs (JSON protocol, `Logs_20140328`): FilterLogEvents and
/// DescribeLogGroups, signed with SigV4 (service `logs`), through the shared HTTP client (retries on
/// throttling and 5xx with backoff on the injected clock), each request first taking a token from the
/// account and region's rate limiter: FilterLogEvents' quota is low and cannot be raised, and every job
/// of a process shares it.
public final class CloudWatchLogsClient: @unchecked Sendable {
    public let region: String
    public let endpoint: URL
    public let client: HTTPClient
    public let clock: any Clock
    private let credentials: CredentialProvider
    let limiter: RateLimiter

    public init(region: String, endpoint: URL, credentials: CredentialProvider, clock: any Clock, client: HTTPClient? = nil,
                requestsPerSecond: Double? = nil) {
        self.region = region
        self.endpoint = endpoint
        self.credentials = credentials
        self.clock = clock
        self.client = client ?? HTTPClient(policy: S3Client.retryPolicy, clock: clock)
        limiter = RateLimiter.shared(key: region + " " + endpoint.absoluteString,
                                     perSecond: requestsPerSecond ?? CloudWatchLogsClient.filterQuota(region: region), clock: clock)
    }

    /// Configured as the AWS CLI would be (`AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`, `AWS_ENDPOINT_URL`, profile).
    public convenience init(environment: [String: String], clock: any Clock) throws {
        let config = AWSSharedConfig(environment: environment)
        let region = config.region ?? "us-east-1"
        let resolved = try AWSEndpoints.resolve(.cloudWatchLogs, region: region, config: config)
        self.init(region: region, endpoint: resolved.url, credentials: CredentialProvider(chain: CredentialChain(config: config)), clock: clock)
    }

    /// FilterLogEvents requests per second per account and region (the quotas page, 2026; not adjustable).
    public static func filterQuota(region: String) -> Double {
        if region == "us-east-1" { return 25 }
        if ["ap-northeast-3", "ap-southeast-3", "ca-west-1", "eu-central-1", "il-central-1"].contains(region) { return 5 }
        return 10
    }

    /// One JSON-protocol call; the decoded answer, or `CloudWatchLogsError`.
    func call(_ action: String, _ body: [String: Any], target: String) throws -> [String: Any] {
        limiter.take()
        let creds: Credentials
        do { creds = try credentials.credentials(now: clock.date()) } catch {
            throw CloudWatchLogsError(target: target, status: nil, code: nil, message: "no credentials: \(error)")
        }
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        let headers: [(name: String, value: String)] = [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "Logs_20140328." + action)]
        let signed = SigV4(region: region, service: AWSService.cloudWatchLogs.signingName)
            .sign(method: "POST", url: endpoint, headers: headers, body: data, credentials: creds, date: clock.date())
        let response: HTTPResponse
        do {
            response = try client.send(HTTPRequest(method: "POST", url: endpoint, headers: headers + signed.headers, body: data))
        } catch let e as HTTPError {
            throw CloudWatchLogsError(target: target, status: e.status, code: e.code, message: e.message)
        }
        // Some actions (CreateLogGroup, …) answer 200 with an empty body.
        let object = response.body.isEmpty && (200..<300).contains(response.status)
            ? [:] : (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        guard (200..<300).contains(response.status), let object else {
            // `__type` is `ResourceNotFoundException` or `com.amazonaws…#ResourceNotFoundException`.
            let type = (object?["__type"] as? String)?.split(separator: "#").last.map(String.init)
            let message = (object?["message"] as? String) ?? (object?["Message"] as? String) ?? ""
            throw CloudWatchLogsError(target: target, status: response.status, code: type, message: response.shown(message))
        }
        return object
    }

    /// One page of FilterLogEvents over `[start, end)` (ms; the API's `endTime` is inclusive, so
    /// `end - 1` is sent), oldest first.
    public func filter(group: String, streamPrefix: String?, start: Int64, end: Int64, nextToken: String?,
                       limit: Int = 10_000) throws -> (events: [CloudWatchLogsEvent], nextToken: String?) {
        var body: [String: Any] = ["logGroupName": group, "startTime": start, "endTime": end - 1, "limit": limit]
        if let streamPrefix { body["logStreamNamePrefix"] = streamPrefix }
        if let nextToken { body["nextToken"] = nextToken }
        let answer = try call("FilterLogEvents", body, target: "cloudwatch-logs:" + group)
        let events = (answer["events"] as? [[String: Any]] ?? []).compactMap { e -> CloudWatchLogsEvent? in
            guard let t = (e["timestamp"] as? NSNumber)?.int64Value, let m = e["message"] as? String else { return nil }
            return CloudWatchLogsEvent(logStreamName: e["logStreamName"] as? String ?? "", timestamp: t, message: m,
                                       ingestionTime: (e["ingestionTime"] as? NSNumber)?.int64Value ?? t, eventId: e["eventId"] as? String ?? "")
        }
        let token = answer["nextToken"] as? String
        return (events, token?.isEmpty == false ? token : nil)
    }

    /// The names of the log groups starting with `prefix`, in the service's order.
    public func groups(prefix: String) throws -> [String] {
        var out: [String] = []
        var token: String?
        repeat {
            var body: [String: Any] = ["logGroupNamePrefix": prefix]
            if let token { body["nextToken"] = token }
            let answer = try call("DescribeLogGroups", body, target: "cloudwatch-logs:" + prefix + "*")
            out += (answer["logGroups"] as? [[String: Any]] ?? []).compactMap { $0["logGroupName"] as? String }
            token = (answer["nextToken"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return out
    }

    /// For tests and tools: creates a group and a stream (already existing ones are fine) and puts events.
    public func put(group: String, stream: String, events: [(timestamp: Int64, message: String)]) throws {
        for (action, body) in [("CreateLogGroup", ["logGroupName": group] as [String: Any]),
                               ("CreateLogStream", ["logGroupName": group, "logStreamName": stream])] {
            do { _ = try call(action, body, target: "cloudwatch-logs:" + group) } catch let e as CloudWatchLogsError where e.code == "ResourceAlreadyExistsException" {}
        }
        var batch: [[String: Any]] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            _ = try call("PutLogEvents", ["logGroupName": group, "logStreamName": stream, "logEvents": batch], target: "cloudwatch-logs:" + group)
            batch = []
        }
        for e in events.sorted(by: { $0.timestamp < $1.timestamp }) {
            batch.append(["timestamp": e.timestamp, "message": e.message])
            if batch.count == 5_000 { try flush() }
        }
        try flush()
    }
}

/// A token bucket on the injected clock: at most `perSecond` requests a second, a burst of one second's
/// worth. One per account and region in a process, shared by every source and job.
final class RateLimiter: @unchecked Sendable {
    private let lock = NSLock()
    private let interval: Double
    private let clock: any Clock
    /// When the next request may go (ms).
    private var next: Double = 0
    private let burst: Double

    init(perSecond: Double, clock: any Clock) {
        interval = 1000 / max(0.1, perSecond)
        burst = max(1, perSecond) * interval
        self.clock = clock
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var limiters: [String: RateLimiter] = [:]

    static func shared(key: String, perSecond: Double, clock: any Clock) -> RateLimiter {
        lock.lock()
        defer { lock.unlock() }
        if let l = limiters[key] { return l }
        let l = RateLimiter(perSecond: perSecond, clock: clock)
        limiters[key] = l
        return l
    }

    /// Waits (on the clock) until a request may go.
    func take() {
        lock.lock()
        let now = Double(clock.milliseconds())
        let start = max(next, now - burst)
        next = start + interval
        let wait = start - now
        lock.unlock()
        if wait > 0 { clock.sleep(seconds: wait / 1000) }
    }
}
