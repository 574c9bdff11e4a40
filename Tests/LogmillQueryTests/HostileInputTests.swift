import Foundation
import XCTest
import LogmillTime
import LogmillRecords
@testable import LogmillQuery

/// Never a trap, never a silent wrong answer: hostile numbers and strings given to every registered
/// function, periods at the ends of Int64, literals that do not fit, nesting without end, and the
/// one reading of "is a number" that `filter`, `sort`, `stats … by` and `dedup` share.
final class HostileInputTests: FunctionTestCase {
    static var hostile: [Value] { [
        .number(1e300), .number(-1e300), .number(.infinity), .number(-.infinity), .number(.nan), .number(-0.0),
        .int(.max), .int(.min), .timestamp(.max), .timestamp(.min), .timestamp(.max - 1),
        .string(""), .string(String(repeating: "x%9€", count: 2_600)), .null,
        .string("99999999999999999999"), .string("-1e400"), .string("1e999"), .string("0xffffffffffffffffff"),
        .string("9223372036854775807"), .string("-9223372036854775808"), .string("[[[[[[[["),
        .structure(.array([.number("1e999")])),
    ] }

    /// Every function in the registry, at every arity it takes (up to three arguments), with each
    /// hostile value in each position against every other: a trap fails the whole test run.
    func testEveryRegisteredFunctionSurvivesHostileArguments() {
        let ctx = EvalContext(slotCount: 0, now: FunctionTestCase.now)
        var calls = 0
        let hostile = HostileInputTests.hostile
        for f in FunctionRegistry.functions {
            for k in f.arity.lowerBound...max(f.arity.lowerBound, min(f.arity.upperBound, 3)) {
                for args in HostileInputTests.argumentLists(hostile, count: k) {
                    let v: Value
                    switch f.implementation {
                    case .evaluated(let evaluate): v = evaluate(args, ctx)
                    case .inline(let fn): v = ctx.call(fn, args.map { .constant($0) })
                    }
                    _ = v.render()
                    _ = GroupTable.encode(v, into: &scratch)
                    calls += 1
                }
            }
        }
        XCTAssertGreaterThan(calls, 10_000)
        // The clock and the window are inputs too (`--now`, `--from`, `--to`).
        for now in [Double.nan, 1e300, -1e300, .infinity] {
            let odd = EvalContext(slotCount: 0, now: now)
            odd.windowStart = .min
            for f in FunctionRegistry.functions where f.arity.lowerBound == 0 {
                switch f.implementation {
                case .evaluated(let evaluate): _ = evaluate([], odd).render()
                case .inline(let fn): _ = odd.call(fn, []).render()
                }
            }
        }
    }
    private var scratch: [UInt8] = []

    /// Every aggregate with every hostile value at hostile times: add, merge, encode, decode, result.
    func testEveryAggregateSurvivesHostileValues() throws {
        for function in AggregateFunction.allCases {
            for p in [0.0, 50, 100] {
                let spec = AggregateSpec(function: function, argument: .constant(.null), parameter: p)
                let a = spec.makeAccumulator(), b = spec.makeAccumulator()
                for (i, v) in HostileInputTests.hostile.enumerated() {
                    let t: Int64 = [.min, .max, 0, -1][i % 4]
                    a.add(v, timestamp: t)
                    for _ in 0..<(i == 0 ? 10_500 : 1) { b.add(v, timestamp: t) }   // past pct's exact limit
                }
                a.merge(b)
                var w = PartialWriter()
                a.encode(into: &w)
                let c = spec.makeAccumulator()
                var r = PartialReader(w.bytes)
                try c.decode(from: &r)
                XCTAssertEqual(c.result().render(), a.result().render(), "\(function)")
            }
        }
    }

    /// `GroupStates` (the flat states of a group table) gives every aggregate the results, merges and
    /// bytes of its `Accumulator`: numbers only, then hostile values arriving before and after numbers.
    func testGroupStatesMatchTheAccumulators() throws {
        let numbers: [Value] = [.number(3), .number(-0.0), .number(0), .number(.nan), .number(7.5), .number(-2), .int(9), .number(1e308), .number(1e308)]
        let lists = [numbers, HostileInputTests.hostile + numbers, numbers + HostileInputTests.hostile, [], [.null]]
        for function in AggregateFunction.allCases {
            let spec = AggregateSpec(function: function, argument: function == .count ? nil : .constant(.null), parameter: 90)
            for (x, first) in lists.enumerated() {
                for (y, second) in lists.enumerated() {
                    let what = "\(function), lists \(x) and \(y)"
                    var states = GroupStates(specs: [spec]), theirs = GroupStates(specs: [spec])
                    states.append(); states.append(); theirs.append()
                    let a = spec.makeAccumulator(), b = spec.makeAccumulator()
                    for (i, v) in first.enumerated() { states.add(1, 0, v, timestamp: Int64(i)); a.add(v, timestamp: Int64(i)) }
                    for (i, v) in second.enumerated() { theirs.add(0, 0, v, timestamp: Int64(-i)); b.add(v, timestamp: Int64(-i)) }
                    XCTAssertEqual(states.result(1, 0).render(), a.result().render(), what)
                    XCTAssertEqual(states.result(0, 0).render(), spec.makeAccumulator().result().render(), what)
                    states.merge(1, theirs, 0)
                    a.merge(b)
                    var w1 = PartialWriter(), w2 = PartialWriter()
                    states.encode(1, into: &w1)
                    a.encode(into: &w2)
                    // (A set's bytes follow its iteration order, which differs between equal sets.)
                    if function != .count_distinct { XCTAssertTrue(w1.bytes == w2.bytes, what) }
                    XCTAssertEqual(states.result(1, 0).render(), a.result().render(), what)
                    var read = GroupStates(specs: [spec])
                    var r = PartialReader(w1.bytes)
                    try read.appendDecoded(from: &r)
                    XCTAssertTrue(r.atEnd, what)
                    var w3 = PartialWriter()
                    read.encode(0, into: &w3)
                    XCTAssertEqual(read.result(0, 0).render(), a.result().render(), what)
                    if function != .count_distinct { XCTAssertTrue(w3.bytes == w1.bytes, what) }
                }
            }
        }
    }

    /// For `k` arguments: every pair of hostile values in every pair of positions (the 10 KB string
    /// only once per list, to keep the test quick), the rest a plain 1.
    static func argumentLists(_ hostile: [Value], count k: Int) -> [[Value]] {
        if k == 0 { return [[]] }
        let small = hostile.filter { ($0.text?.utf8.count ?? 0) < 1000 }
        var out: [[Value]] = []
        for i in 0..<k {
            for a in hostile {
                if k == 1 { out.append([a]); continue }
                for j in 0..<k where j != i {
                    for b in small {
                        var args = [Value](repeating: .int(1), count: k)
                        args[i] = a
                        args[j] = b
                        out.append(args)
                    }
                }
            }
        }
        return out
    }

    /// `bin`, `datefloor` and `dateceil` are compiled to their own expressions: the same values there.
    func testPeriodFunctionsSurviveHostileTimes() {
        let ctx = EvalContext(slotCount: 0, now: FunctionTestCase.now)
        for text in ["1ms", "5m", "1d", "1w", "1mo", "1q", "1y", "1000000000y", "1000000000w", "1000000000mo", "3650000d"] {
            let p = Period.parse(text)!
            for v in HostileInputTests.hostile {
                _ = ctx.eval(.periodFloor(.constant(v), p, ceiling: false)).render()
                _ = ctx.eval(.periodFloor(.constant(v), p, ceiling: true)).render()
            }
            for t: Int64 in [.min, .min + 1, .min + 86_399_999, -1, 0, 1, .max - 86_400_000, .max - 1, .max] {
                let f = p.floor(t), c = p.ceil(t)
                XCTAssertLessThanOrEqual(f, t, "\(text) floor \(t)")
                XCTAssertGreaterThanOrEqual(c, t, "\(text) ceil \(t)")
                XCTAssertEqual(p.floor(f), f, "\(text) floor is a boundary at \(t)")
                let w = p.window(containing: t)
                XCTAssertTrue(w.start <= t && (w.end > t || w.end == .max), "\(text) window at \(t)")
                XCTAssertLessThanOrEqual(p.windows(from: t, to: t).count, 1)   // no trap, no endless loop
                var r = Record()
                r.timestamp = t
                ctx.begin(r)
                _ = ctx.eval(.bin(p)).render()
            }
        }
        // Away from the ends nothing changed.
        XCTAssertEqual(Period.parse("5m")!.floor(-1), -300_000)
        XCTAssertEqual(Period.parse("5m")!.ceil(1), 300_000)
        XCTAssertEqual(Period.parse("1w")!.floor(0), -3 * 86_400_000)   // Monday 1969-12-29
        XCTAssertEqual(Period.parse("1mo")!.floor(-1), -31 * 86_400_000)  // 1969-12-01
        XCTAssertEqual(Period.parse("1y")!.ceil(1), 365 * 86_400_000)
        XCTAssertEqual(Period.parse("1mo")!.next(after: 0), 31 * 86_400_000)
        XCTAssertEqual(Period.parse("2w")!.windows(from: 0, to: 86_400_000).map(\.end), [11 * 86_400_000])
        XCTAssertEqual(Period.parse("5m")!.windows(from: 1, to: 600_001).map(\.start), [0, 300_000, 600_000])
        XCTAssertEqual(Period.parse("1q")!.floor(Int64(CivilCalendar.daysFromCivil(-5, 5, 7)) * 86_400_000),
                       Int64(CivilCalendar.daysFromCivil(-5, 4, 1)) * 86_400_000)
    }

    func testOutOfRangeNumbersGiveNull() {
        let huge = "(9223372036854775807 * 1000)"
        for expr in ["fromMillis(\(huge))", "fromMillis(-\(huge))", "toMillis(\(huge))", "datefloor(\(huge), 1h)",
                     "dateceil(-\(huge), 1d)", "formatDate(\(huge), '%Y')", "strftime(-\(huge), '%s')",
                     "substr('abc', \(huge))", "substr('abc', 1, \(huge))", "substr('abc', -\(huge))", "fromMillis(1 / 0)",
                     "parseDate('9999999999-01-01', 'yyyyyyyyyy-MM-dd')",
                     "parseDate('123456789012345678901234', 'SSSSSSSSSSSSSSSSSSSSSSSS')"] {
            XCTAssertNil(text(expr), expr)
        }
        assertText("substr('abcdef', 2, 9223372036854774784)", "cdef")
        assertText("substr('abcdef', -9223372036854775807)", "abcdef")
        assertText("formatDate(9223372036854774784, '%Y')", "292278994")
        assertText("fromMillis(0)", "1970-01-01 00:00:00.000")
    }

    func testLiteralsThatDoNotFitAreErrorsWithTheirPosition() {
        func located(_ q: String) -> String? {
            do { _ = try QueryEngine(text: q); return nil } catch let e as QueryError {
                return e.location.map { "\($0.line):\($0.column) " } .map { $0 + e.message }
            } catch { return "\(error)" }
        }
        XCTAssertEqual(located("fields 1 as a\n| limit 99999999999999999999"), "2:9 the number 99999999999999999999 is too large")
        XCTAssertEqual(located("fields x[99999999999999999999] as a"), "1:10 the number 99999999999999999999 is too large")
        XCTAssertEqual(located("fields x[9223372036854775807] as a"), "1:10 list index 9223372036854775807 is too large")
        XCTAssertEqual(located("filter x > 1" + String(repeating: "0", count: 400)), "1:12 the number 1\(String(repeating: "0", count: 400)) is too large")
        XCTAssertEqual(located("stats count(*) by bin(999999999999999d)"), "1:23 '999999999999999d' is not a time period")
        XCTAssertEqual(located("fields 1 as a | limit 100001"), "1:23 limit 100001 is above the maximum of 100,000")
        XCTAssertNil(located("fields x[18] as a, 123456789012.5 as b | limit 100000"))
    }

    func testNestingIsBoundedWithAnErrorWhereTheLimitIsPassed() throws {
        // Longer than Insights allows: refused before tokenizing, however deep.
        for q in ["fields " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000) + " as a",
                  "fields " + String(repeating: "(", count: 100_000)] {
            XCTAssertThrowsError(try QueryEngine(text: q)) { XCTAssertTrue("\($0)".contains("at most 10,000"), "\($0)") }
        }
        let n = QueryParser.maxNesting
        // (opening text repeated, closing text, what precedes the token that passes the limit)
        let cases: [(String, String, String)] = [("(", ")", ""), ("abs(", ")", ""), ("not ", "", ""), ("- ", "", ""), ("2 ^ ", "", "2 "),
                                                 ("2 + ", "", "2 "), ("2 * ", "", "2 "), ("1 = (", ")", "1 = "), ("abs(1 = ", ")", "")]
        for (open, close, lead) in cases {
            let ok = "fields " + String(repeating: open, count: n) + "1" + String(repeating: close, count: n) + " as a"
            XCTAssertNoThrow(try QueryEngine(text: ok), open)
            let deep = "fields " + String(repeating: open, count: 1_000) + "1" + String(repeating: close, count: 1_000) + " as a"
            XCTAssertThrowsError(try QueryEngine(text: deep), open) { e in
                guard let e = e as? QueryError else { return XCTFail("\(e)") }
                XCTAssertEqual(e.message, "the expression nests more than \(n) levels deep here", open)
                // The position of the level that passes the limit.
                let prefix = "fields " + String(repeating: open, count: n) + lead
                XCTAssertEqual(e.location?.column, prefix.count + 1, open)
            }
        }
        // An arithmetic chain builds a deep tree without deep parsing: bounded the same way.
        XCTAssertThrowsError(try QueryEngine(text: "fields " + String(repeating: "1+", count: 4_990) + "1 as a"))
        // `and`/`or` chains (generated filters) become balanced trees: any length the 10,000
        // characters allow compiles, and evaluates as the chain reads.
        let anyOf = "filter " + (0..<700).map { "x = \($0)" }.joined(separator: " or ") + " | stats count(*) as n"
        XCTAssertEqual(try run(anyOf, "{\"x\": 699}\n{\"x\": 5}\n{\"x\": 700}\n").rows.first?.first?.render(), "2")
        let allOf = "filter " + (0..<900).map { _ in "x > 0" }.joined(separator: " and ") + " and x < 6 | stats count(*) as n"
        XCTAssertEqual(try run(allOf, "{\"x\": 1099}\n{\"x\": 5}\n{\"x\": 0}\n").rows.first?.first?.render(), "1")
        // The deepest allowed expression compiles and evaluates on the scan's worker threads.
        let q = "fields " + String(repeating: "abs(", count: n - 1) + "-2" + String(repeating: ")", count: n - 1) + " as a | limit 1"
        let r = try run(q, "2026-01-01T00:00:00.000Z x\n")
        XCTAssertEqual(r.rows.first?.first?.render(), "2.0")
    }

    func testDeepJSONIsNullNotACrash() {
        let depth = 100_000
        XCTAssertNil(text("jsonParse(@message)", line: String(repeating: "[", count: depth) + String(repeating: "]", count: depth)))
        XCTAssertNil(text("jsonArraySize(@message)", line: String(repeating: "[", count: depth)))
        XCTAssertNil(text("jsonParse(@message)", line: String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)))
        XCTAssertEqual(text("jsonArraySize(@message)", line: String(repeating: "[", count: 100) + String(repeating: "]", count: 100)), "1")
    }

    /// What reads as a number in `filter` reads as one in `sort`, and they order it the same way.
    func testSortAndFilterAgreeOnNumbers() throws {
        let texts = ["1.5e3", "2E-3", "5e1", "200", "-7", " 42 ", "+3", ".5", "5.", "1e999", "abc", "5A", "111A", "0", "-0", "01", "e5", "1e", "--1", "1.2.3"]
        let values: [Value] = texts.map { .string($0) } + [.number(1500), .number(-0.0), .int(50), .number(.nan), .number(.infinity)]
        for a in values {
            for b in values {
                let natural = NaturalOrder.compare(a, b)
                XCTAssertEqual(NaturalOrder.compare(b, a), -natural, "antisymmetric: \(a) \(b)")
                guard let x = a.number, let y = b.number, !x.isNaN, !y.isNaN, x != y else { continue }
                XCTAssertEqual(natural, Value.compare(a, b), "\(a) vs \(b)")
            }
        }
        let lines = ["1.5e3", "200", "2E-3", "5e1", "abc", "-1"].map { "{\"x\": \"\($0)\", \"n\": \($0 == "abc" ? "\"abc\"" : $0)}" }
        let log = lines.joined(separator: "\n") + "\n"
        let sorted = try run("sort x asc | fields x", log).rows.map { $0[0].render()! }
        XCTAssertEqual(sorted, ["abc", "-1", "2E-3", "5e1", "200", "1.5e3"])
        let byNumber = try run("sort n desc | fields n", log).rows.map { $0[0].render()! }
        XCTAssertEqual(byNumber, ["1.5e3", "200", "5e1", "2E-3", "-1", "abc"])
        let filtered = try run("filter x > 100 | sort x asc | fields x", log).rows.map { $0[0].render()! }
        XCTAssertEqual(filtered, ["abc", "200", "1.5e3"])   // "abc" > "100" as text
    }

    func testAMissingArgumentMakesLeastGreatestAndConcatMissing() {
        let line = "{\"a\": 3, \"b\": 7, \"s\": \"x\"}"
        XCTAssertNil(text("greatest(a, nope)", line: line))
        XCTAssertNil(text("least(nope, a, b)", line: line))
        XCTAssertNil(text("greatest(a, s)", line: line))
        XCTAssertNil(text("concat(s, nope, '-')", line: line))
        XCTAssertEqual(text("greatest(a, b)", line: line), "7.0")
        XCTAssertEqual(text("least(a, b, 5)", line: line), "3.0")
        XCTAssertEqual(text("concat(s, '-', a)", line: line), "x-3")
        XCTAssertEqual(text("coalesce(nope, s)", line: line), "x")
    }

    /// `stats … by` and `dedup` use `=`'s equality: -0 and 0, 200 and "200", are one key.
    func testNegativeZeroAndZeroAreOneGroup() throws {
        let log = ["{\"x\": -0.3, \"t\": \"-0\"}", "{\"x\": 0.2, \"t\": \"0\"}", "{\"x\": 0, \"t\": \"0.0\"}", "{\"x\": -1e-9, \"t\": \"00\"}"]
            .joined(separator: "\n") + "\n"
        let groups = try run("fields round(x) as r | stats count(*) as n by r", log).rows.map { $0.map { $0.render() ?? "" } }
        XCTAssertEqual(groups, [["0.0", "4"]])
        let negated = try run("fields -x * 0 as z | stats count(*) as n by z", log).rows.map { $0.map { $0.render() ?? "" } }
        XCTAssertEqual(negated, [["0.0", "4"]])
        let texts = try run("stats count(*) as n by t", log).rows.map { $0[1].render() }
        XCTAssertEqual(texts, ["4"])
        let mixed = try run("fields concat(t, '') as s, round(x) as r | stats count(*) by r, s", log).rows.count
        XCTAssertEqual(mixed, 1)
        let deduped = try run("fields round(x) as r | dedup r", log).rows.count
        XCTAssertEqual(deduped, 1)
        XCTAssertEqual(try run("stats count(*) by t", "{\"t\": \"abc\"}\n{\"t\": \"ABC\"}\n{\"t\": \"abc\"}\n").rows.count, 2)
        // Long numeric IDs are not merged by a double's rounding.
        let ids = "{\"id\": 1234567890123456789}\n{\"id\": 1234567890123456790}\n{\"id\": 1234567890123456789}\n"
        XCTAssertEqual(try run("stats count(*) as n by id", ids).rows.map { $0[1].render()! }, ["2", "1"])
        XCTAssertEqual(try run("dedup id", ids).rows.count, 2)
        XCTAssertEqual(try run("stats count_distinct(id) as n", ids).rows.first?.first?.render(), "2")
        XCTAssertEqual(try run("stats count_distinct(t) as n", log).rows.first?.first?.render(), "1")
    }
}
