import Foundation
@testable import LogmillJobs
import LogmillQuery
import LogmillSinks
import LogmillTestSupport
import LogmillTime
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A raw HTTP/1.1 exchange with 127.0.0.1:port: status line, headers and body.
enum RawHTTP {
    struct Reply { var status: Int; var headers: [String: String]; var body: String }

    static func request(port: UInt16, _ text: String) throws -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr)
        let ok = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0 else { throw NSError(domain: "connect", code: Int(errno)) }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            data += buf[0..<n]
        }
        let whole = String(decoding: data, as: UTF8.self)
        guard let split = whole.range(of: "\r\n\r\n") else { throw NSError(domain: "no head: \(whole)", code: 0) }
        let head = whole[..<split.lowerBound].components(separatedBy: "\r\n")
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            if let c = line.firstIndex(of: ":") { headers[line[..<c].lowercased()] = line[line.index(after: c)...].trimmingCharacters(in: .whitespaces) }
        }
        let status = Int(head[0].split(separator: " ")[1]) ?? 0
        return Reply(status: status, headers: headers, body: String(whole[split.upperBound...]))
    }

    static func get(port: UInt16, _ path: String) throws -> Reply {
        try request(port: port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: */*\r\n\r\n")
    }
}

final class DaemonHTTPTests: XCTestCase {
    /// A scheduler that ran the job "errs" for real once, over two ERROR lines in a due window.
    static func ranScheduler(_ tmp: TemporaryDirectory) throws -> Scheduler {
        try "2026-11-01T00:01:00.000Z ERROR fn=orders boom\n2026-11-01T00:02:00.000Z ERROR fn=payments boom\n2026-11-01T00:03:00.000Z ERROR fn=orders boom\n"
            .write(toFile: tmp.path + "/logs/app.log", atomically: true, encoding: .utf8)
        let clock = ManualClock(milliseconds: DaemonFixtures.start + 300_000 + 30_000)
        var options = QueryOptions()
        options.clock = clock
        options.scan.workers = 1
        let store = StateStore(directory: tmp.path + "/state")
        let scheduler = Scheduler(jobs: DaemonFixtures.loaded(tmp.path + "/jobs"), options: Scheduler.Options(clock: clock)) { [options] job in
            try JobCycle(store: store, options: options, output: TextBuffer()).run(job)
        }
        XCTAssertEqual(scheduler.runDue(), 2)
        return scheduler
    }

    static func fixture() throws -> TemporaryDirectory {
        try DaemonFixtures.folder([
            "errs": DaemonFixtures.job("errs", schedule: "every 5m", extra: "start: 2026-11-01T00:00:00Z"),
            "other jobs": DaemonFixtures.job("other jobs", schedule: "cron(0/5 * * * ? *)", extra: "start: 2026-11-01T00:00:00Z",
                                             sink: "prometheus /proc/logmill-no-such-dir/x.prom"),
        ], prefix: "logmill-http")
    }

    /// The daemon's paths on a port the kernel chose, for a scheduler that ran the fixture's jobs once.
    static func serving(_ tmp: TemporaryDirectory) throws -> HTTPListener {
        let scheduler = try ranScheduler(tmp)
        let listener = try HTTPListener(address: "127.0.0.1:0") { [metrics = scheduler.metrics] in metrics.respond(to: $0) }
        listener.start()
        return listener
    }

    func testEndpointsAnswer() throws {
        let tmp = try Self.fixture()
        defer { tmp.cleanup() }
        let listener = try Self.serving(tmp)
        defer { listener.stop() }
        XCTAssertNotEqual(listener.port, 0)
        let port = listener.port

        let metrics = try RawHTTP.get(port: port, "/metrics")
        XCTAssertEqual(metrics.status, 200)
        XCTAssertEqual(metrics.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertEqual(metrics.headers["content-length"], "\(metrics.body.utf8.count)")
        for line in [
            #"logmill_records_matched_total{job="errs"} 3"#,
            #"logmill_windows_emitted_total{job="errs"} 1"#,
            #"logmill_sink_deliveries_total{job="errs",sink="prometheus \#(tmp.path)/jobs/out/errs.prom",outcome="delivered"} 1"#,
            #"logmill_sink_deliveries_total{job="other jobs",sink="prometheus /proc/logmill-no-such-dir/x.prom",outcome="failed"} 1"#,
            #"logmill_last_success_timestamp_seconds{job="errs"} 1793491540.0"#,
            #"logmill_cycle_errors_total{job="other jobs"} 1"#,
            #"errors{namespace="Test/Daemon",fn="orders"} 2"#,
            #"errors{namespace="Test/Daemon",fn="payments"} 1"#,
        ] {
            XCTAssertTrue(metrics.body.contains(line + "\n"), "missing \(line) in\n\(metrics.body)")
        }
        XCTAssertFalse(metrics.body.contains(#"logmill_last_success_timestamp_seconds{job="other jobs"}"#), "a failed sink is no success")

        let sd = try RawHTTP.get(port: port, "/sd")
        XCTAssertEqual(sd.status, 200)
        XCTAssertEqual(sd.headers["content-type"], "application/json")
        let groups = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sd.body.utf8)) as? [[String: Any]])
        XCTAssertEqual(groups.count, 2)
        let byJob = Dictionary(uniqueKeysWithValues: groups.map { (($0["labels"] as! [String: String])["job"]!, $0) })
        let errs = try XCTUnwrap(byJob["errs"])
        XCTAssertEqual(errs["targets"] as? [String], ["127.0.0.1:\(port)"])
        XCTAssertEqual(errs["labels"] as? [String: String], ["job": "errs", "namespace": "Test/Daemon", "schedule": "every 5m", "__metrics_path__": "/metrics/job/errs"])
        let other = try XCTUnwrap(byJob["other jobs"]?["labels"] as? [String: String])
        XCTAssertEqual(other["__metrics_path__"], "/metrics/job/other jobs", "unescaped: Prometheus escapes it")
        XCTAssertEqual(other["schedule"], "cron(0/5 * * * ? *)")

        // Each job's own path: its metrics and its latest window only.
        let one = try RawHTTP.get(port: port, "/metrics/job/errs")
        XCTAssertEqual(one.status, 200)
        XCTAssertTrue(one.body.contains(#"errors{namespace="Test/Daemon",fn="orders"} 2"#), one.body)
        XCTAssertFalse(one.body.contains("other jobs"), one.body)
        let spaced = try RawHTTP.get(port: port, "/metrics/job/other%20jobs")
        XCTAssertEqual(spaced.status, 200)
        XCTAssertTrue(spaced.body.contains(#"logmill_cycles_total{job="other jobs"} 1"#), spaced.body)

        let healthy = try RawHTTP.get(port: port, "/-/healthy")
        XCTAssertEqual(healthy.status, 200)
        XCTAssertEqual(try RawHTTP.get(port: port, "/nope").status, 404)
        XCTAssertEqual(try RawHTTP.get(port: port, "/metrics/job/nobody").status, 404)
        XCTAssertEqual(try RawHTTP.get(port: port, "/metrics?x=1").status, 200, "a query string is ignored")
        XCTAssertEqual(try RawHTTP.request(port: port, "POST /metrics HTTP/1.1\r\n\r\n").status, 405)
        XCTAssertEqual(try RawHTTP.request(port: port, "nonsense\r\n\r\n").status, 400)
        let huge = "GET /metrics HTTP/1.1\r\nX-Filler: " + String(repeating: "a", count: 40_000) + "\r\n\r\n"
        XCTAssertEqual(try RawHTTP.request(port: port, huge).status, 431, "the request head is bounded")
        let head = try RawHTTP.request(port: port, "HEAD /sd HTTP/1.1\r\n\r\n")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.body, "")
        // Many clients at once are all answered.
        let answered = InFlight()
        DispatchQueue.concurrentPerform(iterations: 40) { _ in
            if (try? RawHTTP.get(port: port, "/-/healthy").status) == 200 { answered.enter() }
        }
        XCTAssertEqual(answered.most, 40)
    }

    func testListenerDefaultsToLoopbackAndRefusesBadAddresses() throws {
        let l = try HTTPListener(address: ":0") { _ in .init(status: 200, contentType: "text/plain", body: "") }
        XCTAssertEqual(l.host, "127.0.0.1")
        l.start()
        l.stop()
        XCTAssertThrowsError(try HTTPListener(address: "example.com:80") { _ in .init(status: 200, contentType: "text/plain", body: "") })
        XCTAssertThrowsError(try HTTPListener(address: "127.0.0.1:99999") { _ in .init(status: 200, contentType: "text/plain", body: "") })
    }

    /// `promtool check metrics` on the whole exposition (exit 0: no syntax error and no lint).
    func testPromtoolAcceptsTheExposition() throws {
        let tmp = try Self.fixture()
        defer { tmp.cleanup() }
        let exposition = try Self.ranScheduler(tmp).metrics.exposition()
        let candidates = [ProcessInfo.processInfo.environment["LOGMILL_TEST_PROMTOOL"]] + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/promtool" }
        guard let promtool = candidates.compactMap({ $0 }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("skipped: promtool not found (LOGMILL_TEST_PROMTOOL unset, not on PATH; .ci/peers.sh installs Prometheus, which ships it)")
            throw XCTSkip("promtool not found (LOGMILL_TEST_PROMTOOL unset, not on PATH); .ci/peers.sh installs it")
        }
        let r = try LogmillProcess.execute(promtool, ["check", "metrics"], stdin: Data(exposition.utf8))
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr + "\n" + exposition)
    }

    /// Resident memory stays flat over 1,000 real cycles of a small job on a manual clock.
    func testMemoryIsFlatOverAThousandCycles() throws {
        let tmp = try DaemonFixtures.folder(["small": DaemonFixtures.job("small", schedule: "every 1m", settle: "5s")], prefix: "logmill-memory")
        defer { tmp.cleanup() }
        let clock = ManualClock(milliseconds: DaemonFixtures.start)
        var options = QueryOptions()
        options.clock = clock
        options.scan.workers = 1
        let store = StateStore(directory: tmp.path + "/state")
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp.path + "/logs/app.log"))
        defer { try? log.close() }
        var scheduleOptions = Scheduler.Options(clock: clock)
        scheduleOptions.maxSleep = .infinity
        scheduleOptions.runAtStart = false
        let scheduler = Scheduler(jobs: DaemonFixtures.loaded(tmp.path + "/jobs"), options: scheduleOptions) { [options] job in
            // Each cycle finds a new line from the minute before.
            let line = "\(CivilCalendar.iso(clock.milliseconds() - 30_000)) ERROR fn=f\(clock.milliseconds() / 60_000 % 7) x\n"
            log.seekToEndOfFile()
            log.write(Data(line.utf8))
            return try JobCycle(store: store, options: options, output: TextBuffer()).run(job)
        }
        let started = Date()
        scheduler.run(until: DaemonFixtures.start + 100 * 60_000)   // warm up: 100 cycles
        XCTAssertEqual(scheduler.cyclesRun, 100)
        let before = residentBytes()
        scheduler.run(until: DaemonFixtures.start + 1100 * 60_000)
        let after = residentBytes()
        XCTAssertEqual(scheduler.cyclesRun, 1100)
        let seconds = Date().timeIntervalSince(started)
        print("memory: resident \(before / 1024) KiB after 100 cycles, \(after / 1024) KiB after 1,100 (\(Int(seconds * 1000 / 1100)) ms per cycle)")
        XCTAssertLessThan(after - before, 4 << 20, "resident memory grew by \((after - before) / 1024) KiB over 1,000 cycles")
        let exposition = scheduler.metrics.exposition()
        XCTAssertTrue(exposition.contains(#"logmill_windows_emitted_total{job="small"} 1100"#), exposition)
        XCTAssertTrue(exposition.contains(#"logmill_records_matched_total{job="small"} 1100"#), exposition)
    }

    func residentBytes() -> Int {
        let text = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
