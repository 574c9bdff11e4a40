import XCTest
@testable import LogmillRegex

final class ErrorTests: XCTestCase {
    func assertError(_ pattern: String, contains text: String, column: Int,
                     file: StaticString = #filePath, line: UInt = #line) {
        guard let e = compileError(pattern) else {
            XCTFail("expected /\(pattern)/ to be rejected", file: file, line: line)
            return
        }
        XCTAssertTrue(e.message.contains(text), "message '\(e.message)' lacks '\(text)'", file: file, line: line)
        XCTAssertEqual(e.column, column, "column for /\(pattern)/: \(e.message)", file: file, line: line)
        XCTAssertTrue(e.description.contains("column \(column)"), file: file, line: line)
    }

    func testBackreferences() {
        assertError("(a)\\1", contains: "backreference", column: 4)
        assertError("(?<n>a)\\k<n>", contains: "backreference", column: 8)
        assertError("(?P<n>a)(?P=n)", contains: "backreference", column: 9)
        assertError("[\\1]", contains: "backreference", column: 2)
    }

    func testLookaround() {
        assertError("a(?=b)", contains: "lookahead", column: 2)
        assertError("a(?!b)", contains: "negative lookahead", column: 2)
        assertError("(?<=a)b", contains: "lookbehind", column: 1)
        assertError("(?<!a)b", contains: "negative lookbehind", column: 1)
    }

    func testAtomicAndPossessive() {
        assertError("(?>a+)b", contains: "atomic", column: 1)
        assertError("a++", contains: "possessive", column: 3)
        assertError("a*+", contains: "possessive", column: 3)
        assertError("a{2}+", contains: "possessive", column: 5)
    }

    func testParentheses() {
        assertError("(ab", contains: "missing ')'", column: 1)
        assertError("x(a(b)", contains: "missing ')'", column: 2)
        assertError("ab)", contains: "unexpected ')'", column: 3)
        assertError("(?:a", contains: "missing ')'", column: 1)
    }

    func testClassesAndEscapes() {
        assertError("[z-a]", contains: "bad character range 'z-a'", column: 2)
        assertError("x[abc", contains: "unterminated character set", column: 2)
        assertError("\\q", contains: "unknown escape '\\q'", column: 1)
        assertError("ab\\", contains: "lone backslash", column: 3)
        assertError("\\xZZ", contains: "hexadecimal", column: 1)
        assertError("[\\d-z]", contains: "bad character range", column: 2)
    }

    func testRepetition() {
        assertError("*a", contains: "nothing to repeat", column: 1)
        assertError("a|+", contains: "nothing to repeat", column: 3)
        assertError("(?i)*", contains: "nothing to repeat", column: 5)
        assertError("^*", contains: "nothing to repeat", column: 2)
        assertError("a{1001}", contains: "exceeds 1000", column: 2)
        assertError("a{2,1}", contains: "min repeat greater than max", column: 2)
        assertError("a{1000}{1000}", contains: "too large", column: 1)
        assertError("(a{1000}){1000}{1000}", contains: "too large", column: 1)
        XCTAssertNotNil(try? ByteRegex("a{1000}"))
        XCTAssertNotNil(try? ByteRegex("[a-z]{0,1000}"))
    }

    func testGroupNames() {
        assertError("(?<a>x)(?<a>y)", contains: "redefinition", column: 11)
        assertError("(?<>x)", contains: "missing group name", column: 4)
        assertError("(?<1a>x)", contains: "bad character in group name", column: 4)
        assertError("(?x)a", contains: "not supported", column: 3)
    }
}
