import CZlib
import Foundation
import LogmillTestSupport

/// Log files of every format logmill reads, made hostile: truncated, huge numbers, deep JSON,
/// invalid UTF-8, NUL bytes, CRLF, huge lines, and gzip with garbage, padding or a cut member.
struct HostileLogs {
    var rng: SeededRandom

    static let formats = ["lambda", "json", "cloudwatch", "events", "csv", "cloudtrail", "subscription", "s3", "alb", "vpc", "plain"]

    /// A file of `format` (one of `formats`): a few valid records, then damage.
    mutating func file(_ format: String) -> [UInt8] {
        var lines: [String] = []
        for _ in 0..<(1 + rng.below(20)) { lines.append(record(format)) }
        var bytes: [UInt8]
        switch format {
        case "cloudtrail": bytes = Array("{\"Records\":[\(lines.joined(separator: ","))]}".utf8)
        case "subscription": bytes = Array(lines.joined().utf8)
        case "csv": bytes = Array(("timestamp,message,logStreamName\n" + lines.joined(separator: rng.chance(30) ? "\r\n" : "\n")).utf8)
        case "vpc" where rng.chance(50):
            bytes = Array(("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id pkt-srcaddr\n" + lines.joined(separator: "\n")).utf8)
        default: bytes = Array(lines.joined(separator: rng.chance(20) ? "\r\n" : "\n").utf8)
        }
        if rng.chance(80) { bytes.append(10) }
        for _ in 0..<rng.below(4) { damage(&bytes) }
        if rng.chance(30) { bytes = gzipped(bytes) }
        return bytes
    }

    /// A lookup table (`k,v` header), sometimes with ragged rows, quotes, duplicate keys or damage.
    mutating func lookupTable() -> [UInt8] {
        var rows = [rng.pick(["k,v", "k,v,k", "k", "\"k\",\"v\"", "", "k,,v"])]
        for _ in 0..<rng.below(20) { rows.append("\(rng.pick(["ERROR something failed", "a", "", "\"q,\"\"x\"", "a"])),\(number())\(rng.chance(10) ? ",extra" : "")") }
        var bytes = Array(rows.joined(separator: rng.chance(30) ? "\r\n" : "\n").utf8)
        if rng.chance(30) { damage(&bytes) }
        return bytes
    }

    mutating func number() -> String {
        rng.pick(["0", "-1", "1e308", "1e309", "-1e400", "99999999999999999999999999", "9223372036854775807", "18446744073709551616",
                  "NaN", "Infinity", "0.000001", "1.7976931348623157e308", "4294967296", "65536", "-0", "00000000000000000001", "1e", "--5"])
    }

    mutating func time() -> String {
        rng.pick(["2026-11-01T00:00:00.024Z", "2026-11-01T00:05:00Z", "9999-12-31T23:59:59.999Z", "0000-01-01T00:00:00Z", "2026-02-30T25:61:61Z",
                  "2026-11-01T00:00:00+14:00", "99999-01-01T00:00:00Z", "2026-11-01T00:00:00.0000000000001Z", "2026-11-01", "1762041600",
                  "1762041600000", "-62135596800000", "9223372036854775807"])
    }

    mutating func text() -> String {
        rng.pick(["ERROR something failed", "REPORT RequestId: x", "é€😀", "\u{0}\u{0}", "\"quoted\"", "a,b,\"c\"", "\\", "{", "[[[[", "\t\t",
                  String(repeating: "x", count: 70_000), "%s%n%x", "'\"", "\u{FEFF}bom"])
    }

    mutating func deepJSON() -> String {
        let n = rng.pick([10, 127, 128, 129, 1_000, 50_000])
        return String(repeating: rng.pick(["[", "{\"a\":"]), count: n) + "1"
    }

    mutating func jsonValue() -> String {
        switch rng.below(5) {
        case 0: return number()
        case 1: return "\"\(text().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\""
        case 2: return deepJSON()
        case 3: return "{\"a\":{\"b\":[\(number()),{\"id\":\(number())}]},\"@timestamp\":\"\(time())\"}"
        default: return rng.pick(["null", "true", "[]", "{}", "\"\\ud800\"", "\"\\u0000\"", "1.5e3"])
        }
    }

    mutating func record(_ format: String) -> String {
        let ms = "\(rng.pick(["1762041600000", "0", "-1", "99999999999999999999", "1.5", "1e300", "\"x\""]))"
        switch format {
        case "lambda":
            return rng.pick([
                "START RequestId: 8f5 Version: $LATEST",
                "REPORT RequestId: 8f5\tDuration: \(number()) ms\tBilled Duration: \(number()) ms\tMemory Size: \(number()) MB\tMax Memory Used: \(number()) MB\tInit Duration: \(number()) ms",
                "\(time())\t8f5\tERROR\t\(jsonValue())",
                "[ERROR]\t\(time())\t8f5\t\(text())",
                "END RequestId: ",
            ])
        case "json": return "{\"timestamp\":\"\(time())\",\"level\":\"ERROR\",\"msg\":\(jsonValue()),\"n\":\(number())}"
        case "cloudwatch": return "\(time()) \(text())"
        case "events":
            return "{\"timestamp\":\(ms),\"message\":\(jsonValue()),\"logStreamName\":\"s\",\"ingestionTime\":\(number()),\"eventId\":\"1\"}"
        case "csv": return "\(rng.pick([ms, time(), "1.76204E+12", "\"\"", ""])),\"\(text().replacingOccurrences(of: "\"", with: "\"\""))\",stream\(rng.chance(20) ? "\n\"unterminated" : "")"
        case "cloudtrail": return "{\"eventTime\":\"\(time())\",\"eventName\":\"PutObject\",\"requestParameters\":\(jsonValue())}"
        case "subscription":
            return "{\"messageType\":\"DATA_MESSAGE\",\"owner\":\"1\",\"logGroup\":\"/g\",\"logStream\":\"s\",\"subscriptionFilters\":[],\"logEvents\":[{\"id\":\"1\",\"timestamp\":\(ms),\"message\":\(jsonValue())}]}"
        case "s3":
            return "o bucket [\(rng.pick(["06/Feb/2019:00:00:38 +0000", "99/Xyz/99999:99:99:99 +9999", "31/Dec/9999:23:59:59 -2400"]))] 192.0.2.3 - 3E57 REST.GET.OBJECT key \"GET /k HTTP/1.1\" \(number()) - \(number()) \(number()) \(number()) \(number()) \"-\" \"\(text())\" - h SigV4 c AuthHeader host TLSv1.2 - -"
        case "alb":
            return "http \(time()) app/lb/1 192.0.2.1:\(number()) 10.0.0.1:80 \(number()) \(number()) \(number()) 200 200 \(number()) \(number()) \"GET http://x:80/ HTTP/1.1\" \"\(text())\" - - arn \"Root=1\" \"-\" \"-\" 0 \(time()) \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"200\" \"-\" \"-\""
        case "vpc":
            return "2 123 eni-1 10.0.0.1 10.0.0.2 \(number()) \(number()) 6 \(number()) \(number()) \(number()) \(number()) ACCEPT OK"
        default: return text()
        }
    }

    /// One kind of damage at a random place.
    mutating func damage(_ bytes: inout [UInt8]) {
        let at = bytes.isEmpty ? 0 : rng.below(bytes.count)
        switch rng.below(7) {
        case 0: bytes.removeSubrange(at...)                                       // truncated
        case 1: bytes.insert(contentsOf: [0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80], at: at)  // invalid UTF-8
        case 2: bytes.insert(contentsOf: [UInt8](repeating: 0, count: 1 + rng.below(64)), at: at)  // NUL bytes
        case 3: bytes.insert(contentsOf: [UInt8](repeating: UInt8(ascii: "a"), count: rng.pick([4_096, 1 << 20, 3 << 20])), at: at)  // huge line
        case 4: bytes.insert(contentsOf: Array(deepJSON().utf8), at: at)
        case 5: bytes.insert(contentsOf: [13, 13, 10, 13], at: at)
        default: if !bytes.isEmpty { bytes[at] = UInt8(truncatingIfNeeded: rng.next()) }
        }
    }

    /// Gzip of `bytes`, sometimes in several members, with zero padding, garbage after a member, or cut short.
    mutating func gzipped(_ bytes: [UInt8]) -> [UInt8] {
        let cut = bytes.isEmpty ? 0 : rng.below(bytes.count)
        var out = rng.chance(40) ? HostileLogs.gzip(Array(bytes[..<cut])) + HostileLogs.gzip(Array(bytes[cut...])) : HostileLogs.gzip(bytes)
        switch rng.below(5) {
        case 0: out += [UInt8](repeating: 0, count: rng.pick([1, 7, 512, 10_000]))
        case 1: out += Array("garbage after the member".utf8)
        case 2: out.removeLast(min(out.count - 1, 1 + rng.below(max(1, out.count / 2))))
        case 3: out += [0x1F, 0x8B, 0x08, 0x00]  // the start of a member and nothing more
        default: break
        }
        return out
    }

    /// One gzip member of `bytes` (zlib's deflate with a gzip wrapper).
    static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        var z = z_stream()
        guard deflateInit2_(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return [] }
        defer { deflateEnd(&z) }
        var input = bytes
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&z, uLong(bytes.count))) + 64)
        let produced = input.withUnsafeMutableBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { o -> Int in
                z.next_in = inp.baseAddress
                z.avail_in = uInt(inp.count)
                z.next_out = o.baseAddress
                z.avail_out = uInt(o.count)
                _ = deflate(&z, Z_FINISH)
                return o.count - Int(z.avail_out)
            }
        }
        return Array(out[..<produced])
    }
}
