import Foundation
import LogmillNet
import LogmillSources
import LogmillTime

/// One group of a discovered source list, in Prometheus' http_sd shape:
/// `{"targets": ["s3://b/logs/", "app/*.log"], "labels": {"service": "shop"}}`.
public struct TargetGroup: Codable, Sendable, Equatable {
    public var targets: [String]
    public var labels: [String: String]
    public init(targets: [String], labels: [String: String] = [:]) {
        self.targets = targets
        self.labels = labels
    }
}

/// One discovered source: an input (a path or glob, an `s3://` prefix, an http(s) URL) and the labels
/// its records carry as fields. Labels starting with `__` are dropped, except `__meta_*`.
public struct DiscoveredTarget: Sendable, Equatable {
    public var target: String
    public var labels: [String: String]
    public init(target: String, labels: [String: String]) {
        self.target = target
        self.labels = labels
    }

    /// What the state of its objects is keyed by: a hash of the target and its sorted labels other
    /// than `__meta_*` (metadata may change without making it another source). The same target with the
    /// same labels anywhere in the list is the same source: reordering the list changes nothing.
    public var key: String {
        var text = target
        for (k, v) in labels.sorted(by: { $0.key < $1.key }) where !k.hasPrefix("__meta_") { text += "\n\(k)=\(v)" }
        return FNV1a.hex(text.utf8)
    }
}

/// A source list that could not be had (not 200, not JSON, not the shape), naming where it came from
/// without a credential of its URL.
public struct DiscoveryError: Error, CustomStringConvertible, Sendable {
    public let location: String
    public let message: String
    public var description: String { "sources-from \(location): \(message)" }
}

/// Fetches and reads `sources-from:` lists: an http(s) URL (GET with
/// `X-Prometheus-Refresh-Interval-Seconds`, status 200 and a JSON content type required) or a local
/// file, holding a JSON array of target groups.
public enum SourceDiscovery {
    /// The groups at `location` (a URL, or a file path made absolute by the caller).
    public static func fetch(_ location: String, refreshSeconds: Int, client: HTTPClient) throws -> [TargetGroup] {
        let shown = Redaction.url(location)
        let data: Data
        if RemoteSources.isRemote(location) {
            guard let url = URL(string: location), url.host?.isEmpty == false, !location.lowercased().hasPrefix("s3://") else {
                throw DiscoveryError(location: shown, message: "not a usable http(s) URL")
            }
            let response: HTTPResponse
            do {
                response = try client.send(HTTPRequest(method: "GET", url: url, headers: [("Accept", "application/json"),
                                                                                        ("X-Prometheus-Refresh-Interval-Seconds", String(refreshSeconds))]))
            } catch {
                throw DiscoveryError(location: shown, message: "\(error)")
            }
            guard response.status == 200 else { throw DiscoveryError(location: shown, message: "HTTP \(response.status), expected 200") }
            let type = (response.headers["content-type"] ?? "").lowercased()
            guard type.hasPrefix("application/json") else {
                throw DiscoveryError(location: shown, message: "content type '\(response.shown(type))', expected application/json")
            }
            data = response.body
        } else {
            guard let d = FileManager.default.contents(atPath: location) else { throw DiscoveryError(location: shown, message: "cannot read the file") }
            data = d
        }
        return try parse(data, location: shown)
    }

    /// A JSON array of `{"targets": [...], "labels": {...}}`; `[]` is a valid empty list; a `null`
    /// element, a target that is not a string or a label value that is not a string fail the whole list.
    public static func parse(_ data: Data, location: String) throws -> [TargetGroup] {
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data) } catch {
            throw DiscoveryError(location: location, message: "not JSON")
        }
        guard let array = json as? [Any] else { throw DiscoveryError(location: location, message: "expected a JSON array of target groups") }
        var out: [TargetGroup] = []
        for (i, element) in array.enumerated() {
            guard let group = element as? [String: Any] else { throw DiscoveryError(location: location, message: "group \(i) is not an object") }
            guard let targets = (group["targets"] ?? [Any]()) as? [String] else {
                throw DiscoveryError(location: location, message: "group \(i): 'targets' must be an array of strings")
            }
            guard let labels = (group["labels"] ?? [String: Any]()) as? [String: String] else {
                throw DiscoveryError(location: location, message: "group \(i): 'labels' must map names to strings")
            }
            // A CloudWatch Logs group is asked again for every open window, unlike every other source:
            // it cannot share a job with them (give it a job of its own with `source:`).
            if let t = targets.first(where: { $0.lowercased().hasPrefix(CloudWatchLogsSource.scheme) }) {
                throw DiscoveryError(location: location, message: "group \(i): \(t): CloudWatch Logs groups go in a job of their own ('source:'), not in a discovered list")
            }
            out.append(TargetGroup(targets: targets, labels: labels))
        }
        return out
    }

    /// Every target of `groups` with its labels, `__` labels dropped except `__meta_*`; a target listed
    /// twice with the same labels is one source.
    public static func targets(_ groups: [TargetGroup]) -> [DiscoveredTarget] {
        var out: [DiscoveredTarget] = []
        var seen = Set<String>()
        for g in groups {
            let labels = g.labels.filter { !$0.key.hasPrefix("__") || $0.key.hasPrefix("__meta_") }
            for t in g.targets where !t.isEmpty {
                let d = DiscoveredTarget(target: t, labels: labels)
                if seen.insert(d.key).inserted { out.append(d) }
            }
        }
        return out
    }
}

/// A source whose objects carry a discovered target's labels and whose identities are keyed by the
/// target's `key`, so two targets holding the same object keep apart checkpoints, and a list reordered
/// keeps them all.
public struct LabeledSource: ObjectSource {
    public let inner: any ObjectSource
    public let key: String
    public let labels: [String: String]
    public init(_ inner: any ObjectSource, key: String, labels: [String: String]) {
        self.inner = inner
        self.key = key
        self.labels = labels
    }
    public var description: String { inner.description }
    public var canReadRanges: Bool { inner.canReadRanges }
    public var fetchesOverNetwork: Bool { inner.fetchesOverNetwork }
    public func list() throws -> [SourceObject] {
        try inner.list().map { o in
            var o = o
            o.labels.merge(labels) { mine, _ in mine }
            o.identity.key = "sd:\(key)|" + o.identity.key
            return o
        }
    }
    public func open(_ object: SourceObject, range: Range<Int>?) throws -> ByteStream {
        try inner.open(object, range: range)
    }
}
