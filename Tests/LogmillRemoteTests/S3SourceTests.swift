import Foundation
import XCTest
import LogmillAWS
import LogmillJobs
import LogmillNet
import LogmillQuery
import LogmillRemote
import LogmillSinks
import LogmillSources
import LogmillTestSupport
import LogmillTime

/// S3 sources against moto's S3 server (LOGMILL_TEST_MOTO). Buckets and objects are made with plain
/// signed PUTs through `S3Client` (no boto3: the tests stay Swift-only).
final class S3SourceTests: XCTestCase {
    static let day: Int64 = 86_400_000
    static let start: Int64 = 1_793_491_200_000   // 2026-11-01T00:00:00Z

    func motoURL() throws -> URL {
        guard let s = ProcessInfo.processInfo.environment["LOGMILL_TEST_MOTO"], !s.isEmpty, let u = URL(string: s) else {
            throw XCTSkip("moto tests need LOGMILL_TEST_MOTO=http://127.0.0.1:15111 (moto_server); LOGMILL_TEST_MOTO not set; .ci/run starts moto, or locally: source .ci/peers.sh && install_peers && start_peers (README, Set up), or moto_server -H 127.0.0.1 -p 15111 &")
        }
        return u
    }

    /// A client of moto whose retry waits go to a manual clock.
    func client(_ endpoint: URL) -> S3Client {
        var p = S3Client.retryPolicy
        p.baseDelay = 0.001
        p.maxDelay = 0.01
        let clock = ManualClock(milliseconds: S3SourceTests.start)
        return S3Client(region: "us-east-1", endpoint: endpoint,
                        credentials: CredentialProvider(static: Credentials(accessKeyId: "testing", secretAccessKey: "testing")),
                        clock: clock, client: HTTPClient(policy: p, clock: clock))
    }

    func bucketName(_ what: String) -> String { "logmill-\(what)-\(UInt32.random(in: 0...UInt32.max))" }

    /// The environment a job or the CLI reads moto's endpoint and credentials from.
    func environment(_ endpoint: URL) -> [String: String] {
        ["AWS_ENDPOINT_URL_S3": endpoint.absoluteString, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
         "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "HOME": "/nonexistent"]
    }

    static func iso(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    func lines(_ rng: inout SeededRandom, at t: Int64, count: Int) -> String {
        (0..<count).map { i in
            "\(S3SourceTests.iso(t + Int64(i) * 1000)) level=\(rng.pick(["INFO", "WARN", "ERROR"])) v=\(rng.below(1000))\n"
        }.joined()
    }

    func readAll(_ stream: ByteStream) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 10_000)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try stream.read(into: $0) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    func query(_ text: String, _ objects: [SourceObject]) throws -> QueryResult {
        var options = QueryOptions()
        options.scan.workers = 2
        return try QueryEngine(text: text, origin: nil, options: options).run(objects)
    }

    static func gzip(_ data: [UInt8]) throws -> [UInt8] {
        let tmp = TemporaryDirectory(prefix: "logmill-gz")
        defer { tmp.cleanup() }
        try Data(data).write(to: URL(fileURLWithPath: tmp.path + "/x"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-n", tmp.path + "/x"]
        try p.run()
        p.waitUntilExit()
        return Array(try Data(contentsOf: URL(fileURLWithPath: tmp.path + "/x.gz")))
    }

    // MARK: Listing and reading

    func testThousandsOfObjectsAcrossDaysListWithPagingAndQueryAsTheSameFilesOnDisk() throws {
        let moto = try motoURL()
        let s3 = client(moto)
        let bucket = bucketName("paging")
        try s3.createBucket(bucket)
        let tmp = TemporaryDirectory(prefix: "logmill-s3-local")
        defer { tmp.cleanup() }
        var rng = SeededRandom(seed: 11)
        var files: [(key: String, body: String)] = []
        for i in 0..<2_400 {
            let t = S3SourceTests.start + Int64(i % 3) * S3SourceTests.day + Int64(i) * 20_000
            let key = "logs/2026/11/0\(1 + i % 3)/part-\(String(format: "%05d", i)).log"
            files.append((key, lines(&rng, at: t, count: 1 + i % 4)))
        }
        // Uploaded four at a time; written to disk under the same names.
        let failures = NSLock()
        nonisolated(unsafe) var failed: [String] = []
        let toUpload = files
        DispatchQueue.concurrentPerform(iterations: 4) { w in
            for k in stride(from: w, to: toUpload.count, by: 4) {
                do { try s3.put(bucket: bucket, key: toUpload[k].key, body: Data(toUpload[k].body.utf8)) } catch {
                    failures.lock(); failed.append("\(error)"); failures.unlock()
                }
            }
        }
        XCTAssertEqual(failed, [])
        for f in files {
            let path = tmp.path + "/" + f.key
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try f.body.write(toFile: path, atomically: false, encoding: .utf8)
        }

        let source = try S3Source(url: "s3://\(bucket)/logs/", labels: [SourceLabel.logGroup: "/app"], client: s3)
        let listed = try source.list()
        XCTAssertEqual(listed.count, 2_400, "three pages of 1000 (moto's page size), all listed")
        XCTAssertEqual(listed.map(\.name), files.map { "s3://\(bucket)/\($0.key)" }.sorted())
        XCTAssertEqual(Set(listed.map(\.identity.kind)), ["s3"])
        XCTAssertTrue(listed[0].identity.key.hasPrefix("\(bucket)/logs/2026/11/01/part-00000.log@\""), listed[0].identity.key)
        XCTAssertEqual(listed[0].labels[SourceLabel.logGroup], "/app")
        XCTAssertEqual(listed.reduce(0) { $0 + ($1.size ?? 0) }, files.reduce(0) { $0 + $1.body.utf8.count })

        let q = "parse @message 'level=* v=*' as level, v | stats count(*) as n, sum(v) as total, min(@timestamp) as first, max(@timestamp) as last by level, bin(1d) | sort level"
        let remote = try query(q, listed)
        let local = try query(q, try SourceArguments.objects([tmp.path + "/logs"]))
        XCTAssertEqual(remote.warnings, [])
        XCTAssertEqual(ResultWriter.render(remote, as: .json), ResultWriter.render(local, as: .json))
        XCTAssertEqual(ResultWriter.render(remote, as: .csv).split(separator: "\n").count, 1 + 9, "a row per level and day")
    }

    func testAnObjectLargerThanTheRangeSizeIsReadWholeAndInRanges() throws {
        let moto = try motoURL()
        let s3 = client(moto)
        let bucket = bucketName("large")
        try s3.createBucket(bucket)
        var rng = SeededRandom(seed: 3)
        let body = Array(lines(&rng, at: S3SourceTests.start, count: 12_000).utf8)   // about 560 KB
        try s3.put(bucket: bucket, key: "big.log", body: Data(body))
        var source = try S3Source(url: "s3://\(bucket)/big", client: s3)
        source.rangeSize = 64 << 10
        let objects = try source.list()
        XCTAssertEqual(objects.count, 1)
        XCTAssertEqual(objects[0].size, body.count)
        XCTAssertTrue(objects[0].isSeekable)
        XCTAssertEqual(try readAll(try objects[0].open()), body)
        XCTAssertEqual(try readAll(try objects[0].open(range: 100_000..<300_001)), Array(body[100_000..<300_001]))
        // Through the scan (which splits a large seekable object between workers).
        let remote = try query("stats count(*) as n", objects)
        XCTAssertEqual(remote.warnings, [])
        XCTAssertEqual(ResultWriter.render(remote, as: .csv), "n\n12000\n")
    }

    func testGzipObjectsAreDetectedByTheirBytes() throws {
        let moto = try motoURL()
        let s3 = client(moto)
        let bucket = bucketName("gzip")
        try s3.createBucket(bucket)
        var rng = SeededRandom(seed: 5)
        let a = lines(&rng, at: S3SourceTests.start, count: 3000)
        let b = lines(&rng, at: S3SourceTests.start + 3_600_000, count: 500)
        // Two gzip members in one object (as rotated logs are concatenated), and a plain one.
        try s3.put(bucket: bucket, key: "x/a.log.gz", body: Data(try S3SourceTests.gzip(Array(a.utf8)) + S3SourceTests.gzip(Array(b.utf8))))
        try s3.put(bucket: bucket, key: "x/b.log", body: Data(b.utf8))
        var source = try S3Source(url: "s3://\(bucket)/x/", client: s3)
        source.rangeSize = 16 << 10
        let result = try query("stats count(*) as n by @logStream", try source.list())
        XCTAssertEqual(result.warnings, [])
        XCTAssertEqual(result.statistics.bytesRead, try source.list().reduce(0) { $0 + $1.size! })
        XCTAssertEqual(ResultWriter.render(try query("stats count(*) as n", try source.list()), as: .csv), "n\n4000\n")
    }

    func testADateTemplateListsOnlyTheDaysInRange() throws {
        let moto = try motoURL()
        let s3 = client(moto)
        let bucket = bucketName("template")
        try s3.createBucket(bucket)
        for d in 1...5 {
            try s3.put(bucket: bucket, key: "AWSLogs/2026/11/0\(d)/a.log", body: Data("2026-11-0\(d)T10:00:00Z x\n".utf8))
        }
        try s3.put(bucket: bucket, key: "AWSLogs/2026/11/notes.txt", body: Data("not a day\n".utf8))
        var source = try S3Source(url: "s3://\(bucket)/AWSLogs/{yyyy}/{MM}/{dd}/", client: s3)
        // No range: the literal part listed, keys kept when they fit the template.
        XCTAssertEqual(source.prefixes, ["AWSLogs/"])
        XCTAssertEqual(try source.list().map(\.name), (1...5).map { "s3://\(bucket)/AWSLogs/2026/11/0\($0)/a.log" })
        source.timeRange = (S3SourceTests.start + S3SourceTests.day + 3_600_000)..<(S3SourceTests.start + 3 * S3SourceTests.day)
        source.lookback = 0
        source.lookahead = 0
        XCTAssertEqual(source.prefixes, ["AWSLogs/2026/11/02/", "AWSLogs/2026/11/03/"])
        XCTAssertEqual(try source.list().map(\.name), ["s3://\(bucket)/AWSLogs/2026/11/02/a.log", "s3://\(bucket)/AWSLogs/2026/11/03/a.log"])
        // A day of lookback for late deliveries, an hour of lookahead.
        source.lookback = S3SourceTests.day
        source.lookahead = 3_600_000
        XCTAssertEqual(try source.list().count, 4)
        XCTAssertEqual(DateTemplate.expand("f/{yyyy}-{MM}-{dd}/{HH}/", range: S3SourceTests.start..<(S3SourceTests.start + 7_200_000), lookback: 0, lookahead: 0),
                       ["f/2026-11-01/00/", "f/2026-11-01/01/"])
        // Through the command's routing, with --from/--to as the time range.
        let routed = RemoteSources.sources(["s3://\(bucket)/AWSLogs/{yyyy}/{MM}/{dd}/"], environment: environment(moto), clock: ManualClock(),
                                           timeRange: (S3SourceTests.start + 4 * S3SourceTests.day)..<(S3SourceTests.start + 5 * S3SourceTests.day), lookback: 0)
        XCTAssertEqual(try SourceArguments.list(routed).map(\.name), ["s3://\(bucket)/AWSLogs/2026/11/05/a.log"])
    }

    // MARK: Errors

    func testAMissingBucketAndAVanishedKeyAreReportedWithTheServiceCodeAndTheRestIsRead() throws {
        let moto = try motoURL()
        let s3 = client(moto)
        let bucket = bucketName("errors")
        try s3.createBucket(bucket)
        for k in ["a", "b", "c"] { try s3.put(bucket: bucket, key: "k/\(k).log", body: Data("2026-11-01T00:00:00Z \(k)\n".utf8)) }
        let missing = try S3Source(url: "s3://\(bucket)-nope/k/", client: s3)
        let present = try S3Source(url: "s3://\(bucket)/k/", client: s3)
        var objects = try SourceArguments.list([missing, present])
        XCTAssertEqual(objects.count, 4)
        XCTAssertTrue(objects[0].unreadable?.contains("NoSuchBucket") == true, "\(objects[0].unreadable ?? "-")")
        // b.log vanishes between the listing and the read.
        let gone = try s3.send("DELETE", bucket: bucket, key: "k/b.log")
        XCTAssertEqual(gone.status, 204)
        let result = try query("stats count(*) as n", objects)
        XCTAssertEqual(ResultWriter.render(result, as: .csv), "n\n2\n", "the other objects are still read")
        XCTAssertEqual(result.warnings.count, 2, "\(result.warnings)")
        XCTAssertTrue(result.warnings.contains { $0.contains("s3://\(bucket)-nope/k/") && $0.contains("NoSuchBucket") }, "\(result.warnings)")
        XCTAssertTrue(result.warnings.contains { $0.contains("s3://\(bucket)/k/b.log") && $0.contains("NoSuchKey") && $0.contains("404") }, "\(result.warnings)")
        XCTAssertFalse(result.warnings.joined().contains("testing"), "no credential in a message")
        objects.removeAll()
    }

    func testTheCommandExitsOneNamingTheCodeAndStillReadsTheOtherInputs() throws {
        let moto = try motoURL()
        let s3 = client(moto)
        let bucket = bucketName("cli")
        try s3.createBucket(bucket)
        try s3.put(bucket: bucket, key: "logs/a.log", body: Data("2026-11-01T00:00:00Z one\n2026-11-01T00:00:01Z two\n".utf8))
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment(moto) where k != "HOME" { env[k] = v }
        let run = try LogmillProcess.run(["query", "--format", "csv", "stats count(*) as n", "s3://\(bucket)/logs/", "s3://\(bucket)-missing/x"], environment: env)
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertEqual(run.stdout, "n\n2\n")
        XCTAssertTrue(run.stderr.contains("s3://\(bucket)-missing/x") && run.stderr.contains("NoSuchBucket"), run.stderr)
    }

    // MARK: A scheduled job over a bucket

    func testScheduledRunsCountEachUploadedObjectOnce() throws {
        let moto = try motoURL()
        let s3 = client(moto)
        let bucket = bucketName("job")
        try s3.createBucket(bucket)
        let tmp = TemporaryDirectory(prefix: "logmill-s3-job")
        defer { tmp.cleanup() }
        try """
            name: s3job
            schedule: every 5m
            start: 2026-11-01T00:00:00Z
            settle: 30s
            source: s3://\(bucket)/app/{yyyy}/{MM}/{dd}/ as /aws/app
            namespace: Test/S3
            metric: Lines = n unit Count
            sink: emf out/a.emf
            query:
            stats count(*) as n by bin(5m)
            """.write(toFile: tmp.path + "/s3job.job", atomically: true, encoding: .utf8)
        let job = try JobFile.load(tmp.path + "/s3job.job")
        let clock = ManualClock(milliseconds: S3SourceTests.start)
        func cycle() -> JobCycle {
            var options = QueryOptions()
            options.clock = clock
            options.scan.workers = 2
            return JobCycle(store: StateStore(directory: tmp.path + "/state"), options: options, output: TextBuffer(), environment: environment(moto))
        }
        var total = 0
        var uploaded = 0
        var rng = SeededRandom(seed: 9)
        for step in 0..<6 {
            // Objects for this five minutes (one delivered late, under the previous step's time).
            let t = S3SourceTests.start + Int64(step) * 300_000
            for k in 0..<(2 + step % 3) {
                let n = 1 + rng.below(30)
                try s3.put(bucket: bucket, key: "app/2026/11/01/\(step)-\(k).log", body: Data(lines(&rng, at: t + Int64(k) * 60_000, count: n).utf8))
                uploaded += n
            }
            clock.set(milliseconds: t + 300_000 + 45_000)
            let report = try cycle().run(job)
            XCTAssertEqual(report.warnings, [], "step \(step)")
            XCTAssertEqual(report.lateRecords, 0, "step \(step)")
            total += report.recordsRead
            XCTAssertEqual(total, uploaded, "step \(step): every uploaded line read once")
            let again = try cycle().run(job)
            XCTAssertEqual(again.recordsRead, 0, "step \(step): an unchanged key is not read again")
            XCTAssertEqual(again.bytesRead, 0)
        }
        let emitted = try String(contentsOfFile: tmp.path + "/out/a.emf", encoding: .utf8).split(separator: "\n").compactMap { line -> Int? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["Lines"] as? Int
        }
        XCTAssertEqual(emitted.reduce(0, +), uploaded)
        XCTAssertEqual(emitted.count, 6)
        // An object rewritten with a new ETag is a new object: read again.
        try s3.put(bucket: bucket, key: "app/2026/11/01/5-0.log", body: Data("\(S3SourceTests.iso(S3SourceTests.start + 31 * 60_000)) rewritten\n".utf8))
        clock.set(milliseconds: S3SourceTests.start + 7 * 300_000 + 45_000)
        let rewritten = try cycle().run(job)
        XCTAssertEqual(rewritten.recordsRead, 1)
        XCTAssertTrue(rewritten.notes.contains { $0.contains("app/2026/11/01/5-0.log changed since it was read") }, "\(rewritten.notes)")
    }
}
