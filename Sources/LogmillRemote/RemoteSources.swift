import Foundation
import LogmillNet
import LogmillSources
import LogmillTime

/// Turns inputs into sources: `s3://…` into `S3Source`, `http(s)://…` into `HTTPSource`, everything
/// else (paths, directories, globs, `-`) into `SourceArguments.sources`. One S3 client and one HTTP
/// client serve every remote input of the call.
public enum RemoteSources {
    /// Whether an input names a remote object rather than a path (such an input is never made relative
    /// to a job's folder).
    public static func isRemote(_ argument: String) -> Bool {
        let a = argument.lowercased()
        return a.hasPrefix("s3://") || a.hasPrefix("http://") || a.hasPrefix("https://") || a.hasPrefix(CloudWatchLogsSource.scheme)
    }

    /// `timeRange` (epoch ms, half-open) narrows the listing of S3 prefixes with date templates;
    /// `lookback` widens it backwards for late deliveries (nil: `S3Source`'s default). `transfers`
    /// counts what the sources list, fetch and send (`--stats`).
    public static func sources(_ arguments: [String], labels: [String: String] = [:],
                               environment: [String: String] = ProcessInfo.processInfo.environment, clock: any Clock = SystemClock(),
                               timeRange: Range<Int64>? = nil, lookback: Int64? = nil, transfers: TransferCounter? = nil) -> [any ObjectSource] {
        var out = SourceArguments.sources(arguments.filter { !isRemote($0) }, labels: labels)
        var s3: Result<S3Client, Error>?
        var http: HTTPClient?
        var logs: Result<CloudWatchLogsClient, Error>?
        for a in arguments where isRemote(a) {
            if a.lowercased().hasPrefix(CloudWatchLogsSource.scheme) {
                if logs == nil { logs = Result { try CloudWatchLogsClient(environment: environment, clock: clock) } }
                do {
                    var source = try CloudWatchLogsSource(argument: a, labels: labels, client: try logs!.get())
                    source.timeRange = timeRange
                    out.append(source)
                } catch {
                    out.append(UnreadableSource(name: a, problem: "\(error)", labels: labels))
                }
            } else if a.lowercased().hasPrefix("s3://") {
                if s3 == nil { s3 = Result { try S3Client(environment: environment, clock: clock).counting(transfers) } }
                do {
                    var source = try S3Source(url: a, labels: labels, client: try s3!.get())
                    source.timeRange = timeRange
                    if let lookback { source.lookback = lookback }
                    out.append(source)
                } catch {
                    out.append(UnreadableSource(name: a, problem: "\(error)", labels: labels))
                }
            } else if let url = URL(string: a), url.host?.isEmpty == false {
                if http == nil { http = HTTPClient(policy: S3Client.retryPolicy, clock: clock, maxConnectionsPerHost: S3Client.maxConnections).counting(transfers, as: "http") }
                var source = HTTPSource(url: url, labels: labels, client: http!)
                source.transfers = transfers
                out.append(source)
            } else {
                out.append(UnreadableSource(name: Redaction.url(a), problem: "not a usable URL", labels: labels))
            }
        }
        return out
    }
}

/// An input that could not become a source (a malformed URL, an endpoint configuration that does not
/// parse): it lists one unreadable object, so the problem is reported with the inputs that could not be
/// read and the others are still read.
public struct UnreadableSource: ObjectSource {
    public let name: String
    public let problem: String
    public let labels: [String: String]
    public init(name: String, problem: String, labels: [String: String] = [:]) {
        self.name = name
        self.problem = problem
        self.labels = labels
    }
    public var description: String { name }
    public var canReadRanges: Bool { false }
    public func list() throws -> [SourceObject] {
        var o = SourceObject(name: name, locator: name, size: nil, identity: ObjectIdentity(kind: "unreadable", key: name), labels: labels, source: self)
        o.unreadable = problem
        return [o]
    }
    public func open(_ object: SourceObject, range: Range<Int>?) throws -> ByteStream {
        throw SourceError(path: name, message: problem)
    }
}
