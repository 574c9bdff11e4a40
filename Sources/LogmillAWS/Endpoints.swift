import Foundation

/// An AWS service as endpoint resolution and signing need it.
public struct AWSService: Sendable, Equatable {
    /// The model's `serviceId` (`CloudWatch`, `CloudWatch Logs`).
    public let serviceId: String
    /// The SigV4 signing name (`monitoring`, `logs`).
    public let signingName: String
    /// The first label of the default host name.
    public let endpointPrefix: String

    public init(serviceId: String, signingName: String, endpointPrefix: String) {
        self.serviceId = serviceId
        self.signingName = signingName
        self.endpointPrefix = endpointPrefix
    }

    /// `AWS_ENDPOINT_URL_<SERVICE>`: serviceId upper-cased, spaces → `_`.
    public var environmentVariable: String { "AWS_ENDPOINT_URL_" + serviceId.uppercased().replacingOccurrences(of: " ", with: "_") }
    /// The key in a `[services …]` config section: serviceId lower-cased, spaces → `_`.
    public var configKey: String { serviceId.lowercased().replacingOccurrences(of: " ", with: "_") }

    public static let cloudWatch = AWSService(serviceId: "CloudWatch", signingName: "monitoring", endpointPrefix: "monitoring")
    public static let cloudWatchLogs = AWSService(serviceId: "CloudWatch Logs", signingName: "logs", endpointPrefix: "logs")
    public static let s3 = AWSService(serviceId: "S3", signingName: "s3", endpointPrefix: "s3")
    public static let sts = AWSService(serviceId: "STS", signingName: "sts", endpointPrefix: "sts")
    public static let eventBridge = AWSService(serviceId: "EventBridge", signingName: "events", endpointPrefix: "events")
    public static let scheduler = AWSService(serviceId: "Scheduler", signingName: "scheduler", endpointPrefix: "scheduler")
    public static let sns = AWSService(serviceId: "SNS", signingName: "sns", endpointPrefix: "sns")
}

/// Endpoint URL resolution (AWS SDKs & Tools "service-specific endpoints"):
/// explicit URL → `AWS_ENDPOINT_URL_<SERVICE>` → `AWS_ENDPOINT_URL` → the profile's `services` section →
/// the profile's `endpoint_url` → `https://<prefix>.<region>.amazonaws.com`. `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`
/// (or `ignore_configured_endpoint_urls = true` in the profile) skips the environment and config steps.
public enum AWSEndpoints {
    public struct Resolved: Sendable {
        public let url: URL
        /// `explicit`, the variable or config key that set it, or `default`.
        public let source: String
    }

    public static func resolve(_ service: AWSService, region: String?, explicit: String? = nil, config: AWSSharedConfig) throws -> Resolved {
        if let e = explicit, !e.isEmpty { return Resolved(url: try parse(e, what: "endpoint"), source: "explicit") }
        let ignore = config.env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")?.lowercased() == "true"
            || config.configSection?["ignore_configured_endpoint_urls"]?.lowercased() == "true"
        if !ignore {
            if let v = config.env(service.environmentVariable) {
                return Resolved(url: try parse(v, what: service.environmentVariable), source: service.environmentVariable)
            }
            if let v = config.env("AWS_ENDPOINT_URL") { return Resolved(url: try parse(v, what: "AWS_ENDPOINT_URL"), source: "AWS_ENDPOINT_URL") }
            if let p = config.configSection {
                if let name = p["services"], let s = config.servicesSection(name), let v = s["\(service.configKey).endpoint_url"], !v.isEmpty {
                    return Resolved(url: try parse(v, what: "[services \(name)] \(service.configKey).endpoint_url"), source: "services \(name)")
                }
                if let v = p["endpoint_url"], !v.isEmpty {
                    return Resolved(url: try parse(v, what: "profile \(config.profile) endpoint_url"), source: "profile endpoint_url")
                }
            }
        }
        guard let region, !region.isEmpty else {
            throw AWSConfigError("no AWS region: set region= on the sink line, AWS_REGION, or region in the profile")
        }
        return Resolved(url: defaultURL(service, region: region), source: "default")
    }

    public static func defaultURL(_ service: AWSService, region: String) -> URL {
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return URL(string: "https://\(service.endpointPrefix).\(region).\(suffix)")!
    }

    static func parse(_ s: String, what: String) throws -> URL {
        guard let u = URL(string: s), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https", u.host?.isEmpty == false else {
            throw AWSConfigError("\(what): '\(s)' is not an http(s) URL")
        }
        return u
    }
}
