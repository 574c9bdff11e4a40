import XCTest
@testable import LogmillRegex

/// Pathological patterns for backtracking engines must complete on large inputs.
/// These assert results, not timings: a backtracker would simply never finish.
final class LinearTimeTests: XCTestCase {
    let size = 100_000

    func run(_ pattern: String, _ input: [UInt8]) throws -> RegexMatch? {
        let r = try ByteRegex(pattern)
        let m = input.withUnsafeBytes { r.firstMatch($0) }
        let ok = input.withUnsafeBytes { r.isMatch($0) }
        XCTAssertEqual(ok, m != nil, pattern)
        return m
    }

    func testNestedQuantifiers() throws {
        var input = [UInt8](repeating: UInt8(ascii: "a"), count: size)
        input.append(UInt8(ascii: "!"))
        XCTAssertNil(try run("(a+)+$", input))
        XCTAssertNil(try run("(a|aa)*b", input))
        XCTAssertNil(try run("(a*)*b", input))
        XCTAssertNil(try run("(.*){20}x", input))
        XCTAssertNil(try run("(?:a|a)*c", input))
    }

    func testLongMatches() throws {
        let input = [UInt8](repeating: UInt8(ascii: "a"), count: size)
        XCTAssertEqual(try run("(a+)+$", input)?.range, 0..<size)
        XCTAssertEqual(try run("(.*){20}$", input)?.spans[1], size..<size)
        XCTAssertEqual(try run("(a|aa)*", input)?.range, 0..<size)
    }

    func testManyCandidates() throws {
        // Prefilter candidates everywhere, none completing.
        let input = Array(String(repeating: "Duration: x", count: size / 11).utf8)
        XCTAssertNil(try run("Duration: (\\d+)", input))
        XCTAssertNil(try run("(?i)duration: \\d", input))
        XCTAssertNil(try run("\\w+\\d", input))
    }
}
