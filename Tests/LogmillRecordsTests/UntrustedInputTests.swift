import Foundation
import LogmillScan
import LogmillTime
import XCTest
@testable import LogmillDecode
@testable import LogmillRecords
@testable import LogmillSources
import LogmillTestSupport

/// "Never crash, never a silent wrong answer": hostile numbers, nesting, cuts, mixed lines and padding.
final class UntrustedInputTests: XCTestCase {
    func bytes<R>(_ s: String, _ body: (UnsafeRawBufferPointer) -> R) -> R { Array(s.utf8).withUnsafeBytes(body) }

    /// Decodes with `input` and returns (ok, problem, timestamp, message).
    func decode(_ line: String, _ input: InputContext) -> (Bool, RecordDecoder.Problem, Int64, String) {
        let d = RecordDecoder()
        return bytes(line) { b in
            let ok = d.decode(b, input: input, offset: 0)
            return (ok, d.problem, d.record.timestamp, String(decoding: d.record.message, as: UTF8.self))
        }
    }

    func documents(_ text: String, _ format: LogFormat) -> (records: [(Int64, String)], failures: Int) {
        let d = DocumentDecoder()
        var out: [(Int64, String)] = []
        let input = InputContext(name: "t", ordinal: 0, format: format)
        bytes(text) { b in _ = d.forEachRecord(b, input: input, offset: 0) { r in out.append((r.timestamp, String(decoding: r.message, as: UTF8.self))) } }
        return (out, d.failures)
    }

    // MARK: 1. numbers from logs are range-checked

    func testValidRangeIsYearsZeroToNineThousandNineHundredNinetyNine() {
        XCTAssertEqual(Timestamps.parseISO8601("0000-01-01T00:00:00Z"), Timestamps.validRange.lowerBound)
        XCTAssertEqual(Timestamps.parseISO8601("9999-12-31T23:59:59.999Z"), Timestamps.validRange.upperBound)
        // An offset can move a four-digit year out of the range: no time, not a wrapped one.
        XCTAssertNil(Timestamps.parseISO8601("0000-01-01T00:00:00+01:00"))
        XCTAssertNil(Timestamps.parseISO8601("9999-12-31T23:59:59-01:00"))
        for v in [1e30, -1e30, Double.infinity, -Double.infinity, Double.nan, 9.3e18, 253_402_300_800_000] {
            XCTAssertNil(Timestamps.fromEpoch(v, unit: 1), "\(v)")
        }
        XCTAssertNil(Timestamps.fromEpoch(253_402_300_800, unit: 1000))
        XCTAssertEqual(Timestamps.fromEpoch(1_793_491_200.5, unit: 1000), 1_793_491_200_500)
    }

    func testEventTimesOutOfRangeAreAbsentAndCounted() {
        let events = InputContext(name: "e", ordinal: 0, format: .cliEvents)
        for t in ["1e30", "-1e30", "1e999", "123456789012345678901234567890", "\"99999-01-01T00:00:00Z\""] {
            let (ok, problem, ts, message) = decode(#"{"timestamp": \#(t), "message": "hello"}"#, events)
            XCTAssertFalse(ok, t)
            XCTAssertEqual(problem, .time, t)
            XCTAssertEqual(ts, Record.absent, t)
            XCTAssertEqual(message, "hello", "still read as a message: \(t)")
        }
        let (ok, _, _, _) = decode(#"{"timestamp": 1793491258209, "message": "m", "ingestionTime": 1e300}"#, events)
        XCTAssertFalse(ok, "ingestionTime is checked too")
        // Application logs detected as events (they have timestamp and message) read times as JSON lines do.
        XCTAssertEqual(decode(#"{"timestamp": 1793491200.25, "message": "m"}"#, events).2, 1_793_491_200_250)
        XCTAssertEqual(decode(#"{"timestamp": "2026-11-01T02:00:00+02:00", "message": "m"}"#, events).2, 1_793_491_200_000)
    }

    func testConsoleCSVTimeOfTwentyDigits() {
        let (records, failures) = documents("timestamp,message\n12345678901234567890,hello\n1793491200000,ok\n", .csv)
        XCTAssertEqual(records.map(\.1), ["hello", "ok"])
        XCTAssertEqual(records[0].0, Record.absent)
        XCTAssertEqual(records[1].0, 1_793_491_200_000)
        XCTAssertEqual(failures, 1)
    }

    func testSubscriptionTimestampPastInt64() {
        let payload = #"{"messageType":"DATA_MESSAGE","logGroup":"g","logStream":"s","logEvents":[{"id":"1","timestamp":1e30,"message":"far"},{"id":"2","timestamp":1793491200000,"message":"near"}]}"#
        let (records, failures) = documents(payload, .subscription)
        XCTAssertEqual(records.map(\.1), ["far", "near"])
        XCTAssertEqual(records.map(\.0), [Record.absent, 1_793_491_200_000])
        XCTAssertEqual(failures, 1)
    }

    func testVPCFlowStartPastInt64() {
        let vpc = InputContext(name: "v", ordinal: 0, format: .plain, logType: .vpcFlow(fields: LogType.vpcDefault, header: false))
        let (ok, problem, ts, _) = decode("2 123456789012 eni-0a1b 10.0.0.1 10.0.0.2 443 50000 6 10 840 99999999999999999999 1793491260 ACCEPT OK", vpc)
        XCTAssertFalse(ok)
        XCTAssertEqual(problem, .time)
        XCTAssertEqual(ts, Record.absent)
        let good = decode("2 123456789012 eni-0a1b 10.0.0.1 10.0.0.2 443 50000 6 10 840 1793491200 1793491260 ACCEPT OK", vpc)
        XCTAssertTrue(good.0)
        XCTAssertEqual(good.2, 1_793_491_200_000)
    }

    // MARK: 2. deep nesting

    func testDeepNestingIsBoundedAndCounted() {
        let deep = String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000)
        let json = InputContext(name: "j", ordinal: 0, format: .jsonLines)
        let (ok, problem, _, message) = decode(deep, json)
        XCTAssertFalse(ok)
        XCTAssertEqual(problem, .depth)
        XCTAssertEqual(message.count, deep.utf8.count, "still read as a message")
        let table = FieldTable()
        bytes(deep) { b in
            table.reset(source: b)
            XCTAssertFalse(table.flattenObject(from: 0, to: b.count), "the walk stops at the bound instead of overflowing the stack")
        }
        // Exactly at the bound is fine; one more is not.
        let atBound = String(repeating: "{\"a\":", count: JSONCursor.maxDepth) + "1" + String(repeating: "}", count: JSONCursor.maxDepth)
        XCTAssertTrue(decode(atBound, json).0)
        bytes(atBound) { b in
            table.reset(source: b)
            XCTAssertTrue(table.flattenObject(from: 0, to: b.count))
            XCTAssertEqual(table.count, 1)
        }
        let past = "{\"x\":" + atBound + "}"
        XCTAssertEqual(decode(past, json).1, .depth)
        // Brackets inside strings do not count.
        let quoted = "{\"a\":\"" + String(repeating: "[", count: 5000) + "\"}"
        XCTAssertTrue(decode(quoted, json).0)
    }

    func testDeepNestingInDocuments() {
        let deep = String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)
        let trail = #"{"Records":[{"eventTime":"2026-11-01T00:00:00Z","x":"#  + deep + #"},{"eventTime":"2026-11-01T00:00:01Z"}]}"#
        let (records, failures) = documents(trail, .cloudtrail)
        XCTAssertEqual(records.count, 2)
        XCTAssertEqual(failures, 1)
        let escaped = String(repeating: "{\\\"a\\\":", count: 1000) + "1" + String(repeating: "}", count: 1000)
        let sub = #"{"logGroup":"g","logStream":"s","logEvents":[{"id":"1","timestamp":1793491200000,"message":""# + escaped + #""}]}"#
        let s = documents(sub, .subscription)
        XCTAssertEqual(s.records.count, 1)
        XCTAssertEqual(s.failures, 1, "the unescaped message is JSON nested 1000 deep")
    }

    // MARK: 4. JSON lines take @timestamp from the usual keys

    func testJSONLinesTimestampKeysAndForms() {
        let json = InputContext(name: "j", ordinal: 0, format: .jsonLines)
        let t0: Int64 = 1_793_491_200_000
        let cases: [(String, Int64)] = [
            (#"{"timestamp":"2026-11-01T00:00:00Z","msg":"a"}"#, t0),
            (#"{"level":"info", "@timestamp" : "2026-11-01T02:00:00.250+02:00"}"#, t0 + 250),
            (#"{"time":"2026-11-01T00:00:00.123456Z"}"#, t0 + 123),
            (#"{"ts":1793491200}"#, t0),
            (#"{"ts":1793491200.5}"#, t0 + 500),
            (#"{"ts":"1793491200"}"#, t0),
            (#"{"time":1793491200007}"#, t0 + 7),
            // The preferred key wins, wherever it is; nested and quoted look-alikes are not keys.
            (#"{"ts":1,"nested":{"timestamp":"1999-01-01T00:00:00Z"},"m":"\"timestamp\": x","timestamp":"2026-11-01T00:00:00Z"}"#, t0),
        ]
        for (line, want) in cases {
            let (ok, _, ts, _) = decode(line, json)
            XCTAssertTrue(ok, line)
            XCTAssertEqual(ts, want, line)
        }
        for line in [#"{"nested":{"timestamp":"2026-11-01T00:00:00Z"}}"#, #"{"m":"\"ts\":1793491200"}"#, #"{"timestamp":null}"#, "{}"] {
            let (ok, _, ts, _) = decode(line, json)
            XCTAssertTrue(ok, line)
            XCTAssertEqual(ts, Record.absent, line)
        }
        for line in [#"{"timestamp":"yesterday"}"#, #"{"ts":12345}"#, #"{"time":"2026-11-01T00:00:00Z trailing"}"#, #"{"ts":{"s":1}}"#, #"{"ts":99999999999999}"#] {
            let (ok, problem, ts, _) = decode(line, json)
            XCTAssertFalse(ok, line)
            XCTAssertEqual(problem, .time, line)
            XCTAssertEqual(ts, Record.absent, line)
        }
    }

    /// The one-pass search finds what a plain search of each key in turn finds, wherever the keys sit.
    func testTimeKeySearchMatchesAPlainSearch() {
        func reference(_ line: UnsafeRawBufferPointer, _ keys: [[UInt8]]) -> JSONTime.Found {
            for key in keys {
                var from = 1
                while let p = key.withUnsafeBytes({ Bytes.find($0, in: line, from: from, to: line.count) }) {
                    from = p + 1
                    var c = JSONCursor(line, from: p + key.count)
                    c.skipSpace()
                    guard c.peek() == UInt8(ascii: ":"), JSONTime.isTopLevelKey(line, object: 0, at: p) else { continue }
                    c.i += 1
                    c.skipSpace()
                    return JSONTime.value(&c)
                }
            }
            return .absent
        }
        var rng = SeededRandom(seed: 13)
        let parts = [#""timestamp":"2026-11-01T00:00:00Z""#, #""@timestamp":"2026-11-01T00:00:01Z""#, #""time":1793491202"#, #""ts":1793491203000"#,
                     #""tier":"gold""#, #""t":"ts""#, #""nested":{"timestamp":"1999-01-01T00:00:00Z"}"#, #""m":""time": 1""#, #""@t":1"#, #""padding":"xxxxxxxxxxxxxxxxxxx""#]
        for _ in 0..<2000 {
            let chosen = (0..<Int.random(in: 0...6, using: &rng)).map { _ in parts[Int.random(in: 0..<parts.count, using: &rng)] }
            let line = "{" + chosen.joined(separator: ",") + "}"
            Array(line.utf8).withUnsafeBytes { b in
                for keys in [InputContext.defaultTimeNeedles, [InputContext.needle("tier")], [InputContext.needle("ts")]] {
                    XCTAssertEqual(JSONTime.find(b, object: 0, keys: keys), reference(b, keys), line)
                }
            }
        }
    }

    func testNamedTimestampField() {
        let named = InputContext(name: "j", ordinal: 0, format: .jsonLines, timestampField: "eventTime")
        let (ok, _, ts, _) = decode(#"{"timestamp":"1999-01-01T00:00:00Z","eventTime":"2026-11-01T00:00:00Z"}"#, named)
        XCTAssertTrue(ok)
        XCTAssertEqual(ts, 1_793_491_200_000, "the named key replaces the usual ones")
        XCTAssertEqual(decode(#"{"timestamp":"2026-11-01T00:00:00Z"}"#, named).2, Record.absent)
    }

    // MARK: 5. positional lines are checked against their type

    func testMixedALBAndOtherLinesAreCounted() {
        let alb = InputContext(name: "a", ordinal: 0, format: .plain, logType: .alb)
        let good = #"https 2026-11-01T00:00:05.123456Z app/my-lb/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2"#
        let nlb = "tls 2.0 2026-11-01T00:00:05 net/my-nlb/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com - - - 2026-11-01T00:00:00"
        let (ok, _, ts, _) = decode(good, alb)
        XCTAssertTrue(ok)
        XCTAssertEqual(ts, 1_793_491_205_123)
        for line in [nlb, "https not-a-time app/x 1.2.3.4:1 - 0 0 0 200 200 1 2 \"GET / HTTP/1.1\"", "https 2026-11-01T00:00:05Z app/x", "hello world"] {
            let (ok, problem, ts, message) = decode(line, alb)
            XCTAssertFalse(ok, line)
            XCTAssertEqual(problem, .positional, line)
            XCTAssertEqual(ts, Record.absent, line)
            XCTAssertEqual(message, line)
        }
        // A line that does not fit gets no ALB fields: it is a plain message.
        let table = FieldTable()
        var tokens: [Range<Int>] = []
        bytes(nlb) { b in
            table.reset(source: b)
            table.fillPositional(.alb, names: alb.fieldNames, tokens: &tokens)
            XCTAssertEqual(table.count, 0)
        }
        bytes(good) { b in
            table.reset(source: b)
            table.fillPositional(.alb, names: alb.fieldNames, tokens: &tokens)
            XCTAssertGreaterThan(table.count, 10)
        }
    }

    func testS3AndVPCLinesAreChecked() {
        let s3 = InputContext(name: "s", ordinal: 0, format: .plain, logType: .s3Access)
        let good = #"79a5 amzn-s3-demo-bucket [06/Feb/2026:00:00:38 +0000] 192.0.2.3 79a5 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" -"#
        XCTAssertTrue(decode(good, s3).0)
        XCTAssertEqual(decode(good, s3).2, Timestamps.parseISO8601("2026-02-06T00:00:38Z"))
        XCTAssertEqual(decode("some other line entirely", s3).1, .positional)
        let badTime = good.replacingOccurrences(of: "06/Feb/2026", with: "06/Foo/2026")
        XCTAssertEqual(decode(badTime, s3).1, .time)
        let vpc = InputContext(name: "v", ordinal: 0, format: .plain, logType: .vpcFlow(fields: ["version", "srcaddr", "startTime"], header: true))
        XCTAssertTrue(decode("5 10.0.0.1 1793491200", vpc).0)
        XCTAssertEqual(decode("5 10.0.0.1", vpc).1, .positional)
        XCTAssertEqual(decode("x y z w", InputContext(name: "v", ordinal: 0, format: .plain, logType: .vpcFlow(fields: LogType.vpcDefault, header: false))).1, .positional)
    }

    func testPositionalMisfitsInConsoleCSVAreCounted() {
        let d = DocumentDecoder()
        let vpc = InputContext(name: "c", ordinal: 0, format: .csv, logType: .vpcFlow(fields: LogType.vpcDefault, header: false))
        let text = "timestamp,message\n1793491200000,2 123456789012 eni-0a1b 10.0.0.1 10.0.0.2 443 50000 6 10 840 1793491200 1793491260 ACCEPT OK\n1793491200000,something else\n"
        var n = 0
        bytes(text) { b in n = d.forEachRecord(b, input: vpc, offset: 0) { _ in } }
        XCTAssertEqual(n, 2)
        XCTAssertEqual(d.failures, 1)
    }

    // MARK: 7. times outside years 0000–9999 render with a sign

    func testRenderingOutsideFourDigitYears() {
        let top = Timestamps.validRange.upperBound, bottom = Timestamps.validRange.lowerBound
        XCTAssertEqual(Timestamps.render(top), "9999-12-31 23:59:59.999")
        XCTAssertEqual(Timestamps.render(top + 1), "+010000-01-01 00:00:00.000")
        XCTAssertEqual(Timestamps.render(bottom), "0000-01-01 00:00:00.000")
        XCTAssertEqual(Timestamps.render(bottom - 1), "-000001-12-31 23:59:59.999")
        XCTAssertEqual(Timestamps.renderISO(top + 1), "+010000-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamps.renderISO(bottom - 1), "-000001-12-31T23:59:59.999Z")
        XCTAssertEqual(CivilCalendar.iso(top + 1), "+010000-01-01T00:00:00Z")
        XCTAssertEqual(CivilCalendar.iso(bottom - 1), "-000001-12-31T23:59:59.999Z")
        XCTAssertEqual(CivilCalendar.iso(1_793_491_200_000), "2026-11-01T00:00:00Z")
        // The ends of Int64 render without trapping.
        XCTAssertEqual(Timestamps.render(Int64.max), "+292278994-08-17 07:12:55.807")
        XCTAssertEqual(Timestamps.render(Int64.min), "-292275055-05-16 16:47:04.192")
        XCTAssertTrue(CivilCalendar.iso(Int64.min).hasPrefix("-292275055-"))
    }
}

/// Scans with a consumer that decodes documents, as the query does.
final class DocumentCollector: BlockConsumer {
    let decoder = DocumentDecoder()
    var messages: [String] = []
    func consume(block: UnsafeRawBufferPointer, input: InputContext, offset: Int) {
        decoder.forEachRecord(block, input: input, offset: offset) { r in messages.append(String(decoding: r.message, as: UTF8.self)) }
    }
}

/// The scan side of untrusted input, with `ScannerTests`' files and gzip.
extension ScannerTests {
    func scanDocuments(_ path: String, chunk: Int = 1 << 20) throws -> (DocumentCollector, ScanReport) {
        var o = ScanOptions()
        o.workers = 1
        o.chunkSize = chunk
        let c = DocumentCollector()
        let report = ScanDriver(options: o).scan(try SourceArguments.objects([path]), consumers: [c])
        return (c, report)
    }

    // MARK: 3. cut documents

    func testCloudTrailCutMidRecordKeepsEarlierRecordsAndReportsTheCut() throws {
        let events = (0..<50).map { #"{"eventTime":"2026-11-01T00:00:\#(String(format: "%02d", $0))Z","eventName":"E\#($0)"}"# }
        let whole = #"{"Records":["# + events.joined(separator: ",") + "]}"
        let cut = String(whole.prefix(whole.utf8.count - 30))
        for (name, bytes) in [("trail.json", Array(cut.utf8)), ("trail.json.gz", try gzip(Array(cut.utf8)))] {
            let p = write(name, bytes)
            let (c, report) = try scanDocuments(p, chunk: 4096)
            XCTAssertEqual(c.messages.count, 49, name)
            XCTAssertTrue(c.messages[0].contains("\"E0\""), name)
            XCTAssertEqual(c.decoder.failures, 1, "the cut record is counted: \(name)")
            XCTAssertEqual(report.errors.count, 1, "\(name): \(report.errors)")
            XCTAssertTrue(report.errors[0].contains(p) && report.errors[0].contains("truncated") && report.errors[0].contains("byte \(cut.utf8.count)"), report.errors[0])
        }
        let (c, report) = try scanDocuments(write("whole.json", Array(whole.utf8)))
        XCTAssertEqual(c.messages.count, 50)
        XCTAssertEqual(report.errors, [])
    }

    func testSubscriptionPayloadsCutInTheLastOne() throws {
        func payload(_ k: Int) -> String {
            #"{"messageType":"DATA_MESSAGE","logGroup":"g","logStream":"s","logEvents":[{"id":"\#(k)a","timestamp":1793491200000,"message":"m\#(k)a"},{"id":"\#(k)b","timestamp":1793491200001,"message":"m\#(k)b"}]}"#
        }
        let text = payload(1) + payload(2)
        let cut = String(text.prefix(text.utf8.count - 40))
        let (c, report) = try scanDocuments(write("sub.json", Array(cut.utf8)))
        XCTAssertEqual(c.messages, ["m1a", "m1b", "m2a"])
        XCTAssertEqual(report.errors.count, 1)
        XCTAssertTrue(report.errors[0].contains("sub.json") && report.errors[0].contains("starts at byte \(payload(1).utf8.count)"), report.errors[0])
    }

    // MARK: 6. gzip members after zero padding of any length

    func testGzipMembersAfterZeroPaddingOfAnyLength() throws {
        let a = try gzip(Array("one\ntwo\n".utf8)), b = try gzip(Array("three\n".utf8))
        for padding in [1, 64 << 10, 2 << 20] {
            let zeros = [UInt8](repeating: 0, count: padding)
            var o = ScanOptions()
            o.workers = 1
            let collector = LineCollector()
            let p = write("padded-\(padding).gz", a + zeros + b + zeros)
            let report = ScanDriver(options: o).scan(try SourceArguments.objects([p]), consumers: [collector])
            XCTAssertEqual(collector.lines, ["one", "two", "three"], "padding \(padding)")
            XCTAssertEqual(report.errors, [], "padding \(padding)")
            // Anything else after the padding is still reported.
            let garbage = write("garbage-\(padding).gz", a + zeros + Array("not gzip".utf8))
            let g = LineCollector()
            let r = ScanDriver(options: o).scan(try SourceArguments.objects([garbage]), consumers: [g])
            XCTAssertEqual(g.lines, ["one", "two"], "padding \(padding)")
            XCTAssertEqual(r.errors.count, 1, "padding \(padding)")
            XCTAssertTrue(r.errors.first?.contains("offset \(a.count + padding)") ?? false, "\(r.errors)")
        }
    }
}
