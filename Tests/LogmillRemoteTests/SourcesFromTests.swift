import Foundation
import XCTest
import LogmillJobs
import LogmillNet
import LogmillQuery
import LogmillRemote
import LogmillSinks
import LogmillTestSupport
import LogmillTime

/// `sources-from:` lists (Prometheus http_sd shape) in job files: targets as sources, labels as fields,
/// state keyed by target and labels, the previous list kept when a refresh fails.
final class SourcesFromTests: XCTestCase {
    static let t0: Int64 = 1_793_491_200_000  // 2026-11-01T00:00:00Z

    func cycle(_ dir: String, clock: ManualClock) -> JobCycle {
        var options = QueryOptions()
        options.clock = clock
        options.scan.workers = 2
        return JobCycle(store: StateStore(directory: dir + "/state"), options: options, output: TextBuffer())
    }

    /// `Service Env Owner n` per EMF line, sorted.
    func datums(_ path: String) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line -> String? in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return "\(o["Service"] ?? "-") \(o["Env"] ?? "-") \(o["Owner"] ?? "-") \(o["Requests"] ?? "-")"
        }.sorted()
    }

    func write(_ text: String, _ path: String, append: Bool = false) throws {
        if append, let h = FileHandle(forWritingAtPath: path) {
            h.seekToEndOfFile()
            h.write(Data(text.utf8))
            h.closeFile()
        } else {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    static let list = """
    [{"targets": ["logs/a.log"], "labels": {"service": "shop", "env": "prod", "__meta_owner": "team-a", "__address__": "dropped", "__tmp": "x"}},
     {"targets": ["logs/b.log"], "labels": {"service": "edge", "env": "dev"}}]
    """
    static let reordered = """
    [{"labels": {"env": "dev", "service": "edge"}, "targets": ["logs/b.log"]},
     {"targets": ["logs/a.log"], "labels": {"__tmp": "y", "__address__": "other", "env": "prod", "__meta_owner": "team-a", "service": "shop"}}]
    """

    func job(_ dir: String, from: String) throws -> JobFile {
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        try write("2026-11-01T00:00:01Z GET /a\n2026-11-01T00:01:00Z GET /b\n", dir + "/logs/a.log")
        try write("2026-11-01T00:02:00Z GET /c\n", dir + "/logs/b.log")
        try write("""
        name: sd
        schedule: rate(5 minutes)
        start: 2026-11-01T00:00:00Z
        sources-from: \(from)
        namespace: N
        metric: Requests = n unit Count
        dimension: Service = service
        dimension: Env = env
        dimension: Owner = owner
        sink: emf out.emf
        query:
        filter env = "prod" or env = "dev"
        | stats count(*) as n by bin(5m), service, env, coalesce(__meta_owner, "-") as owner

        """, dir + "/sd.job")
        return try JobFile.load(dir + "/sd.job")
    }

    func testAFileListGivesSourcesWhoseLabelsAreFieldsAndReorderingKeepsTheirState() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-sd-file")
        defer { tmp.cleanup() }
        try write(SourcesFromTests.list, tmp.path + "/sd.json")
        let job = try job(tmp.path, from: "sd.json")
        let clock = ManualClock(milliseconds: SourcesFromTests.t0 + 5 * 60_000 + 30_000)
        let first = try cycle(tmp.path, clock: clock).run(job)
        XCTAssertEqual(first.warnings, [])
        XCTAssertEqual(first.windows.count, 1)
        XCTAssertEqual(datums(tmp.path + "/out.emf"), ["edge dev - 1", "shop prod team-a 2"], "labels are dimensions; __ labels other than __meta_* are dropped")
        let state = try String(contentsOfFile: tmp.path + "/state/sd.state.json", encoding: .utf8)
        XCTAssertTrue(state.contains("\"discovered\""), "the list is kept in the job's state")
        let identities = try objectIdentities(tmp.path)
        XCTAssertEqual(identities.count, 2)

        // The list reordered (groups, keys, and labels __ that are dropped anyway): the same sources.
        try write(SourcesFromTests.reordered, tmp.path + "/sd.json")
        try write("2026-11-01T00:06:00Z GET /d\n", tmp.path + "/logs/a.log", append: true)
        clock.set(milliseconds: SourcesFromTests.t0 + 10 * 60_000 + 30_000)
        let second = try cycle(tmp.path, clock: clock).run(job)
        XCTAssertEqual(second.warnings, [])
        XCTAssertEqual(second.recordsRead, 1, "only the new line is read: the reordered list keeps every checkpoint")
        XCTAssertEqual(try objectIdentities(tmp.path), identities)
        XCTAssertEqual(datums(tmp.path + "/out.emf"), ["edge dev - 1", "shop prod team-a 1", "shop prod team-a 2"])

        // The same target with other labels is another source, keyed apart; a local file under it is
        // still recognised by its content and read on from its checkpoint, not counted twice.
        try write(SourcesFromTests.list.replacingOccurrences(of: "\"dev\"", with: "\"staging\""), tmp.path + "/sd.json")
        try write("2026-11-01T00:11:00Z GET /e\n", tmp.path + "/logs/b.log", append: true)
        clock.set(milliseconds: SourcesFromTests.t0 + 15 * 60_000 + 30_000)
        let third = try cycle(tmp.path, clock: clock).run(job)
        XCTAssertEqual(third.warnings, [])
        XCTAssertEqual(third.lateRecords, 0)
        let now = try objectIdentities(tmp.path)
        XCTAssertEqual(now.count, 2)
        XCTAssertEqual(Set(now).intersection(identities).count, 1, "b.log's checkpoint moved to its new key")
    }

    func objectIdentities(_ dir: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/state/sd.state.json"))
        let o = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return ((o["objects"] as? [[String: Any]]) ?? []).compactMap { $0["identity"] as? String }.sorted()
    }

    func testAURLListIsFetchedEachRunAndAFailedRefreshKeepsThePreviousListWithAWarning() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-sd-http")
        defer { tmp.cleanup() }
        let lock = NSLock()
        nonisolated(unsafe) var failing = false
        let list = SourcesFromTests.list
        let server = try TestHTTPServer { _ in
            lock.lock(); defer { lock.unlock() }
            return failing ? .status(503, "{}") : .status(200, list)
        }
        defer { server.stop() }
        let job = try job(tmp.path, from: server.url + "/sd?token=s3cr3t")
        let clock = ManualClock(milliseconds: SourcesFromTests.t0 + 5 * 60_000 + 30_000)
        let first = try cycle(tmp.path, clock: clock).run(job)
        XCTAssertEqual(first.warnings, [])
        XCTAssertEqual(datums(tmp.path + "/out.emf"), ["edge dev - 1", "shop prod team-a 2"])
        XCTAssertEqual(server.requests.first?.headers["x-prometheus-refresh-interval-seconds"], "300")

        lock.lock(); failing = true; lock.unlock()
        try write("2026-11-01T00:06:00Z GET /d\n", tmp.path + "/logs/a.log", append: true)
        clock.set(milliseconds: SourcesFromTests.t0 + 10 * 60_000 + 30_000)
        let second = try cycle(tmp.path, clock: clock).run(job)
        XCTAssertEqual(second.warnings.count, 1)
        XCTAssertTrue(second.warnings[0].hasPrefix(tmp.path + "/sd.job:4: "), second.warnings[0])
        XCTAssertTrue(second.warnings[0].contains("HTTP 503") && second.warnings[0].contains("previous list"), second.warnings[0])
        XCTAssertFalse(second.warnings.joined().contains("s3cr3t"), "the URL's token is never shown")
        XCTAssertFalse(try String(contentsOfFile: tmp.path + "/state/sd.state.json", encoding: .utf8).contains("s3cr3t"))
        XCTAssertFalse(second.succeeded, "a failed refresh makes the run exit 1")
        XCTAssertEqual(second.recordsRead, 1, "the previous list's sources are still read")
        XCTAssertEqual(datums(tmp.path + "/out.emf"), ["edge dev - 1", "shop prod team-a 1", "shop prod team-a 2"])
    }

    func testListsAreCheckedAndDoubleUnderscoreLabelsDropped() throws {
        let groups = try SourceDiscovery.parse(Data(SourcesFromTests.list.utf8), location: "x")
        let targets = SourceDiscovery.targets(groups)
        XCTAssertEqual(targets.map(\.target), ["logs/a.log", "logs/b.log"])
        XCTAssertEqual(targets[0].labels, ["service": "shop", "env": "prod", "__meta_owner": "team-a"])
        let again = SourceDiscovery.targets(try SourceDiscovery.parse(Data(SourcesFromTests.reordered.utf8), location: "x"))
        XCTAssertEqual(Set(again.map(\.key)), Set(targets.map(\.key)), "keys do not depend on the order")
        XCTAssertEqual(try SourceDiscovery.parse(Data("[]".utf8), location: "x"), [])
        for bad in ["{}", "[null]", "[{\"targets\": [1]}]", "[{\"targets\": [], \"labels\": {\"a\": 1}}]", "nope"] {
            XCTAssertThrowsError(try SourceDiscovery.parse(Data(bad.utf8), location: "x"), bad)
        }
        // A list that is not JSON (content type) is refused.
        let server = try TestHTTPServer(script: [.ok("[]", headers: ["Content-Type": "text/html"])])
        defer { server.stop() }
        XCTAssertThrowsError(try SourceDiscovery.fetch(server.url + "/sd", refreshSeconds: 60, client: HTTPClient(clock: ManualClock()))) { e in
            XCTAssertTrue("\(e)".contains("content type"), "\(e)")
        }
        // Job files: errors name file:line.
        XCTAssertThrowsError(try JobFile.parse("name: j\nsources-from:\nnamespace: N\nmetric: M = n\nquery:\nstats count(*) as n by bin(5m)\n", path: "j.job")) { e in
            XCTAssertTrue("\(e)".contains("j.job:2"), "\(e)")
        }
    }

    /// Labels of an S3 access-log target are fields too: its lines' own fields are read by position,
    /// and a name that is not one of them falls back to the labels.
    func testLabelsOfPositionalTargetsAreFields() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-sd-s3")
        defer { tmp.cleanup() }
        try FileManager.default.createDirectory(atPath: tmp.path + "/logs", withIntermediateDirectories: true)
        let owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
        try write("\(owner) demo [01/Nov/2026:00:00:51 +0000] 192.0.2.1 - ID1 REST.GET.OBJECT a \"GET /demo/a HTTP/1.1\" 200 - 10 10 1 1 \"-\" \"ua\" - H SigV4 T AuthHeader h TLSv1.3 - -\n"
                  + "\(owner) demo [01/Nov/2026:00:01:51 +0000] 192.0.2.1 - ID2 REST.PUT.OBJECT b \"PUT /demo/b HTTP/1.1\" 200 - - 10 1 1 \"-\" \"ua\" - H SigV4 T AuthHeader h TLSv1.3 - -\n",
                  tmp.path + "/logs/access.log")
        try write(#"[{"targets": ["logs/access.log"], "labels": {"service": "assets"}}]"#, tmp.path + "/sd.json")
        try write("""
        name: s3sd
        schedule: rate(5 minutes)
        start: 2026-11-01T00:00:00Z
        sources-from: sd.json
        namespace: N
        metric: Requests = n unit Count
        dimension: Service = service
        dimension: Operation = operation
        sink: emf out.emf
        query:
        stats count(*) as n by bin(5m), service, operation
        """, tmp.path + "/s3sd.job")
        let r = try cycle(tmp.path, clock: ManualClock(milliseconds: SourcesFromTests.t0 + 600_000)).run(try JobFile.load(tmp.path + "/s3sd.job"))
        XCTAssertTrue(r.warnings.isEmpty, "\(r.warnings)")
        let lines = try String(contentsOfFile: tmp.path + "/out.emf", encoding: .utf8).split(separator: "\n").compactMap { line -> String? in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return "\(o["Service"] ?? "-") \(o["Operation"] ?? "-") \(o["Requests"] ?? "-")"
        }.sorted()
        XCTAssertEqual(lines, ["assets REST.GET.OBJECT 1", "assets REST.PUT.OBJECT 1"])
    }
}
