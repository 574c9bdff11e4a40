/// Text log types whose fields sit at fixed positions. Insights (or, for S3 and ALB, Athena and the
/// AWS documentation) names those fields; logmill discovers them the same way it flattens JSON.
public enum LogType: Sendable, Equatable {
    case generic
    /// VPC flow logs: the default version 2 format, or the fields of a header line (`version account-id …`).
    case vpcFlow(fields: [String], header: Bool)
    /// Amazon S3 server access logs.
    case s3Access
    /// Application Load Balancer access logs.
    case alb

    public static let vpcDefault = ["version", "accountId", "interfaceId", "srcAddr", "dstAddr", "srcPort", "dstPort",
                                    "protocol", "packets", "bytes", "startTime", "endTime", "action", "logStatus"]
    public static let s3Fields = ["bucketOwner", "bucket", "time", "remoteIp", "requester", "requestId", "operation", "key",
                                  "requestUri", "httpStatus", "errorCode", "bytesSent", "objectSize", "totalTime", "turnAroundTime",
                                  "referer", "userAgent", "versionId", "hostId", "signatureVersion", "cipherSuite",
                                  "authenticationType", "hostHeader", "tlsVersion", "accessPointArn", "aclRequired", "sourceRegion"]
    /// The names Athena's `alb_logs` table uses (AWS's documented ALB field list, `client:port` split).
    public static let albFields = ["type", "time", "elb", "client_ip", "client_port", "target_ip", "target_port",
                                   "request_processing_time", "target_processing_time", "response_processing_time",
                                   "elb_status_code", "target_status_code", "received_bytes", "sent_bytes",
                                   "request_verb", "request_url", "request_proto", "user_agent", "ssl_cipher", "ssl_protocol",
                                   "target_group_arn", "trace_id", "domain_name", "chosen_cert_arn", "matched_rule_priority",
                                   "request_creation_time", "actions_executed", "redirect_url", "lambda_error_reason",
                                   "target_port_list", "target_status_code_list", "classification", "classification_reason",
                                   "conn_trace_id"]

    /// The type's name in reports.
    public var name: String {
        switch self {
        case .generic: return "plain"
        case .vpcFlow: return "VPC flow log"
        case .s3Access: return "S3 access log"
        case .alb: return "ALB access log"
        }
    }

    /// The `type` values of ALB log entries.
    static let albTypes: [StaticString] = ["http", "https", "h2", "grpcs", "ws", "wss"]

    /// The VPC flow-log field name Insights uses for a header word (`srcaddr` → `srcAddr`, `log-status` → `logStatus`).
    public static func vpcFieldName(_ word: String) -> String {
        let special = ["srcaddr": "srcAddr", "dstaddr": "dstAddr", "srcport": "srcPort", "dstport": "dstPort",
                       "start": "startTime", "end": "endTime", "pkt-srcaddr": "pktSrcAddr", "pkt-dstaddr": "pktDstAddr"]
        if let s = special[word] { return s }
        var out = ""
        var upper = false
        for ch in word {
            if ch == "-" || ch == "_" { upper = true; continue }
            out.append(upper ? Character(ch.uppercased()) : ch)
            upper = false
        }
        return out
    }
}

/// Splits a positional log line into fields: space-separated, with `"…"` and `[…]` kept whole
/// (without their delimiters). ALB's `client:port` and quoted request are split as Athena splits them.
public enum PositionalFields {
    /// Appends the ranges of the message's fields to `out`. This runs on every line of S3 and VPC
    /// logs: separators are found eight bytes at a time, quotes and brackets with `memchr`.
    public static func tokenize(_ m: UnsafeRawBufferPointer, into out: inout [Range<Int>]) {
        out.removeAll(keepingCapacity: true)
        _ = tokenize(m, into: &out, from: 0, limit: Int.max)
    }

    /// Appends fields from byte `from` on until `out` holds `limit` of them; returns where it stopped
    /// (`m.count` at the end), to go on from there when a later field is asked for.
    public static func tokenize(_ m: UnsafeRawBufferPointer, into out: inout [Range<Int>], from: Int, limit: Int) -> Int {
        var i = from
        let n = m.count
        while i < n && out.count < limit {
            while i < n, isSeparator(m[i]) { i += 1 }
            if i >= n { break }
            let c = m[i]
            if c == UInt8(ascii: "\"") {
                // The closing quote not escaped by an odd run of backslashes.
                var j = i + 1
                while true {
                    guard let q = Bytes.find(UInt8(ascii: "\""), in: m, from: j, to: n) else { j = n; break }
                    var k = q, slashes = 0
                    while k > i + 1, m[k - 1] == 0x5c { k -= 1; slashes += 1 }
                    if slashes % 2 == 0 { j = q; break }
                    j = q + 1
                }
                out.append((i + 1)..<j)
                i = j + 1
            } else if c == UInt8(ascii: "[") {
                let j = Bytes.find(UInt8(ascii: "]"), in: m, from: i + 1, to: n) ?? n
                out.append((i + 1)..<j)
                i = j + 1
            } else {
                let j = nextSeparator(m, from: i, to: n)
                out.append(i..<j)
                i = j
            }
        }
        while i < n, isSeparator(m[i]) { i += 1 }
        return i
    }

    @inline(__always) static func isSeparator(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d }

    /// The first space, tab, CR or LF at or after `from`, else `to`. Eight bytes at a time: a word with
    /// no byte below 0x21 holds no separator (bytes of UTF-8 sequences are 0x80 and up).
    @inline(__always) static func nextSeparator(_ m: UnsafeRawBufferPointer, from: Int, to: Int) -> Int {
        var j = from
        let base = m.baseAddress!
        while j + 8 <= to {
            let x = base.loadUnaligned(fromByteOffset: j, as: UInt64.self)
            let low = (x &- 0x2121_2121_2121_2121) & ~x & 0x8080_8080_8080_8080
            if low != 0 { break }
            j += 8
        }
        while j < to, !isSeparator(m[j]) { j += 1 }
        return j
    }

    /// Whether a message fits a positional log type, and its own time.
    public struct Check {
        /// The message has the shape of the type (else it is read as a plain message).
        public var fits: Bool
        /// S3's bracketed time, ALB's `time`, a VPC flow record's `start`, when readable and in range.
        public var time: Int64?
        /// The type has a time field here but it cannot be read or is out of range.
        public var timeUnreadable: Bool
    }

    /// Checks a tokenized message against `type`: the minimal shape detection also relies on (VPC flow:
    /// the header's field count, or a numeric version and an `eni-` interface or 12-digit account among 14
    /// or more fields; S3: 17 or more fields, a bracketed time and a known operation; ALB: one of the ALB
    /// types, an ISO time in field 2 and 12 or more fields), then reads its time.
    public static func check(_ type: LogType, _ m: UnsafeRawBufferPointer, _ tokens: [Range<Int>]) -> Check {
        func view(_ k: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: m[tokens[k]]) }
        func prefix(_ k: Int, _ p: StaticString) -> Bool { Bytes.hasPrefix(view(k), p) }
        let misfit = Check(fits: false, time: nil, timeUnreadable: false)
        switch type {
        case .generic:
            return Check(fits: true, time: nil, timeUnreadable: false)
        case .vpcFlow(let fields, let header):
            if header { guard tokens.count == fields.count else { return misfit } }
            else {
                guard tokens.count >= 14, !tokens[0].isEmpty, view(0).allSatisfy(Bytes.isDigit),
                      prefix(2, "eni-") || tokens[1].count == 12 else { return misfit }
            }
            guard let k = fields.firstIndex(of: "startTime"), k < tokens.count else { return Check(fits: true, time: nil, timeUnreadable: false) }
            if tokens[k].count == 1 && m[tokens[k].lowerBound] == UInt8(ascii: "-") { return Check(fits: true, time: nil, timeUnreadable: false) }
            let t = Bytes.parseDouble(view(k)).flatMap { Timestamps.fromEpoch($0, unit: 1000) }
            return Check(fits: true, time: t, timeUnreadable: t == nil)
        case .s3Access:
            guard tokens.count >= 17, tokens[2].lowerBound > 0, m[tokens[2].lowerBound - 1] == UInt8(ascii: "["),
                  prefix(6, "REST.") || prefix(6, "WEBSITE.") || prefix(6, "BATCH.") || prefix(6, "S3.") else { return misfit }
            let t = s3Time(view(2))
            return Check(fits: true, time: t, timeUnreadable: t == nil)
        case .alb:
            guard tokens.count >= 12, LogType.albTypes.contains(where: { Bytes.equal(view(0), UnsafeRawBufferPointer(staticString: $0)) }),
                  let (t, end) = Timestamps.parseISO8601(view(1)), end == tokens[1].count else { return misfit }
            return Check(fits: true, time: t, timeUnreadable: false)
        }
    }

    /// Detects a positional log type from the first messages of an input: a VPC flow header line, or
    /// the type most of them fit (`check`).
    public static func detect(_ messages: [UnsafeRawBufferPointer]) -> LogType {
        guard let first = messages.first else { return .generic }
        var tokens: [Range<Int>] = []
        tokenize(first, into: &tokens)
        func text(_ m: UnsafeRawBufferPointer, _ r: Range<Int>) -> String { String(decoding: m[r], as: UTF8.self) }
        if tokens.count >= 3, text(first, tokens[0]) == "version", tokens.contains(where: { text(first, $0) == "srcaddr" || text(first, $0) == "interface-id" }) {
            return .vpcFlow(fields: tokens.map { LogType.vpcFieldName(text(first, $0)) }, header: true)
        }
        let candidates: [LogType] = [.vpcFlow(fields: LogType.vpcDefault, header: false), .s3Access, .alb]
        var votes = [0, 0, 0]
        for m in messages.prefix(20) {
            tokenize(m, into: &tokens)
            if let k = candidates.firstIndex(where: { check($0, m, tokens).fits }) { votes[k] += 1 }
        }
        let best = votes.enumerated().max { $0.element < $1.element }!
        guard best.element * 2 > min(messages.count, 20) else { return .generic }
        return candidates[best.offset]
    }

    /// Parses S3's `06/Feb/2026:00:00:38 +0000` into epoch milliseconds.
    public static func s3Time(_ b: UnsafeRawBufferPointer) -> Int64? {
        guard b.count >= 20, b[2] == UInt8(ascii: "/"), b[6] == UInt8(ascii: "/"), b[11] == UInt8(ascii: ":") else { return nil }
        func num(_ a: Int, _ n: Int) -> Int? {
            var v = 0
            for i in a..<(a + n) { let c = b[i] &- 0x30; if c > 9 { return nil }; v = v * 10 + Int(c) }
            return v
        }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let mon = String(decoding: b[3..<6], as: UTF8.self)
        guard let d = num(0, 2), let mi = months.firstIndex(of: mon), let y = num(7, 4), let h = num(12, 2), let m = num(15, 2), let s = num(18, 2) else { return nil }
        var offset = 0
        if b.count >= 26, b[20] == 0x20, let oh = num(22, 2), let om = num(24, 2) {
            offset = (oh * 60 + om) * (b[21] == UInt8(ascii: "-") ? -1 : 1)
        }
        guard d >= 1, d <= 31, h <= 23, m <= 59, s <= 60 else { return nil }
        let days = Timestamps.daysFromCivil(y, mi + 1, d)
        return Timestamps.checked(Int64(((days * 24 + h) * 60 + m) * 60 + s - offset * 60) * 1000)
    }
}

extension LogType {
    /// How many leading fields `PositionalFields.check` needs to judge a line of this type (and read
    /// its time); the rest are split only when a query asks for them.
    public var fieldsForCheck: Int {
        switch self {
        case .s3Access: return 17
        case .vpcFlow(_, let header): return header ? Int.max : 14
        case .alb, .generic: return Int.max
        }
    }

    /// Whether a line's fields are its tokens one for one (S3 access logs, VPC flow logs); ALB splits
    /// some tokens further.
    public var isSplitAsTokenized: Bool {
        switch self {
        case .s3Access, .vpcFlow: return true
        case .alb, .generic: return false
        }
    }
}

extension FieldTable {
    /// Fills the table with the positional fields of `type`. A `-` value is a missing field.
    public func fillPositional(_ type: LogType, names: [[UInt8]], tokens: inout [Range<Int>]) {
        PositionalFields.tokenize(source, into: &tokens)
        // A line that does not fit the type (an NLB line among ALB lines) has no positional fields.
        guard PositionalFields.check(type, source, tokens).fits else { return }
        var values: [Range<Int>] = tokens
        if type == .alb, values.count > 12 {
            // client:port and target:port become two fields each; the quoted request becomes verb, url, protocol.
            var split: [Range<Int>] = []
            for (k, r) in values.enumerated() {
                switch k {
                case 3, 4:
                    if let colon = lastIndex(of: UInt8(ascii: ":"), in: r) { split.append(r.lowerBound..<colon); split.append((colon + 1)..<r.upperBound) }
                    else { split.append(r); split.append(r.upperBound..<r.upperBound) }
                case 12:
                    var parts: [Range<Int>] = []
                    var s = r.lowerBound
                    for j in r where source[j] == 0x20 && parts.count < 2 { parts.append(s..<j); s = j + 1 }
                    parts.append(s..<r.upperBound)
                    while parts.count < 3 { parts.append(r.upperBound..<r.upperBound) }
                    split += parts
                default: split.append(r)
                }
            }
            values = split
        }
        for (k, r) in values.enumerated() where k < names.count {
            if r.count == 1 && source[r.lowerBound] == UInt8(ascii: "-") { continue }
            if r.isEmpty { continue }
            addBorrowed(name: names[k], range: r)
        }
    }

    private func lastIndex(of byte: UInt8, in r: Range<Int>) -> Int? {
        var j = r.upperBound - 1
        while j >= r.lowerBound { if source[j] == byte { return j }; j -= 1 }
        return nil
    }
}
