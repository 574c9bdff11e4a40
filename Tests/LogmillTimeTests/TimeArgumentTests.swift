import XCTest
@testable import LogmillTime

final class TimeArgumentTests: XCTestCase {
    let now = ms("2026-11-28T22:13:27Z")
    let midnight: Int64 = 1_793_491_200_000   // 2026-11-01T00:00:00Z

    func parse(_ text: String) throws -> Int64 { try TimeArgument.parse(text, now: now) }

    func testISO8601Forms() throws {
        for text in ["2026-11-01T00:00:00Z", "2026-11-01T00:00Z", "2026-11-01 00:00", "2026-11-01", "2026-11-01T00:00:00",
                     "2026-11-01t00:00:00z", "2026-11-01T02:00:00+02:00", "2026-11-01T02:00+0200", "2026-11-01T02:00+02",
                     "2026-10-31T19:00:00-05:00", "2026-10-31T23:30-00:30", " 2026-11-01 "] {
            XCTAssertEqual(try parse(text), midnight, text)
        }
        XCTAssertEqual(try parse("2026-11-01T00:00:00.5Z"), midnight + 500)
        XCTAssertEqual(try parse("2026-11-01T00:00:00.123456789Z"), midnight + 123)
        XCTAssertEqual(try parse("2026-11-01 00:00:07,25"), midnight + 7250)
        XCTAssertEqual(try parse("2024-02-29"), 1_709_164_800_000)
    }

    func testRelativeForms() throws {
        XCTAssertEqual(try parse("now"), now)
        XCTAssertEqual(try parse("NOW"), now)
        XCTAssertEqual(try parse("-1h"), now - 3_600_000)
        XCTAssertEqual(try parse("-30m"), now - 1_800_000)
        XCTAssertEqual(try parse("+5m"), now + 300_000)
        XCTAssertEqual(try parse("now-2d"), now - 172_800_000)
        XCTAssertEqual(try parse("now+5m"), now + 300_000)
        XCTAssertEqual(try parse("now-1w"), now - 604_800_000)
        XCTAssertEqual(try parse("now-90s"), now - 90_000)
    }

    func testEpochDigits() throws {
        XCTAssertEqual(try parse("1793491200"), midnight)
        XCTAssertEqual(try parse("1793491200000"), midnight)
        XCTAssertEqual(try parse("1793491200123"), midnight + 123)
    }

    func testErrorsSayWhatIsAccepted() {
        for text in ["", "yesterday", "2026-13-01", "2026-02-29", "2026-11-31", "2026-11-01T24:00", "2026-11-01T10:60",
                     "2026-11-01T10", "2026-11-01T10:00:00Q", "2026-11-01T10:00+25:00", "26-11-01", "2026-11-01T10:00:00.Z",
                     "12345", "179349120000", "now-", "now-1mo", "now-1y", "-1q", "now*2", "+x"] {
            XCTAssertThrowsError(try parse(text), text) { error in
                let message = (error as? TimeArgumentError)?.message ?? ""
                XCTAssertTrue(message.contains("not a time: `\(text)`"), message)
                XCTAssertTrue(message.contains("ISO-8601 (2026-11-01T00:00:00Z"), message)
                XCTAssertTrue(message.contains("now-2d"), message)
                XCTAssertTrue(message.contains("epoch seconds (10 digits) or milliseconds (13 digits)"), message)
            }
        }
        XCTAssertThrowsError(try parse("now-1mo")) { error in
            XCTAssertTrue("\(error)".contains("relative times take fixed units"), "\(error)")
        }
        XCTAssertThrowsError(try parse("12345")) { error in
            XCTAssertTrue("\(error)".contains("10 digits for seconds or 13 for milliseconds"), "\(error)")
        }
    }
}
