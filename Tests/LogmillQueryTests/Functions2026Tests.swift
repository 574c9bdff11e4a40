import Foundation
import XCTest
import LogmillDigest

/// The digests behind md5() and sha256(), as hex.
private enum Digest {
    static func md5Hex(_ s: String) -> String { Array(s.utf8).withUnsafeBytes { MD5.hex($0) } }
    static func sha256Hex(_ s: String) -> String { SHA256.hex(s) }
}
import LogmillRecords
import LogmillSources
@testable import LogmillQuery

/// The 2026 scalar functions (reference §3, `Functions2026.swift`), evaluated through real queries.
final class Functions2026Tests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "logmill-f26-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    static let now = 1_767_225_600.5  // 2026-01-01T00:00:00.5Z

    func run(_ q: String, _ text: String) throws -> QueryResult {
        let p = dir + "/in-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        var o = QueryOptions()
        o.scan.workers = 1
        o.now = Functions2026Tests.now
        return try QueryEngine(text: q, options: o).run(try InputResolver.expand([p]))
    }

    /// The value of `expr` for one log line.
    func value(_ expr: String, line: String = "2026-01-01T00:00:00.000Z hello world", file: StaticString = #filePath, lineNo: UInt = #line) -> Value {
        do {
            let r = try run("fields \(expr) as v | limit 1", line + "\n")
            guard r.rows.count == 1 else { XCTFail("no row for \(expr)", file: file, line: lineNo); return .null }
            return r.rows[0][0]
        } catch {
            XCTFail("\(expr): \(error)", file: file, line: lineNo)
            return .null
        }
    }

    /// The rendered value, nil for null.
    func text(_ expr: String, line: String = "2026-01-01T00:00:00.000Z hello world", file: StaticString = #filePath, lineNo: UInt = #line) -> String? {
        value(expr, line: line, file: file, lineNo: lineNo).render()
    }

    func assertText(_ expr: String, _ expected: String?, line: String = "2026-01-01T00:00:00.000Z hello world", file: StaticString = #filePath, lineNo: UInt = #line) {
        XCTAssertEqual(text(expr, line: line, file: file, lineNo: lineNo), expected, expr, file: file, line: lineNo)
    }

    func compileError(_ q: String) -> String? {
        do { _ = try QueryEngine(text: q); return nil } catch let e as QueryError { return e.message + " | " + (e.hint ?? "") } catch { return "\(error)" }
    }

    // MARK: numeric

    func testRound() {
        assertText("round(2.5)", "3.0")
        assertText("round(-2.5)", "-3.0")
        assertText("round(3.14159, 2)", "3.14")
        assertText("round('x')", nil)
    }

    func testHaversine() throws {
        // London (51.5074, -0.1278) to Paris (48.8566, 2.3522): about 343.5 km.
        let d = try XCTUnwrap(value("haversine(51.5074, -0.1278, 48.8566, 2.3522)").number)
        XCTAssertEqual(d, 343.56, accuracy: 0.2)
        XCTAssertEqual(try XCTUnwrap(value("haversine(0, 0, 0, 0)").number), 0, accuracy: 1e-12)
        // A quarter of the equator.
        XCTAssertEqual(try XCTUnwrap(value("haversine(0, 0, 0, 90)").number), 6371.0 * Double.pi / 2, accuracy: 1e-6)
        // Antipodes: half the circumference.
        XCTAssertEqual(try XCTUnwrap(value("haversine(90, 0, -90, 0)").number), 6371.0 * Double.pi, accuracy: 1e-6)
        assertText("haversine(1, 2, 3, 'x')", nil)
    }

    func testConversions() {
        assertText("toNumber('42')", "42")
        assertText("toNumber(' 42 ')", "42")
        assertText("toNumber('2.5')", "2.5")
        assertText("toNumber('-1e3')", "-1000.0")
        assertText("toNumber('abc')", nil)
        assertText("toNumber('')", nil)
        assertText("toInt('42.9')", "42")
        assertText("toInt(-42.9)", "-42")
        assertText("toInt('2147483647')", "2147483647")
        assertText("toInt('2147483648')", nil)
        assertText("toInt('-2147483648')", "-2147483648")
        assertText("toInt('x')", nil)
        assertText("toLong('9007199254740993')", "9007199254740993")  // exact, no detour through Double
        assertText("toLong('3000000000.7')", "3000000000")
        assertText("toLong('9223372036854775808')", nil)
        assertText("toDouble('3')", "3.0")
        assertText("toDouble(7)", "7.0")
        assertText("toDouble('1.5e3')", "1500.0")
        assertText("toDouble('nope')", nil)
        // Field text from a JSON log line.
        assertText("toInt(n) + 1", "43.0", line: "{\"n\": \"42\"}")
    }

    // MARK: datetime

    func ms(_ iso: String) -> String { String(Timestamps.parseISO8601(iso)!) }

    func testParseDate() {
        assertText("parseDate('2024-03-15', 'yyyy-MM-dd')", ms("2024-03-15T00:00:00Z"))
        assertText("parseDate('2024-03-15 12:34:56', 'yyyy-MM-dd HH:mm:ss')", ms("2024-03-15T12:34:56Z"))
        assertText("parseDate('2024-03-15T12:34:56.789Z', \"yyyy-MM-dd'T'HH:mm:ss.SSSX\")", ms("2024-03-15T12:34:56.789Z"))
        // The reference's toMillis example: a -08:00 time is 1642195111000 in UTC.
        assertText("parseDate('2022-01-14T13:18:31-08:00', \"yyyy-MM-dd'T'HH:mm:ssXXX\")", "1642195111000")
        assertText("parseDate('2022-01-14 13:18:31 -0800', 'yyyy-MM-dd HH:mm:ss Z')", "1642195111000")
        // The time-zone argument applies when the text has no offset of its own.
        assertText("parseDate('2022-01-14 23:18:31', 'yyyy-MM-dd HH:mm:ss', '+02:00')", "1642195111000")
        assertText("parseDate('2022-01-14 21:18:31', 'yyyy-MM-dd HH:mm:ss', 'UTC')", "1642195111000")
        assertText("parseDate('2022-01-14 13:18:31', 'yyyy-MM-dd HH:mm:ss', 'GMT-8')", "1642195111000")
        assertText("parseDate('2022-01-14T13:18:31-08:00', \"yyyy-MM-dd'T'HH:mm:ssXXX\", '+05:00')", "1642195111000")
        // Month and day names, 12-hour clock, two-digit year, single-letter fields.
        assertText("parseDate('15/Mar/2024:01:02:03 +0000', 'dd/MMM/yyyy:HH:mm:ss Z')", ms("2024-03-15T01:02:03Z"))
        assertText("parseDate('Friday, March 15, 2024 1:05 PM', 'EEEE, MMMM d, yyyy h:mm a')", ms("2024-03-15T13:05:00Z"))
        assertText("parseDate('Fri Mar 15 2024 12:05 am', 'EEE MMM d yyyy hh:mm a')", ms("2024-03-15T00:05:00Z"))
        assertText("parseDate('3/5/24', 'M/d/yy')", ms("2024-03-05T00:00:00Z"))
        assertText("parseDate('20240315123456', 'yyyyMMddHHmmss')", ms("2024-03-15T12:34:56Z"))
        assertText("parseDate('2024-075', 'yyyy-DDD')", ms("2024-03-15T00:00:00Z"))
        assertText("parseDate('12:30', 'HH:mm')", "45000000")
        assertText("parseDate(\"at 10 o'clock\", \"'at' H 'o''clock'\")", "36000000")
        assertText("parseDate('2024-03-15 12:34:56.123456', 'yyyy-MM-dd HH:mm:ss.SSSSSS')", ms("2024-03-15T12:34:56.123Z"))
        // Optional sections.
        assertText("parseDate('2024-03-15 12:34', 'yyyy-MM-dd HH:mm[:ss]')", ms("2024-03-15T12:34:00Z"))
        assertText("parseDate('2024-03-15 12:34:56', 'yyyy-MM-dd HH:mm[:ss]')", ms("2024-03-15T12:34:56Z"))
        // Zone names and IANA zones (daylight saving applies).
        assertText("parseDate('2024-07-01 12:00 UTC', 'yyyy-MM-dd HH:mm z')", ms("2024-07-01T12:00:00Z"))
        assertText("parseDate('2024-07-01 12:00', 'yyyy-MM-dd HH:mm', 'America/New_York')", ms("2024-07-01T16:00:00Z"))
        assertText("parseDate('2024-01-01 12:00', 'yyyy-MM-dd HH:mm', 'America/New_York')", ms("2024-01-01T17:00:00Z"))
        assertText("parseDate('2024-07-01 12:00 Europe/Paris', 'yyyy-MM-dd HH:mm VV')", ms("2024-07-01T10:00:00Z"))
        // Failures: mismatched text, trailing text, impossible dates, a wrong weekday, bad patterns, bad zones.
        assertText("parseDate('2024/03/15', 'yyyy-MM-dd')", nil)
        assertText("parseDate('2024-03-15 junk', 'yyyy-MM-dd')", nil)
        assertText("parseDate('2023-02-29', 'yyyy-MM-dd')", nil)
        assertText("parseDate('2024-13-01', 'yyyy-MM-dd')", nil)
        assertText("parseDate('Mon 2024-03-15', 'EEE yyyy-MM-dd')", nil)
        assertText("parseDate('2024-03-15T00:00', 'yyyy-MM-ddTHH:mm')", nil)  // unquoted T is not a pattern letter
        assertText("parseDate('2024-03-15', 'yyyy-MM-dd', 'Mars/Olympus')", nil)
        assertText("parseDate('2024-03-15', \"yyyy-MM-dd'\")", nil)
    }

    func testFormatDate() {
        // 2024-03-05T07:08:09.045Z, a Tuesday, day 65 of a leap year.
        let t = Timestamps.parseISO8601("2024-03-05T07:08:09.045Z")!
        assertText("formatDate(\(t), '%Y-%m-%d %H:%M:%S')", "2024-03-05 07:08:09")
        assertText("strftime(\(t), '%Y-%m-%d %H:%M:%S')", "2024-03-05 07:08:09")
        assertText("formatDate(\(t), '%y|%j|%a|%A|%b|%B|%e|%L|%f|%s|%%|%Z|%z')",
                   "24|065|Tue|Tuesday|Mar|March| 5|045|045000|\(t / 1000)|%|UTC|+0000")
        assertText("formatDate(\(t), '%F %T %D %R %I %p %u %w %-d %-H %_m')", "2024-03-05 07:08:09 03/05/24 07:08 07 AM 2 2 5 7  3")
        assertText("formatDate(\(t), '%H:%M %Z %z %:z', '+05:30')", "12:38 UTC+05:30 +0530 +05:30")
        assertText("formatDate(\(t), '%Y-%m-%d %H:%M', '-08:00')", "2024-03-04 23:08")
        assertText("formatDate(\(t), '%H:%M %z', 'America/New_York')", "02:08 -0500")
        // ISO weeks: 2021-01-03 is in week 53 of 2020; 2024-12-30 in week 1 of 2025.
        assertText("formatDate('2021-01-03T10:00:00Z', '%G-W%V-%u')", "2020-W53-7")
        assertText("formatDate('2024-12-30T10:00:00Z', '%G-W%V-%u %U %W')", "2025-W01-1 52 53")
        // @timestamp itself, and unknown conversions copied as they are.
        assertText("formatDate(@timestamp, '%Y/%m/%d %Q')", "2026/01/01 %Q")
        // Before the epoch.
        assertText("formatDate(-1, '%Y-%m-%d %H:%M:%S.%L %s')", "1969-12-31 23:59:59.999 -1")
        assertText("formatDate('nope', '%Y')", nil)
        assertText("formatDate(0, '%Y', 'Nowhere/Zone')", nil)
        // parseDate and formatDate round-trip.
        assertText("formatDate(parseDate('2024-03-15 12:34:56', 'yyyy-MM-dd HH:mm:ss'), '%Y-%m-%dT%H:%M:%S')", "2024-03-15T12:34:56")
    }

    // MARK: general

    func testCaseAndIf() {
        assertText("case(1 = 2, 'a', 2 = 2, 'b', 'c')", "b")
        assertText("case(1 = 2, 'a', 3 = 2, 'b', 'c')", "c")
        assertText("case(1 = 2, 'a')", nil)
        assertText("case(1 = 1, 'first', 1 = 1, 'second')", "first")
        assertText("case(status >= 500, 'server', status >= 400, 'client', 'ok')", "client", line: "{\"status\": 404}")
        assertText("case(status >= 500, 'server', status >= 400, 'client', 'ok')", "ok", line: "{\"status\": 200}")
        assertText("case(missing, 'x', 'default')", "default")
        assertText("if(2 > 1, 'yes', 'no')", "yes")
        assertText("if(2 < 1, 'yes', 'no')", "no")
        assertText("if(missing, 'yes', 'no')", "no")
        assertText("if(strcontains(@message, 'hello'), 1, 0)", "1.0")
        // Ten conditions plus a default is the maximum.
        let eleven = (1...11).map { "\($0) = 0, \($0)" }.joined(separator: ", ")
        XCTAssertNotNil(compileError("fields case(\(eleven), 'd') as v"))
        let ten = (1...10).map { "\($0) = 0, \($0)" }.joined(separator: ", ")
        assertText("case(\(ten), 'd')", "d")
        XCTAssertNil(compileError("fields case(\(ten), 'd') as v"))
    }

    func testIsNumericAndMessageSize() {
        assertText("isNumeric('42')", "1")
        assertText("isNumeric(' -4.5e3 ')", "1")
        assertText("isNumeric('4x')", "0")
        assertText("isNumeric('')", "0")
        assertText("isNumeric(12)", "1")
        assertText("isNumeric(missing)", "0")
        assertText("isNumeric(n)", "1", line: "{\"n\": 3.5}")
        assertText("messageSize('héllo')", "6")
        assertText("strlen('héllo')", "5")
        assertText("messageSize(@message)", "11")  // the leading timestamp is not part of @message
        assertText("messageSize(@message)", "13", line: "2026-01-01T00:00:00.000Z héllo wörld")
        assertText("messageSize(missing)", nil)
    }

    func testQueryWindow() {
        let end = Int64(Functions2026Tests.now * 1000)
        assertText("queryEndTime()", String(end))
        assertText("queryStartTime()", "0")
        assertText("queryTimeRange()", String(end))
        assertText("queryEndTime() - queryStartTime() = queryTimeRange()", "1")
    }

    // MARK: string

    func testRegexReplace() {
        assertText("regexReplace('a1b22c333', '[0-9]+', '#')", "a#b#c#")
        assertText("regexReplace('2024-03-15', '(\\\\d+)-(\\\\d+)-(\\\\d+)', '$3/$2/$1')", "15/03/2024")
        assertText("regexReplace('2024-03-15', '(\\\\d+)-(\\\\d+)-(\\\\d+)', '\\\\3.\\\\2.\\\\1')", "15.03.2024")
        assertText("regexReplace('john smith', '(?P<first>\\\\w+) (?P<last>\\\\w+)', '${last}, ${first}')", "smith, john")
        assertText("regexReplace('cost 5', '(\\\\d)', '$$$1')", "cost $5")
        assertText("regexReplace('abc', 'x*', '-')", "-a-b-c-")
        assertText("regexReplace('abc', 'b*', '-')", "-a-c-")
        assertText("regexReplace('héllo wörld', 'ö|é', '_')", "h_llo w_rld")
        assertText("regexReplace('no match', 'zzz', 'y')", "no match")
        assertText("regexReplace('aaa', '^a', 'b')", "baa")
        assertText("regexReplace('ABC abc', '(?i)b', 'x')", "AxC axc")
        assertText("regexReplace('user=bob id=7', 'user=\\\\w+', 'user=***')", "user=*** id=7", line: "x")
        assertText("regexReplace('abc', '(', 'x')", nil)  // invalid pattern
        assertText("regexReplace(missing, 'a', 'b')", nil)
        // Over a real message, many rows, several workers sharing the cached regex.
        let lines = (0..<200).map { "2026-01-01T00:00:00.000Z id=\($0) token=secret\($0)" }.joined(separator: "\n") + "\n"
        let r = try! run("fields regexReplace(@message, 'token=\\\\w+', 'token=***') as v", lines)
        XCTAssertEqual(r.rows.count, 200)
        for row in r.rows { XCTAssertTrue(row[0].render()!.hasSuffix("token=***"), row[0].render()!) }
    }

    func testStartsEndsWith() {
        assertText("startsWith('hello world', 'hello')", "1")
        assertText("startsWith('hello world', 'world')", "0")
        assertText("endsWith('hello world', 'world')", "1")
        assertText("endsWith('hello world', 'hello')", "0")
        assertText("startsWith('hi', 'hi there')", "0")
        assertText("startsWith('abc', '')", "1")
        assertText("startsWith(@message, 'hello')", "1")
        assertText("startsWith(missing, 'x')", nil)
    }

    func testURLAndBase64() {
        assertText("urlencode('a b&c=d/é~')", "a%20b%26c%3Dd%2F%C3%A9~")
        assertText("urldecode('a%20b%26c%3Dd%2F%C3%A9~')", "a b&c=d/é~")
        assertText("urldecode('a+b%2')", "a b%2")
        assertText("base64encode('Hello')", "SGVsbG8=")
        assertText("base64encode('')", "")
        assertText("base64encode('f')", "Zg==")
        assertText("base64encode('fo')", "Zm8=")
        assertText("base64encode('foo')", "Zm9v")
        assertText("base64encode('foobar')", "Zm9vYmFy")
        assertText("base64decode('SGVsbG8=')", "Hello")
        assertText("base64decode('SGVsbG8')", "Hello")
        assertText("base64decode('Zm9vYmFy')", "foobar")
        assertText("base64decode('Zg==')", "f")
        assertText("base64decode('w6k=')", "é")
        assertText("base64decode('not base64!')", nil)
        assertText("base64decode('Zg=a')", nil)
        assertText("base64decode(base64encode('round trip ✓'))", "round trip ✓")
    }

    func testSplit() {
        assertText("split('a,b,c', ',')", "[\"a\",\"b\",\"c\"]")
        assertText("split('a,,b', ',')", "[\"a\",\"\",\"b\"]")
        assertText("split('a::b', '::')", "[\"a\",\"b\"]")
        assertText("split('abc', '')", "[\"a\",\"b\",\"c\"]")
        assertText("split('no delimiter', ',')", "[\"no delimiter\"]")
        assertText("split('say \"hi\"', ' ')", "[\"say\",\"\\\"hi\\\"\"]")
        assertText("jsonArraySize(split('a b c d', ' '))", "4")
        // A list value: indexable and usable by the JSON functions without a round trip through text.
        assertText("split('a,b,c', ',')[1]", "b")
        if case .structure(.array(let items)) = value("split('x-y', '-')") {
            XCTAssertEqual(items, [.string("x"), .string("y")])
        } else {
            XCTFail("split should give a list")
        }
        assertText("split(missing, ',')", nil)
    }

    func testHex() {
        assertText("hexToAscii('48656c6c6f')", "Hello")
        assertText("hexToAscii('0x48656C6C6F')", "Hello")
        assertText("hexToAscii('486')", nil)
        assertText("hexToAscii('zz')", nil)
        assertText("hexToDec('0xff')", "255")
        assertText("hexToDec('FF')", "255")
        assertText("hexToDec('-0x10')", "-16")
        assertText("hexToDec('0x7fffffffffffffff')", "9223372036854775807")
        assertText("hexToDec('0xg1')", nil)
        assertText("hexToDec('')", nil)
        assertText("decToHex(255)", "0xff")
        assertText("decToHex(-255)", "-0xff")
        assertText("decToHex(0)", "0x0")
        assertText("decToHex(255.9)", "0xff")
        assertText("decToHex(-255.9)", "-0xff")
        assertText("decToHex('4096')", "0x1000")
        assertText("decToHex(hexToDec('0xdeadbeef'))", "0xdeadbeef")
        assertText("decToHex('x')", nil)
    }

    // MARK: digests

    func testDigestVectors() {
        // RFC 1321 appendix A.5.
        let md5: [(String, String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (input, hex) in md5 { XCTAssertEqual(Digest.md5Hex(input), hex, input) }
        // FIPS 180-4 examples (and the NIST empty-message vector).
        let sha: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ]
        for (input, hex) in sha { XCTAssertEqual(Digest.sha256Hex(input), hex, input) }
        let million = String(repeating: "a", count: 1_000_000)
        XCTAssertEqual(Digest.sha256Hex(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        XCTAssertEqual(Digest.md5Hex(million), "7707d6ae4e027c70eea2a935c2296f21")
        // Lengths around the padding boundary (55, 56, 63, 64, 65 bytes) against the Foundation-free
        // implementations' own consistency: each differs and has the right size.
        var seen = Set<String>()
        for n in [55, 56, 57, 63, 64, 65, 119, 120] {
            let s = String(repeating: "x", count: n)
            XCTAssertEqual(Digest.sha256Hex(s).count, 64)
            XCTAssertEqual(Digest.md5Hex(s).count, 32)
            seen.insert(Digest.sha256Hex(s))
        }
        XCTAssertEqual(seen.count, 8)
    }

    func testDigestFunctions() {
        assertText("md5('abc')", "900150983cd24fb0d6963f7d28e17f72")
        assertText("sha256('abc')", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        assertText("sha256('')", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        assertText("md5(@message)", "5eb63bbbe01eeed093cb22bb8f5acdc3")  // md5("hello world")
        assertText("SHA256(user)", Digest.sha256Hex("alice"), line: "{\"user\": \"alice\"}")
        assertText("md5(missing)", nil)
    }

    // MARK: JSON

    func testJSONArrays() {
        assertText("jsonArraySize('[1, 2, 3]')", "3")
        assertText("jsonArraySize('[]')", "0")
        assertText("jsonArraySize(' [ {\"a\": [1, 2]}, [3], \"x,y\", null, true ] ')", "5")
        assertText("jsonArraySize('{\"a\": 1}')", nil)
        assertText("jsonArraySize('[1, 2')", nil)
        assertText("jsonArraySize('[1 2]')", nil)
        assertText("jsonArraySize('[1,]')", nil)
        assertText("jsonArraySize('nope')", nil)
        assertText("jsonArrayContains('[\"a\", \"b\"]', 'a')", "1")
        assertText("jsonArrayContains('[\"a\", \"b\"]', 'A')", "0")  // case-sensitive
        assertText("jsonArrayContains('[\"a\\\\\"b\"]', 'a\"b')", "1")  // escaped quote inside an element
        assertText("jsonArrayContains('[1, 2, 3]', 2)", "1")
        assertText("jsonArrayContains('[1, 2, 3]', '2')", "1")
        assertText("jsonArrayContains('[1.5, 2]', 1.5)", "1")
        assertText("jsonArrayContains('[1, 2, 3]', 4)", "0")
        assertText("jsonArrayContains('[true]', 'true')", "1")
        assertText("jsonArrayContains('[true]', 1 = 1)", "1")
        assertText("jsonArrayContains('[]', 'a')", "0")
        assertText("jsonArrayContains('not json', 'a')", "0")
        assertText("jsonArrayContains('{\"a\": \"a\"}', 'a')", "0")
        assertText("jsonArrayContains('[null]', missing)", "0")
        assertText("jsonArrayContains(split('x,y,z', ','), 'y')", "1")
        assertText("jsonArrayContains('[{\"a\": 1}, [2]]', '[2]')", "1")
        assertText("jsonArraySize(jsonParse('[1, [2, 3]]'))", "2")
        assertText("jsonArrayContains(jsonParse('[\"p\", \"q\"]'), 'q')", "1")
        assertText("jsonArraySize(jsonParse('{\"a\": [1]}').a)", "1")
    }

    // MARK: IP

    func testIPFunctions() {
        assertText("ipv4ToNumber('192.168.1.1')", "3232235777")
        assertText("ipv4ToNumber('0.0.0.0')", "0")
        assertText("ipv4ToNumber('255.255.255.255')", "4294967295")
        assertText("ipv4ToNumber('256.0.0.1')", nil)
        assertText("ipv4ToNumber('::1')", nil)

        let cases: [(String, private: Bool, reserved: Bool, public: Bool)] = [
            ("10.1.2.3", true, true, false),
            ("172.16.0.1", true, true, false),
            ("172.31.255.255", true, true, false),
            ("172.32.0.1", false, false, true),
            ("192.168.0.10", true, true, false),
            ("8.8.8.8", false, false, true),
            ("127.0.0.1", false, true, false),
            ("0.1.2.3", false, true, false),
            ("100.64.0.1", false, true, false),
            ("100.128.0.1", false, false, true),
            ("169.254.169.254", false, true, false),
            ("192.0.0.8", false, true, false),
            ("192.0.2.55", false, true, false),
            ("192.88.99.1", false, true, false),
            ("198.18.0.1", false, true, false),
            ("198.19.255.255", false, true, false),
            ("198.20.0.1", false, false, true),
            ("198.51.100.7", false, true, false),
            ("203.0.113.9", false, true, false),
            ("224.0.0.251", false, true, false),
            ("240.0.0.1", false, true, false),
            ("255.255.255.255", false, true, false),
            ("::1", false, true, false),
            ("::", false, true, false),
            ("fe80::1", false, true, false),
            ("fd12:3456::1", true, true, false),
            ("fc00::1", true, true, false),
            ("2001:db8::1", false, true, false),
            ("ff02::1", false, true, false),
            ("2606:4700:4700::1111", false, false, true),
            ("::ffff:10.0.0.1", true, true, false),
            ("::ffff:8.8.4.4", false, false, true),
            ("not an ip", false, false, false),
            ("10.0.0", false, false, false),
        ]
        for c in cases {
            XCTAssertEqual(text("isPrivateIP('\(c.0)')"), c.private ? "1" : "0", "isPrivateIP \(c.0)")
            XCTAssertEqual(text("isReservedIP('\(c.0)')"), c.reserved ? "1" : "0", "isReservedIP \(c.0)")
            XCTAssertEqual(text("isPublicIP('\(c.0)')"), c.public ? "1" : "0", "isPublicIP \(c.0)")
        }
        assertText("isPrivateIP(missing)", "0")
        // From a log field, in a filter.
        let log = ["{\"ip\": \"10.0.0.5\"}", "{\"ip\": \"8.8.8.8\"}", "{\"ip\": \"192.168.3.4\"}", "{\"ip\": \"1.1.1.1\"}"].joined(separator: "\n") + "\n"
        let r = try! run("filter isPrivateIP(ip) | stats count(*) as c", log)
        XCTAssertEqual(r.rows.first?.first?.number, 2)
        let p = try! run("filter isPublicIP(ip) | fields ip | sort ip asc", log)
        XCTAssertEqual(p.rows.map { $0[0].render()! }, ["1.1.1.1", "8.8.8.8"])
    }

    // MARK: errors and names

    func testArityErrors() {
        XCTAssertEqual(compileError("fields sha256() as h"), "sha256() takes 1 argument, not 0 | usage: sha256(s)")
        XCTAssertEqual(compileError("fields md5('a', 'b') as h"), "md5() takes 1 argument, not 2 | usage: md5(s)")
        XCTAssertEqual(compileError("fields if(1, 2) as h"), "if() takes 3 arguments, not 2 | usage: if(condition, valueIfTrue, valueIfFalse)")
        XCTAssertEqual(compileError("fields haversine(1, 2, 3) as h"), "haversine() takes 4 arguments, not 3 | usage: haversine(lat1, lon1, lat2, lon2)")
        XCTAssertEqual(compileError("fields parseDate('x') as h"),
                       "parseDate() takes 2 to 3 arguments, not 1 | usage: parseDate(s, \"yyyy-MM-dd HH:mm:ss\" [, \"UTC\"])")
        XCTAssertEqual(compileError("fields queryEndTime(1) as h"), "queryEndTime() takes 0 arguments, not 1 | usage: queryEndTime()")
        XCTAssertEqual(compileError("fields case(1) as h")?.hasPrefix("case() takes 2 to 21 arguments, not 1"), true)
    }

    func testNamesAreCaseInsensitiveAndUnique() {
        assertText("HEXTODEC('0x10')", "16")
        assertText("hextodec('0x10')", "16")
        assertText("ToInt('7')", "7")
        var names = Set<String>()
        for f in FunctionRegistry.functions {
            XCTAssertTrue(names.insert(f.name.lowercased()).inserted, "registered twice: \(f.name)")
        }
        for f in InlineFunction.allCases {
            XCTAssertNotNil(FunctionRegistry.index[f.rawValue], "\(f.rawValue) is evaluated in line but not registered")
        }
        for n in ["haversine", "toNumber", "toInt", "toLong", "toDouble", "parseDate", "formatDate", "strftime", "case", "if",
                  "isNumeric", "messageSize", "queryStartTime", "queryEndTime", "queryTimeRange", "regexReplace", "startsWith",
                  "endsWith", "urlencode", "urldecode", "base64encode", "base64decode", "split", "hexToAscii", "hexToDec",
                  "decToHex", "md5", "sha256", "jsonArraySize", "jsonArrayContains", "ipv4ToNumber", "isPrivateIP",
                  "isPublicIP", "isReservedIP", "round"] {
            XCTAssertNotNil(FunctionRegistry.index[n.lowercased()], n)
        }
    }
}
