import Foundation
import XCTest
import LogmillMetrics
@testable import LogmillSinks
import LogmillTestSupport

/// The file sinks (Prometheus, OpenMetrics, EMF to a file) on paths that cannot be written: every
/// failure is a `.failed` outcome naming the path and the errno text, never a trap; targets that are
/// not regular files are refused; temporary files of killed runs are cleaned up.
final class FileSinkWriteTests: XCTestCase {
    static let datums = [MetricDatum(namespace: "App", name: "Requests", dimensions: [("Host", "a")], timestamp: 1_768_471_200_000,
                                     unit: .count, value: .single(3))]

    func fileSinks(_ path: String) -> [any MetricSink] {
        [PrometheusFileSink(path: path), OpenMetricsFileSink(path: path), EMFSink(path: path)]
    }

    func failure(_ outcome: SinkOutcome, file: StaticString = #filePath, line: UInt = #line) -> String {
        guard case .failed(let reason) = outcome.status else {
            XCTFail("expected a failure, got \(outcome.status)", file: file, line: line)
            return ""
        }
        return reason
    }

    func testUnwritableDirectoryFailsNamingThePathAndTheError() throws {
        let tmp = TemporaryDirectory()
        defer { tmp.cleanup() }
        // A regular file where a directory should be: no write can succeed, even as root.
        let blocker = tmp.path + "/blocker"
        XCTAssertTrue(FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8)))
        for sink in fileSinks(blocker + "/sub/metrics.prom") {
            let reason = failure(sink.send(Self.datums))
            XCTAssertTrue(reason.contains(blocker), "\(sink.label): \(reason)")
            XCTAssertTrue(reason.contains("Not a directory"), "\(sink.label): \(reason)")
        }
        for sink in fileSinks(blocker + "/metrics.prom") {
            let reason = failure(sink.send(Self.datums))
            XCTAssertTrue(reason.contains(blocker) && reason.contains("Not a directory"), "\(sink.label): \(reason)")
        }
        if getuid() != 0 {
            let ro = tmp.path + "/ro"
            try FileManager.default.createDirectory(atPath: ro, withIntermediateDirectories: true)
            chmod(ro, 0o555)
            defer { chmod(ro, 0o755) }
            for sink in fileSinks(ro + "/metrics.prom") {
                let reason = failure(sink.send(Self.datums))
                XCTAssertTrue(reason.contains(ro) && reason.contains("Permission denied"), "\(sink.label): \(reason)")
            }
        }
    }

    func testEMFToAFullDeviceFails() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full (a Linux device) to make a write fail as on a full disk") }
        let outcome = EMFSink(path: "/dev/full").send(Self.datums)
        let reason = failure(outcome)
        XCTAssertTrue(reason.contains("/dev/full"), reason)
        XCTAssertTrue(reason.contains("No space left on device"), reason)
        XCTAssertNotNil(outcome.error)
    }

    func testReplacingSinksRefuseTargetsThatAreNotRegularFiles() throws {
        let tmp = TemporaryDirectory()
        defer { tmp.cleanup() }
        let dir = tmp.path + "/adir"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let fifo = tmp.path + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        var targets = [(dir, "a directory"), (fifo, "a FIFO")]
        if FileManager.default.fileExists(atPath: "/dev/null") { targets.append(("/dev/null", "a character device")) }
        for (path, kind) in targets {
            for sink in [PrometheusFileSink(path: path), OpenMetricsFileSink(path: path)] as [any MetricSink] {
                let reason = failure(sink.send(Self.datums))
                XCTAssertTrue(reason.contains(path) && reason.contains(kind) && reason.contains("not a regular file"), reason)
            }
        }
        var st = stat()
        XCTAssertEqual(stat("/dev/null", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a device")
        XCTAssertEqual(stat(fifo, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFIFO)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted(), ["adir", "fifo"], "no temporary file left")
    }

    func testStaleTemporariesOfKilledRunsAreRemoved() throws {
        let tmp = TemporaryDirectory()
        defer { tmp.cleanup() }
        let target = tmp.path + "/m.prom"
        let prefix = FileOutput.temporaryPrefix(for: "m.prom")
        // A pid no process has.
        var dead: pid_t = 4_194_000
        while kill(dead, 0) == 0 || errno != ESRCH { dead += 1 }
        let deadTemp = tmp.path + "/" + prefix + "\(dead).1"
        let oldLiveTemp = tmp.path + "/" + prefix + "\(getpid()).2"
        let youngLiveTemp = tmp.path + "/" + prefix + "\(getpid()).3"
        let otherTarget = tmp.path + "/" + FileOutput.temporaryPrefix(for: "other.prom") + "\(dead).4"
        for p in [deadTemp, oldLiveTemp, youngLiveTemp, otherTarget] { XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: Data("partial".utf8))) }
        let old = Date().addingTimeInterval(-120)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: oldLiveTemp)

        let outcome = PrometheusFileSink(path: target).send(Self.datums)
        XCTAssertEqual(outcome.status, .delivered(1))
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: tmp.path))
        XCTAssertEqual(left, ["m.prom", (youngLiveTemp as NSString).lastPathComponent, (otherTarget as NSString).lastPathComponent])
        XCTAssertTrue(try String(contentsOfFile: target, encoding: .utf8).contains("Requests"))
    }

    func testReplaceWritesTheWholeTextAndKeepsTheMode() throws {
        let tmp = TemporaryDirectory()
        defer { tmp.cleanup() }
        let target = tmp.path + "/new/dir/m.om"
        XCTAssertEqual(OpenMetricsFileSink(path: target).send(Self.datums).status, .delivered(1))
        chmod(target, 0o640)
        XCTAssertEqual(OpenMetricsFileSink(path: target, timestamps: false).send(Self.datums).status, .delivered(1))
        var st = stat()
        XCTAssertEqual(stat(target, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o640)
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), OpenMetricsFileSink(path: target, timestamps: false).render(Self.datums))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path + "/new/dir"), ["m.om"])
    }
}
