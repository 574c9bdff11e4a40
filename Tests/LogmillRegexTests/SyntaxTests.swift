import XCTest
@testable import LogmillRegex

/// Spans of the first match as (start, end) pairs, nil for non-participating groups; nil if no match.
func spans(_ pattern: String, _ input: String, options: RegexOptions = [],
           file: StaticString = #filePath, line: UInt = #line) -> [[Int]?]? {
    do {
        let r = try ByteRegex(pattern, options: options)
        guard let m = r.firstMatch(input) else {
            XCTAssertFalse(r.isMatch(input), "isMatch disagrees for /\(pattern)/", file: file, line: line)
            return nil
        }
        XCTAssertTrue(r.isMatch(input), "isMatch disagrees for /\(pattern)/", file: file, line: line)
        return m.spans.map { $0.map { [$0.lowerBound, $0.upperBound] } }
    } catch {
        XCTFail("unexpected error for /\(pattern)/: \(error)", file: file, line: line)
        return nil
    }
}

/// The matched text of group `g`.
func group(_ pattern: String, _ input: String, _ g: Int = 0, options: RegexOptions = []) -> String? {
    guard let r = try? ByteRegex(pattern, options: options), let m = r.firstMatch(input),
          let s = m.spans[g] else { return nil }
    let bytes = Array(input.utf8)[s]
    return String(decoding: bytes, as: UTF8.self)
}

func compileError(_ pattern: String) -> RegexError? {
    do {
        _ = try ByteRegex(pattern)
        return nil
    } catch let e as RegexError {
        return e
    } catch {
        return nil
    }
}

final class SyntaxTests: XCTestCase {
    func testLiteralsAndEscapes() {
        XCTAssertEqual(group("a\\.b", "xa.by"), "a.b")
        XCTAssertNil(group("a\\.b", "axb"))
        XCTAssertEqual(group("\\/api\\/v1", "GET /api/v1/x"), "/api/v1")
        XCTAssertEqual(group("a\\\\b", "a\\b"), "a\\b")
        XCTAssertEqual(group("\\t(\\d+)\\n", "x\t42\n", 1), "42")
        XCTAssertEqual(group("\\r", "a\rb"), "\r")
        XCTAssertEqual(group("\\x41\\x{42}\\u0043", "xABC"), "ABC")
        XCTAssertEqual(group("\\x{e9}", "caf\u{e9}"), "\u{e9}")
        XCTAssertEqual(group("\\u00e9", "caf\u{e9}"), "\u{e9}")
        XCTAssertEqual(group("\\[\\]\\(\\)\\{\\}\\*\\+\\?\\|\\^\\$", "[](){}*+?|^$"), "[](){}*+?|^$")
        XCTAssertEqual(group("a{", "a{"), "a{")
        XCTAssertEqual(group("a{x}", "a{x}"), "a{x}")
        XCTAssertEqual(group("a\\-b", "a-b"), "a-b")
    }

    func testDot() {
        XCTAssertEqual(group("a.c", "abc"), "abc")
        XCTAssertNil(group("a.c", "a\nc"))
        XCTAssertEqual(group("(?s)a.c", "a\nc"), "a\nc")
        XCTAssertEqual(group("a.c", "a\nc", options: .dotMatchesNewline), "a\nc")
        XCTAssertEqual(group("a.c", "a\u{e9}c"), "a\u{e9}c")
        XCTAssertEqual(group("a.c", "a\u{1F600}c"), "a\u{1F600}c")
        XCTAssertEqual(spans("^.$", "\u{e9}"), [[0, 2]])
    }

    func testClasses() {
        XCTAssertEqual(group("[abc]+", "xxbcay"), "bca")
        XCTAssertEqual(group("[a-c]+", "xxbcay"), "bca")
        XCTAssertEqual(group("[^a-c]+", "abxyzc"), "xyz")
        XCTAssertEqual(group("[\\d.]+", "v=12.5ms"), "12.5")
        XCTAssertEqual(group("[^\\s]+", "  hello world"), "hello")
        XCTAssertEqual(group("[]a]+", "x]a]"), "]a]")
        XCTAssertEqual(group("[a-]+", "x-a-"), "-a-")
        XCTAssertEqual(group("[-a]+", "x-a-"), "-a-")
        XCTAssertEqual(group("[\\]]", "a]"), "]")
        XCTAssertEqual(group("[\\w-]+", "id: ab_c-9!"), "id")
        XCTAssertEqual(group("[\\x41-\\x43]+", "ABCD"), "ABC")
        XCTAssertEqual(group("[\\b]", "a\u{8}"), "\u{8}")
        XCTAssertEqual(group("[é-ë]+", "xéêëy"), "éêë")
        XCTAssertEqual(group("[α-ω]+", "abc λμν def"), "λμν")
        XCTAssertEqual(group("[^a]", "é"), "é")
        XCTAssertEqual(group("[\u{1F600}-\u{1F64F}]", "hi \u{1F60A}!"), "\u{1F60A}")
    }

    func testPerlClasses() {
        XCTAssertEqual(group("\\d+", "abc 123 def"), "123")
        XCTAssertEqual(group("\\D+", "123abc456"), "abc")
        XCTAssertEqual(group("\\w+", "  foo_Bar9 "), "foo_Bar9")
        XCTAssertEqual(group("\\W+", "foo, bar"), ", ")
        XCTAssertEqual(group("\\s+", "a \t\n\r\u{b}\u{c}b"), " \t\n\r\u{b}\u{c}")
        XCTAssertEqual(group("\\S+", "  xyz  "), "xyz")
    }

    func testWordBoundary() {
        XCTAssertEqual(spans("\\bfoo\\b", "a foo b"), [[2, 5]])
        XCTAssertNil(spans("\\bfoo\\b", "afoob"))
        XCTAssertEqual(spans("\\Boo\\B", "foob"), [[1, 3]])
        XCTAssertEqual(spans("\\b", ""), nil)
        XCTAssertEqual(spans("\\B", ""), [[0, 0]]) // RE2 semantics; Python 3.11 returns no match here
        XCTAssertEqual(spans("\\b\\w+$", "hello world"), [[6, 11]])
    }

    func testAnchors() {
        XCTAssertEqual(spans("^abc", "abcabc"), [[0, 3]])
        XCTAssertNil(spans("^abc", "xabc"))
        XCTAssertEqual(spans("abc$", "abcabc"), [[3, 6]])
        XCTAssertEqual(spans("abc$", "abc\n"), [[0, 3]])
        XCTAssertNil(spans("abc$", "abc\n\n"))
        XCTAssertNil(spans("abc\\z", "abc\n"))
        XCTAssertEqual(spans("\\Aabc\\z", "abc"), [[0, 3]])
        XCTAssertNil(spans("^b", "a\nb"))
        XCTAssertEqual(spans("(?m)^b", "a\nb"), [[2, 3]])
        XCTAssertEqual(spans("^b", "a\nb", options: .multiline), [[2, 3]])
        XCTAssertEqual(spans("(?m)a$", "a\nb"), [[0, 1]])
        XCTAssertNil(spans("(?m)\\Ab", "a\nb"))
        XCTAssertEqual(spans("$", "ab\n"), [[2, 2]])
        XCTAssertEqual(spans("^$", ""), [[0, 0]])
    }

    func testGroupsAndCaptures() {
        XCTAssertEqual(spans("(a)(b)?(c)", "ac"), [[0, 2], [0, 1], nil, [1, 2]])
        XCTAssertEqual(spans("(?:ab)+", "xababy"), [[1, 5]])
        XCTAssertEqual(spans("(ab)+", "xababy"), [[1, 5], [3, 5]])
        XCTAssertEqual(spans("((a)|(b))+", "ab"), [[0, 2], [1, 2], [0, 1], [1, 2]])
        let r = try! ByteRegex("(?<first>\\w+) (?P<second>\\w+) (\\w+)")
        XCTAssertEqual(r.captureCount, 3)
        XCTAssertEqual(r.captureNames, ["first", "second", nil])
        XCTAssertEqual(group("(?<first>\\w+) (?P<second>\\w+)", "hello big world", 2), "big")
    }

    func testAlternationIsLeftmostFirst() {
        XCTAssertEqual(spans("a|ab", "ab"), [[0, 1]])
        XCTAssertEqual(spans("ab|a", "ab"), [[0, 2]])
        XCTAssertEqual(spans("(a|ab)(c|bcd)", "abcd"), [[0, 4], [0, 1], [1, 4]])
        XCTAssertEqual(spans("(ERROR|WARN)", "x WARN ERROR"), [[2, 6], [2, 6]])
        XCTAssertEqual(spans("b|a", "ab"), [[0, 1]])
        XCTAssertEqual(spans("|a", "a"), [[0, 0]])
    }

    func testGreedyAndLazy() {
        XCTAssertEqual(spans("a+", "aaa"), [[0, 3]])
        XCTAssertEqual(spans("a+?", "aaa"), [[0, 1]])
        XCTAssertEqual(spans("a*?", "aaa"), [[0, 0]])
        XCTAssertEqual(spans("a??b", "ab"), [[0, 2]])
        XCTAssertEqual(spans("<(.+)>", "<a><b>"), [[0, 6], [1, 5]])
        XCTAssertEqual(spans("<(.+?)>", "<a><b>"), [[0, 3], [1, 2]])
        XCTAssertEqual(spans("a{2}", "aaaa"), [[0, 2]])
        XCTAssertEqual(spans("a{2,}", "aaaa"), [[0, 4]])
        XCTAssertEqual(spans("a{2,3}", "aaaa"), [[0, 3]])
        XCTAssertEqual(spans("a{2,3}?", "aaaa"), [[0, 2]])
        XCTAssertEqual(spans("a{,2}", "aaaa"), [[0, 2]])
        XCTAssertEqual(spans("(a+)(a*)", "aaa"), [[0, 3], [0, 3], [3, 3]])
        XCTAssertEqual(spans("(a+?)(a*)", "aaa"), [[0, 3], [0, 1], [1, 3]])
        XCTAssertEqual(spans("(a*)+", "b"), [[0, 0], [0, 0]])
        XCTAssertEqual(spans("x*", "aaa"), [[0, 0]])
    }

    func testFlags() {
        XCTAssertEqual(group("(?i)error", "An ErRoR here"), "ErRoR")
        XCTAssertEqual(group("error", "An ERROR", options: .caseInsensitive), "ERROR")
        XCTAssertEqual(group("a(?i)b", "aB"), "aB")
        XCTAssertNil(group("a(?i)b", "AB"))
        XCTAssertEqual(group("(?i:a)b", "Ab"), "Ab")
        XCTAssertNil(group("(?i:a)b", "AB"))
        XCTAssertEqual(group("(?i)a(?-i:b)", "Ab"), "Ab")
        XCTAssertNil(group("(?i)a(?-i:b)", "AB"))
        XCTAssertEqual(group("(?i)[a-c]+", "xAbCy"), "AbC")
        XCTAssertEqual(group("(?i)[^a]+", "aAbB"), "bB")
        XCTAssertEqual(group("(?is)a.b", "A\nB"), "A\nB")
        XCTAssertEqual(group("(?i)é", "É"), "É")
        XCTAssertEqual(group("(?i)straße", "STRAßE"), "STRAßE")
        XCTAssertEqual(group("(?i)k", "\u{212A}"), "\u{212A}")
        XCTAssertEqual(group("(x(?i)a)a", "xAa"), "xAa")
        XCTAssertNil(group("(x(?i)a)a", "xAA"))
        XCTAssertEqual(group("a(?#comment)b", "ab"), "ab")
    }

    func testUnicodeLiterals() {
        XCTAssertEqual(spans("日本", "こんにちは日本"), [[15, 21]])
        XCTAssertEqual(group("(é+)x", "aééx", 1), "éé")
        XCTAssertEqual(group("\u{1F600}+", "a\u{1F600}\u{1F600}b"), "\u{1F600}\u{1F600}")
    }

    func testInvalidUTF8DoesNotBreakDot() throws {
        let r = try ByteRegex("a(.*)z")
        let bytes: [UInt8] = [0x61, 0xE9, 0x20, 0xFF, 0x80, 0x7A]
        let m = bytes.withUnsafeBytes { r.firstMatch($0) }
        XCTAssertEqual(m?.spans[1], 1..<5)
    }

    func testFromOffset() throws {
        let r = try ByteRegex("\\bab")
        let bytes = Array("abab ab".utf8)
        bytes.withUnsafeBytes { buf in
            XCTAssertEqual(r.firstMatch(buf, from: 0)?.range, 0..<2)
            XCTAssertEqual(r.firstMatch(buf, from: 1)?.range, 5..<7)
            XCTAssertNil(r.firstMatch(buf, from: 6))
            XCTAssertEqual(r.firstMatch(buf, from: 7)?.range, nil)
        }
        let anchored = try ByteRegex("^ab")
        bytes.withUnsafeBytes { buf in
            XCTAssertNil(anchored.firstMatch(buf, from: 2))
        }
        let lit = try ByteRegex("ab")
        bytes.withUnsafeBytes { buf in
            XCTAssertEqual(lit.firstMatch(buf, from: 1)?.range, 2..<4)
        }
    }

    func testEmptyHaystack() throws {
        let r = try ByteRegex("a*")
        XCTAssertTrue(r.isMatch(UnsafeRawBufferPointer(start: nil, count: 0)))
        XCTAssertEqual(r.firstMatch(UnsafeRawBufferPointer(start: nil, count: 0))?.range, 0..<0)
        XCTAssertFalse(try ByteRegex("a").isMatch(""))
    }

    func testRequiredLiterals() throws {
        func lits(_ p: String) -> [String]? {
            (try? ByteRegex(p))?.requiredLiterals?.map { String(decoding: $0, as: UTF8.self) }
        }
        XCTAssertEqual(lits("Max Memory Used: (\\d+)"), ["Max Memory Used: "])
        XCTAssertEqual(lits("(ERROR|WARN)"), ["ERROR", "WARN"])
        XCTAssertNil(lits("\\d+"))
        XCTAssertEqual(lits("Duration: (?<d>[\\d.]+) ms"), ["Duration: "])
        XCTAssertEqual(lits("\\d+ ms"), [" ms"])
        XCTAssertNil(lits("a|\\d"))
        XCTAssertNil(lits("(abc)?"))
        XCTAssertEqual(lits("(abc)+"), ["abc"])
        XCTAssertEqual(lits("x\\d+yz"), ["yz"])
        XCTAssertEqual(lits("\\bfoo\\b"), ["foo"])
    }

    func testConcurrentUse() throws {
        let r = try ByteRegex("Duration: (?<d>[\\d.]+) ms")
        let line = Array("REPORT Duration: 12.34 ms\tBilled Duration: 13 ms".utf8)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<2000 {
                let m = line.withUnsafeBytes { r.firstMatch($0) }
                precondition(m?.spans[1] == 17..<22)
            }
        }
    }
}
