import Foundation
import LogmillTestSupport
import XCTest

/// `logmill test`: the shipped tests of the example jobs pass; a wrong expectation fails with the
/// line and what differed; a malformed test file is a usage error with its line.
final class JobTestCommandTests: XCTestCase {
    func testTheExampleJobsTestsPass() throws {
        let out = try LogmillProcess.run(["test", "queries/tests"])
        XCTAssertEqual(out.status, 0, out.stdout + out.stderr)
        XCTAssertEqual(out.stdout.split(separator: "\n").filter { $0.hasPrefix("ok ") }.count, 4, out.stdout)
        XCTAssertTrue(out.stderr.contains("4 passed, 0 failed"), out.stderr)
    }

    func testDifferencesAreReportedWithTheirLines() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-jobtest")
        defer { tmp.cleanup() }
        let root = LogmillProcess.root
        let test = """
        job: \(root)/queries/lambda-error-alarm.job
        start: 2026-11-01T00:00:00Z
        at: 2026-11-01T00:20:00Z
        lines:
        2026-11-01T00:00:01.000Z 2026-11-01T00:00:01.000Z\tr1\tERROR\tboom
        2026-11-01T00:05:01.000Z 2026-11-01T00:05:01.000Z\tr2\tINFO\tfine
        end
        expect: 2026-11-01T00:00:00Z Errors = 2
        expect: 2026-11-01T00:05:00Z Errors = 0
        expect-alarm: 2026-11-01T00:10:00Z ErrorSpike = ALARM
        expect-notification: 2026-11-01T00:10:00Z ErrorSpike ALARM

        """
        try test.write(toFile: tmp.path + "/wrong.test", atomically: true, encoding: .utf8)
        let out = try LogmillProcess.run(["test", tmp.path + "/wrong.test"])
        XCTAssertEqual(out.status, 1, out.stderr)
        XCTAssertTrue(out.stdout.contains("FAIL  \(tmp.path)/wrong.test"), out.stdout)
        XCTAssertTrue(out.stdout.contains("wrong.test:8: 2026-11-01T00:00:00Z Errors: expected 2, got 1"), out.stdout)
        XCTAssertFalse(out.stdout.contains("wrong.test:9:"), "the second window is right: \(out.stdout)")
        XCTAssertTrue(out.stdout.contains("wrong.test:10: alarm ErrorSpike at 2026-11-01T00:10:00Z: expected ALARM, got OK"), out.stdout)
        XCTAssertTrue(out.stdout.contains("wrong.test:11: notifications differ\n    expected: 2026-11-01T00:10:00Z ErrorSpike ALARM\n    got:      none"), out.stdout)

        try "job: x.job\nat: soon\n".write(toFile: tmp.path + "/bad.test", atomically: true, encoding: .utf8)
        let bad = try LogmillProcess.run(["test", tmp.path + "/bad.test"])
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("bad.test:2: error: 'soon' is not an ISO-8601 time"), bad.stderr)
    }
}
