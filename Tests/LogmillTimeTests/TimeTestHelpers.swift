import Foundation
import XCTest

/// Epoch milliseconds of a UTC time written `2026-11-28T22:13:27Z` or `2026-11-28 22:13` (Z implied),
/// computed by Foundation's ISO-8601 formatter, not by the code under test.
func ms(_ text: String) -> Int64 {
    var s = text.replacingOccurrences(of: " ", with: "T")
    if !s.hasSuffix("Z") { s += "Z" }
    if s.count == 17 { s.insert(contentsOf: ":00", at: s.index(s.startIndex, offsetBy: 16)) }   // no seconds
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    guard let date = f.date(from: s) else { fatalError("bad test time \(text)") }
    return Int64((date.timeIntervalSince1970 * 1000).rounded())
}

/// `2026-11-28 22:15` for epoch milliseconds (seconds dropped; they are always 0 for fires).
func minuteText(_ t: Int64?) -> String {
    guard let t else { return "never" }
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    let s = f.string(from: Date(timeIntervalSince1970: Double(t) / 1000))   // 2026-11-28T22:15:00Z
    return String(s.prefix(16)).replacingOccurrences(of: "T", with: " ") + (t % 60_000 == 0 ? "" : " +\(t % 60_000)ms")
}

final class HelperTests: XCTestCase {
    func testHelpersAgreeWithHandComputedEpochSeconds() {
        // Hand-checked epoch values: 2026-11-28T22:13:27Z is 1_795_904_007 s; 2024-02-29 is 1_709_164_800 s.
        XCTAssertEqual(ms("2026-11-28T22:13:27Z"), 1_795_904_007_000)
        XCTAssertEqual(ms("2026-11-28 22:15"), 1_795_904_100_000)
        XCTAssertEqual(ms("2024-02-29 00:00"), 1_709_164_800_000)
        XCTAssertEqual(minuteText(1_795_904_100_000), "2026-11-28 22:15")
    }
}
