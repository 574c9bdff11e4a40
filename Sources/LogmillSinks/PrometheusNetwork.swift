import Foundation
import LogmillNet

/// Sink kinds: Pushgateway, remote write, OpenMetrics files.
enum PrometheusNetworkSinks {
    static let kinds: [(kind: String, usage: String)] = [
        ("openmetrics", "openmetrics FILE [timestamps=false]"),
        ("pushgateway", "pushgateway URL job=NAME [LABEL=VALUE…] [method=put|post] [timeout=S] [retries=N] [header.NAME=V] [bearer-token=T] [basic-auth=U:P]"),
        ("remote-write", "remote-write URL [max-series=N] [max-bytes=N] [timeout=S] [retries=N] [header.NAME=V] [bearer-token=T] [basic-auth=U:P]"),
    ]

    static let builders: [String: SinkFactory.Builder] = [
        "openmetrics": { spec, base in
            guard spec.arguments.count == 1 else { throw fail(spec, "write 'sink: openmetrics FILE [timestamps=false]'") }
            var timestamps = true
            for (k, v) in spec.options {
                guard k == "timestamps", let b = Bool(v.lowercased()) else { throw fail(spec, "unknown option '\(k)=\(v)'; openmetrics takes timestamps=true|false") }
                timestamps = b
            }
            let p = spec.arguments[0]
            return OpenMetricsFileSink(path: p.hasPrefix("/") || base.isEmpty ? p : base + "/" + p, timestamps: timestamps)
        },
        "pushgateway": { spec, _ in
            guard spec.arguments.count == 1 else { throw fail(spec, "write 'sink: pushgateway URL job=NAME [LABEL=VALUE…]'") }
            let url = try httpURL(spec, spec.arguments[0])
            let (headers, client, options) = try httpOptions(spec, reserved: [])
            var rest = options
            guard let job = rest.removeValue(forKey: "job"), !job.isEmpty else { throw fail(spec, "needs job=NAME (the Pushgateway group's job)") }
            var method = "PUT"
            if let m = rest.removeValue(forKey: "method") {
                guard ["put", "post"].contains(m.lowercased()) else { throw fail(spec, "method must be put or post, not '\(m)'") }
                method = m.uppercased()
            }
            var grouping: [(name: String, value: String)] = []
            for (k, v) in rest.sorted(by: { $0.key < $1.key }) {
                guard isLabelName(k), !k.hasPrefix("__") else { throw fail(spec, "'\(k)' is not a valid grouping label name") }
                grouping.append((k, v))
            }
            return PushgatewaySink(url: url.absoluteString, job: job, grouping: grouping, method: method, headers: headers, client: client)
        },
        "remote-write": { spec, _ in
            guard spec.arguments.count == 1 else { throw fail(spec, "write 'sink: remote-write URL'") }
            let url = try httpURL(spec, spec.arguments[0])
            let (headers, client, options) = try httpOptions(spec, reserved: ["content-encoding", "content-type", "x-prometheus-remote-write-version", "user-agent"])
            var rest = options
            func int(_ key: String, _ def: Int) throws -> Int {
                guard let s = rest.removeValue(forKey: key) else { return def }
                guard let n = Int(s), n > 0 else { throw fail(spec, "\(key) must be a positive integer, not '\(s)'") }
                return n
            }
            let maxSeries = try int("max-series", 500)
            let maxBytes = try int("max-bytes", 1 << 20)
            if let e = rest.first { throw fail(spec, "unknown option '\(e.key)=\(e.value)'") }
            return RemoteWriteSink(url: url, maxSeries: maxSeries, maxBytes: maxBytes, headers: headers, client: client)
        },
    ]

    static let userAgent = "logmill/0.1.0"
    static let textContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Remote write and Pushgateway: retry 5xx and 429 only (the shared default also retries AWS throttling 400s).
    @Sendable static func retryable(_ r: HTTPResponse) -> Bool { r.status == 429 || r.status >= 500 }

    /// A response body for an error message: whitespace trimmed, at most 500 characters.
    static func trimmed(_ s: String) -> String {
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.count > 500 ? String(t.prefix(500)) + "…" : t
    }

    static func fail(_ spec: SinkSpec, _ message: String) -> SinkError {
        SinkError(sink: spec.kind + (spec.line > 0 ? " (line \(spec.line))" : ""), message: message)
    }

    static func isLabelName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f == "_" || (f >= "a" && f <= "z") || (f >= "A" && f <= "Z") else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") }
    }

    static func httpURL(_ spec: SinkSpec, _ s: String) throws -> URL {
        guard let url = URL(string: s), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw fail(spec, "'\(s)' is not an http(s) URL")
        }
        return url
    }

    /// The options every HTTP sink of this family takes; returns the others.
    static func httpOptions(_ spec: SinkSpec, reserved: Set<String>) throws
        -> (headers: [(name: String, value: String)], client: HTTPClient, rest: [String: String]) {
        var policy = RetryPolicy()
        var headers: [(name: String, value: String)] = []
        var rest: [String: String] = [:]
        for (k, v) in spec.options.sorted(by: { $0.key < $1.key }) {
            switch k {
            case "timeout":
                guard let t = Double(v), t > 0 else { throw fail(spec, "timeout must be a positive number of seconds, not '\(v)'") }
                policy.timeout = t
            case "retries":
                guard let n = Int(v), n >= 0 else { throw fail(spec, "retries must be a whole number, not '\(v)'") }
                policy.maxAttempts = n + 1
            case "bearer-token":
                headers.append(("Authorization", "Bearer " + v))
            case "basic-auth":
                guard v.contains(":") else { throw fail(spec, "basic-auth takes USER:PASSWORD") }
                headers.append(("Authorization", "Basic " + Data(v.utf8).base64EncodedString()))
            case _ where k.hasPrefix("header."):
                let name = String(k.dropFirst("header.".count))
                guard !name.isEmpty else { throw fail(spec, "header.NAME=VALUE needs a name") }
                guard !reserved.contains(name.lowercased()) else { throw fail(spec, "the \(name) header is set by logmill and cannot be overridden") }
                headers.append((name, v))
            default:
                rest[k] = v
            }
        }
        return (headers, HTTPClient(policy: policy), rest)
    }
}
