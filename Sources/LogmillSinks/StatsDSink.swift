import Foundation
import LogmillMetrics
#if canImport(Glibc)
import Glibc
#endif

/// StatsD / DogStatsD over UDP: `sink: statsd HOST:PORT [dogstatsd=true] [prefix=NAME] [timestamps=true] [max-datagram=BYTES]`.
///
/// Names: `PREFIX.NAME`, where the prefix defaults to the CloudWatch namespace with `/` turned into `.`
/// (`prefix=` with nothing after it sends bare names). Characters StatsD cannot carry become `_`
/// (plain StatsD keeps `A-Z a-z 0-9 _ . -`; DogStatsD keeps `A-Z a-z 0-9 _ .`).
///
/// Dimensions: with `dogstatsd=true` they become tags, `|#Name:value,…` (`,` `|` `#` `@` and white space in
/// tags become `_`). Plain StatsD has no tags, so they are folded into the name after the metric name as
/// `.Name.value` pairs, each part sanitized with `.` also turned into `_` (so `10.0.0.1` stays one part):
/// `MyApp.Latency.Host.web-1.Status.200`.
///
/// Lines, one per value:
/// * single value, unit Count: counter `name:value|c` (a count per period is what StatsD counters add up);
/// * any other single value: gauge `name:value|g`, in its own unit. Plain StatsD reads a leading `-` as a
///   decrement, so a negative gauge is sent as `name:0|g` followed by `name:-5|g` in the same datagram;
/// * statistic set: four gauges `name.count`, `name.sum`, `name.min`, `name.max` (suffix after the folded
///   dimensions), since StatsD cannot take pre-aggregated samples;
/// * distribution: timers `|ms`, values converted to milliseconds when the unit is Seconds, Milliseconds or
///   Microseconds. Other units: plain StatsD still uses `|ms` (its only sampled type; values unchanged),
///   DogStatsD uses a histogram `|h`. Each value is sent as many times as it was counted; DogStatsD packs
///   them into multi-value lines `name:v1:v1:v2|ms|#tags` (protocol v1.1). A count that is not a whole
///   number, or above 10000, is sent once with sample rate `|@1/count`, so servers still count it right.
/// * `timestamps=true` (DogStatsD only, protocol v1.3) adds `|T<epoch seconds>` to gauges and counters;
///   otherwise the server stamps the values when it receives them, as StatsD always does.
///
/// Lines are packed into datagrams of at most `max-datagram` bytes (default 1432, the Fast Ethernet
/// guide), separated by `\n`. NaN and infinite values are skipped. `render` prints every line, one
/// per line: the datagrams are those lines in order, cut at the size limit.
public struct StatsDSink: MetricSink {
    public static let defaultMaxDatagram = 1432
    static let maxRepeats = 10_000

    public let host: String
    public let port: Int
    public let dogstatsd: Bool
    /// nil: the datum's namespace.
    public let prefix: String?
    public let timestamps: Bool
    public let maxDatagram: Int

    public init(host: String, port: Int, dogstatsd: Bool = false, prefix: String? = nil, timestamps: Bool = false,
                maxDatagram: Int = StatsDSink.defaultMaxDatagram) {
        self.host = host
        self.port = port
        self.dogstatsd = dogstatsd
        self.prefix = prefix
        self.timestamps = timestamps
        self.maxDatagram = maxDatagram
    }

    /// From a checked job-file line.
    init(_ c: SinkConfiguration) {
        let (host, port) = SinkOptionParser.hostPort(c.argument!, defaultPort: 8125)!
        self.init(host: host, port: port, dogstatsd: c.bool("dogstatsd"), prefix: c.text("prefix"), timestamps: c.bool("timestamps"),
                  maxDatagram: c.integer("max-datagram") ?? Self.defaultMaxDatagram)
    }

    public var label: String { "\(dogstatsd ? "dogstatsd" : "statsd") \(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// `host:port`, `[v6]:port`, or a host alone (port 8125).
    static func hostPort(_ s: String) -> (String, Int)? { SinkOptionParser.hostPort(s, defaultPort: 8125) }

    // MARK: - Lines

    public func lines(_ datums: [MetricDatum]) -> [String] {
        var out: [String] = []
        for d in datums { out += lines(d) }
        return out
    }

    func lines(_ d: MetricDatum) -> [String] {
        let base = metricName(d)
        let tags = dogstatsd && !d.dimensions.isEmpty
            ? "|#" + d.dimensions.map { Self.tagPart($0.name, key: true) + ":" + Self.tagPart($0.value, key: false) }.joined(separator: ",")
            : ""
        let stamp = timestamps ? "|T\(d.timestamp >= 0 ? d.timestamp / 1000 : (d.timestamp - 999) / 1000)" : ""
        func gauge(_ name: String, _ v: Double) -> [String] {
            let line = "\(name):\(formatNumber(v))|g\(tags)\(stamp)"
            return !dogstatsd && v < 0 ? ["\(name):0|g\(tags)\(stamp)", line] : [line]
        }
        switch d.value {
        case .single(let v):
            guard v.isFinite else { return [] }
            if d.unit == .count { return ["\(base):\(formatNumber(v))|c\(tags)\(stamp)"] }
            return gauge(base, v)
        case .statistics(let s):
            guard s.sampleCount.isFinite, s.sum.isFinite, s.minimum.isFinite, s.maximum.isFinite else { return [] }
            return gauge(base + ".count", s.sampleCount) + gauge(base + ".sum", s.sum) + gauge(base + ".min", s.minimum)
                + gauge(base + ".max", s.maximum)
        case .distribution(let values, let counts):
            let scale: Double?
            switch d.unit {
            case .seconds: scale = 1000
            case .milliseconds: scale = 1
            case .microseconds: scale = 0.001
            default: scale = nil
            }
            let type = scale != nil || !dogstatsd ? "ms" : "h"
            var repeated: [String] = []
            var sampled: [String] = []
            for (v, c) in zip(values, counts) where v.isFinite && c.isFinite && c > 0 {
                let text = formatNumber(v * (scale ?? 1))
                if c == c.rounded(), c <= Double(Self.maxRepeats) {
                    repeated += Array(repeating: text, count: Int(c))
                } else {
                    let rate = c > 1 ? "|@\(formatNumber(1 / c))" : ""
                    sampled.append("\(base):\(text)|\(type)\(rate)\(tags)")
                }
            }
            var out: [String] = []
            if dogstatsd {
                // name:v1:v2…|type|#tags, cut so that each line fits a datagram.
                let head = base + ":", tail = "|\(type)\(tags)"
                var line = ""
                for v in repeated {
                    if !line.isEmpty, head.utf8.count + line.utf8.count + 1 + v.utf8.count + tail.utf8.count > maxDatagram {
                        out.append(head + line + tail)
                        line = ""
                    }
                    line += line.isEmpty ? v : ":" + v
                }
                if !line.isEmpty { out.append(head + line + tail) }
            } else {
                out = repeated.map { "\(base):\($0)|\(type)" }
            }
            return out + sampled
        }
    }

    /// `prefix.name` plus, for plain StatsD, the dimensions as `.Name.value` parts.
    func metricName(_ d: MetricDatum) -> String {
        var name = Self.nameText(d.name, dogstatsd: dogstatsd)
        let p = prefix ?? d.namespace.replacingOccurrences(of: "/", with: ".")
        if !p.isEmpty {
            let clean = Self.nameText(p, dogstatsd: dogstatsd)
            name = clean.hasSuffix(".") ? clean + name : clean + "." + name
        }
        if !dogstatsd {
            for dim in d.dimensions { name += "." + Self.part(dim.name) + "." + Self.part(dim.value) }
        }
        return name
    }

    static func nameText(_ s: String, dogstatsd: Bool) -> String {
        String(s.unicodeScalars.map { u -> Character in
            switch u {
            case "a"..."z", "A"..."Z", "0"..."9", "_", ".": return Character(u)
            case "-" where !dogstatsd: return "-"
            default: return "_"
            }
        })
    }

    /// A folded dimension name or value: no dots, so it stays one level of the hierarchy.
    static func part(_ s: String) -> String {
        s.isEmpty ? "_" : String(s.unicodeScalars.map { u -> Character in
            switch u {
            case "a"..."z", "A"..."Z", "0"..."9", "_", "-": return Character(u)
            default: return "_"
            }
        })
    }

    static func tagPart(_ s: String, key: Bool) -> String {
        String(s.unicodeScalars.map { u -> Character in
            switch u {
            case ",", "|", "#", "@": return "_"
            case ":" where key: return "_"
            default: return u.properties.isWhitespace || u.value < 0x20 ? "_" : Character(u)
            }
        })
    }

    /// Lines packed into datagrams of at most `maxDatagram` bytes (a longer single line goes alone).
    public func datagrams(_ datums: [MetricDatum]) -> [String] {
        var out: [String] = []
        var current = ""
        for line in lines(datums) {
            if !current.isEmpty, current.utf8.count + 1 + line.utf8.count > maxDatagram {
                out.append(current)
                current = ""
            }
            current += current.isEmpty ? line : "\n" + line
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Every line, one per line; the payload carries the datagrams.
    public func encode(_ datums: [MetricDatum]) -> SinkPayload {
        let rejections = SinkRejection.unsent(datums, format: "StatsD") { !lines($0).isEmpty }
        return SinkPayload(text: lines(datums).map { $0 + "\n" }.joined(), count: datums.count - rejections.count, rejections: rejections,
                           content: datagrams(datums))
    }

    // MARK: - Sending

    /// UDP has no answer: delivered means every datagram was handed to the network.
    public func deliver(_ payload: SinkPayload) -> SinkOutcome {
        guard let packets = payload.content(as: [String].self) else { return .foreign(label, payload) }
        return SinkOutcome.inOrder(label, payload, steps: packets.isEmpty ? 0 : 1) { _ in try send(packets) }
    }

    func send(_ packets: [String]) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw SinkError(sink: label, message: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw SinkError(sink: label, message: "cannot open a UDP socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        for (i, packet) in packets.enumerated() {
            let bytes = Array(packet.utf8)
            let sent = bytes.withUnsafeBytes { buf in
                sendto(fd, buf.baseAddress, buf.count, Int32(MSG_NOSIGNAL), first.pointee.ai_addr, first.pointee.ai_addrlen)
            }
            if sent < 0 {
                throw RequestFailure(SinkError(sink: label, message: "sending datagram \(i + 1) of \(packets.count) failed: \(String(cString: strerror(errno)))"),
                                     inDoubt: i > 0)
            }
        }
    }
}
