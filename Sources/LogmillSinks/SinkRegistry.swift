import Foundation
import LogmillNet
import LogmillTime

/// What a receiver does when it is given the same window again (a re-run, a retry after doubt).
public enum SinkRedelivery: String, Sendable, CaseIterable {
    /// The new data takes the old one's place (a file rewritten, a Pushgateway group PUT): re-running is safe.
    case replaces
    /// The new data is written after the old (an EMF file, the table on stdout): lines repeat.
    case appends
    /// The receiver adds it up again (CloudWatch, StatsD counters, webhooks, OTLP): values count twice.
    case adds
    /// The receiver keeps what it stored first (Prometheus remote write): an identical resend is
    /// accepted, a different value for a stored sample is rejected as a duplicate/out-of-order sample.
    case keepsFirst = "keeps-first"

    /// One line for help texts and the README.
    public var doc: String {
        switch self {
        case .replaces: return "replaced"
        case .appends: return "appended again"
        case .adds: return "added again (counts twice)"
        case .keepsFirst: return "identical samples accepted, changed ones rejected (the first kept)"
        }
    }
}

/// What building a sink needs from its surroundings; parsing needs none of it.
public struct SinkContext: Sendable {
    /// The job file's folder: relative paths start there.
    public var base: String
    public var clock: any Clock
    /// Where the table and EMF-without-a-file sinks write.
    public var output: any TextOutput
    /// For AWS settings and `${VAR}` in webhook headers.
    public var environment: [String: String]

    public init(base: String = "", clock: any Clock, output: any TextOutput, environment: [String: String]) {
        self.base = base
        self.clock = clock
        self.output = output
        self.environment = environment
    }

    func path(_ p: String) -> String { p.hasPrefix("/") || base.isEmpty ? p : base + "/" + p }
}

/// One kind of sink: what a job-file line may say and how the receiver treats a repeat.
public struct SinkKind: Sendable {
    public let name: String
    /// One line for help texts and the README.
    public let summary: String
    public let argument: SinkArgument?
    public let options: [SinkOption]
    /// Kinds that take free `LABEL=VALUE` options (Pushgateway grouping labels): what they are; nil: none.
    public let labels: String?
    public let redelivery: SinkRedelivery
    /// How old a datum the receiver takes (ms before now), when it has a limit: a backfill leaves
    /// older windows out for this sink and says so.
    public let maxAge: Int64?
    /// Checks across options and the argument, without side effects; a message when something is wrong.
    let check: (@Sendable (SinkConfiguration) -> String?)?
    let build: @Sendable (SinkConfiguration, SinkContext) throws -> any MetricSink

    init(_ name: String, _ summary: String, argument: SinkArgument? = nil, options: [SinkOption] = [], labels: String? = nil,
         redelivery: SinkRedelivery, maxAge: Int64? = nil, check: (@Sendable (SinkConfiguration) -> String?)? = nil,
         build: @escaping @Sendable (SinkConfiguration, SinkContext) throws -> any MetricSink) {
        self.maxAge = maxAge
        self.name = name
        self.summary = summary
        self.argument = argument
        self.options = options
        self.labels = labels
        self.redelivery = redelivery
        self.check = check
        self.build = build
    }

    public func option(_ name: String) -> SinkOption? { options.first { $0.name == name } }

    /// `webhook URL [shape=datums|kv] …`, generated from the declarations.
    public var usage: String {
        var words = [name]
        if let a = argument { words.append(a.required ? a.name : "[\(a.name)]") }
        words += options.filter(\.required).map(\.usage)
        if labels != nil { words.append("[LABEL=VALUE…]") }
        words += options.filter { !$0.required }.map(\.usage)
        return words.joined(separator: " ")
    }
}

/// Options several kinds share, so that they are spelled and documented once.
extension SinkOption {
    static let timeout = SinkOption("timeout", .number(0...600), default: "15", "seconds per attempt")
    static let attempts = SinkOption("attempts", .integer(1...20), default: "5", "tries per request, the first included")
    static let header = SinkOption("header", .header, "an HTTP header to send; repeat for more")
    static let bearerToken = SinkOption("bearer-token", .text, metavar: "TOKEN", "sends `Authorization: Bearer TOKEN`")
    static let basicAuth = SinkOption("basic-auth", .text, metavar: "USER:PASSWORD", "USER:PASSWORD, sent as `Authorization: Basic …`")
    static func timestamps(default value: Bool, _ doc: String) -> SinkOption {
        SinkOption("timestamps", .bool, default: value ? "true" : "false", doc)
    }
}

extension SinkArgument {
    static let url = SinkArgument("URL", .httpURL, required: true, "the receiver, http:// or https://")
    static func file(required: Bool, _ doc: String) -> SinkArgument { SinkArgument("FILE", .file, required: required, doc) }
}

/// Every sink kind logmill writes, declared once: parsing, rejection of unknown options, usage,
/// `--help` and the README table all come from here.
public enum SinkRegistry {
    public static let kinds: [SinkKind] = [
        SinkKind("table", "a readable table on stdout", redelivery: .appends) { _, context in
            TableSink(output: context.output)
        },
        SinkKind("emf", "CloudWatch Embedded Metric Format, one JSON object per line; statistic sets as `Name.SampleCount`, `.Sum`, `.Minimum`, `.Maximum`",
                 argument: .file(required: false, "appended to; without it, stdout"), redelivery: .appends) { c, context in
            c.argument.map { EMFSink(path: context.path($0)) } ?? EMFSink(output: context.output)
        },
        SinkKind("prometheus", "text exposition 0.0.4 for node_exporter's textfile collector, replaced atomically",
                 argument: .file(required: true, "the file to replace (temporary file + rename)"),
                 options: [.timestamps(default: false, "sample timestamps (the textfile collector refuses files with them)")],
                 redelivery: .replaces) { c, context in
            PrometheusFileSink(path: context.path(c.argument!), timestamps: c.bool("timestamps"))
        },
        SinkKind("openmetrics", "OpenMetrics 1.0 text ending in `# EOF`, replaced atomically",
                 argument: .file(required: true, "the file to replace (temporary file + rename)"),
                 options: [.timestamps(default: true, "every point with its time, for `promtool tsdb create-blocks-from openmetrics`; false: newest point per series")],
                 redelivery: .replaces) { c, context in
            OpenMetricsFileSink(path: context.path(c.argument!), timestamps: c.bool("timestamps"))
        },
        SinkKind("pushgateway", "PUT to a Pushgateway group; values with `/` go base64-encoded",
                 argument: .url,
                 options: [
                    SinkOption("job", .text, required: true, metavar: "NAME", "the group's job label"),
                    SinkOption("method", .words(["put", "post"]), default: "put", "put replaces the group; post replaces only the metrics sent"),
                    .timeout, .attempts, .header, .bearerToken, .basicAuth,
                 ],
                 labels: "grouping label", redelivery: .replaces,
                 check: { c in
                    if c.text("job")!.isEmpty { return "needs job=NAME (the Pushgateway group's job)" }
                    return checkHTTP(c, reserved: [])
                 }) { c, context in
            PushgatewaySink(c, client: HTTPClient(policy: HTTPDelivery.policy(c), clock: context.clock))
        },
        SinkKind("remote-write", "Prometheus remote write 1.0: protobuf and snappy, labels sorted, sample times from the query's bins",
                 argument: .url,
                 options: [
                    SinkOption("max-series", .integer(1...100_000), default: "500", "series per request"),
                    SinkOption("max-bytes", .integer(64...(64 << 20)), default: "1048576", "uncompressed bytes per request (about)"),
                    .timeout, .attempts, .header, .bearerToken, .basicAuth,
                    SinkOption("sigv4", .bool, default: "false", "sign with SigV4 for Amazon Managed Service for Prometheus (service aps)"),
                    SinkOption("region", .text, "with sigv4: the AWS region; default: the AWS CLI's, else the workspace URL's"),
                    SinkOption("profile", .text, metavar: "NAME", "with sigv4: profile in ~/.aws/config and ~/.aws/credentials"),
                 ],
                 redelivery: .keepsFirst,
                 check: { c in
                    if !c.bool("sigv4") && (c.text("region") != nil || c.text("profile") != nil) { return "region= and profile= go with sigv4=true" }
                    if c.bool("sigv4") && (c.text("bearer-token") != nil || c.text("basic-auth") != nil) {
                        return "sigv4=true signs the requests itself; leave out bearer-token= and basic-auth="
                    }
                    let signed: Set<String> = c.bool("sigv4") ? ["authorization", "x-amz-date", "x-amz-security-token"] : []
                    return checkHTTP(c, reserved: RemoteWriteSink.reservedHeaders.union(signed))
                 }) { c, context in
            RemoteWriteSink(c, client: HTTPClient(policy: HTTPDelivery.policy(c), clock: context.clock), context: context)
        },
        SinkKind("cloudwatch", "CloudWatch PutMetricData signed with SigV4 and the AWS CLI's credential chain; datums CloudWatch would refuse are left out with the reason",
                 options: [
                    SinkOption("region", .text, "AWS region; default: the AWS CLI's (environment, then profile)"),
                    SinkOption("endpoint", .text, metavar: "URL", "endpoint URL; default: the region's, or AWS_ENDPOINT_URL(_CLOUDWATCH)"),
                    SinkOption("profile", .text, metavar: "NAME", "profile in ~/.aws/config and ~/.aws/credentials"),
                    SinkOption("gzip", .bool, default: "false", "gzip request bodies"),
                    SinkOption("timeout", .number(0...600), default: "15", SinkOption.timeout.doc),
                    SinkOption("attempts", .integer(1...20), default: "3", SinkOption.attempts.doc),
                 ],
                 redelivery: .adds,
                 // PutMetricData refuses timestamps more than two weeks old.
                 maxAge: 14 * 86_400_000,
                 check: { c in
                    guard let e = c.text("endpoint") else { return nil }
                    return SinkOptionParser.checkArgument(e, .url).map { "endpoint: " + $0 }
                 }) { c, context in
            try CloudWatchSink(c, environment: context.environment, clock: context.clock)
        },
        SinkKind("otlp", "OTLP/HTTP JSON metrics: gauges, summaries for statistic sets, histograms for distributions",
                 argument: SinkArgument("URL", .httpURL, required: true, "the collector; a URL without a path gets `/v1/metrics`"),
                 options: [SinkOption("service", .text, default: "logmill", metavar: "NAME", "the `service.name` resource attribute"), .timeout, .attempts],
                 redelivery: .adds,
                 check: { $0.text("service")!.isEmpty ? "service must not be empty" : nil }) { c, context in
            OTLPSink(c, clock: context.clock)
        },
        SinkKind("statsd", "StatsD over UDP: counters for Count values, gauges, timers for durations; DogStatsD tags when enabled",
                 argument: SinkArgument("HOST:PORT", .hostPort(defaultPort: 8125), required: true, "the StatsD server (port 8125 when left out)"),
                 options: [
                    SinkOption("dogstatsd", .bool, default: "false", "DogStatsD: dimensions as tags, multi-value lines"),
                    SinkOption("prefix", .text, metavar: "NAME", "before every name; default: the namespace with `/` as `.`; empty: none"),
                    .timestamps(default: false, "DogStatsD `|T` timestamps (needs dogstatsd=true)"),
                    SinkOption("max-datagram", .integer(64...65_000), default: "1432", "bytes per datagram"),
                 ],
                 redelivery: .adds,
                 check: { c in
                    c.bool("timestamps") && !c.bool("dogstatsd") ? "timestamps=true needs dogstatsd=true (plain StatsD has no timestamps)" : nil
                 }) { c, _ in
            StatsDSink(c)
        },
        SinkKind("webhook", "JSON POSTs: an array of datums, or the key-value shape of monitoring services' custom-data APIs",
                 argument: .url,
                 options: [
                    SinkOption("shape", .words(["datums", "kv"]), default: "datums", "datums: arrays of datum objects; kv: `{\"datas\":[…],\"tags\":[…],\"category\",\"host\"}` per group"),
                    SinkOption("category", .text, metavar: "NAME", "kv category; default: the namespace"),
                    SinkOption("host", .text, metavar: "NAME", "kv host; default: this machine's name"),
                    SinkOption("batch", .integer(1...100_000), default: "500", "datums per request (shape=datums)"),
                    SinkOption("timestamps", .words(["ms", "s"]), "adds `\"timestamp\"` in epoch ms or s (shape=kv)"),
                    SinkOption("header", .header, "an HTTP header to send; repeat for more; `${VAR}` reads the environment"),
                    .timeout, .attempts,
                 ],
                 redelivery: .adds,
                 check: { c in
                    c.isSet("timestamps") && c.text("shape") != "kv" ? "timestamps=ms or timestamps=s applies to shape=kv only" : nil
                 }) { c, context in
            WebhookSink(c, clock: context.clock, environment: context.environment)
        },
    ]

    /// Header and authorization checks shared by the Pushgateway and remote-write kinds.
    @Sendable static func checkHTTP(_ c: SinkConfiguration, reserved: Set<String>) -> String? {
        if let b = c.text("basic-auth"), !b.contains(":") { return "basic-auth takes USER:PASSWORD" }
        if let h = c.headers().first(where: { reserved.contains($0.name.lowercased()) }) {
            return "the \(h.name) header is set by logmill and cannot be overridden"
        }
        return nil
    }

    public static func kind(_ name: String) -> SinkKind? { kinds.first { $0.name == name } }

    /// Checks a job-file sink line against its kind, with no side effects: no files, sockets,
    /// environment or credentials are read.
    public static func parse(_ spec: SinkSpec) throws -> SinkConfiguration {
        guard let kind = kind(spec.kind) else {
            let hint = SinkOptionParser.suggestion(for: spec.kind, among: kinds.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
            throw SinkError(sink: spec.kind, message: "unknown sink '\(spec.kind)'\(hint) logmill writes: \(kinds.map(\.name).joined(separator: ", "))")
        }
        return try SinkOptionParser.configuration(spec, kind: kind)
    }

    /// Builds the sink (CloudWatch reads the AWS configuration here).
    public static func make(_ configuration: SinkConfiguration, context: SinkContext) throws -> any MetricSink {
        try configuration.kind.build(configuration, context)
    }

    public static func make(_ spec: SinkSpec, context: SinkContext) throws -> any MetricSink {
        try make(try parse(spec), context: context)
    }

    /// The sink part of `--help`: each kind's usage and summary, then its options.
    public static func help() -> String {
        var out = ""
        for k in kinds {
            out += "  \(k.usage)\n      \(k.summary); same window again: \(k.redelivery.doc)\n"
            if let a = k.argument { out += "      \(a.name): \(a.doc)\n" }
            for o in k.options { out += "      \(o.name)=\(o.valueForm)\(o.defaultValue.map { " (default \($0))" } ?? ""): \(o.doc)\n" }
            if let l = k.labels { out += "      LABEL=VALUE: a \(l)\n" }
        }
        return out
    }

    /// The README's table of every kind and option, generated from the declarations.
    public static func markdownTable() -> String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        func code(_ s: String) -> String { "`" + cell(s) + "`" }
        var out = "| sink | argument / option | value | default | meaning |\n|---|---|---|---|---|\n"
        for k in kinds {
            out += "| \(code(k.name)) | | | | \(cell(k.summary)). Same window again: \(cell(k.redelivery.doc)). |\n"
            if let a = k.argument {
                out += "| | \(code(a.name)) | \(a.required ? "required" : "optional") | | \(cell(a.doc)) |\n"
            }
            for o in k.options {
                let value = code(o.valueForm) + (o.required ? ", required" : "") + (o.repeatable ? ", repeatable" : "")
                out += "| | \(code(o.name + "=")) | \(value) |\(o.defaultValue.map { " " + code($0) } ?? "") | \(cell(o.doc)) |\n"
            }
            if let l = k.labels { out += "| | `LABEL=` | `TEXT`, repeatable | | a \(cell(l)) |\n" }
        }
        return out
    }
}
