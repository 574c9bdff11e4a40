import Foundation
import LogmillSources
import LogmillTime

/// `cloudwatch-logs:GROUP`, `cloudwatch-logs:PREFIX*` (every group whose name starts with PREFIX) and
/// `…?stream=PREFIX` (only streams whose name starts with it): the events of a time range, read with
/// FilterLogEvents page by page and handed to the scan as CloudWatch's own event JSON lines
/// (`{"logStreamName","timestamp","message","ingestionTime","eventId"}`), so `@log`, `@logStream`,
/// `@timestamp`, `@ingestionTime` and Lambda and JSON field discovery work as for files. Events are
/// de-duplicated on `eventId` within a read.
///
/// A group's object is the group over `timeRange`: its identity names the range, so a scheduled run
/// (which asks again for every window it has not emitted) reads it whole, and the job replaces those
/// windows' partial results instead of adding to them (`isRequeried`). The newest ingestion time seen
/// tells the job how far the group is complete (`newestIngestion`).
public struct CloudWatchLogsSource: ObjectSource {
    public let group: String
    public let isPrefix: Bool
    public let streamPrefix: String?
    public let labels: [String: String]
    public let client: CloudWatchLogsClient
    /// The events wanted (epoch ms, half-open); required.
    public var timeRange: Range<Int64>?
    /// What the reads saw, shared by every copy of this source.
    public let seen = Seen()

    public final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private var newest: Int64?
        private var events = 0
        func record(ingestion: Int64, count: Int) {
            lock.lock(); defer { lock.unlock() }
            newest = max(newest ?? ingestion, ingestion)
            events += count
        }
        /// The newest `ingestionTime` of any event read, nil when none was.
        public var newestIngestion: Int64? { lock.lock(); defer { lock.unlock() }; return newest }
        public var eventsRead: Int { lock.lock(); defer { lock.unlock() }; return events }
    }

    public static let scheme = "cloudwatch-logs:"

    /// Parses `cloudwatch-logs:/aws/lambda/orders-api[*][?stream=PREFIX]`.
    public init(argument: String, labels: [String: String] = [:], client: CloudWatchLogsClient) throws {
        var rest = String(argument.dropFirst(CloudWatchLogsSource.scheme.count))
        var stream: String?
        if let q = rest.range(of: "?stream=") {
            stream = String(rest[q.upperBound...]).removingPercentEncoding
            rest = String(rest[..<q.lowerBound])
        }
        guard !rest.isEmpty, rest.count <= 512, !rest.dropLast().contains("*") else {
            throw CloudWatchLogsError(target: argument, status: nil, code: nil,
                                      message: "write cloudwatch-logs:GROUP, cloudwatch-logs:PREFIX* or cloudwatch-logs:GROUP?stream=PREFIX")
        }
        isPrefix = rest.hasSuffix("*")
        group = isPrefix ? String(rest.dropLast()) : rest
        streamPrefix = stream.flatMap { $0.isEmpty ? nil : $0 }
        self.labels = labels
        self.client = client
    }

    public var description: String { CloudWatchLogsSource.scheme + group + (isPrefix ? "*" : "") }
    public var canReadRanges: Bool { false }

    public func list() throws -> [SourceObject] {
        guard let range = timeRange else {
            var o = SourceObject(name: description, locator: description, size: nil, identity: ObjectIdentity(kind: "cwl", key: description),
                                 labels: labels, source: self)
            o.unreadable = "a CloudWatch Logs source needs a time range (--from and --to for a query)"
            return [o]
        }
        let groups = isPrefix ? try client.groups(prefix: group) : [group]
        return groups.map { g in
            var l = labels
            if l[SourceLabel.logGroup] == nil { l[SourceLabel.logGroup] = g }
            var o = SourceObject(name: CloudWatchLogsSource.scheme + g, locator: g, size: nil,
                                 identity: ObjectIdentity(kind: "cwl", key: "\(client.region) \(g) \(streamPrefix ?? "") \(range.lowerBound)-\(range.upperBound)"),
                                 labels: l, source: self)
            o.isSettled = true
            return o
        }
    }

    public func open(_ object: SourceObject, range: Range<Int>?) throws -> ByteStream {
        guard let timeRange else { throw SourceError(path: object.name, message: "no time range") }
        return EventStream(source: self, group: object.locator, name: object.name, range: timeRange)
    }

    /// Pages of events rendered as JSON lines, one page in memory at a time.
    final class EventStream: ByteStream {
        let source: CloudWatchLogsSource
        let group: String
        let name: String
        let range: Range<Int64>
        private var buffer: [UInt8] = []
        private var position = 0
        private var token: String?
        private var started = false
        /// Event ids of this page and the one before: a repeat across a page boundary is dropped, and
        /// memory does not grow with the range.
        private var ids = Set<String>()
        private var previousIds = Set<String>()
        private(set) var bytesRead = 0

        init(source: CloudWatchLogsSource, group: String, name: String, range: Range<Int64>) {
            self.source = source; self.group = group; self.name = name; self.range = range
        }

        func read(into out: UnsafeMutableRawBufferPointer) throws -> Int {
            while position == buffer.count {
                if started && token == nil { return 0 }
                try nextPage()
            }
            let n = min(out.count, buffer.count - position)
            buffer.withUnsafeBytes { out.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
            position += n
            return n
        }

        private func nextPage() throws {
            let page: (events: [CloudWatchLogsEvent], nextToken: String?)
            do {
                page = try source.client.filter(group: group, streamPrefix: source.streamPrefix, start: range.lowerBound, end: range.upperBound,
                                                nextToken: token)
            } catch let e as CloudWatchLogsError {
                throw SourceError(path: name, message: e.description)
            }
            started = true
            token = page.nextToken
            buffer.removeAll(keepingCapacity: true)
            position = 0
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            var newest: Int64 = .min
            var count = 0
            previousIds = ids
            ids = []
            for e in page.events where e.eventId.isEmpty || (!previousIds.contains(e.eventId) && ids.insert(e.eventId).inserted) {
                buffer += [UInt8]((try? encoder.encode(e)) ?? Data())
                buffer.append(0x0a)
                newest = max(newest, e.ingestionTime)
                count += 1
            }
            if count > 0 { source.seen.record(ingestion: newest, count: count) }
            bytesRead += buffer.count
        }
    }
}
