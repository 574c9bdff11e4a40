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
    /// Appends the ranges of the message's fields to `out`.
    public static func tokenize(_ m: UnsafeRawBufferPointer, into out: inout [Range<Int>]) {
        out.removeAll(keepingCapacity: true)
        var i = 0
        let n = m.count
        while i < n {
            while i < n, m[i] == 0x20 || m[i] == 0x09 || m[i] == 0x0a || m[i] == 0x0d { i += 1 }
            if i >= n { break }
            let c = m[i]
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "[") {
                let close = c == UInt8(ascii: "\"") ? UInt8(ascii: "\"") : UInt8(ascii: "]")
                var j = i + 1
                while j < n, m[j] != close { if m[j] == 0x5c && close == UInt8(ascii: "\"") { j += 1 }; j += 1 }
                out.append((i + 1)..<min(j, n))
                i = j + 1
            } else {
                var j = i
                while j < n, m[j] != 0x20, m[j] != 0x09, m[j] != 0x0a, m[j] != 0x0d { j += 1 }
                out.append(i..<j)
                i = j
            }
        }
    }

    /// Detects a positional log type from the first messages of an input.
    public static func detect(_ messages: [UnsafeRawBufferPointer]) -> LogType {
        guard let first = messages.first else { return .generic }
        var tokens: [Range<Int>] = []
        tokenize(first, into: &tokens)
        func text(_ m: UnsafeRawBufferPointer, _ r: Range<Int>) -> String { String(decoding: m[r], as: UTF8.self) }
        if tokens.count >= 3, text(first, tokens[0]) == "version", tokens.contains(where: { text(first, $0) == "srcaddr" || text(first, $0) == "interface-id" }) {
            return .vpcFlow(fields: tokens.map { LogType.vpcFieldName(text(first, $0)) }, header: true)
        }
        var votes = [0, 0, 0]
        for m in messages.prefix(20) {
            tokenize(m, into: &tokens)
            if tokens.count >= 14, text(m, tokens[0]).allSatisfy(\.isNumber), text(m, tokens[2]).hasPrefix("eni-") || text(m, tokens[1]).count == 12 {
                votes[0] += 1
            } else if tokens.count >= 17, tokens[2].lowerBound > 0, m[tokens[2].lowerBound - 1] == UInt8(ascii: "["),
                      text(m, tokens[6]).hasPrefix("REST.") || text(m, tokens[6]).hasPrefix("WEBSITE.") || text(m, tokens[6]).hasPrefix("BATCH.") || text(m, tokens[6]).hasPrefix("S3.") {
                votes[1] += 1
            } else if tokens.count >= 12, ["http", "https", "h2", "grpcs", "ws", "wss"].contains(text(m, tokens[0])),
                      Timestamps.parseISO8601(UnsafeRawBufferPointer(rebasing: m[tokens[1]])) != nil {
                votes[2] += 1
            }
        }
        let best = votes.enumerated().max { $0.element < $1.element }!
        guard best.element * 2 > min(messages.count, 20) else { return .generic }
        return [LogType.vpcFlow(fields: LogType.vpcDefault, header: false), .s3Access, .alb][best.offset]
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
        let days = Timestamps.daysFromCivil(y, mi + 1, d)
        return Int64(((days * 24 + h) * 60 + m) * 60 + s - offset * 60) * 1000
    }
}

extension FieldTable {
    /// Fills the table with the positional fields of `type`. A `-` value is a missing field.
    public func fillPositional(_ type: LogType, names: [[UInt8]], tokens: inout [Range<Int>]) {
        PositionalFields.tokenize(source, into: &tokens)
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
