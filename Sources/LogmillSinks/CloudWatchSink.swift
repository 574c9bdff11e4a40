import Foundation
import CZlib
import LogmillAWS
import LogmillMetrics
import LogmillNet
import LogmillTime

/// Publishes datums with CloudWatch PutMetricData (Query protocol, API version 2010-08-01), signed with SigV4.
///
/// - Datums CloudWatch would reject (NaN/±Inf, timestamps more than 2 weeks old or 2 hours ahead by the
///   injected clock, more than 30 dimensions, empty names, …) are left out of the payload with the reason
///   (`SinkPayload.rejections`, carried into the outcome).
/// - Distributions with more than 150 distinct values are split into several datums.
/// - Batches hold at most 1000 datums and 1 MB of body, one namespace each.
/// - Throttling, 5xx and dropped connections are retried by the shared HTTP client; other 400 answers are
///   not retried and are reported with the code, the message and the datums of that request.
/// - `gzip=true` compresses bodies (`Content-Encoding: gzip`); off by default.
/// - A delivery in several requests that stops part way is in doubt (some datums were stored).
public final class CloudWatchSink: MetricSink, @unchecked Sendable {
    public static let apiVersion = "2010-08-01"
    public static let maxDatumsPerRequest = 1000
    public static let maxBodyBytes = 1_000_000
    public static let maxValuesPerDatum = 150
    public static let maxDimensions = 30

    /// Region for signing and the default endpoint (nil when nothing configured one).
    public let region: String?
    public let gzip: Bool
    public let client: HTTPClient
    /// The current time, for timestamp checks and request signing.
    public let clock: any Clock
    /// Batch limits (tests shrink them).
    public var maxDatums = CloudWatchSink.maxDatumsPerRequest
    public var maxBytes = CloudWatchSink.maxBodyBytes

    private let endpoint: Result<URL, AWSConfigError>
    private let credentials: CredentialProvider

    /// A sink with everything given (tests, embedding).
    public convenience init(endpoint: URL, region: String, credentials: CredentialProvider, gzip: Bool = false, clock: any Clock = SystemClock(),
                            client: HTTPClient? = nil) {
        self.init(endpoint: .success(endpoint), region: region, gzip: gzip, credentials: credentials, clock: clock, client: client)
    }

    /// A sink from a job-file line: `cloudwatch [region=…] [endpoint=…] [gzip=true] [profile=…]`.
    public convenience init(spec: SinkSpec, environment: [String: String] = ProcessInfo.processInfo.environment, clock: any Clock = SystemClock()) throws {
        try self.init(try SinkRegistry.parse(spec), environment: environment, clock: clock)
    }

    /// A sink from a checked job-file line. Region, endpoint and credentials follow the AWS CLI's rules
    /// (this reads `~/.aws/config`); credentials are only resolved when sending, and a missing region only
    /// fails when sending (so `--dry-run` works anywhere).
    convenience init(_ c: SinkConfiguration, environment: [String: String], clock: any Clock) throws {
        let endpointOption = c.text("endpoint")
        let config = AWSSharedConfig(environment: environment, profile: c.text("profile"))
        let region = c.text("region").flatMap { $0.isEmpty ? nil : $0 } ?? config.region
        let endpoint: Result<URL, AWSConfigError>
        do {
            endpoint = .success(try AWSEndpoints.resolve(.cloudWatch, region: region, explicit: endpointOption, config: config).url)
        } catch let e as AWSConfigError {
            if endpointOption != nil { throw SinkError(sink: "cloudwatch", message: Redaction.urls(in: e.message)) }
            endpoint = .failure(e)
        }
        self.init(endpoint: endpoint, region: region, gzip: c.bool("gzip"), credentials: CredentialProvider(chain: CredentialChain(config: config)),
                  clock: clock, client: HTTPClient(policy: HTTPDelivery.policy(c, base: CloudWatchSink.standardRetries), clock: clock))
    }

    /// botocore "standard" mode: 3 attempts, backoff base 1 s for throttling, capped at 20 s.
    static var standardRetries: RetryPolicy {
        var policy = RetryPolicy()
        policy.maxAttempts = 3
        policy.baseDelay = 1
        policy.maxDelay = 20
        return policy
    }

    private init(endpoint: Result<URL, AWSConfigError>, region: String?, gzip: Bool, credentials: CredentialProvider, clock: any Clock,
                 client: HTTPClient?) {
        self.endpoint = endpoint
        self.region = region
        self.gzip = gzip
        self.credentials = credentials
        self.clock = clock
        self.client = client ?? HTTPClient(policy: CloudWatchSink.standardRetries, clock: clock)
    }

    /// Where requests go (or why that is not known).
    public var endpointURL: URL? { try? endpoint.get() }

    public var label: String {
        switch endpoint {
        case .success(let u):
            if u.host?.hasSuffix(".amazonaws.com") == true || u.host?.hasSuffix(".amazonaws.com.cn") == true { return "cloudwatch \(region ?? u.host!)" }
            return "cloudwatch \(HTTPClient.endpoint(u))"
        case .failure: return "cloudwatch"
        }
    }

    // MARK: Planning

    /// One PutMetricData request.
    public struct Batch: Sendable {
        public let namespace: String
        /// The datums as sent (distributions already split).
        public let datums: [MetricDatum]
        /// The form-encoded body, uncompressed.
        public let body: String
    }

    public struct Plan: Sendable {
        public var batches: [Batch] = []
        public var rejected: [SinkRejection] = []
    }

    /// Checks, splits and batches `datums` without sending anything.
    public func plan(_ datums: [MetricDatum]) -> Plan {
        var plan = Plan()
        let nowMs = clock.milliseconds()
        var order: [String] = []
        var byNamespace: [String: [MetricDatum]] = [:]
        for d in datums {
            if let reason = CloudWatchSink.rejection(d, nowMs: nowMs) {
                plan.rejected.append(SinkRejection(datum: d, reason: reason))
                continue
            }
            let parts = CloudWatchSink.split(d)
            if parts.isEmpty {
                plan.rejected.append(SinkRejection(datum: d, reason: "the distribution has no value with a positive count"))
                continue
            }
            if byNamespace[d.namespace] == nil { order.append(d.namespace) }
            byNamespace[d.namespace, default: []] += parts
        }
        for ns in order {
            let head = "Action=PutMetricData&Version=\(CloudWatchSink.apiVersion)&Namespace=\(CloudWatchSink.formEncode(ns))"
            var body = head
            var members: [MetricDatum] = []
            for d in byNamespace[ns]! {
                let fields = CloudWatchSink.fields(d)
                func encoded(_ index: Int) -> String {
                    var s = ""
                    for (k, v) in fields { s += "&MetricData.member.\(index).\(k)=\(CloudWatchSink.formEncode(v))" }
                    return s
                }
                var part = encoded(members.count + 1)
                if !members.isEmpty && (members.count >= maxDatums || body.utf8.count + part.utf8.count > maxBytes) {
                    plan.batches.append(Batch(namespace: ns, datums: members, body: body))
                    body = head
                    members = []
                    part = encoded(1)
                }
                body += part
                members.append(d)
            }
            if !members.isEmpty { plan.batches.append(Batch(namespace: ns, datums: members, body: body)) }
        }
        return plan
    }

    /// Why CloudWatch would refuse `d`, or nil.
    static func rejection(_ d: MetricDatum, nowMs: Int64) -> String? {
        func badName(_ s: String, _ what: String, max: Int) -> String? {
            if s.trimmingCharacters(in: .whitespaces).isEmpty { return "\(what) is empty" }
            if s.utf8.count > max { return "\(what) is longer than \(max) bytes" }
            if s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) { return "\(what) contains control characters" }
            return nil
        }
        if let r = badName(d.namespace, "namespace", max: 255) { return r }
        if d.namespace.hasPrefix(":") { return "namespace starts with ':'" }
        if d.namespace.hasPrefix("AWS/") { return "namespace starts with 'AWS/' (reserved for AWS services)" }
        if let r = badName(d.name, "metric name", max: 255) { return r }
        if d.dimensions.count > maxDimensions { return "\(d.dimensions.count) dimensions (CloudWatch allows \(maxDimensions))" }
        var seen = Set<String>()
        for dim in d.dimensions {
            if let r = badName(dim.name, "dimension name", max: 255) { return r }
            if dim.name.hasPrefix(":") { return "dimension name '\(dim.name)' starts with ':'" }
            if dim.value.trimmingCharacters(in: .whitespaces).isEmpty {
                return "dimension '\(dim.name)' has an empty value (CloudWatch rejects empty dimension values)"
            }
            if let r = badName(dim.value, "value of dimension '\(dim.name)'", max: 1024) { return r }
            if !seen.insert(dim.name).inserted { return "dimension '\(dim.name)' appears twice" }
        }
        let twoWeeks: Int64 = 14 * 86_400_000, twoHours: Int64 = 2 * 3_600_000
        if d.timestamp < nowMs - twoWeeks { return "timestamp \(AWSTime.iso8601Millis(d.timestamp)) is more than 2 weeks old" }
        if d.timestamp > nowMs + twoHours { return "timestamp \(AWSTime.iso8601Millis(d.timestamp)) is more than 2 hours in the future" }
        if d.storageResolution != 1 && d.storageResolution != 60 { return "storage resolution \(d.storageResolution) (must be 1 or 60)" }
        let limit = pow(2.0, 360.0)
        func bad(_ v: Double, _ what: String) -> String? {
            if v.isNaN { return "\(what) is NaN" }
            if v.isInfinite { return "\(what) is \(v < 0 ? "-" : "+")Inf" }
            if abs(v) > limit { return "\(what) \(v) is beyond ±2^360" }
            return nil
        }
        switch d.value {
        case .single(let v):
            return bad(v, "value")
        case .statistics(let s):
            for (v, n) in [(s.sampleCount, "SampleCount"), (s.sum, "Sum"), (s.minimum, "Minimum"), (s.maximum, "Maximum")] {
                if let r = bad(v, n) { return r }
            }
            if s.sampleCount <= 0 { return "statistic set with SampleCount \(formatNumber(s.sampleCount))" }
            if s.minimum > s.maximum { return "statistic set with Minimum above Maximum" }
            return nil
        case .distribution(let values, let counts):
            if values.count != counts.count { return "distribution with \(values.count) values but \(counts.count) counts" }
            if values.isEmpty { return "distribution without values" }
            for v in values { if let r = bad(v, "distribution value") { return r } }
            for c in counts {
                if let r = bad(c, "distribution count") { return r }
                if c < 0 { return "negative distribution count \(formatNumber(c))" }
            }
            return nil
        }
    }

    /// Distributions: equal values merged, zero counts dropped, then chunks of at most 150 values.
    static func split(_ d: MetricDatum) -> [MetricDatum] {
        guard case .distribution(let values, let counts) = d.value else { return [d] }
        var order: [Double] = []
        var total: [Double: Double] = [:]
        for (v, c) in zip(values, counts) where c > 0 {
            let key = v == 0 ? 0 : v  // -0 and 0 are one value
            if total[key] == nil { order.append(key) }
            total[key, default: 0] += c
        }
        var out: [MetricDatum] = []
        var i = 0
        while i < order.count {
            let chunk = Array(order[i..<min(order.count, i + maxValuesPerDatum)])
            var part = d
            part.value = .distribution(values: chunk, counts: chunk.map { total[$0]! })
            out.append(part)
            i += maxValuesPerDatum
        }
        return out
    }

    /// The member fields of one datum, without the `MetricData.member.N.` prefix, values not yet encoded.
    static func fields(_ d: MetricDatum) -> [(String, String)] {
        var f: [(String, String)] = [("MetricName", d.name)]
        for (i, dim) in d.dimensions.enumerated() {
            f.append(("Dimensions.member.\(i + 1).Name", dim.name))
            f.append(("Dimensions.member.\(i + 1).Value", dim.value))
        }
        f.append(("Timestamp", AWSTime.iso8601Millis(d.timestamp)))
        switch d.value {
        case .single(let v):
            f.append(("Value", number(v)))
        case .statistics(let s):
            f.append(("StatisticValues.SampleCount", number(s.sampleCount)))
            f.append(("StatisticValues.Sum", number(s.sum)))
            f.append(("StatisticValues.Minimum", number(s.minimum)))
            f.append(("StatisticValues.Maximum", number(s.maximum)))
        case .distribution(let values, let counts):
            for (i, v) in values.enumerated() { f.append(("Values.member.\(i + 1)", number(v))) }
            for (i, c) in counts.enumerated() { f.append(("Counts.member.\(i + 1)", number(c))) }
        }
        f.append(("Unit", d.unit.rawValue))
        f.append(("StorageResolution", String(d.storageResolution)))
        return f
    }

    /// application/x-www-form-urlencoded as botocore writes it (Python's `quote_plus`): `A-Z a-z 0-9 - _ . ~`
    /// kept, space as `+`, every other byte `%XY`. (moto re-encodes bodies this way before checking signatures.)
    static func formEncode(_ s: String) -> String {
        SigV4.uriEncode(s).replacingOccurrences(of: "%20", with: "+")
    }

    /// Shortest round-trip text; integers without a fraction; magnitudes below 1e-100 sent as 0
    /// (older CloudWatch limits rejected them).
    static func number(_ v: Double) -> String {
        if v != 0 && abs(v) < 1e-100 { return "0" }
        return formatNumber(v)
    }

    // MARK: MetricSink

    /// The request bodies, one line per PutMetricData request (uncompressed, no headers, so no secrets);
    /// datums CloudWatch would refuse are left out with the reason.
    public func encode(_ datums: [MetricDatum]) -> SinkPayload {
        let p = plan(datums)
        return SinkPayload(text: p.batches.map { $0.body + "\n" }.joined(), count: datums.count - p.rejected.count, rejections: p.rejected, content: p)
    }

    public func deliver(_ payload: SinkPayload) -> SinkOutcome {
        guard let p = payload.content(as: Plan.self) else { return .foreign(label, payload) }
        if p.batches.isEmpty { return .delivered(label, payload) }
        let url: URL
        switch endpoint {
        case .success(let u): url = u
        case .failure(let e):
            let message = Redaction.urls(in: e.message)
            return .failed(label, payload, message, cause: SinkError(sink: label, message: message))
        }
        var failures: [String] = []
        var sent = 0
        var inDoubt = false
        for (i, batch) in p.batches.enumerated() {
            do {
                try send(batch, to: url)
                sent += batch.datums.count
            } catch let e as CloudWatchError {
                failures.append(e.description)
                inDoubt = inDoubt || e.http.inDoubt
                if e.fatal {
                    let left = p.batches[(i + 1)...].reduce(0) { $0 + $1.datums.count }
                    if left > 0 { failures.append("\(left) more datums not sent") }
                    break
                }
            } catch {
                failures.append("\(error)")
            }
        }
        if failures.isEmpty { return .delivered(label, payload) }
        let total = p.batches.reduce(0) { $0 + $1.datums.count }
        let error = SinkError(sink: label, message: "\(sent) of \(total) datums sent; " + failures.joined(separator: "; "))
        return sent > 0 || inDoubt ? .inDoubt(label, payload, error.message, cause: error) : .failed(label, payload, error.message, cause: error)
    }

    static func describe(_ d: MetricDatum) -> String { SinkRejection.describe(d) }

    /// A request that failed for good.
    struct CloudWatchError: Error, CustomStringConvertible {
        let http: HTTPError
        let datums: [MetricDatum]
        /// No point sending the other batches (auth, endpoint unreachable).
        let fatal: Bool
        var description: String {
            var s = http.description
            if !datums.isEmpty && !fatal {
                let names = datums.prefix(5).map(CloudWatchSink.describe).joined(separator: ", ")
                s += "; rejected \(datums.count) datum\(datums.count == 1 ? "" : "s"): \(names)" + (datums.count > 5 ? ", …" : "")
            }
            return s
        }
    }

    /// Builds, signs and sends one batch.
    public func request(for batch: Batch, to url: URL, credentials creds: Credentials, date: Date) -> HTTPRequest {
        var body = Data(batch.body.utf8)
        var headers: [(name: String, value: String)] = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
        if gzip, let z = CloudWatchGzip.compress(body) {
            body = z
            headers.append(("Content-Encoding", "gzip"))
        }
        let signer = SigV4(region: region ?? "us-east-1", service: AWSService.cloudWatch.signingName)
        let signed = signer.sign(method: "POST", url: url, headers: headers, body: body, credentials: creds, date: date)
        return HTTPRequest(method: "POST", url: url, headers: headers + signed.headers, body: body)
    }

    private func send(_ batch: Batch, to url: URL) throws {
        let endpoint = HTTPClient.endpoint(url)
        var refreshed = false
        while true {
            let creds: Credentials
            do { creds = try credentials.credentials(now: clock.date()) } catch {
                throw CloudWatchError(http: HTTPError(endpoint: endpoint, status: nil, code: nil, message: "no credentials: \(error)", attempts: 1),
                                      datums: batch.datums, fatal: true)
            }
            let response: HTTPResponse
            do {
                response = try client.send(request(for: batch, to: url, credentials: creds, date: clock.date()))
            } catch let e as HTTPError {
                throw CloudWatchError(http: e, datums: batch.datums, fatal: true)
            }
            if (200..<300).contains(response.status) { return }
            let (code, message) = CloudWatchSink.parseError(response)
            if !refreshed, let code, ["ExpiredToken", "ExpiredTokenException", "RequestExpired"].contains(code) {
                refreshed = true
                credentials.invalidate()
                continue
            }
            let authCodes: Set<String> = ["AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "SignatureDoesNotMatch",
                                          "ExpiredToken", "ExpiredTokenException", "MissingAuthenticationToken", "UnrecognizedClientException",
                                          "IncompleteSignature", "InvalidSignatureException", "OptInRequired"]
            let fatal = response.status == 401 || response.status == 403 || response.status == 404 || response.status >= 500
                || authCodes.contains(code ?? "") || (code ?? "").hasPrefix("Throttl")
            var msg = response.shown(message)
            if response.status == 413 || code == "RequestEntityTooLarge" { msg += (msg.isEmpty ? "" : " ") + "(body of \(batch.body.utf8.count) bytes)" }
            throw CloudWatchError(http: HTTPError(endpoint: endpoint, status: response.status, code: code, message: msg, attempts: 1,
                                                  inDoubt: response.earlierAttemptInDoubt),
                                  datums: batch.datums, fatal: fatal)
        }
    }

    /// The error code and message of an AWS error answer: Query XML (`<Code>`, `<Message>`), JSON
    /// (`__type`, `message`) or the `x-amzn-query-error` header.
    public static func parseError(_ r: HTTPResponse) -> (code: String?, message: String) {
        parseError(headers: r.headers, text: r.text)
    }

    /// The same from lower-cased headers and the body text.
    public static func parseError(headers: [String: String], text: String) -> (code: String?, message: String) {
        var code: String?
        var message = ""
        if let q = headers["x-amzn-query-error"], let c = q.split(separator: ";").first, !c.isEmpty { code = String(c) }
        if let c = XMLText.element("Code", in: text) { code = code ?? c }
        if let m = XMLText.element("Message", in: text) { message = m }
        if code == nil || message.isEmpty, let data = text.data(using: .utf8),
           let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            if code == nil, var t = (obj["__type"] as? String) ?? (obj["code"] as? String) {
                if let hash = t.lastIndex(of: "#") { t = String(t[t.index(after: hash)...]) }
                if let colon = t.firstIndex(of: ":") { t = String(t[..<colon]) }
                code = t
            }
            if message.isEmpty { message = (obj["message"] as? String) ?? (obj["Message"] as? String) ?? "" }
        }
        if code == nil && message.isEmpty {
            message = String(text.prefix(200)).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return (code, message)
    }
}

/// gzip (RFC 1952) for request bodies, through zlib.
enum CloudWatchGzip {
    static func compress(_ data: Data, level: Int32 = 6) -> Data? {
        var z = z_stream()
        guard deflateInit2_(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&z) }
        var input = [UInt8](data)
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&z, uLong(input.count))) + 32)
        let outCount = out.count
        let rc = input.withUnsafeMutableBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { o in
                z.next_in = inp.baseAddress
                z.avail_in = uInt(inp.count)
                z.next_out = o.baseAddress
                z.avail_out = uInt(outCount)
                return deflate(&z, Z_FINISH)
            }
        }
        guard rc == Z_STREAM_END else { return nil }
        return Data(out[0..<Int(z.total_out)])
    }

    static func decompress(_ data: Data) -> Data? {
        var z = z_stream()
        guard inflateInit2_(&z, 31, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&z) }
        var input = [UInt8](data)
        var result = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        let chunkCount = chunk.count
        return input.withUnsafeMutableBufferPointer { inp -> Data? in
            z.next_in = inp.baseAddress
            z.avail_in = uInt(inp.count)
            while true {
                let rc = chunk.withUnsafeMutableBufferPointer { o -> Int32 in
                    z.next_out = o.baseAddress
                    z.avail_out = uInt(chunkCount)
                    return inflate(&z, Z_NO_FLUSH)
                }
                result.append(contentsOf: chunk[0..<(chunkCount - Int(z.avail_out))])
                if rc == Z_STREAM_END { return result }
                if rc != Z_OK { return nil }
            }
        }
    }
}
