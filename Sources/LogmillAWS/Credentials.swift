import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// AWS credentials. `description` never shows the secret or the session token.
public struct Credentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public var expiration: Date?
    /// Where they came from (`environment`, `shared credentials file …`, `EC2 instance metadata`, …).
    public var source: String

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil, source: String = "static") {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.source = source
    }

    public var description: String {
        var s = "Credentials(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>"
        if sessionToken != nil { s += ", sessionToken: <redacted>" }
        if let expiration { s += ", expires: \(AWSTime.iso8601(expiration))" }
        return s + ", source: \(source))"
    }
    public var debugDescription: String { description }

    /// True when they expire within `margin` seconds of `now`.
    public func expiresSoon(now: Date, margin: TimeInterval = 300) -> Bool {
        guard let expiration else { return false }
        return expiration.timeIntervalSince(now) < margin
    }
}

/// A failure resolving credentials, regions or endpoints. Messages never contain secrets.
public struct AWSConfigError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The credential chain of the AWS CLI, in botocore's order, without the providers that need
/// STS or SSO: environment → shared credentials file → `credential_process` → config file keys →
/// container credentials → EC2 instance metadata (IMDSv2).
public struct CredentialChain: Sendable {
    public let config: AWSSharedConfig

    public init(config: AWSSharedConfig) { self.config = config }

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, profile: String? = nil) {
        self.init(config: AWSSharedConfig(environment: environment, profile: profile))
    }

    /// Walks the chain; the first provider with credentials wins. Errors list what was tried.
    public func resolve() throws -> Credentials {
        var tried: [String] = []
        let c = config
        // 1. Environment (skipped when a profile was named explicitly).
        if !c.profileExplicit {
            if let id = c.env("AWS_ACCESS_KEY_ID"), let secret = c.env("AWS_SECRET_ACCESS_KEY") {
                return Credentials(accessKeyId: id, secretAccessKey: secret,
                                   sessionToken: c.env("AWS_SESSION_TOKEN") ?? c.env("AWS_SECURITY_TOKEN"),
                                   expiration: c.env("AWS_CREDENTIAL_EXPIRATION").flatMap(AWSTime.parse), source: "environment")
            }
            tried.append("environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set)")
        }
        if c.profileExplicit || c.env("AWS_PROFILE") != nil, !c.profileExists {
            throw AWSConfigError("AWS profile '\(c.profile)' not found in \(c.credentialsPath) or \(c.configPath)")
        }
        // 2–4. Profiles needing STS / SSO are not supported; say so instead of silently going on.
        if let p = c.configSection, c.credentialsSection?["aws_access_key_id"] == nil, p["aws_access_key_id"] == nil, p["credential_process"] == nil {
            if p["role_arn"] != nil { throw AWSConfigError("AWS profile '\(c.profile)' assumes a role (role_arn); logmill does not call STS: use a profile with keys, or environment credentials") }
            if p["sso_session"] != nil || p["sso_start_url"] != nil { throw AWSConfigError("AWS profile '\(c.profile)' uses IAM Identity Center (SSO), which logmill does not support: export credentials with 'aws configure export-credentials --format env'") }
        }
        // 5. Shared credentials file.
        if let s = c.credentialsSection, let id = s["aws_access_key_id"], let secret = s["aws_secret_access_key"], !id.isEmpty, !secret.isEmpty {
            return Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: s["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 },
                               source: "shared credentials file \(c.credentialsPath) [\(c.profile)]")
        }
        tried.append("shared credentials file \(c.credentialsPath) [\(c.profile)]")
        // 7. credential_process.
        if let command = c.configSection?["credential_process"] ?? c.credentialsSection?["credential_process"], !command.isEmpty {
            return try CredentialProcess.run(command, profile: c.profile)
        }
        // 8. Config file static keys.
        if let s = c.configSection, let id = s["aws_access_key_id"], let secret = s["aws_secret_access_key"], !id.isEmpty, !secret.isEmpty {
            return Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: s["aws_session_token"].flatMap { $0.isEmpty ? nil : $0 },
                               source: "config file \(c.configPath) [\(c.profile)]")
        }
        tried.append("config file \(c.configPath)")
        // 10. Container credentials.
        if c.env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != nil || c.env("AWS_CONTAINER_CREDENTIALS_FULL_URI") != nil {
            return try ContainerCredentials(environment: c.environment).fetch()
        }
        tried.append("container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not set)")
        // 11. EC2 instance metadata.
        if c.env("AWS_EC2_METADATA_DISABLED")?.lowercased() == "true" {
            tried.append("EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)")
        } else {
            do {
                return try InstanceMetadata(environment: c.environment).credentials()
            } catch let e as AWSConfigError {
                tried.append("EC2 instance metadata (\(e.message))")
            }
        }
        throw AWSConfigError("no AWS credentials found; tried: " + tried.joined(separator: "; "))
    }
}

/// Resolves credentials once and reuses them until 5 minutes before they expire. Thread-safe.
public final class CredentialProvider: @unchecked Sendable {
    private let lock = NSLock()
    private var cached: Credentials?
    private let resolver: @Sendable () throws -> Credentials
    /// Refresh this many seconds before expiry.
    public var refreshMargin: TimeInterval = 300

    public init(resolver: @escaping @Sendable () throws -> Credentials) { self.resolver = resolver }
    public convenience init(chain: CredentialChain) { self.init(resolver: { try chain.resolve() }) }
    public convenience init(static credentials: Credentials) { self.init(resolver: { credentials }) }

    public func credentials(now: Date) throws -> Credentials {
        lock.lock()
        defer { lock.unlock() }
        if let c = cached, !c.expiresSoon(now: now, margin: refreshMargin) { return c }
        do {
            let fresh = try resolver()
            cached = fresh
            return fresh
        } catch {
            // Keep using the old ones while they are still valid.
            if let c = cached, let exp = c.expiration, exp > now { return c }
            throw error
        }
    }

    /// Forgets the cached credentials (after an ExpiredToken answer).
    public func invalidate() {
        lock.lock()
        cached = nil
        lock.unlock()
    }
}

// MARK: - credential_process

enum CredentialProcess {
    static func run(_ command: String, profile: String) throws -> Credentials {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.standardError
        do { try p.run() } catch { throw AWSConfigError("credential_process of profile '\(profile)' could not start: \(error)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw AWSConfigError("credential_process of profile '\(profile)' exited with status \(p.terminationStatus)")
        }
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw AWSConfigError("credential_process of profile '\(profile)' did not print a JSON object")
        }
        if let v = obj["Version"] as? Int, v != 1 {
            throw AWSConfigError("credential_process of profile '\(profile)': unsupported Version \(v) (expected 1)")
        }
        return try parseCredentialJSON(obj, tokenKey: "SessionToken", source: "credential_process [\(profile)]")
    }
}

func parseCredentialJSON(_ obj: [String: Any], tokenKey: String, source: String) throws -> Credentials {
    guard let id = obj["AccessKeyId"] as? String, let secret = obj["SecretAccessKey"] as? String, !id.isEmpty, !secret.isEmpty else {
        throw AWSConfigError("\(source): the answer has no AccessKeyId/SecretAccessKey")
    }
    let token = (obj[tokenKey] as? String).flatMap { $0.isEmpty ? nil : $0 }
    let exp = (obj["Expiration"] as? String).flatMap(AWSTime.parse)
    return Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token, expiration: exp, source: source)
}

// MARK: - Container credentials (ECS, EKS Pod Identity)

/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (on 169.254.170.2) or `AWS_CONTAINER_CREDENTIALS_FULL_URI`,
/// with `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` / `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
public struct ContainerCredentials: Sendable {
    public static let defaultHost = "http://169.254.170.2"
    public let environment: [String: String]
    public var timeout: TimeInterval = 2
    public var attempts = 3

    public init(environment: [String: String]) { self.environment = environment }

    /// The URL to ask, checking the full-URI host rules of botocore.
    public func url() throws -> URL {
        if let rel = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !rel.isEmpty {
            guard let u = URL(string: ContainerCredentials.defaultHost + (rel.hasPrefix("/") ? rel : "/" + rel)) else {
                throw AWSConfigError("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not a valid path")
            }
            return u
        }
        guard let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], let u = URL(string: full), let host = u.host else {
            throw AWSConfigError("AWS_CONTAINER_CREDENTIALS_FULL_URI is not a valid URL")
        }
        let scheme = u.scheme?.lowercased() ?? ""
        if scheme == "https" { return u }
        let allowed = ["169.254.170.2", "169.254.170.23", "fd00:ec2::23", "[fd00:ec2::23]", "localhost", "::1", "[::1]"]
        if scheme == "http" && (allowed.contains(host.lowercased()) || host.hasPrefix("127.")) { return u }
        throw AWSConfigError("AWS_CONTAINER_CREDENTIALS_FULL_URI must use https, or http to a loopback or container-metadata address (got host \(host))")
    }

    /// The Authorization header value: the token file wins over the variable (re-read on every fetch).
    public func authorizationToken() throws -> String? {
        var token: String?
        if let path = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !path.isEmpty {
            guard let d = FileManager.default.contents(atPath: path) else {
                throw AWSConfigError("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(path)")
            }
            token = String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let t = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"], !t.isEmpty {
            token = t
        }
        if let t = token, t.contains("\r") || t.contains("\n") {
            throw AWSConfigError("the container authorization token contains a line break")
        }
        return token
    }

    public func fetch() throws -> Credentials {
        let url = try url()
        var headers: [String: String] = ["Accept": "application/json"]
        if let t = try authorizationToken() { headers["Authorization"] = t }
        var last = ""
        for _ in 0..<max(1, attempts) {
            switch MetadataHTTP.request("GET", url, headers: headers, timeout: timeout) {
            case .response(let status, let body):
                if status == 200, let obj = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
                    return try parseCredentialJSON(obj, tokenKey: "Token", source: "container credentials")
                }
                last = "HTTP \(status)"
                if status >= 400 && status < 500 { throw AWSConfigError("container credentials endpoint \(MetadataHTTP.display(url)) answered \(last)") }
            case .failure(let m):
                last = m
            }
        }
        throw AWSConfigError("container credentials endpoint \(MetadataHTTP.display(url)): \(last)")
    }
}

// MARK: - EC2 instance metadata (IMDSv2)

/// IMDSv2: PUT a session token, then GET the role name and its credentials. Falls back to IMDSv1
/// when the token PUT is answered 403/404/405 (unless `AWS_EC2_METADATA_V1_DISABLED=true`).
public struct InstanceMetadata: Sendable {
    public static let defaultEndpoint = "http://169.254.169.254"
    public let endpoint: String
    public var timeout: TimeInterval
    public var attempts: Int
    public let v1Disabled: Bool

    public init(environment: [String: String]) {
        var ep = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 }
        if ep == nil, environment["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"]?.lowercased() == "ipv6" { ep = "http://[fd00:ec2::254]" }
        var e = ep ?? InstanceMetadata.defaultEndpoint
        while e.hasSuffix("/") { e.removeLast() }
        endpoint = e
        timeout = environment["AWS_METADATA_SERVICE_TIMEOUT"].flatMap(Double.init) ?? 1
        attempts = max(1, environment["AWS_METADATA_SERVICE_NUM_ATTEMPTS"].flatMap(Int.init) ?? 1)
        v1Disabled = environment["AWS_EC2_METADATA_V1_DISABLED"]?.lowercased() == "true"
    }

    /// Fetches a session token; nil means "use IMDSv1".
    public func token() throws -> String? {
        guard let url = URL(string: endpoint + "/latest/api/token") else { throw AWSConfigError("bad metadata endpoint \(endpoint)") }
        var last = ""
        for _ in 0..<attempts {
            switch MetadataHTTP.request("PUT", url, headers: ["X-aws-ec2-metadata-token-ttl-seconds": "21600"], timeout: timeout) {
            case .response(let status, let body):
                if status == 200 { return String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
                if [403, 404, 405].contains(status) {
                    if v1Disabled { throw AWSConfigError("token request answered HTTP \(status) and IMDSv1 is disabled") }
                    return nil
                }
                last = "token request answered HTTP \(status)"
                if status == 400 { throw AWSConfigError(last) }
            case .failure(let m):
                last = "\(MetadataHTTP.display(url)): \(m)"
            }
        }
        throw AWSConfigError(last)
    }

    /// GETs a metadata path with the token; refetches the token once on 401.
    public func get(_ path: String, token: inout String?) throws -> Data {
        guard let url = URL(string: endpoint + path) else { throw AWSConfigError("bad metadata endpoint \(endpoint)") }
        var refreshed = false
        var last = ""
        var attempt = 0
        while attempt < attempts {
            attempt += 1
            var headers: [String: String] = [:]
            if let token { headers["X-aws-ec2-metadata-token"] = token }
            switch MetadataHTTP.request("GET", url, headers: headers, timeout: timeout) {
            case .response(let status, let body):
                if status == 200 { return body }
                if status == 401 && !refreshed {
                    refreshed = true
                    token = try self.token()
                    attempt -= 1
                    continue
                }
                last = "\(path) answered HTTP \(status)"
                if status == 404 { throw AWSConfigError(last + " (no IAM role attached?)") }
            case .failure(let m):
                last = "\(MetadataHTTP.display(url)): \(m)"
            }
        }
        throw AWSConfigError(last)
    }

    public func credentials() throws -> Credentials {
        var token = try self.token()
        let base = "/latest/meta-data/iam/security-credentials/"
        let list = String(decoding: try get(base, token: &token), as: UTF8.self)
        guard let role = list.split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }), !role.isEmpty else {
            throw AWSConfigError("no IAM role attached to the instance")
        }
        let body = try get(base + role, token: &token)
        guard let obj = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw AWSConfigError("role credentials are not JSON")
        }
        if let code = obj["Code"] as? String, code != "Success" { throw AWSConfigError("role credentials answered Code \(code)") }
        return try parseCredentialJSON(obj, tokenKey: "Token", source: "EC2 instance metadata (role \(role))")
    }

    /// The instance's region (`/latest/meta-data/placement/region`).
    public func region() throws -> String {
        var token = try self.token()
        return String(decoding: try get("/latest/meta-data/placement/region", token: &token), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

// MARK: - small synchronous HTTP for the metadata services

enum MetadataHTTP {
    enum Outcome { case response(Int, Data), failure(String) }

    static func request(_ method: String, _ url: URL, headers: [String: String], timeout: TimeInterval) -> Outcome {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout * 2
        config.connectionProxyDictionary = [:]
        let session = URLSession(configuration: config)
        defer { session.finishTasksAndInvalidate() }
        var req = URLRequest(url: url)
        req.httpMethod = method
        req.timeoutInterval = timeout
        for (k, v) in headers { req.setValue(v, forHTTPHeaderField: k) }
        if method == "PUT" { req.httpBody = Data() }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome = Outcome.failure("no response")
        let task = session.dataTask(with: req) { data, response, error in
            if let error {
                outcome = .failure(error.localizedDescription)
            } else if let http = response as? HTTPURLResponse {
                outcome = .response(http.statusCode, data ?? Data())
            }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout * 2 + 1) == .timedOut {
            task.cancel()
            return .failure("timed out after \(timeout) s")
        }
        return outcome
    }

    static func display(_ url: URL) -> String {
        var c = URLComponents(url: url, resolvingAgainstBaseURL: false)
        c?.query = nil
        return c?.string ?? "metadata endpoint"
    }
}

// MARK: - time

public enum AWSTime {
    /// `2026-01-15T10:00:00Z`, UTC, whole seconds.
    public static func iso8601(_ d: Date) -> String {
        var t = time_t(d.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday),
                      Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec))
    }

    /// `2026-01-15T10:00:00.123Z` when the time has a millisecond part, else whole seconds.
    public static func iso8601Millis(_ ms: Int64) -> String {
        let secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let frac = ms - secs * 1000
        let base = iso8601(Date(timeIntervalSince1970: TimeInterval(secs)))
        if frac == 0 { return base }
        return String(base.dropLast()) + String(format: ".%03dZ", Int(frac))
    }

    /// Parses ISO 8601 (`Z` or `±hh:mm`, optional fraction).
    public static func parse(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }
}
