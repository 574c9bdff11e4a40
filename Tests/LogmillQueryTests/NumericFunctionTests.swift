import Foundation
import XCTest
@testable import LogmillQuery

/// round, haversine, the conversions (toNumber, toInt, toLong, toDouble) and isNumeric.
final class NumericFunctionTests: FunctionTestCase {
    func testRound() {
        assertText("round(2.5)", "3.0")
        assertText("round(-2.5)", "-3.0")
        assertText("round(3.14159, 2)", "3.14")
        assertText("round('x')", nil)
    }

    func testHaversine() throws {
        // London (51.5074, -0.1278) to Paris (48.8566, 2.3522): about 343.5 km.
        let d = try XCTUnwrap(value("haversine(51.5074, -0.1278, 48.8566, 2.3522)").number)
        XCTAssertEqual(d, 343.56, accuracy: 0.2)
        XCTAssertEqual(try XCTUnwrap(value("haversine(0, 0, 0, 0)").number), 0, accuracy: 1e-12)
        // A quarter of the equator.
        XCTAssertEqual(try XCTUnwrap(value("haversine(0, 0, 0, 90)").number), 6371.0 * Double.pi / 2, accuracy: 1e-6)
        // Antipodes: half the circumference.
        XCTAssertEqual(try XCTUnwrap(value("haversine(90, 0, -90, 0)").number), 6371.0 * Double.pi, accuracy: 1e-6)
        assertText("haversine(1, 2, 3, 'x')", nil)
    }

    func testConversions() {
        assertText("toNumber('42')", "42")
        assertText("toNumber(' 42 ')", "42")
        assertText("toNumber('2.5')", "2.5")
        assertText("toNumber('-1e3')", "-1000.0")
        assertText("toNumber('abc')", nil)
        assertText("toNumber('')", nil)
        assertText("toInt('42.9')", "42")
        assertText("toInt(-42.9)", "-42")
        assertText("toInt('2147483647')", "2147483647")
        assertText("toInt('2147483648')", nil)
        assertText("toInt('-2147483648')", "-2147483648")
        assertText("toInt('x')", nil)
        assertText("toLong('9007199254740993')", "9007199254740993")  // exact, no detour through Double
        assertText("toLong('3000000000.7')", "3000000000")
        assertText("toLong('9223372036854775808')", nil)
        assertText("toDouble('3')", "3.0")
        assertText("toDouble(7)", "7.0")
        assertText("toDouble('1.5e3')", "1500.0")
        assertText("toDouble('nope')", nil)
        // Field text from a JSON log line.
        assertText("toInt(n) + 1", "43.0", line: "{\"n\": \"42\"}")
    }

    func testIsNumeric() {
        assertText("isNumeric('42')", "1")
        assertText("isNumeric(' -4.5e3 ')", "1")
        assertText("isNumeric('4x')", "0")
        assertText("isNumeric('')", "0")
        assertText("isNumeric(12)", "1")
        assertText("isNumeric(missing)", "0")
        assertText("isNumeric(n)", "1", line: "{\"n\": 3.5}")
    }
}
