import Foundation
import LogmillSources
import LogmillTime

/// The objects under `s3://bucket/prefix`, read as streams: listed with ListObjectsV2, opened as ranged
/// GETs of `rangeSize` bytes (memory stays at one range per reader, a dropped connection costs one range,
/// and the scan may split a large object between workers since ranges can be read independently).
///
/// Each object's identity is `bucket/key@etag`: an object rewritten under the same key has a new ETag, so
/// for a job's checkpoints it is a new object, read from its start; an unchanged key is not opened again.
///
/// The prefix may hold date templates, `{yyyy}` `{MM}` `{dd}` `{HH}` (UTC), as log deliveries lay out
/// their keys (`AWSLogs/…/{yyyy}/{MM}/{dd}/`). With a `timeRange` (the caller's: a query's `--from/--to`,
/// a scheduled run's windows not yet emitted) only the day or hour prefixes that can hold it are listed,
/// from `lookback` before its start (deliveries arrive late, and keys carry the delivery time) to
/// `lookahead` after its end (a record of 23:57 may be delivered under the next day); without one the
/// literal part before the first template is listed and keys are kept when they fit the template.
public struct S3Source: ObjectSource {
    public let bucket: String
    /// The key prefix, possibly with date templates.
    public let prefix: String
    /// Labels every object gets (`@log` from `source: … as GROUP`).
    public let labels: [String: String]
    public let client: S3Client
    /// Bytes per GET.
    public var rangeSize = 8 << 20
    /// Epoch milliseconds, half-open: what the reader wants records of (templates only).
    public var timeRange: Range<Int64>?
    public var lookback: Int64 = 86_400_000
    public var lookahead: Int64 = 3_600_000

    /// `url` is `s3://bucket` or `s3://bucket/prefix`.
    public init(url: String, labels: [String: String] = [:], client: S3Client) throws {
        guard url.lowercased().hasPrefix("s3://") else { throw SourceError(path: url, message: "not an s3:// URL") }
        let rest = url.dropFirst(5)
        let slash = rest.firstIndex(of: "/")
        bucket = String(rest[..<(slash ?? rest.endIndex)])
        prefix = slash.map { String(rest[rest.index(after: $0)...]) } ?? ""
        guard !bucket.isEmpty else { throw SourceError(path: url, message: "no bucket in the S3 URL (write s3://BUCKET/PREFIX)") }
        self.labels = labels
        self.client = client
    }

    public var url: String { "s3://\(bucket)/\(prefix)" }
    public var description: String { "s3 " + url }
    public var canReadRanges: Bool { true }
    public var fetchesOverNetwork: Bool { true }

    /// The prefixes one listing per day or hour covers (the whole prefix without templates).
    public var prefixes: [String] { DateTemplate.expand(prefix, range: timeRange, lookback: lookback, lookahead: lookahead) }

    public func list() throws -> [SourceObject] {
        var out: [SourceObject] = []
        let templated = DateTemplate.has(prefix)
        for p in prefixes {
            let infos: [S3ObjectInfo]
            do {
                infos = try client.list(bucket: bucket, prefix: p)
            } catch {
                // Reported with the inputs that could not be read; the other sources are still read.
                var o = SourceObject(name: "s3://\(bucket)/\(p)", locator: p, size: nil, identity: ObjectIdentity(kind: "s3", key: "\(bucket)/\(p)@unlisted"),
                                     labels: labels, source: self)
                o.unreadable = "cannot list: \(error)"
                return out + [o]
            }
            for info in infos where !templated || DateTemplate.matches(info.key, prefix) {
                // A folder marker (`logs/`, size 0, made by consoles) holds nothing.
                if info.key.hasSuffix("/") && info.size == 0 { continue }
                var labels = self.labels
                if labels[SourceLabel.logStream] == nil, let stream = FileSource.streamFromPath(info.key) { labels[SourceLabel.logStream] = stream }
                out.append(SourceObject(name: "s3://\(bucket)/\(info.key)", locator: info.key, size: info.size,
                                        identity: ObjectIdentity(kind: "s3", key: "\(bucket)/\(info.key)@\(info.etag)"), labels: labels, source: self))
            }
        }
        client.transfers?.listed("s3", out.count)
        return out
    }

    public func open(_ object: SourceObject, range: Range<Int>?) throws -> ByteStream {
        let r = range ?? 0..<(object.size ?? Int.max)
        let etag = object.identity.key.lastIndex(of: "@").map { String(object.identity.key[object.identity.key.index(after: $0)...]) }
        let client = self.client, bucket = self.bucket, key = object.locator, name = object.name
        client.transfers?.fetched("s3", object: name)
        return RangedStream(from: r.lowerBound, to: object.size.map { min($0, r.upperBound) } ?? (range?.upperBound), rangeSize: rangeSize) { part in
            do {
                return (try client.get(bucket: bucket, key: key, range: part, etag: etag), nil)
            } catch {
                throw SourceError(path: name, message: "\(error)")
            }
        }
    }
}

/// Date templates in S3 prefixes: `{yyyy}`, `{MM}`, `{dd}`, `{HH}`, UTC.
public enum DateTemplate {
    static let widths: [(String, Int)] = [("{yyyy}", 4), ("{MM}", 2), ("{dd}", 2), ("{HH}", 2)]
    /// More prefixes than this for one source is a mistake (a range of decades by the hour).
    public static let maxPrefixes = 20_000

    public static func has(_ p: String) -> Bool { widths.contains { p.contains($0.0) } }

    /// The part before the first template.
    public static func literalPrefix(_ p: String) -> String {
        let cut = widths.compactMap { p.range(of: $0.0)?.lowerBound }.min() ?? p.endIndex
        return String(p[..<cut])
    }

    /// `p` with the templates filled in for the time `ms`.
    public static func render(_ p: String, at ms: Int64) -> String {
        let day = CivilCalendar.floorDiv(ms, 86_400_000)
        let (y, m, d) = CivilCalendar.civilFromDays(Int(day))
        let h = Int((ms - day * 86_400_000) / 3_600_000)
        func pad(_ v: Int, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return p.replacingOccurrences(of: "{yyyy}", with: pad(y, 4)).replacingOccurrences(of: "{MM}", with: pad(m, 2))
            .replacingOccurrences(of: "{dd}", with: pad(d, 2)).replacingOccurrences(of: "{HH}", with: pad(h, 2))
    }

    /// The prefixes to list for records in `range` (nil: everything, the literal part).
    public static func expand(_ p: String, range: Range<Int64>?, lookback: Int64, lookahead: Int64) -> [String] {
        guard has(p) else { return [p] }
        guard let range else { return [literalPrefix(p)] }
        let step: Int64 = p.contains("{HH}") ? 3_600_000 : 86_400_000
        var t = CivilCalendar.floorDiv(range.lowerBound - max(0, lookback), step) * step
        let end = range.upperBound + max(0, lookahead)
        var out: [String] = []
        var seen = Set<String>()
        while t < end && out.count < maxPrefixes {
            let r = render(p, at: t)
            if seen.insert(r).inserted { out.append(r) }
            t += step
        }
        return out
    }

    /// Whether `key` starts with something `template` renders to (each template a run of digits).
    public static func matches(_ key: String, _ template: String) -> Bool {
        let k = Array(key.utf8), t = Array(template.utf8)
        var i = 0, j = 0
        outer: while j < t.count {
            for (name, width) in widths where t[j] == UInt8(ascii: "{") && t[j...].starts(with: name.utf8) {
                guard i + width <= k.count, k[i..<(i + width)].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
                i += width
                j += name.utf8.count
                continue outer
            }
            guard i < k.count, k[i] == t[j] else { return false }
            i += 1
            j += 1
        }
        return true
    }
}
