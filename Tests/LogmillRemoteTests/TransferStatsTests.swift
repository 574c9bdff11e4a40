import Foundation
import XCTest
import LogmillJobs
import LogmillQuery
import LogmillRemote
import LogmillSinks
import LogmillSources
import LogmillTestSupport
import LogmillTime

/// `--stats` for remote reads: objects listed, fetched and skipped, bytes over the wire and decoded,
/// requests and retries, per service.
final class TransferStatsTests: XCTestCase {
    func testAQueryAndScheduledRunsCountWhatTheyListFetchSkipAndRetry() throws {
        let body = RemoteFaultTests.body(2000)
        let lock = NSLock()
        nonisolated(unsafe) var failedOnce = false
        let server = try TestHTTPServer { request in
            lock.lock(); defer { lock.unlock() }
            if request.method == "GET" && !failedOnce {
                failedOnce = true
                return .respond(status: 503, body: Data("busy".utf8), headers: [])
            }
            return RemoteFaultTests.serve(body, request)
        }
        defer { server.stop() }
        let transfers = TransferCounter()
        let objects = try SourceArguments.list(RemoteSources.sources([server.url + "/app.log"], clock: ManualClock(), transfers: transfers))
        var options = QueryOptions()
        options.clock = ManualClock()
        var result = try QueryEngine(text: "stats count(*) as n", origin: nil, options: options).run(objects)
        result.statistics.add(transfers)
        XCTAssertEqual(ResultWriter.render(result, as: .csv), "n\n2000\n")
        var expected = ServiceTransfer()
        expected.listed = 1
        expected.fetched = 1
        expected.requests = 2          // HEAD, GET
        expected.retries = 1           // the GET answered 503 once
        expected.bytesOverWire = body.count + 4
        expected.bytesDecompressed = body.count
        XCTAssertEqual(result.statistics.remote, ["http": expected])
        let text = ResultWriter.statistics(result.statistics)
        XCTAssertTrue(text.contains("\nhttp: objects listed: 1, fetched: 1, skipped (unchanged): 0; bytes over the wire: 0.1 MB, decompressed: 0.1 MB; requests: 2, retries: 1"), text)

        // Scheduled runs: the second skips the unchanged URL (a HEAD only).
        let tmp = TemporaryDirectory(prefix: "logmill-transfer-stats")
        defer { tmp.cleanup() }
        try """
            name: web
            schedule: every 5m
            start: 2026-11-01T00:00:00Z
            source: \(server.url)/app.log
            namespace: Test/HTTP
            metric: Lines = n unit Count
            sink: emf out/a.emf
            query:
            stats count(*) as n by bin(5m)
            """.write(toFile: tmp.path + "/web.job", atomically: true, encoding: .utf8)
        let job = try JobFile.load(tmp.path + "/web.job")
        let clock = ManualClock(milliseconds: 1_793_491_200_000 + 345_000)
        options.clock = clock
        let cycle = JobCycle(store: StateStore(directory: tmp.path + "/state"), options: options, output: TextBuffer(), environment: [:])
        let first = try cycle.run(job)
        XCTAssertEqual(first.statistics.remote["http"]?.fetched, 1)
        XCTAssertEqual(first.statistics.remote["http"]?.bytesDecompressed, body.count)
        clock.advance(seconds: 300)
        let second = try cycle.run(job)
        var skipped = ServiceTransfer()
        skipped.listed = 1
        skipped.skipped = 1
        skipped.requests = 1
        XCTAssertEqual(second.statistics.remote, ["http": skipped])
    }

    func testSmallObjectsAreFetchedSeveralAtATimeAheadOfTheWorkersWithTheSameAnswer() throws {
        let lock = NSLock()
        nonisolated(unsafe) var inFlight = 0
        nonisolated(unsafe) var most = 0
        let server = try TestHTTPServer { request in
            let k = Int(request.path.dropFirst(2).prefix { $0 != "." }) ?? 0
            if request.method == "GET" {
                lock.lock(); inFlight += 1; most = max(most, inFlight); lock.unlock()
                usleep(20_000)  // (the test server's latency, not logmill's)
                lock.lock(); inFlight -= 1; lock.unlock()
            }
            return RemoteFaultTests.serve(RemoteFaultTests.body(50 + k), request)
        }
        defer { server.stop() }
        let urls = (0..<40).map { server.url + "/o\($0).log" }
        var answers: [String] = []
        var mostSeen: [Int] = []
        for concurrency in [1, 8] {
            lock.lock(); most = 0; lock.unlock()
            var options = QueryOptions()
            options.clock = ManualClock()
            options.scan.workers = 2
            options.scan.fetchConcurrency = concurrency
            let transfers = TransferCounter()
            let objects = try SourceArguments.list(RemoteSources.sources(urls, clock: ManualClock(), transfers: transfers))
            var result = try QueryEngine(text: "stats count(*) as n, sum(strlen(@message)) as bytes", origin: nil, options: options).run(objects)
            result.statistics.add(transfers)
            XCTAssertEqual(result.warnings, [])
            XCTAssertEqual(result.statistics.remote["http"]?.fetched, 40)
            answers.append(ResultWriter.render(result, as: .csv))
            lock.lock(); mostSeen.append(most); lock.unlock()
        }
        XCTAssertEqual(answers[0], answers[1])
        XCTAssertTrue(answers[0].hasPrefix("n,bytes\n\((0..<40).reduce(0) { $0 + 50 + $1 }),"), answers[0])
        XCTAssertLessThanOrEqual(mostSeen[0], 2, "without fetching ahead: one request per worker")
        XCTAssertGreaterThan(mostSeen[1], 2, "fetched ahead, several at a time: \(mostSeen)")
    }
}
