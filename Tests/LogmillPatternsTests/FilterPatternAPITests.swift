import XCTest
import LogmillPatterns

/// The public surface beyond the corpus: kinds, field names, limits, extraction details, large events.
final class FilterPatternAPITests: XCTestCase {
    func testKinds() throws {
        XCTAssertEqual(try FilterPattern.parse("").kind, .terms)
        XCTAssertEqual(try FilterPattern.parse("ERROR").kind, .terms)
        XCTAssertEqual(try FilterPattern.parse("%x%").kind, .regex)
        XCTAssertEqual(try FilterPattern.parse("  { $.a = 1 }  ").kind, .json)
        XCTAssertEqual(try FilterPattern.parse("[a]").kind, .spaceDelimited)
        // A lone `%` is not a regex, and not a bare term either.
        XCTAssertThrowsError(try FilterPattern.parse("%"))
    }

    func testFieldNames() throws {
        XCTAssertEqual(try FilterPattern.parse("{ $.a.b[0] = 1 && ($.c IS TRUE || $.a.b[0] != 2) }").fieldNames, ["$.a.b[0]", "$.c"])
        XCTAssertEqual(try FilterPattern.parse("[ip, ..., , status = 4*]").fieldNames, ["$ip", "$status"])
        XCTAssertEqual(try FilterPattern.parse("ERROR").fieldNames, [])
    }

    func testRequiredLiterals() throws {
        XCTAssertEqual(try FilterPattern.parse(#"ERROR "user id" -DEBUG"#).requiredLiterals, [Array("ERROR".utf8), Array("user id".utf8)])
        XCTAssertNil(try FilterPattern.parse("?ERROR ?WARN").requiredLiterals)
        XCTAssertNil(try FilterPattern.parse("").requiredLiterals)
        XCTAssertNil(try FilterPattern.parse(#"{ $.a = "x" }"#).requiredLiterals)
        XCTAssertEqual(try FilterPattern.parse("%timeout%").requiredLiterals, [Array("timeout".utf8)])
    }

    func testLengthLimit() throws {
        let ok = "\"" + String(repeating: "a", count: FilterPattern.maxLength - 2) + "\""
        XCTAssertNoThrow(try FilterPattern.parse(ok))
        XCTAssertThrowsError(try FilterPattern.parse(ok + " ")) { e in
            XCTAssertEqual((e as? FilterPatternError)?.column, 1025)
        }
        // Characters, not bytes: 1,024 two-byte characters are within the limit.
        XCTAssertNoThrow(try FilterPattern.parse("\"" + String(repeating: "é", count: 1022) + "\""))
    }

    func testColumnsCountCharacters() {
        XCTAssertThrowsError(try FilterPattern.parse("\"é\" a.b")) { e in
            XCTAssertEqual((e as? FilterPatternError)?.column, 6)
            XCTAssertEqual((e as? FilterPatternError)?.description, "filter pattern error at column 6: a term holding '.' must be in double quotes")
        }
    }

    func testExtractedScalars() throws {
        let p = try FilterPattern.parse(#"{ $.msg = * && $.n > 1 && $.ok IS TRUE && $.none IS NULL }"#)
        let line = Array(#"{"msg":"a\"b\\c\u00e9","n":2.5e0,"ok":true,"none":null}"#.utf8)
        try line.withUnsafeBytes { buf in
            let m = try XCTUnwrap(p.extract(buf))
            XCTAssertEqual(m.text("$.msg", in: buf), "a\"b\\cé")
            XCTAssertEqual(m.field("$.msg")?.kind, .string(escaped: true))
            XCTAssertEqual(m.number("$.n", in: buf), 2.5)
            XCTAssertEqual(m.text("$.n", in: buf), "2.5e0")
            XCTAssertEqual(m.field("$.ok")?.kind, .bool)
            XCTAssertNil(m.number("$.ok", in: buf))
            XCTAssertEqual(m.field("$.none")?.kind, .null)
            XCTAssertNil(m.field("$.other"))
            XCTAssertEqual(m.positions.count, 0)
        }
    }

    func testManyFields() throws {
        // More fields than fit on the stack, and a JSON array nested deep.
        let p = try FilterPattern.parse("[first = a, ..., last > 9999]")
        let line = Array((["a"] + (0..<20_000).map(String.init)).joined(separator: " ").utf8)
        try line.withUnsafeBytes { buf in
            XCTAssertTrue(p.matches(buf))
            let m = try XCTUnwrap(p.extract(buf))
            XCTAssertEqual(m.positions.count, 20_001)
            XCTAssertEqual(m.text("$20001", in: buf), "19999")
            XCTAssertEqual(m.text("$last", in: buf), "19999")
        }
        let deep = Array(("{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + ",\"b\":1}").utf8)
        let j = try FilterPattern.parse("{ $.b = 1 && $.a NOT EXISTS }")
        deep.withUnsafeBytes { XCTAssertFalse(j.matches($0)) }
        let k = try FilterPattern.parse("{ $.b = 1 && $.c NOT EXISTS }")
        deep.withUnsafeBytes { XCTAssertTrue(k.matches($0)) }
    }

    func testSharedAcrossThreads() throws {
        let p = try FilterPattern.parse(#"{ $.level = "error" && $.latency > 500 }"#)
        let yes = Array(#"{"level":"error","latency":900}"#.utf8)
        let no = Array(#"{"level":"error","latency":100}"#.utf8)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<2_000 {
                yes.withUnsafeBytes { XCTAssertTrue(p.matches($0)) }
                no.withUnsafeBytes { XCTAssertFalse(p.matches($0)) }
            }
        }
    }
}
