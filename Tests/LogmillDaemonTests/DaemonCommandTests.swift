import Foundation
import LogmillTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `logmill status` and `logmill daemon` through the binary, with state in a temporary folder.
final class DaemonCommandTests: XCTestCase {
    static let job = """
        name: NAME
        schedule: every 5m
        start: 2026-11-01T00:00:00Z
        source: ../logs/*
        namespace: Test/Daemon
        metric: errors = errors unit Count
        dimension: fn = fn
        sink: SINK
        query:
        filter @message like /ERROR/
        | parse @message /fn=(?<fn>[a-z]+)/
        | stats count(*) as errors by bin(5m), fn
        """

    func folder() throws -> TemporaryDirectory {
        let tmp = TemporaryDirectory(prefix: "logmill-cli-daemon")
        for d in ["logs", "jobs", "state"] { try FileManager.default.createDirectory(atPath: tmp.path + "/" + d, withIntermediateDirectories: true) }
        try "2026-11-01T00:01:00.000Z ERROR fn=orders boom\n2026-11-01T00:06:00.000Z ERROR fn=payments boom\n"
            .write(toFile: tmp.path + "/logs/app.log", atomically: true, encoding: .utf8)
        return tmp
    }

    func write(_ tmp: TemporaryDirectory, _ name: String, sink: String) throws {
        try DaemonCommandTests.job.replacingOccurrences(of: "NAME", with: name).replacingOccurrences(of: "SINK", with: sink)
            .write(toFile: tmp.path + "/jobs/\(name).job", atomically: true, encoding: .utf8)
    }

    func testStatusTextJSONAndExitStatuses() throws {
        let tmp = try folder()
        defer { tmp.cleanup() }
        try write(tmp, "good", sink: "prometheus ../out/good.prom")
        let state = ["--state-dir", tmp.path + "/state"]
        let run = try LogmillProcess.run(["run"] + state + ["--now", "2026-11-01T00:10:45Z", tmp.path + "/jobs/good.job"])
        XCTAssertEqual(run.status, 0, run.stderr)

        let text = try LogmillProcess.run(["status"] + state + ["--now", "2026-11-01T00:12:00Z", tmp.path + "/jobs/good.job"])
        XCTAssertEqual(text.status, 0, text.stderr)
        for line in [
            "good: healthy (\(tmp.path)/jobs/good.job)",
            "  last window ends: 2026-11-01T00:10:00Z, lag 2m0s",
            "  next window: [2026-11-01T00:10:00Z, 2026-11-01T00:15:00Z) due 2026-11-01T00:15:30Z, run at 2026-11-01T00:15:30Z",
            "  late lines: 0",
            "  last run: 2026-11-01T00:10:45Z",
            "  sink 0:prometheus ../out/good.prom: delivered 2",
        ] {
            XCTAssertTrue(text.stdout.contains(line + "\n"), "missing '\(line)' in\n\(text.stdout)")
        }

        // A job whose sink cannot take its datums, and one never run, beside it; --format json.
        try write(tmp, "broken", sink: "prometheus /proc/logmill-no-such-dir/x.prom")
        try write(tmp, "fresh", sink: "prometheus ../out/fresh.prom")
        let failing = try LogmillProcess.run(["run"] + state + ["--now", "2026-11-01T00:10:45Z", tmp.path + "/jobs/broken.job"])
        XCTAssertEqual(failing.status, 1)
        let json = try LogmillProcess.run(["status", "--format", "json"] + state + ["--now", "2026-11-01T00:12:00Z", tmp.path + "/jobs"])
        XCTAssertEqual(json.status, 1, "a failed sink makes status exit 1: \(json.stderr)")
        let jobs = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]], json.stdout)
        XCTAssertEqual(jobs.map { $0["job"] as? String }, ["broken", "fresh", "good"])
        let broken = jobs[0], fresh = jobs[1], good = jobs[2]
        XCTAssertEqual(good["healthy"] as? Bool, true)
        XCTAssertEqual(good["lagSeconds"] as? Double, 120)
        XCTAssertEqual(good["lastWindowEnd"] as? String, "2026-11-01T00:10:00Z")
        XCTAssertEqual(good["nextWindowDue"] as? String, "2026-11-01T00:15:30Z")
        XCTAssertEqual(broken["healthy"] as? Bool, false)
        let sink = try XCTUnwrap((broken["sinks"] as? [[String: Any]])?.first)
        XCTAssertEqual(sink["sink"] as? String, "0:prometheus /proc/logmill-no-such-dir/x.prom")
        XCTAssertEqual(sink["failedWindows"] as? Int, 2)
        XCTAssertTrue((sink["lastOutcome"] as? String)?.hasPrefix("failed: ") == true, "\(sink)")
        XCTAssertEqual(fresh["healthy"] as? Bool, true)
        XCTAssertNil(fresh["lastWindowEnd"], "never run")
        XCTAssertEqual(fresh["nextWindowStart"] as? String, "2026-11-01T00:00:00Z", "its first window is its start")
        XCTAssertEqual(fresh["overdue"] as? Bool, true, "due at 00:05:30, not run by 00:12")
        XCTAssertEqual(good["overdue"] as? Bool, false)

        // A job file that does not parse, or a path that does not exist: exit 2.
        try "name: x\nschedule: every banana\n".write(toFile: tmp.path + "/bad.job", atomically: true, encoding: .utf8)
        XCTAssertEqual(try LogmillProcess.run(["status"] + state + [tmp.path + "/bad.job"]).status, 2)
        XCTAssertEqual(try LogmillProcess.run(["status"] + state + [tmp.path + "/nothing-here"]).status, 2)
        XCTAssertEqual(try LogmillProcess.run(["status", "--format", "yaml", tmp.path + "/jobs"]).status, 2)
    }

    /// The daemon binary: serves its paths on a port the kernel chose, reloads on SIGHUP keeping a
    /// broken file's previous version, and exits 0 on SIGTERM.
    func testDaemonServesReloadsAndStopsOnSignals() throws {
        let tmp = try folder()
        defer { tmp.cleanup() }
        try write(tmp, "errs", sink: "prometheus ../out/errs.prom")
        guard FileManager.default.isExecutableFile(atPath: LogmillProcess.binary) else { throw XCTSkip("logmill binary not built") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: LogmillProcess.binary)
        p.arguments = ["daemon", "--listen", "127.0.0.1:0", "--state-dir", tmp.path + "/state", tmp.path + "/jobs"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        let stderr = Collected()
        err.fileHandleForReading.readabilityHandler = { h in stderr.append(h.availableData) }
        try p.run()
        defer { if p.isRunning { p.terminate() } }

        let listening = try XCTUnwrap(stderr.wait(for: "(/metrics"), "no listening line: \(stderr.text)")
        let port = try XCTUnwrap(listening.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression)
            .flatMap { UInt16(listening[$0].split(separator: ":")[1]) })
        XCTAssertNotNil(stderr.wait(for: "errs: "), "the first run at start: \(stderr.text)")
        XCTAssertEqual(try RawHTTP.get(port: port, "/-/healthy").status, 200)
        let sd = try RawHTTP.get(port: port, "/sd")
        XCTAssertTrue(sd.body.contains(#""__metrics_path__":"/metrics/job/errs""#), sd.body)
        XCTAssertTrue(try RawHTTP.get(port: port, "/metrics").body.contains(#"logmill_cycles_total{job="errs"} 1"#))

        try "name: errs\nschedule: every banana\n".write(toFile: tmp.path + "/jobs/errs.job", atomically: true, encoding: .utf8)
        kill(p.processIdentifier, SIGHUP)
        XCTAssertNotNil(stderr.wait(for: "previous version keeps running"), stderr.text)
        XCTAssertTrue(try RawHTTP.get(port: port, "/metrics").body.contains("logmill_job_file_problems 1\n"))
        XCTAssertTrue(try RawHTTP.get(port: port, "/sd").body.contains(#""job":"errs""#), "the previous version is still listed")

        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit)
        XCTAssertEqual(p.terminationStatus, 0, stderr.text)
        XCTAssertNotNil(stderr.wait(for: "stopping"), stderr.text)
    }
}

/// Bytes from a pipe, gathered as they come.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ d: Data) { lock.withLock { data.append(d) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
    /// The first line containing `needle`, waiting up to 20 s for it.
    func wait(for needle: String) -> String? {
        for _ in 0..<400 {
            if let line = text.split(separator: "\n").first(where: { $0.contains(needle) }) { return String(line) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }
}
