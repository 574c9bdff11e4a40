import Foundation
import XCTest
@testable import LogmillRegex
import LogmillTestSupport

/// The capture engines (bounded backtracker, PikeVM, each over the whole haystack or over the region
/// the lazy DFA reports) must produce identical spans on the same cases.
final class EngineAgreementTests: XCTestCase {
    typealias Spans = [[Int]]?

    func spans(_ m: RegexMatch?) -> Spans {
        m.map { $0.spans.map { $0.map { [$0.lowerBound, $0.upperBound] } ?? [-1] } }
    }

    static let engines: [ByteRegex.CaptureEngine] = [.pike, .backtrack, .backtrackWhole, .automatic]

    /// Compares every engine with the PikeVM over the whole haystack; returns mismatch descriptions.
    func compare(_ r: ByteRegex, _ bytes: [UInt8], from: Int, label: String) -> [String] {
        var out: [String] = []
        bytes.withUnsafeBytes { buf in
            let want = spans(r.firstMatch(buf, from: from, engine: .pikeWhole))
            for e in Self.engines {
                let got = spans(r.firstMatch(buf, from: from, engine: e))
                if got != want {
                    out.append("/\(r.pattern)/ on \(label) from \(from): \(e) \(String(describing: got)) pikeWhole \(String(describing: want))")
                }
            }
            if from == 0 && r.isMatch(buf) != (want != nil) {
                out.append("/\(r.pattern)/ on \(label): isMatch \(r.isMatch(buf)) but firstMatch \(String(describing: want))")
            }
        }
        return out
    }

    func testRandomCasesAllEnginesAgree() throws {
        let long = ProcessInfo.processInfo.environment["LOGMILL_REGEX_LONG"] == "1"
        let patternCount = long ? 20_000 : 1_500
        let seed: UInt64 = UInt64(ProcessInfo.processInfo.environment["LOGMILL_REGEX_SEED"] ?? "") ?? 0xB175_7A7E
        var gen = PatternGenerator(rng: SeededRandom(seed: seed))
        gen.allowEmptyLoops = true
        var rng = SeededRandom(seed: seed ^ 0xFFFF)
        let alphabet: [[UInt8]] = ["a", "b", "c", "A", "1", "2", " ", "-", "x", "\n", ".", "é", "\u{212A}", "日", "😀", "β", "\u{FFFD}"].map { Array($0.utf8) }
            + [[0xFF], [0xC3], [0xE6, 0x97], [0xF0, 0x9F], [0xE0], [0x80]] // invalid UTF-8
        var mismatches: [String] = []
        var cases = 0, compiled = 0, backtrackable = 0
        for _ in 0..<patternCount {
            let p = gen.pattern()
            guard let r = try? ByteRegex(p) else { continue }
            compiled += 1
            for _ in 0..<4 {
                var bytes: [UInt8] = []
                let len = rng.below(rng.chance(20) ? 200 : 30)
                while bytes.count < len { bytes += rng.pick(alphabet) }
                let from = rng.chance(25) ? rng.below(bytes.count + 1) : 0
                if r.backtracker.fits(bytes.count) { backtrackable += 1 }
                mismatches += compare(r, bytes, from: from, label: String(reflecting: String(decoding: bytes, as: UTF8.self)))
                cases += 1
            }
        }
        print("EngineAgreementTests: \(cases) cases over \(compiled) patterns (seed \(seed)), \(backtrackable) within the backtracker budget, \(mismatches.count) mismatches")
        for m in mismatches.prefix(25) { print("  MISMATCH " + m) }
        XCTAssertEqual(mismatches.count, 0, "see MISMATCH lines above")
        XCTAssertGreaterThan(backtrackable, cases * 9 / 10)
    }

    /// Log-line patterns, including the literal-prefix skip and candidates that fail.
    func testReportLines() throws {
        let lines = [
            "REPORT RequestId: 3f1e9a7c-2b8d-4e6f-a0c1-b2d3e4f5a6b7\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 91 MB\t",
            "Duration: x Duration: 1 ms\tBilled Duration: 2 ms Duration: 3.5 ms\tBilled Duration: 4 ms",
            "Duration: 1.0 ms\tBilled Duration: ms",
            "Max Memory Used: Max Memory Used: 12345",
            "",
            "Duration",
            "REPORT RequestId: 日本-é😀\tDuration: 1.5 ms\tBilled Duration: 2 ms\tMax Memory Used: ٣٤ MB — naïve 😀",
            "Duration: é ms Duration: 日本 ms\tBilled Duration: 😀 ms Max Memory Used: 7",
        ]
        let patterns = [
            "Duration: (?<d>[\\d.]+) ms\\tBilled Duration: (?<b>\\d+) ms",
            "Max Memory Used: (\\d+)",
            "Duration: (\\d+)?",
            "(\\d+) MB\\tMax Memory Used: (\\d+)",
            "\\bMax Memory Used: (\\d+)",
            "(?i)duration: ([\\d.]+)",
            "Duration: ((\\d)+|x)",
            "^REPORT (\\w+)",
            "Used: (\\d*)$",
            "RequestId: (\\S+)",
            "Duration: (.*?) ms",
            "(?i)requestid: ([^\\t]+)",
            "Used: (.+)$",
            "(\\W+)(\\D)",
            "Duration: ([^\\d\\s]+) ms",
        ]
        var mismatches: [String] = []
        for p in patterns {
            let r = try ByteRegex(p)
            for l in lines {
                let bytes = Array(l.utf8)
                for from in Set([0, 1, 10, 60, bytes.count / 2, bytes.count]) where from <= bytes.count {
                    mismatches += compare(r, bytes, from: from, label: String(reflecting: l))
                }
            }
        }
        for m in mismatches.prefix(25) { print("  MISMATCH " + m) }
        XCTAssertEqual(mismatches.count, 0)
        let r = try ByteRegex("Duration: (?<d>[\\d.]+) ms\\tBilled Duration: (?<b>\\d+) ms")
        XCTAssertEqual(r.backtracker.skipBytes, "Duration: ".utf8.count)
        let m = try XCTUnwrap(r.firstMatch(lines[0]))
        let b = Array(lines[0].utf8)
        XCTAssertEqual(String(decoding: b[m.spans[1]!], as: UTF8.self), "12.34")
        XCTAssertEqual(String(decoding: b[m.spans[2]!], as: UTF8.self), "13")
    }

    /// Haystacks over the bitset budget fall back to the PikeVM; results must not change.
    func testOverBudgetFallsBackToPikeVM() throws {
        var text = Array(String(repeating: "Duration: x ", count: 30_000).utf8)
        text += Array("Duration: 7.5 ms\tBilled Duration: 8 ms".utf8)
        text += Array(String(repeating: "é日😀 x", count: 3_000).utf8) + [0xE6, 0x97, 0x78, 0xFF]
        text += Array("Duration: 日本 ms\t".utf8)
        for p in ["Duration: ([\\d.]+) ms\\tBilled Duration: (\\d+) ms", "\\bDuration: (\\d+)", "(a|b)*(\\d)",
                  "Duration: (\\S+) ms\\t", "x(.+)日"] {
            let r = try ByteRegex(p)
            XCTAssertFalse(r.backtracker.fits(text.count))
            XCTAssertEqual(compare(r, text, from: 0, label: "long text"), [])
        }
    }

    /// Adversarial inputs for a backtracker stay cheap thanks to the visited bitset.
    func testVisitedBitsetBoundsWork() throws {
        for p in ["(a+)+$", "(a|aa)*b", "(a*)*b", "(.*){20}x", "(x+x+)+y", "(\\w+\\s?)+$"] {
            let r = try ByteRegex(p)
            // As long as the bitset budget allows.
            let len = min(2_000, BacktrackScratch.maxBits / r.program.insts.count - 2)
            let text = [UInt8](repeating: UInt8(ascii: "a"), count: len) + [UInt8(ascii: "!")]
            XCTAssertTrue(r.backtracker.fits(text.count), p)
            XCTAssertEqual(compare(r, text, from: 0, label: "a*\(len)!"), [])
        }
    }

    /// The memchr-based literal search (rare byte, then compare; memmem after many false hits)
    /// must agree with a naive search.
    func testLiteralSearcherAgreesWithNaiveSearch() {
        var rng = SeededRandom(seed: 7)
        let alphabet = Array("abM: ".utf8)
        for _ in 0..<3_000 {
            let needle = (0..<(1 + rng.below(6))).map { _ in rng.pick(alphabet) }
            let hay = (0..<rng.below(rng.chance(10) ? 3_000 : 60)).map { _ in rng.pick(alphabet) }
            let searcher = LiteralSearcher(needle)
            let from = rng.below(hay.count + 1)
            var want: Int? = nil
            if hay.count - needle.count >= from {
                for i in from...(hay.count - needle.count) where Array(hay[i..<(i + needle.count)]) == needle {
                    want = i
                    break
                }
            }
            let got = hay.withUnsafeBufferPointer { b in
                b.baseAddress.flatMap { searcher.find($0, b.count, from: from) }
            }
            XCTAssertEqual(got, hay.isEmpty ? nil : want, "\(needle) in \(hay.count) bytes from \(from)")
        }
    }

    /// Concurrent searches on one regex (with captures, engines chosen automatically) use separate
    /// scratch objects from the pool and agree with a sequential PikeVM run.
    func testConcurrentSearchesAgree() throws {
        let r = try ByteRegex("Duration: (?<d>[\\d.]+) ms\\tBilled Duration: (?<b>\\d+) ms")
        let lines: [[UInt8]] = (0..<400).map { i in
            Array("REPORT RequestId: \(i)\tDuration: \(i).\(i % 7) ms\tBilled Duration: \(i + 1) ms\t".utf8)
        }
        let expected = lines.map { l in l.withUnsafeBytes { r.firstMatch($0, from: 0, engine: .pikeWhole)?.spans } }
        XCTAssertTrue(expected.allSatisfy { $0 != nil })
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for round in 0..<50 {
                for (i, l) in lines.enumerated() where (i + round + t) % 3 == 0 {
                    let got = l.withUnsafeBytes { r.firstMatch($0)?.spans }
                    precondition(got == expected[i] && l.withUnsafeBytes { r.isMatch($0) })
                }
            }
        }
    }
}
