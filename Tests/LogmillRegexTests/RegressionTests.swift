import XCTest
@testable import LogmillRegex
import LogmillTestSupport

/// Minimized disagreements found by the differential test, kept as fixed cases.
final class RegressionTests: XCTestCase {
    /// The lazy DFA once reported a later match start when a loop re-entered the start state.
    func testMatchStartAfterStartStateReentry() {
        XCTAssertEqual(spans("c*", "ca"), [[0, 1]])
        XCTAssertEqual(spans("\\s*", "\nc"), [[0, 1]])
        XCTAssertEqual(spans("(?s).*\\d|1", "a1--"), [[0, 2]])
        XCTAssertEqual(spans("\\w*?(a.)", "xaxxb "), [[0, 3], [1, 3]])
        XCTAssertEqual(spans("[^b-c1]*x", "A\n.bcAx."), [[5, 7]])
        XCTAssertEqual(spans("(?i)\\w*?[a-c]", "1aAA1"), [[0, 2]])
    }

    /// The lazy DFA must agree with the PikeVM when its cache is too small and gets cleared
    /// (or the search gives up) mid-search.
    func testLazyDFACacheThrashing() throws {
        var rng = SeededRandom(seed: 42)
        for pattern in ["(a|b)*a(a|b){8}c", "[ab]*b[ab]{6}", "x(a|b)*?a(a|b){5}y"] {
            let parsed = try Parser.parse(pattern, options: [])
            let prog = try Compiler.compile(parsed)
            let dfa = LazyDFA(prog: prog, prefilter: .none)
            let vm = PikeVM(prog: prog, prefilter: .none)
            let scratch = PikeScratch(program: prog)
            let cache = DFACache(program: prog, memoryBudget: 1) // 64 states: clears constantly
            var gaveUp = 0
            for _ in 0..<200 {
                let bytes = (0..<(50 + rng.below(400))).map { _ in rng.pick(Array("abxyc".utf8)) }
                bytes.withUnsafeBufferPointer { buf in
                    let h = buf.baseAddress!
                    let expected = vm.search(h, buf.count, start: 0, earliest: false, scratch: scratch)
                    let end = expected ? scratch.best[1] : -1
                    switch dfa.find(h, buf.count, start: 0, anchored: false, earliest: false, cache: cache) {
                    case .match(let e, _): XCTAssertEqual(e, end, pattern)
                    case .noMatch: XCTAssertFalse(expected, pattern)
                    case .gaveUp: gaveUp += 1
                    }
                }
            }
            XCTAssertLessThan(gaveUp, 200, pattern)
        }
    }
}
