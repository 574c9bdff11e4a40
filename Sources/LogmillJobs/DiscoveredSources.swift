import Foundation
import LogmillNet
import LogmillRemote
import LogmillSources
import LogmillTime

/// The sources a job's `sources-from:` lines give at one run: each list fetched again (the refresh is
/// the run), or, when a fetch fails, the list the job's state kept from an earlier run, with a warning.
public struct DiscoveredSources: Sendable {
    /// Every target of every list, with its labels.
    public var targets: [DiscoveredTarget] = []
    /// The lists in use, by `JobDiscovery.key(location)`: what the job's state keeps.
    public var lists: [String: [TargetGroup]] = [:]
    /// A failed refresh each, naming the job file's line.
    public var warnings: [String] = []
    public init() {}
}

public enum JobDiscovery {
    /// How a list is keyed in the state: its location with credentials redacted, and a hash of the
    /// whole location (two URLs differing only in a token stay apart without the token being written).
    public static func key(_ location: String) -> String {
        Redaction.url(location) + "#" + FNV1a.hex(location.utf8)
    }

    /// Where a location is read from: a URL as it is, `file://PATH` as PATH, a relative path from the
    /// job file's folder.
    static func resolve(_ location: String, folder: String) -> String {
        if RemoteSources.isRemote(location) { return location }
        var path = location
        if path.lowercased().hasPrefix("file://") { path = String(path.dropFirst("file://".count)) }
        if path.hasPrefix("/") || folder.isEmpty { return path }
        return folder + "/" + path
    }

    /// Fetches every `sources-from:` list of `job`; a list that cannot be had (not 200, not JSON, the
    /// file missing) is replaced by `previous`'s copy, if any, and reported as a warning.
    /// `refreshSeconds` is sent as `X-Prometheus-Refresh-Interval-Seconds` and bounds each request.
    public static func refresh(_ job: JobFile, previous: [String: [TargetGroup]]?, clock: any Clock, refreshSeconds: Int) -> DiscoveredSources {
        var out = DiscoveredSources()
        guard !job.sourcesFrom.isEmpty else { return out }
        var policy = RetryPolicy()
        policy.maxAttempts = 3
        policy.timeout = Double(min(max(refreshSeconds, 1), 60))
        let client = HTTPClient(policy: policy, clock: clock)
        var groups: [TargetGroup] = []
        for (location, line) in job.sourcesFrom {
            let key = key(location)
            do {
                let list = try SourceDiscovery.fetch(resolve(location, folder: job.folder), refreshSeconds: refreshSeconds, client: client)
                out.lists[key] = list
                groups += list
            } catch {
                let kept = previous?[key]
                let what = kept.map { "using the previous list (\($0.count) group(s))" } ?? "no earlier list to use: its sources are not read"
                out.warnings.append("\(job.path):\(line): \(error); \(what)")
                if let kept {
                    out.lists[key] = kept
                    groups += kept
                }
            }
        }
        out.targets = SourceDiscovery.targets(groups)
        return out
    }

    /// The job's period in whole seconds (the refresh interval of its lists).
    static func refreshSeconds(_ period: Period) -> Int {
        Int((period.fixedMilliseconds ?? 300_000) / 1000)
    }
}
