import Foundation
import XCTest
@testable import LogmillQuery
import LogmillTestSupport

/// pct() beyond the exact limit answers from a sketch.
final class PercentileSketchTests: XCTestCase {
    func testPercentileSketchStaysWithinOnePercent() {
        // 200,000 log-normal-ish values: beyond the exact limit, so the sketch answers.
        var rng = SeededRandom(seed: 7)
        let xs = (0..<200_000).map { _ in Foundation.exp(rng.nextDouble() * 10) * (rng.nextDouble() < 0.01 ? -1 : 1) }
        let sorted = xs.sorted()
        for p in [1.0, 50, 90, 99, 99.9] {
            let acc = Percentile(p: p)
            let half = Percentile(p: p)
            for (i, x) in xs.enumerated() { (i % 2 == 0 ? acc : half).add(.number(x), timestamp: 0) }
            acc.merge(half)
            XCTAssertNotNil(acc.sketch, "spilled to the sketch")
            let exact = sorted[Int((p / 100 * Double(xs.count)).rounded(.up)) - 1]
            let got = acc.result().number!
            XCTAssertLessThanOrEqual(abs(got - exact) / abs(exact), 0.01, "p\(p): \(got) vs \(exact)")
        }
    }
}
