import XCTest
import LogmillReport

final class SparklineTests: XCTestCase {
    func testWidthIsAtMostTheCellsAskedFor() {
        let hundred = (0..<100).map { Double($0) as Double? }
        XCTAssertEqual(Sparkline.render(hundred, width: 10).count, 10)
        XCTAssertEqual(Sparkline.render(hundred).count, 48)
        // Fewer values than cells: one cell per value, never stretched.
        XCTAssertEqual(Sparkline.render([1, 2, 3], width: 10).count, 3)
        XCTAssertEqual(Sparkline.render(hundred, width: 0), "")
        XCTAssertEqual(Sparkline.render(hundred, width: -3), "")
    }

    func testEveryLevelInOrder() {
        XCTAssertEqual(Sparkline.render([0, 1, 2, 3, 4, 5, 6, 7]), "▁▂▃▄▅▆▇█")
        XCTAssertEqual(Sparkline.render([7, 0]), "█▁")
    }

    func testBucketsShowTheirMaximum() {
        // A one-value spike in a bucket of four shows at full height; averaging would hide it.
        XCTAssertEqual(Sparkline.render([0, 0, 0, 9, 0, 0, 0, 0], width: 2), "█▁")
        XCTAssertEqual(Sparkline.render([1, 5, 2, 3, 3, 3], width: 2), "█▁")
        // 10 values in 4 cells: buckets of 2, 3, 2, 3 values ([0,1] [2,3,4] [5,6] [7,8,9]).
        XCTAssertEqual(Sparkline.render([9, 0, 0, 0, 0, 0, 0, 0, 0, 0], width: 4), "█▁▁▁")
        XCTAssertEqual(Sparkline.render([0, 0, 9, 0, 0, 0, 0, 0, 0, 0], width: 4), "▁█▁▁")
        XCTAssertEqual(Sparkline.render([0, 0, 0, 0, 0, 0, 0, 0, 0, 9], width: 4), "▁▁▁█")
    }

    func testGapsAreSpaces() {
        XCTAssertEqual(Sparkline.render([1, nil, 3]), "▁ █")
        XCTAssertEqual(Sparkline.render([nil, nil, nil]), "   ")
        XCTAssertEqual(Sparkline.render([1, .nan, 3, .infinity]), "▁ █ ")
        // A bucket is a gap only when all of it is; one value in it is enough to show.
        XCTAssertEqual(Sparkline.render([nil, nil, 1, nil, 2, 2], width: 3), " ▁█")
        XCTAssertEqual(Sparkline.render([nil, nil, 1, 2], width: 2), " ▄")
    }

    func testConstantSeries() {
        XCTAssertEqual(Sparkline.render([5, 5, 5]), "▄▄▄")
        XCTAssertEqual(Sparkline.render([-2.5, nil, -2.5]), "▄ ▄")
        XCTAssertEqual(Sparkline.render([0, 0, 0, 0]), "▁▁▁▁")
        XCTAssertEqual(Sparkline.render([42]), "▄")
    }

    func testEmptyInput() {
        XCTAssertEqual(Sparkline.render([]), "")
        XCTAssertEqual(Sparkline.render([], width: 5), "")
    }

    func testNegativeValuesScaleFromTheLowest() {
        XCTAssertEqual(Sparkline.render([-7, -6, -5, -4, -3, -2, -1, 0]), "▁▂▃▄▅▆▇█")
        XCTAssertEqual(Sparkline.render([-14, 0, -14]), "▁█▁")
        // A span wider than Double's range must not overflow to infinity (or NaN) on the way.
        XCTAssertEqual(Sparkline.render([-.greatestFiniteMagnitude, 0, .greatestFiniteMagnitude]), "▁▅█")
    }
}
