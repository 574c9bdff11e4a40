import LogmillTestSupport
import XCTest
@testable import LogmillRegex

/// Every construct that can match a non-ASCII code point consumes one whole UTF-8 sequence per step,
/// in every engine; invalid UTF-8 is read in units as documented at `replacementCharacter`.
final class UTF8Tests: XCTestCase {
    /// Matches `pattern` against raw bytes with every capture engine; fails unless all agree.
    func bytesSpans(_ pattern: String, _ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> [[Int]?]? {
        guard let r = try? ByteRegex(pattern) else {
            XCTFail("/\(pattern)/ does not compile", file: file, line: line)
            return nil
        }
        return bytes.withUnsafeBytes { buf in
            let all = ([.pikeWhole] + EngineAgreementTests.engines).map { e in
                r.firstMatch(buf, from: 0, engine: e).map { $0.spans.map { $0.map { [$0.lowerBound, $0.upperBound] } } }
            }
            for (i, got) in all.enumerated() where got != all[0] {
                XCTFail("/\(pattern)/ on \(bytes): engine \(i) \(String(describing: got)) vs pikeWhole \(String(describing: all[0]))", file: file, line: line)
            }
            XCTAssertEqual(r.isMatch(buf), all[0] != nil, "isMatch /\(pattern)/ on \(bytes)", file: file, line: line)
            return all[0]
        }
    }

    func matches(_ pattern: String, _ s: String, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        bytesSpans(pattern, Array(s.utf8), file: file, line: line) != nil
    }

    /// Each (pattern, text, whether it matches), checked in every engine.
    func expect(_ cases: [(String, String, Bool)], file: StaticString = #filePath, line: UInt = #line) {
        for (p, s, want) in cases {
            XCTAssertEqual(matches(p, s, file: file, line: line), want, "/\(p)/ on \(s)", file: file, line: line)
        }
    }

    /// The issue: `/^....$/` matched "日本" (6 bytes) by splitting a character.
    func testAnchoredCountsCodePoints() {
        XCTAssertFalse(matches("^....$", "日本"))
        XCTAssertTrue(matches("^....$", "日本語か"))
        XCTAssertTrue(matches("^..$", "日本"))
        XCTAssertFalse(matches("^......$", "日本"))
        for (s, count) in [("é", 1), ("日", 1), ("😀", 1), ("ÿé日😀", 4), ("😀😀", 2), ("\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}", 5)] {
            for construct in [".", "[^x]", "\\S", "\\W", "\\D", "[^a-z]", "[^\\x00-\\x7f]", "[\\x80-\\U0010ffff]", "[^é]"]
            where !(construct == "[^\\x00-\\x7f]" || construct == "[\\x80-\\U0010ffff]") || !s.contains("a") {
                let exact = construct == "[^é]" && s.contains("é") ? false : true
                XCTAssertEqual(matches("^\(construct){\(count)}$", s), exact, "/^\(construct){\(count)}$/ on \(s)")
                XCTAssertFalse(matches("^\(construct){\(count + 1)}$", s), "/^\(construct){\(count + 1)}$/ on \(s)")
                if count > 1 { XCTAssertFalse(matches("^\(construct){\(count - 1)}$", s), "/^\(construct){\(count - 1)}$/ on \(s)") }
            }
        }
    }

    func testClassesWithNonASCIIMembers() {
        expect([("^[α-ω]{3}$", "αβω", true), ("^[α-ω]{4}$", "αβω", false), ("[α-ω]", "ΑΒΩ", false),
                ("^[^α-ω]$", "Ω", true), ("^[^α-ω]+$", "xβ", false),
                // \d and \w stay ASCII: a non-ASCII digit or letter is \D / \W, as one unit.
                ("^\\D\\W$", "٣é", true), ("\\d|\\w", "٣é日", false)])
        XCTAssertEqual(bytesSpans("[日本]+", Array("こんにちは日本".utf8)), [[15, 21]])
        XCTAssertEqual(bytesSpans("[😀-😂]+", Array("a😁😂😃".utf8)), [[1, 9]])
        XCTAssertEqual(bytesSpans("^[é日😀]{3}$", Array("😀é日".utf8)), [[0, 9]])
        XCTAssertNil(bytesSpans("^[é日😀]{4}$", Array("😀é日".utf8)))
        XCTAssertEqual(bytesSpans("(\\w+)\\W(\\w+)", Array("ab日cd".utf8)), [[0, 7], [0, 2], [5, 7]])
    }

    func testCaseInsensitiveNonASCII() {
        expect([("(?i)^[α-ω]{3}$", "ΑβΩ", true), ("(?i)^é$", "É", true), ("(?i)^[^é]$", "É", false),
                ("(?i)^[^é]$", "日", true), ("(?i)^.{2}$", "Éé", true), ("(?i)^.{3}$", "Éé", false)])
        XCTAssertEqual(bytesSpans("(?i)(straße)", Array("x STRAßE".utf8)), [[2, 9], [2, 9]])
        XCTAssertEqual(bytesSpans("(?i)k+", Array("a\u{212A}kK".utf8)), [[1, 6]])
    }

    func testSpansFallOnCodePointBoundaries() {
        XCTAssertEqual(bytesSpans("(.)(.)(.)", Array("é日😀".utf8)), [[0, 9], [0, 2], [2, 5], [5, 9]])
        XCTAssertEqual(bytesSpans("a(.)", Array("a😀".utf8)), [[0, 5], [1, 5]])
        XCTAssertEqual(bytesSpans("(\\S+) (\\S)", Array("日本語 か".utf8)), [[0, 13], [0, 9], [10, 13]])
        XCTAssertEqual(bytesSpans("(.*?)(.)$", Array("aé日".utf8)), [[0, 6], [0, 3], [3, 6]])
        XCTAssertEqual(bytesSpans("([^a]{2})", Array("a日😀b".utf8)), [[1, 8], [1, 8]])
        // `.\W` cannot split "é" any more (it used to match its two bytes).
        XCTAssertNil(bytesSpans(".\\W", Array("é".utf8)))
        XCTAssertEqual(bytesSpans(".\\W", Array("éé".utf8)), [[0, 4]])
        // Every set-based step ends on a boundary.
        let text = Array("aé日😀 b".utf8)
        let boundaries = Set(Self.units(text))
        for p in ["(.)", "(\\S)", "(\\W)", "(\\D)", "([^a])", "(.+?)(.)", "(.*)(.)(.)"] {
            for start in boundaries.sorted() {
                let m = text.withUnsafeBytes { buf in try! ByteRegex(p).firstMatch(buf, from: start) }
                for s in m?.spans ?? [] { if let s { XCTAssertTrue(boundaries.contains(s.lowerBound) && boundaries.contains(s.upperBound), "/\(p)/ from \(start): \(s)") } }
            }
        }
    }

    /// Literal prefilters with non-ASCII text and sets around them.
    func testPrefiltersWithNonASCII() throws {
        XCTAssertEqual(bytesSpans("日本(.)", Array("日本日本語".utf8)), [[0, 9], [6, 9]])
        XCTAssertEqual(bytesSpans("(.)本", Array("x日本".utf8)), [[1, 7], [1, 4]])
        XCTAssertEqual(bytesSpans("é+(\\S)", Array("ééé😀".utf8)), [[0, 10], [6, 10]])
        XCTAssertEqual(try ByteRegex("Error: (.+) 日本").requiredLiterals, [Array("Error: ".utf8)])
        XCTAssertEqual(bytesSpans("Error: (.+) 日本", Array("x Error: ça 日本".utf8)), [[2, 19], [9, 12]])
    }

    /// Units of a byte string as Swift's decoder sees them (maximal subparts for invalid bytes).
    static func units(_ bytes: [UInt8]) -> [Int] {
        var out: [Int] = [0]
        var parser = Unicode.UTF8.ForwardParser()
        var it = bytes.makeIterator()
        loop: while true {
            switch parser.parseScalar(from: &it) {
            case .valid(let e): out.append(out.last! + e.count)
            case .error(let length): out.append(out.last! + length)
            case .emptyInput: break loop
            }
        }
        return out
    }

    /// Invalid UTF-8: one invalid unit (a byte that never starts a sequence, or a maximal prefix of a
    /// valid sequence) per step, for sets containing U+FFFD only.
    func testInvalidUTF8Units() {
        // E6 97 is a truncated 日 (E6 97 A5): one unit before "a".
        XCTAssertEqual(bytesSpans("^(.)(.)$", [0xE6, 0x97, 0x61]), [[0, 3], [0, 2], [2, 3]])
        XCTAssertNil(bytesSpans("^...$", [0xE6, 0x97, 0x61]))
        // E0 can only be followed by A0-BF: E0 80 is two units.
        XCTAssertEqual(bytesSpans("^(.)(.)$", [0xE0, 0x80]), [[0, 2], [0, 1], [1, 2]])
        // A truncated sequence at the end of the haystack, and before another lead byte.
        XCTAssertEqual(bytesSpans("^a(.)$", [0x61, 0xF0, 0x9F, 0x98]), [[0, 4], [1, 4]])
        XCTAssertEqual(bytesSpans("^(.)(.)$", [0xF0, 0x9F, 0xE6, 0x97, 0xA5]), [[0, 5], [0, 2], [2, 5]])
        // Stray continuation bytes and bytes that never start a sequence are one unit each.
        XCTAssertEqual(bytesSpans("^(.)(.)(.)$", [0xFF, 0x80, 0xC0]), [[0, 3], [0, 1], [1, 2], [2, 3]])
        // Surrogates (ED A0 80) and overlong forms (C1 81) are not valid sequences.
        XCTAssertEqual(bytesSpans("^(.)(.)(.)$", [0xED, 0xA0, 0x80]), [[0, 3], [0, 1], [1, 2], [2, 3]])
        XCTAssertEqual(bytesSpans("^(.)(.)$", [0xC1, 0x81]), [[0, 2], [0, 1], [1, 2]])
        // Only sets containing U+FFFD match invalid units.
        for p in [".", "[^x]", "\\S", "\\W", "\\D", "[^a-z]", "[\\uFFFD]", "\\uFFFD", "(?i)[^é]"] {
            XCTAssertEqual(bytesSpans("^\(p)$", [0xFF]), [[0, 1]], p)
            XCTAssertEqual(bytesSpans("^\(p)$", [0xE6, 0x97]), [[0, 2]], p)
            XCTAssertEqual(bytesSpans("^\(p)$", Array("\u{FFFD}".utf8)), [[0, 3]], p)
        }
        for p in ["[α-ω]", "[é日]", "é", "\\s", "\\w", "[\\x80-\\uFFFC]"] {
            XCTAssertNil(bytesSpans(p, [0xFF, 0xCE, 0x2D, 0xE6, 0x97, 0x2D, 0x80, 0xC3]), p)
        }
        XCTAssertNil(bytesSpans("^[^\\uFFFD]$", [0xFF]))
        XCTAssertEqual(bytesSpans("^[^\\uFFFD]$", Array("日".utf8)), [[0, 3]])
        XCTAssertEqual(bytesSpans("x\\uFFFD+", [0x78, 0xFF, 0xFE, 0xEF, 0xBF, 0xBD, 0x61]), [[0, 6]])
        XCTAssertNil(try ByteRegex("\\uFFFD").requiredLiterals)
    }

    /// Random byte strings: the number of `.` steps equals the decoder's unit count, and `(?s)(.)`
    /// from each unit boundary spans exactly one unit, in every engine.
    func testRandomBytesSplitLikeTheDecoder() {
        var rng = SeededRandom(seed: 0xD0D0)
        let pieces: [[UInt8]] = ["a", "\n", "é", "日", "😀", "\u{FFFD}"].map { Array($0.utf8) }
            + [[0x80], [0xBF], [0xC0], [0xC3], [0xE0], [0xE0, 0xA0], [0xED, 0xA0], [0xE6, 0x97], [0xF0, 0x9F],
               [0xF0, 0x9F, 0x98], [0xF4, 0x90], [0xF5], [0xFF]]
        let counted = try! ByteRegex("(?s)^.*$")
        for _ in 0..<400 {
            var bytes: [UInt8] = []
            for _ in 0..<(1 + rng.below(6)) { bytes += rng.pick(pieces) }
            let units = Self.units(bytes)
            let n = units.count - 1
            XCTAssertNotNil(bytesSpans("(?s)^.{\(n)}\\z", bytes), "\(bytes)")
            XCTAssertNil(bytesSpans("(?s)^.{\(n + 1)}\\z", bytes), "\(bytes)")
            if n > 1 { XCTAssertNil(bytesSpans("(?s)^.{\(n - 1)}\\z", bytes), "\(bytes)") }
            XCTAssertTrue(bytes.withUnsafeBytes { counted.isMatch($0) })
            let one = try! ByteRegex("(?s)(.)")
            for (i, u) in units.dropLast().enumerated() {
                let m = bytes.withUnsafeBytes { one.firstMatch($0, from: u) }
                XCTAssertEqual(m?.spans[1], u..<units[i + 1], "\(bytes) from \(u)")
            }
        }
    }

    /// Matches begin on unit boundaries only, in the unanchored search of every engine and from a
    /// `from` offset inside a character: a stray-byte unit never begins inside a valid character.
    func testMatchesBeginOnUnitBoundaries() throws {
        XCTAssertNil(bytesSpans("[^a-z😀]", Array("😀a".utf8)))
        XCTAssertEqual(bytesSpans("[^a-z😀]", Array("😀\n".utf8)), [[4, 5]])
        XCTAssertEqual(bytesSpans("\\B😀*", Array("c😀-1  日".utf8)), [[5, 5]])
        XCTAssertEqual(bytesSpans("\\B\\B", Array("1ÿbc  .".utf8)), [[4, 4]])
        XCTAssertEqual(bytesSpans("[^日]+", Array("日本".utf8)), [[3, 6]])
        XCTAssertEqual(bytesSpans("(?:[^本]|x)*$", Array("本".utf8)), [[3, 3]])
        XCTAssertEqual(bytesSpans("\\W+", [0x61, 0xE6, 0x97, 0x61]), [[1, 3]])
        // Only programs that could begin inside a character pay for the unit-wise start.
        XCTAssertNotNil(try ByteRegex("\\S+").program.unanchoredStart)
        XCTAssertNotNil(try ByteRegex("a*").program.unanchoredStart)
        for p in ["Duration: ([\\d.]+) ms", "(?i)error", "[α-ω]+", "日本", "\\d+\\.\\d+ ms", "^.*"] {
            XCTAssertNil(try ByteRegex(p).program.unanchoredStart, p)
        }
        let r = try ByteRegex("(.)")
        let text = Array("日本".utf8)
        text.withUnsafeBytes { buf in
            XCTAssertEqual(r.firstMatch(buf, from: 1)?.range, 3..<6)
            XCTAssertEqual(r.firstMatch(buf, from: 5)?.range, nil)
        }
        // `isUnitBoundary` agrees with the decoder on random bytes.
        var rng = SeededRandom(seed: 5)
        let pieces: [[UInt8]] = [[0x61], [0xC3, 0xA9], [0xE6, 0x97, 0xA5], [0xF0, 0x9F, 0x98, 0x80], [0x80], [0xBF],
                                 [0xE0], [0xED], [0xF0], [0xF4], [0xC3], [0xA0], [0x90], [0xFF]]
        for _ in 0..<2_000 {
            var bytes: [UInt8] = []
            for _ in 0..<rng.below(8) { bytes += rng.pick(pieces) }
            let units = Set(Self.units(bytes))
            bytes.withUnsafeBufferPointer { buf in
                guard let h = buf.baseAddress else { return }
                for pos in 0...bytes.count {
                    XCTAssertEqual(isUnitBoundary(h, bytes.count, pos), units.contains(pos), "\(bytes) at \(pos)")
                }
            }
        }
    }

    /// The lazy DFA on its own: matches that end where a lookahead decides (before the next byte, or
    /// at the end of the haystack), including through its cache being cleared.
    func testLazyDFAWithLookaheads() throws {
        var rng = SeededRandom(seed: 99)
        let pieces: [[UInt8]] = [[0x61], [0x78], [0xE6, 0x97, 0xA5], [0xE6, 0x97], [0xC3], [0xA9], [0xFF]]
        for pattern in ["x.", "x.a", "(?:.x)+", "[^a]x|a", "x[^é]*a", "x.{3}"] {
            let prog = try Compiler.compile(try Parser.parse(pattern, options: []))
            XCTAssertTrue(prog.hasLookahead, pattern)
            let dfa = LazyDFA(prog: prog, prefilter: .none)
            let vm = PikeVM(prog: prog, prefilter: .none)
            let scratch = PikeScratch(program: prog)
            for budget in [1, 512 << 10] {
                let cache = DFACache(program: prog, memoryBudget: budget)
                for _ in 0..<300 {
                    var bytes: [UInt8] = []
                    for _ in 0..<rng.below(20) { bytes += rng.pick(pieces) }
                    bytes.withUnsafeBufferPointer { buf in
                        let h = buf.baseAddress ?? UnsafePointer(bitPattern: 1)!
                        let expected = vm.search(h, buf.count, start: 0, earliest: false, scratch: scratch)
                        let end = expected ? scratch.best[1] : -1
                        switch dfa.find(h, buf.count, start: 0, anchored: false, earliest: false, cache: cache) {
                        case .match(let e, _): XCTAssertEqual(e, end, "/\(pattern)/ on \(bytes)")
                        case .noMatch: XCTAssertFalse(expected, "/\(pattern)/ on \(bytes)")
                        case .gaveUp: break
                        }
                        switch dfa.find(h, buf.count, start: 0, anchored: false, earliest: true, cache: cache) {
                        case .match: XCTAssertTrue(expected, "earliest /\(pattern)/ on \(bytes)")
                        case .noMatch: XCTAssertFalse(expected, "earliest /\(pattern)/ on \(bytes)")
                        case .gaveUp: break
                        }
                    }
                }
            }
        }
    }
}
