import Foundation
import LogmillScan
import XCTest
@testable import LogmillDecode
@testable import LogmillRecords
@testable import LogmillSources
import LogmillTestSupport

final class BytesTests: XCTestCase {
    func withBytes<R>(_ s: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        Array(s.utf8).withUnsafeBytes(body)
    }

    func testParseDoubleExactForShortDecimals() {
        for text in ["168.57", "0.1", "12.30", "1394.6", "-5", "+7.25", "1e3", "2.5E-2", "123456789012"] {
            XCTAssertEqual(withBytes(text) { Bytes.parseDouble($0) }, Double(text.replacingOccurrences(of: "+", with: "")), text)
        }
        XCTAssertNil(withBytes("12a") { Bytes.parseDouble($0) })
        XCTAssertNil(withBytes("") { Bytes.parseDouble($0) })
        XCTAssertNil(withBytes(".") { Bytes.parseDouble($0) })
        // Long mantissas fall back to strtod and still round correctly.
        XCTAssertEqual(withBytes("3.14159265358979323846264338327950288") { Bytes.parseDouble($0) }, 3.141592653589793)
    }

    /// The one-pass path for plain decimals and the general path give the same numbers and ends as
    /// `strtod` on what they read, around every boundary (15/16 digits, leading zeros, no integer
    /// or no fraction digits, exponents, a following unit).
    func testParseDoubleFastPathAgreesWithStrtod() {
        var rng = SeededRandom(seed: 7)
        var cases = ["12.", ".5", "0.000000000000001", "123456789012345", "1234567890123456", "12345678901234.5", "999999999999999.9",
                     "0012", "00000000000000000001.5", "3.25e2", "7E-3", "1.5 ms", "42\t", "5.", "-.5", "9007199254740993"]
        for _ in 0..<3000 {
            let intDigits = Int.random(in: 0...17, using: &rng), fracDigits = Int.random(in: 0...17, using: &rng)
            var t = String((0..<intDigits).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
            if Bool.random(using: &rng) || fracDigits > 0 { t += "." + String((0..<fracDigits).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) }) }
            if Int.random(in: 0..<8, using: &rng) == 0 { t += "e" + String(Int.random(in: -30...30, using: &rng)) }
            cases.append(t + [" MB", "", "\t"][Int.random(in: 0..<3, using: &rng)])
        }
        for text in cases {
            let bytes = Array(text.utf8)
            let got = bytes.withUnsafeBytes { Bytes.parseDouble($0, from: 0, to: $0.count) }
            var end: UnsafeMutablePointer<CChar>? = nil
            let expected = text.withCString { p -> (Double, Int) in let v = strtod(p, &end); return (v, end! - UnsafeMutablePointer(mutating: p)) }
            if expected.1 == 0 || text.hasPrefix(".") && expected.1 == 1 {
                XCTAssertNil(got, text)
            } else {
                XCTAssertEqual(got?.value, expected.0, text)
                XCTAssertEqual(got?.end, expected.1, text)
            }
        }
    }

    func testShortComparisonsAgreeWithMemcmp() {
        var rng = SeededRandom(seed: 9)
        for n in 0...40 {
            for _ in 0..<50 {
                let a = (0..<n).map { _ in UInt8.random(in: 0x61...0x63, using: &rng) }
                var b = a
                if n > 0 && Bool.random(using: &rng) { b[Int.random(in: 0..<n, using: &rng)] = 0x64 }
                let same = a.withUnsafeBytes { x in b.withUnsafeBytes { y in n == 0 || Bytes.same(x.baseAddress!, y.baseAddress!, n) } }
                XCTAssertEqual(same, a == b, "length \(n)")
            }
        }
        XCTAssertTrue(withBytes("REPORT RequestId: x") { Bytes.hasPrefix($0, "REPORT RequestId: ") })
        XCTAssertFalse(withBytes("REPORT RequestID: x") { Bytes.hasPrefix($0, "REPORT RequestId: ") })
        XCTAssertFalse(withBytes("REPORT") { Bytes.hasPrefix($0, "REPORT RequestId: ") })
        XCTAssertTrue(withBytes("a\tMax Memory Used: 9") { Bytes.hasPrefix($0, at: 2, "Max Memory Used: ") })
    }

    func testCountNewlinesMatchesNaiveCount() {
        var rng = SeededRandom(seed: 42)
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1000, 64 * 127 - 1, 64 * 127, 64 * 127 + 1, 64 * 300 + 17, 20_000] {
            let bytes = (0..<len).map { _ in [UInt8(0x0a), 0x0b, 0x09, 0x8a, 0x61][Int.random(in: 0..<5, using: &rng)] }
            XCTAssertEqual(bytes.withUnsafeBytes { Bytes.countNewlines($0) }, bytes.filter { $0 == 0x0a }.count, "length \(len)")
        }
    }
}

final class TimestampTests: XCTestCase {
    func testISO8601Variants() {
        XCTAssertEqual(Timestamps.parseISO8601("2026-11-01T00:00:00.024Z"), 1_793_491_200_024)
        XCTAssertEqual(Timestamps.parseISO8601("2026-11-01 00:00:00Z"), 1_793_491_200_000)
        XCTAssertEqual(Timestamps.parseISO8601("2026-11-01T01:00:00+01:00"), 1_793_491_200_000)
        XCTAssertEqual(Timestamps.parseISO8601("2026-11-01T00:00:00.123456Z"), 1_793_491_200_123)
        XCTAssertEqual(Timestamps.parseISO8601("1970-01-01"), 0)
        XCTAssertNil(Timestamps.parseISO8601("2026-13-01T00:00:00Z"))
        XCTAssertNil(Timestamps.parseISO8601("yesterday"))
    }

    func testRenderMatchesInsights() {
        XCTAssertEqual(Timestamps.render(1_793_491_200_024), "2026-11-01 00:00:00.024")
        XCTAssertEqual(Timestamps.render(0), "1970-01-01 00:00:00.000")
        XCTAssertEqual(Timestamps.render(-1), "1969-12-31 23:59:59.999")
        // Round trip over leap years.
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            let (y, m, d) = Timestamps.civilFromDays(days)
            XCTAssertEqual(Timestamps.daysFromCivil(y, m, d), days)
        }
    }
}

final class LambdaTests: XCTestCase {
    func parse(_ s: String) -> LambdaFields { Array(s.utf8).withUnsafeBytes { LambdaFields.parse($0) } }
    func numbers(_ s: String) -> [LambdaFields.Numeric: Double] {
        Array(s.utf8).withUnsafeBytes { m in
            let f = LambdaFields.parse(m)
            var out: [LambdaFields.Numeric: Double] = [:]
            for k in [LambdaFields.Numeric.duration, .billedDuration, .memorySize, .maxMemoryUsed, .initDuration] { out[k] = f.number(k, in: m) }
            return out
        }
    }

    /// Application lines' request IDs and levels are read on bytes: the same answers as the
    /// definition on characters (hex digits, fullwidth forms included, or '-', 8 to 64 of them).
    func testApplicationLineRequestIdsOnBytesAsOnCharacters() {
        func byCharacters(_ s: String) -> Bool {
            s.count >= 8 && s.count <= 64 && s != "undefined" && s.allSatisfy { $0.isHexDigit || $0 == "-" }
        }
        let ids = ["0b7e-c21", "0b7e-c2", "c0ffee00-0000-4000-8000-000000000001", String(repeating: "a", count: 64),
                   String(repeating: "F", count: 65), "undefined", "0b7e-c21g", "0b7e c21a", "１２３４ａｂｃｄ", "１２３４ａｂｃ",
                   "１２３４ａｂｃｇ", "0b7e-c21\u{301}", "e\u{301}0b7e-c21", "0b7e-c21é", "０１２３４５６７\u{FE0F}", "\u{FF10}\u{FF19}\u{FF21}\u{FF26}\u{FF41}\u{FF46}--",
                   "\u{FF1A}1234567", "\u{FF40}1234567", "\u{FF47}1234567", "\u{FF20}1234567", "", "--------", "ABCDEF0123"]
        for id in ids {
            let bytes = Array(id.utf8)
            XCTAssertEqual(bytes.withUnsafeBytes { LambdaApp.isRequestId($0, 0..<bytes.count) }, byCharacters(id), id)
            let line = Array("2026-11-01T00:00:00.000Z\t\(id)\tINFO\thello".utf8)
            XCTAssertEqual(line.withUnsafeBytes { LambdaApp.parse($0) != nil }, byCharacters(id), id)
        }
        for (level, known) in [("INFO", true), ("WARNING", true), ("CRITICAL", true), ("info", false), ("INF", false), ("INFOS", false)] {
            let line = Array("[\(level)]\t2026-11-01T00:00:00.000Z\t0b7e-c21f\thello".utf8)
            XCTAssertEqual(line.withUnsafeBytes { LambdaApp.parse($0).map { String(decoding: $0.requestId.map { line[$0] }, as: UTF8.self) } }, known ? "0b7e-c21f" : nil, level)
        }
    }

    func testReportWithEveryOptionalPart() {
        let line = "REPORT RequestId: 0b7e-c21\tDuration: 12.30 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 91 MB\tInit Duration: 188.04 ms\t\nXRAY TraceId: 1-6650f0aa-abc\tSegmentId: 4c1d\tSampled: true\t\n"
        let f = parse(line)
        XCTAssertEqual(f.type, .report)
        XCTAssertEqual(numbers(line), [.duration: 12.30, .billedDuration: 13, .memorySize: 256_000_000, .maxMemoryUsed: 91_000_000, .initDuration: 188.04])
        let bytes = Array(line.utf8)
        XCTAssertEqual(String(decoding: bytes[f.requestId!], as: UTF8.self), "0b7e-c21")
        XCTAssertEqual(String(decoding: bytes[f.xrayTraceId!], as: UTF8.self), "1-6650f0aa-abc")
        XCTAssertEqual(String(decoding: bytes[f.xraySegmentId!], as: UTF8.self), "4c1d")
    }

    func testWarmReportOldSpacingAndStatus() {
        let f = numbers("REPORT RequestId: abc\tDuration: 3003.12 ms\tBilled Duration: 3000 ms \tMemory Size: 128 MB\tMax Memory Used: 67 MB\tStatus: timeout\t")
        XCTAssertEqual(f[.billedDuration], 3000)
        XCTAssertNil(f[.initDuration])
        XCTAssertEqual(f[.maxMemoryUsed], 67_000_000)
        XCTAssertEqual(f[.duration], 3003.12)
    }

    /// Fields parsed into one reused value, line after line, with only some wanted: each line's
    /// wanted fields are what a fresh parse of everything gives, and nothing of the line before stays.
    func testParseIntoReusedFieldsWithWantedSubsets() {
        let lines = [
            "REPORT RequestId: a1\tDuration: 12.30 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 91 MB\tInit Duration: 188.04 ms\t\nXRAY TraceId: 1-abc\tSegmentId: 4c1d\tSampled: true\t\n",
            "START RequestId: b2 Version: $LATEST",
            "REPORT RequestId: c3\tDuration: 3003.12 ms\tBilled Duration: 3000 ms \tMemory Size: 128 MB\tStatus: timeout\t",
            "REPORT RequestId: d4\tDuration: 1.5 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t",
            "hello REPORT RequestId: e5\tDuration: 9 ms",
        ]
        let all: [LambdaFields.Numeric] = [.duration, .billedDuration, .memorySize, .maxMemoryUsed, .initDuration]
        let wants: [(LambdaFields.Wanted, [LambdaFields.Numeric])] = [
            ([.duration, .maxMemoryUsed], [.duration, .maxMemoryUsed]), ([.maxMemoryUsed], [.maxMemoryUsed]),
            ([.billedDuration, .initDuration], [.billedDuration, .initDuration]), ([.xray], []), ([], []), (.all, all),
        ]
        for (wanted, numerics) in wants {
            var reused = LambdaFields()
            for line in lines {
                let bytes = Array(line.utf8)
                bytes.withUnsafeBytes { m in
                    LambdaFields.parse(m, wanted: wanted, into: &reused)
                    let fresh = LambdaFields.parse(m)
                    XCTAssertEqual(reused.type, fresh.type, line)
                    XCTAssertEqual(reused.requestId, fresh.requestId, line)
                    for k in numerics { XCTAssertEqual(reused.number(k, in: m), fresh.number(k, in: m), "\(k) of \(line)") }
                    if wanted.contains(.xray) {
                        XCTAssertEqual(reused.xrayTraceId, fresh.xrayTraceId, line)
                        XCTAssertEqual(reused.xraySegmentId, fresh.xraySegmentId, line)
                    }
                }
            }
        }
    }

    func testStartEndAndOthers() {
        XCTAssertEqual(parse("START RequestId: r1 Version: $LATEST").type, .start)
        XCTAssertEqual(parse("END RequestId: r1").type, .end)
        XCTAssertEqual(parse("INIT_START Runtime Version: nodejs:20.v41").type, .none)
        XCTAssertEqual(parse("REPORTING RequestId: x").type, .none)
    }
}

final class JSONTests: XCTestCase {
    func flatten(_ s: String) -> [String: String] {
        let bytes = Array(s.utf8)
        return bytes.withUnsafeBytes { b in
            let t = FieldTable()
            t.reset(source: b)
            XCTAssertTrue(t.flattenObject(from: 0, to: b.count))
            var out: [String: String] = [:]
            for i in 0..<t.count { t.withEntry(i) { n, v, _ in out[String(decoding: n, as: UTF8.self)] = String(decoding: v, as: UTF8.self) } }
            return out
        }
    }

    func testNestingArraysEscapesAndAtKeys() {
        let f = flatten(#"{"a":{"b":1,"c":[10,{"d":"x\"y\u00e9"}]},"@example.com":true,"n":null,"s":"{\"k\":1}"}"#)
        XCTAssertEqual(f["a.b"], "1")
        XCTAssertEqual(f["a.c.0"], "10")
        XCTAssertEqual(f["a.c.1.d"], "x\"yé")
        XCTAssertEqual(f["@@example.com"], "true")
        XCTAssertNil(f["n"], "null is missing")
        XCTAssertEqual(f["s"], #"{"k":1}"#, "a JSON-encoded string stays a leaf")
    }

    func testFieldLimit() {
        let obj = "{" + (0..<300).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}"
        XCTAssertEqual(flatten(obj).count, FieldTable.fieldLimit)
    }
}

final class FormatTests: XCTestCase {
    func detect(_ s: String) -> LogFormat { Array(s.utf8).withUnsafeBytes { FormatDetector.detect($0) } }

    func testDetection() {
        XCTAssertEqual(detect("2026-11-01T00:00:00.024Z START RequestId: x\n2026-11-01T00:00:01.000Z hi\n"), .cloudwatchExport)
        XCTAssertEqual(detect(#"{"logStreamName":"s","timestamp":1,"message":"m\n","ingestionTime":2}"# + "\n"), .cliEvents)
        XCTAssertEqual(detect("{\"level\":\"INFO\",\"msg\":\"x\"}\n"), .jsonLines)
        XCTAssertEqual(detect("owner bucket [06/Feb/2026:00:00:38 +0000] 1.2.3.4\n"), .plain)
        XCTAssertEqual(detect(""), .plain)
    }

    func testEventDecodingUnescapesMessage() {
        let d = RecordDecoder()
        let line = #"{"logStreamName": "2026/11/01/[$LATEST]ab", "timestamp": 1793491258209, "message": "REPORT RequestId: x\tDuration: 1.00 ms\n", "ingestionTime": 1793491258594}"#
        Array(line.utf8).withUnsafeBytes { b in
            XCTAssertTrue(d.decode(b, format: .cliEvents, offset: 0))
            XCTAssertEqual(d.record.timestamp, 1_793_491_258_209)
            XCTAssertEqual(d.record.ingestionTime, 1_793_491_258_594)
            XCTAssertEqual(String(decoding: d.record.message, as: UTF8.self), "REPORT RequestId: x\tDuration: 1.00 ms\n")
            XCTAssertEqual(String(decoding: d.record.logStream!, as: UTF8.self), "2026/11/01/[$LATEST]ab")
        }
    }

    func testBadLinesAreReportedButKept() {
        let d = RecordDecoder()
        Array("not an export line".utf8).withUnsafeBytes { b in
            XCTAssertFalse(d.decode(b, format: .cloudwatchExport, offset: 0))
            XCTAssertEqual(String(decoding: d.record.message, as: UTF8.self), "not an export line")
        }
        Array("2026-11-01T00:00:00.000Z ok\r".utf8).withUnsafeBytes { b in
            XCTAssertTrue(d.decode(b, format: .cloudwatchExport, offset: 0))
            XCTAssertEqual(String(decoding: d.record.message, as: UTF8.self), "ok", "CR before LF is dropped")
        }
    }
}

/// Collects every line the scanner hands out.
final class LineCollector: BlockConsumer {
    var lines: [String] = []
    var bytes = 0
    var largestBlock = 0
    func consume(block: UnsafeRawBufferPointer, input: InputContext, offset: Int) {
        bytes += block.count
        largestBlock = max(largestBlock, block.count)
        var s = 0
        while s < block.count {
            let e = Bytes.find(0x0a, in: block, from: s, to: block.count) ?? block.count
            lines.append(String(decoding: block[s..<e], as: UTF8.self))
            s = e + 1
        }
    }
}

final class ScannerTests: XCTestCase {
    var tmp: TemporaryDirectory!
    var dir: String { tmp.path }

    override func setUp() { tmp = TemporaryDirectory(prefix: "logmill-scan") }

    override func tearDown() { tmp.cleanup() }

    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let p = dir + "/" + name
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let src = write("gz-src-\(UUID().uuidString)", bytes)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -c -n '\(src)' > '\(src).gz'"]
        try p.run()
        p.waitUntilExit()
        return Array(try Data(contentsOf: URL(fileURLWithPath: src + ".gz")))
    }

    func scan(_ paths: [String], workers: Int = 1, chunk: Int = 1 << 20, split: Int = 8 << 20) throws -> (LineCollector, ScanReport) {
        var o = ScanOptions()
        o.workers = workers
        o.chunkSize = chunk
        o.splitSize = split
        let consumers = (0..<workers).map { _ in LineCollector() }
        let report = ScanDriver(options: o).scan(try SourceArguments.objects(paths), consumers: consumers)
        let all = LineCollector()
        for c in consumers { all.lines += c.lines; all.bytes += c.bytes }
        return (all, report)
    }

    func testLinesLongerThanTheLimitAreSkippedAndReportedWithBoundedMemory() throws {
        let long = String(repeating: "x", count: 100_000)
        let p = write("long.log", Array("first\n\(long)\nsecond\n\(long)\(long)\nthird".utf8))
        var o = ScanOptions()
        o.workers = 1
        o.chunkSize = 4096
        o.maxLineBytes = 16384
        let c = LineCollector()
        let report = ScanDriver(options: o).scan(try SourceArguments.objects([p]), consumers: [c])
        XCTAssertEqual(c.lines, ["first", "second", "third"])
        XCTAssertEqual(report.errors.count, 1)
        XCTAssertTrue(report.errors[0].contains("2 line(s) longer than 16384 bytes were skipped (the first at byte 6)"), report.errors[0])
        XCTAssertLessThanOrEqual(c.largestBlock, 16384, "the buffer never grew past the limit")
    }

    func testSplitPartsCountEachByteOnce() throws {
        let text = (0..<5000).map { "2026-11-01T00:00:00.000Z line number \($0)\n" }.joined()
        let p = write("parts.log", Array(text.utf8))
        let (c, report) = try scan([p], workers: 2, chunk: 4096, split: 16384)
        XCTAssertEqual(c.lines.count, 5000)
        XCTAssertEqual(report.bytesRead, text.utf8.count, "--stats bytes read equal the file's size")
    }

    func testLongLineCRLFAndMissingFinalNewline() throws {
        let long = String(repeating: "x", count: 10_000_000)
        let p = write("a.log", Array("first\r\n\(long)\nlast-without-newline".utf8))
        let (c, report) = try scan([p], chunk: 64 * 1024)
        XCTAssertEqual(c.lines.count, 3)
        XCTAssertEqual(c.lines[1].count, 10_000_000)
        XCTAssertEqual(c.lines[2], "last-without-newline")
        XCTAssertTrue(report.errors.isEmpty)
    }

    func testEmptyAndBinaryFilesDoNotCrash() throws {
        let e = write("empty.log", [])
        var garbage: [UInt8] = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }
        garbage += Array("\n2026-11-01T00:00:00.000Z valid\n".utf8)
        let g = write("garbage.bin", garbage)
        let (c, report) = try scan([e, g])
        XCTAssertTrue(c.lines.contains("2026-11-01T00:00:00.000Z valid"))
        XCTAssertTrue(report.errors.isEmpty)
    }

    func testSplitRangesSeeEveryLineOnce() throws {
        var text = ""
        for i in 0..<200_000 { text += "2026-11-01T00:00:00.000Z line \(i) \(String(repeating: "y", count: i % 50))\n" }
        let p = write("big.log", Array(text.utf8))
        let (c, _) = try scan([p], workers: 2, chunk: 64 * 1024, split: 256 * 1024)
        XCTAssertEqual(c.lines.count, 200_000)
        XCTAssertEqual(Set(c.lines).count, 200_000)
        XCTAssertEqual(c.bytes, text.utf8.count)
    }

    func testPartBoundariesOnLineStartsCountEachLineOnce() throws {
        // 64-byte lines and parts of a multiple of 64 bytes: every part boundary falls exactly on a
        // line start; with reads of half a part + 1 from one byte before a part, the second block
        // ends exactly on the part's end (the scanner's parts are max(split / 2, size / 16) here).
        var text = ""
        for i in 0..<40_000 {
            let head = "2026-11-01T00:00:00.000Z n=\(i)"
            text += head + String(repeating: "x", count: 63 - head.utf8.count) + "\n"
        }
        let p = write("aligned.log", Array(text.utf8))
        let part = max(128 * 1024, text.utf8.count / 16)
        XCTAssertEqual(part % 64, 0)
        let (c, _) = try scan([p], workers: 2, chunk: part / 2 + 1, split: 256 * 1024)
        XCTAssertEqual(c.lines.count, 40_000)
        XCTAssertEqual(Set(c.lines).count, 40_000)
    }

    func testLineLongerThanSeveralPartsInASplitFile() throws {
        var text = ""
        for i in 0..<100_000 { text += "2026-11-01T00:00:00.000Z before \(i)\n" }
        text += "2026-11-01T00:00:00.000Z " + String(repeating: "L", count: 9_000_000) + "\n"
        for i in 0..<100_000 { text += "2026-11-01T00:00:00.000Z after \(i)\n" }
        let p = write("long-in-middle.log", Array(text.utf8))
        let (c, report) = try scan([p], workers: 2, chunk: 64 * 1024, split: 1 << 20)
        XCTAssertEqual(c.lines.count, 200_001)
        XCTAssertEqual(Set(c.lines).count, 200_001)
        XCTAssertEqual(c.bytes, text.utf8.count)
        XCTAssertTrue(report.errors.isEmpty)
    }

    func testMultiMemberGzipIsDetectedByContent() throws {
        let a = try gzip(Array("one\ntwo\n".utf8)), b = try gzip(Array("three\n".utf8))
        let p = write("logs.txt", a + b)   // no .gz suffix on purpose
        let (c, report) = try scan([p])
        XCTAssertEqual(c.lines, ["one", "two", "three"])
        XCTAssertTrue(report.errors.isEmpty)
        XCTAssertGreaterThan(report.bytesDecompressed, 0)
    }

    func testTruncatedGzipKeepsEarlierLinesAndNamesTheOffset() throws {
        var text = ""
        for i in 0..<20_000 { text += "line \(i) \(i * 7919 % 1000)\n" }
        let full = try gzip(Array(text.utf8))
        let p = write("cut.gz", Array(full.prefix(full.count / 2)))
        let (c, report) = try scan([p])
        XCTAssertGreaterThan(c.lines.count, 1000, "lines before the cut are read")
        XCTAssertEqual(c.lines.first, "line 0 0")
        XCTAssertEqual(report.errors.count, 1)
        XCTAssertTrue(report.errors[0].contains("cut.gz"), report.errors[0])
        XCTAssertTrue(report.errors[0].contains("offset"), report.errors[0])
    }

    /// One large compressed object with a spare worker: decoded on a second thread while the first
    /// parses. Same lines, same counts and the same error at the same offset as decoding in line.
    func testOneGzipDecodedAheadOnASecondThreadGivesTheSameResult() throws {
        var text = ""
        for i in 0..<300_000 { text += "line \(i) \(i * 7919 % 100_000) some padding to make blocks\n" }
        let a = try gzip(Array(text.utf8)), b = try gzip(Array("tail one\ntail two\n".utf8))
        let whole = write("big.gz", a + b)
        let (inline, r1) = try scan([whole], workers: 1)
        let (ahead, r2) = try scan([whole], workers: 2)
        XCTAssertEqual(inline.lines.count, 300_002)
        XCTAssertEqual(ahead.lines, inline.lines)
        XCTAssertEqual(r2.bytesDecompressed, r1.bytesDecompressed)
        XCTAssertEqual(r2.bytesRead, r1.bytesRead)
        XCTAssertTrue(r2.errors.isEmpty, "\(r2.errors)")
        // Cut in the middle: the lines before the cut, and one error naming the offset, either way.
        let cut = write("cut-big.gz", Array(a.prefix(a.count * 2 / 3)))
        let (c1, e1) = try scan([cut], workers: 1)
        let (c2, e2) = try scan([cut], workers: 2)
        XCTAssertGreaterThan(c1.lines.count, 100_000)
        XCTAssertEqual(c2.lines, c1.lines)
        XCTAssertEqual(e2.errors, e1.errors)
        XCTAssertEqual(e2.errors.count, 1)
    }

    /// Decoding ahead leaves the CRC-32 and size checks to the scanning thread: a damaged trailer is
    /// still found, at the same member, after the same lines, as zlib finds it decoding in line; and
    /// intact members (one of them empty, zero padding between) pass.
    func testGzipChecksHoldWhenDecodedAhead() throws {
        var text = ""
        for i in 0..<200_000 { text += "line \(i) \(i * 7919 % 100_000) some padding to make blocks\n" }
        let a = try gzip(Array(text.utf8)), empty = try gzip([]), b = try gzip(Array("tail one\ntail two\n".utf8))
        let good = write("good.gz", a + empty + [UInt8](repeating: 0, count: 100) + b)
        let (c1, r1) = try scan([good], workers: 1)
        let (c2, r2) = try scan([good], workers: 2)
        XCTAssertEqual(c1.lines.count, 200_002)
        XCTAssertTrue(c2.lines == c1.lines)
        XCTAssertTrue(r1.errors.isEmpty && r2.errors.isEmpty, "\(r1.errors) \(r2.errors)")
        // The trailer of the first member: CRC-32 (4 bytes) then the size (4 bytes).
        for (name, flip, what) in [("bad-crc.gz", a.count - 8, "data check"), ("bad-size.gz", a.count - 2, "length check")] {
            var damaged = a + b
            damaged[flip] ^= 0x5a
            let p = write(name, damaged)
            let (d1, e1) = try scan([p], workers: 1)
            let (d2, e2) = try scan([p], workers: 2)
            XCTAssertEqual(d1.lines.count, 200_000, name)
            XCTAssertEqual(d2.lines.count, d1.lines.count, name)
            XCTAssertTrue(d2.lines == d1.lines, name)
            XCTAssertEqual(e1.errors.count, 1, "\(name): \(e1.errors)")
            XCTAssertEqual(e2.errors.count, 1, "\(name): \(e2.errors)")
            for e in e1.errors + e2.errors {
                XCTAssertTrue(e.contains(name) && e.contains("incorrect \(what)"), e)
            }
            XCTAssertEqual(e2.errors, e1.errors, "the same error at the same offset either way")
        }
        // Resumed past the start (a checkpoint in a rotated .gz): zlib keeps its own checks, and a
        // member ending after the resume point is not misjudged.
        let head = Array(text.utf8.prefix(1000))
        let cut = head.lastIndex(of: 0x0a)! + 1
        let three = write("three.gz", a + b + a)
        var resumed = try SourceArguments.objects([three])
        resumed[0].readFrom = cut
        var o = ScanOptions()
        o.workers = 2
        let halves = [LineCollector(), LineCollector()]
        let report = ScanDriver(options: o).scan(resumed, consumers: halves)
        XCTAssertTrue(report.errors.isEmpty, "\(report.errors)")
        XCTAssertEqual(halves[0].lines.count + halves[1].lines.count, 400_002 - head[..<cut].filter { $0 == 0x0a }.count)
    }

    func testGlobsAndDirectories() throws {
        try FileManager.default.createDirectory(atPath: dir + "/a/b", withIntermediateDirectories: true)
        _ = write("a/x.log", Array("1\n".utf8))
        _ = write("a/b/y.log", Array("2\n".utf8))
        _ = write("a/b/z.txt", Array("3\n".utf8))
        XCTAssertEqual(try SourceArguments.objects([dir + "/a"]).count, 3)
        XCTAssertEqual(try SourceArguments.objects([dir + "/a/**/*.log"]).map { URL(fileURLWithPath: $0.name).lastPathComponent }, ["x.log", "y.log"])
        XCTAssertThrowsError(try SourceArguments.objects([dir + "/nope/*.log"]))
        XCTAssertThrowsError(try SourceArguments.objects([dir + "/missing.log"]))
    }
}
