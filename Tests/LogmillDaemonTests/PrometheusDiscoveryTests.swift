import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import LogmillJobs
import LogmillTestSupport
import XCTest

/// A real Prometheus, given only the daemon's `/sd` URL, discovers every job and scrapes each one's
/// `/metrics/job/NAME`: the http_sd shape, the labels and the exposition as Prometheus reads them.
final class PrometheusDiscoveryTests: XCTestCase {
    func testPrometheusDiscoversAndScrapesEveryJob() throws {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/prometheus" }
        guard let prometheus = path.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            print("skipped: prometheus not on PATH (.ci/peers.sh installs it)")
            throw XCTSkip("prometheus not on PATH (.ci/peers.sh installs it)")
        }
        let tmp = try DaemonHTTPTests.fixture()
        defer { tmp.cleanup() }
        let listener = try DaemonHTTPTests.serving(tmp)
        defer { listener.stop() }
        // A free port for Prometheus: one the kernel just gave out.
        let probe = try HTTPListener(address: "127.0.0.1:0") { _ in .init(status: 404, contentType: "text/plain", body: "") }
        let promPort = probe.port
        probe.stop()
        try """
            global: {scrape_interval: 1s, scrape_timeout: 1s}
            scrape_configs:
              - job_name: logmill
                honor_labels: true
                http_sd_configs:
                  - url: http://127.0.0.1:\(listener.port)/sd
                    refresh_interval: 1s
            """.write(toFile: tmp.path + "/prometheus.yml", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: prometheus)
        p.arguments = ["--config.file=\(tmp.path)/prometheus.yml", "--storage.tsdb.path=\(tmp.path)/prom-data", "--web.listen-address=127.0.0.1:\(promPort)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }

        var targets: [[String: Any]] = []
        for _ in 0..<300 {   // up to 30 s on a busy machine
            Thread.sleep(forTimeInterval: 0.1)
            guard let json = get("http://127.0.0.1:\(promPort)/api/v1/targets"),
                  let active = ((json["data"] as? [String: Any])?["activeTargets"]) as? [[String: Any]] else { continue }
            targets = active
            if active.count == 2 && active.allSatisfy({ $0["health"] as? String == "up" }) { break }
        }
        XCTAssertEqual(targets.count, 2, "\(targets)")
        for t in targets {
            XCTAssertEqual(t["health"] as? String, "up", "\(t)")
            let labels = t["labels"] as? [String: String] ?? [:]
            let discovered = t["discoveredLabels"] as? [String: String] ?? [:]
            XCTAssertEqual(discovered["__metrics_path__"], DaemonMetrics.metricsPath(job: labels["job"] ?? "?"), "\(t)")
            XCTAssertEqual(labels["namespace"], "Test/Daemon")
            let escaped = DaemonMetrics.metricsPath(job: labels["job"] ?? "?").replacingOccurrences(of: " ", with: "%20")
            XCTAssertEqual(t["scrapeUrl"] as? String, "http://127.0.0.1:\(listener.port)\(escaped)")
        }
        XCTAssertEqual(Set(targets.compactMap { ($0["labels"] as? [String: String])?["job"] }), ["errs", "other jobs"])
        // The job's latest window, as Prometheus stored it from the scrape.
        let q = get("http://127.0.0.1:\(promPort)/api/v1/query?query=errors%7Bjob%3D%22errs%22%2Cfn%3D%22orders%22%7D")
        let result = ((q?["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        XCTAssertEqual((result.first?["value"] as? [Any])?.last as? String, "2", "\(String(describing: q))")
    }

    func get(_ url: String) -> [String: Any]? {
        let done = DispatchSemaphore(value: 0)
        let box = DataBox()
        URLSession.shared.dataTask(with: URL(string: url)!) { data, _, _ in box.data = data; done.signal() }.resume()
        guard done.wait(timeout: .now() + 5) == .success, let data = box.data else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }
}

final class DataBox: @unchecked Sendable { var data: Data? }
