import Foundation
import LogmillScan
import LogmillSources
import LogmillTime
import LogmillRecords
import LogmillTestSupport
import XCTest
@testable import LogmillQuery

/// Partial results: merged in any order, and through bytes, they give what one scan gives.
final class PartialResultTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/fixtures/lambda"

    /// Every aggregate, grouped by a discovered field and by time.
    static let queries = [
        """
        filter @type = "REPORT"
        | stats count(*) as n, count(@maxMemoryUsed) as c, count_distinct(@memorySize) as sizes, sum(@billedDuration) as billed,
          avg(@duration) as mean, min(@duration) as lo, max(@duration) as hi, stddev(@duration) as sd, pct(@duration, 90) as p90,
          earliest(@requestId) as first, latest(@requestId) as last, sortsFirst(@requestId) as sf, sortsLast(@requestId) as sl
          by @log, bin(5m)
        """,
        "stats count(*) as n by bin(1h)",
        "filter @message like /ERROR/ | fields @timestamp, @message | sort @timestamp desc | limit 7",
        "fields @timestamp, @requestId | filter ispresent(@requestId)",
    ]

    func objects() throws -> [SourceObject] { try SourceArguments.objects([PartialResultTests.fixtures]) }

    func engine(_ q: String, workers: Int = 2) throws -> QueryEngine {
        var o = QueryOptions()
        o.clock = ManualClock(milliseconds: 1_800_000_000_000)
        o.scan.workers = workers
        return try QueryEngine(text: q, options: o)
    }

    func rendered(_ r: QueryResult) -> String { ResultWriter.render(r, as: .json) }

    func testMergingPerObjectPartialsInAnyOrderEqualsOneScan() throws {
        let objects = try objects()
        XCTAssertGreaterThan(objects.count, 3)
        for q in PartialResultTests.queries {
            let e = try engine(q)
            let expected = rendered(e.run(objects))
            var rng = SeededRandom(seed: 0x5eed)
            for trial in 0..<4 {
                // One partial per object, stored as bytes and read back, merged in a shuffled order.
                var stored = objects.map { e.scan([$0]).whole!.encoded() }
                stored.shuffle(using: &rng)
                let merged = e.emptyPartial()
                for bytes in stored { merged.merge(try e.partial(from: bytes)) }
                XCTAssertEqual(rendered(e.finish(merged)), expected, "query \(q), trial \(trial)")
            }
        }
    }

    func testWindowedScanSplitsExactlyByHalfOpenWindows() throws {
        let objects = try objects()
        let period = Period.parse("5m")!
        let q = #"filter @type = "REPORT" | stats count(*) as n, sum(@billedDuration) as billed, max(@maxMemoryUsed) as peak by @log"#
        let e = try engine(q)
        let scan = e.scan(objects, windows: period)
        XCTAssertGreaterThan(scan.windows.count, 1)
        var total = 0
        for (window, partial) in scan.windows {
            XCTAssertEqual(window.start % 300_000, 0, "aligned")
            XCTAssertEqual(window.duration, 300_000)
            total += partial.records
            // The same window by a time-restricted scan: [start, end) is --from start --to end-1ms.
            var o = QueryOptions()
            o.from = window.start
            o.to = window.end - 1
            let alone = try QueryEngine(text: q, options: o).run(objects)
            XCTAssertEqual(rendered(e.finish(partial, window: window)), rendered(alone), "\(window)")
        }
        XCTAssertEqual(total, scan.statistics.recordsMatched - scan.statistics.untimedRecords)
        XCTAssertEqual(total, try engine(#"filter @type = "REPORT" | stats count(*) as n"#).run(objects).rows[0][0].number.map { Int($0) })
    }

    func testWindowPartialsMergeBackToTheWholeScan() throws {
        let objects = try objects()
        let q = PartialResultTests.queries[0]
        let e = try engine(q)
        let merged = e.emptyPartial()
        for (_, p) in e.scan(objects, windows: Period.parse("15m")!).windows.sorted(by: { $0.key > $1.key }) { merged.merge(p) }
        XCTAssertEqual(rendered(e.finish(merged)), rendered(e.run(objects)))
    }

    func testStoredPartialsAreRefusedWhenForeignCorruptOrOfAnotherVersion() throws {
        let objects = try objects()
        let a = try engine("stats count(*) by bin(5m)")
        let b = try engine("stats count(*) by bin(1h)")
        let bytes = a.scan(objects).whole!.encoded()
        XCTAssertThrowsError(try b.partial(from: bytes)) { XCTAssertTrue("\($0)".contains("another query"), "\($0)") }
        XCTAssertThrowsError(try a.partial(from: Array(bytes.dropLast(3)))) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
        XCTAssertThrowsError(try a.partial(from: Array("hello".utf8))) { XCTAssertTrue("\($0)".contains("not a logmill partial"), "\($0)") }
        var future = bytes
        future[4] = QueryPartial.formatVersion + 1
        XCTAssertThrowsError(try a.partial(from: future)) { XCTAssertTrue("\($0)".contains("format version"), "\($0)") }
        XCTAssertNoThrow(try a.partial(from: bytes))
    }

    func testOneAndTwoWorkersGiveTheSameAnswer() throws {
        let objects = try objects()
        for q in PartialResultTests.queries {
            XCTAssertEqual(rendered(try engine(q, workers: 1).run(objects)), rendered(try engine(q, workers: 2).run(objects)), q)
        }
    }
}

/// The scan driver's worker budget, cancellation and progress events.
final class ScanDriverControlTests: XCTestCase {
    final class Counter: BlockConsumer {
        var blocks = 0
        func consume(block: UnsafeRawBufferPointer, input: InputContext, offset: Int) { blocks += 1 }
    }

    func testBudgetIsSharedAndReleased() {
        let budget = WorkerBudget(capacity: 3)
        XCTAssertEqual(budget.acquire(upTo: 2), 2)
        XCTAssertEqual(budget.acquire(upTo: 5), 1, "only what is left")
        XCTAssertEqual(budget.busy, 3)
        budget.release(2)
        XCTAssertEqual(budget.acquire(upTo: 8), 2)
        budget.release(3)
        XCTAssertEqual(budget.busy, 0)
    }

    func testCancelledScanStopsAndSaysSoAndEventsCountEveryByte() throws {
        let objects = try SourceArguments.objects([PartialResultTests.fixtures])
        let bytes = objects.reduce(0) { $0 + ($1.size ?? 0) }
        final class Box: @unchecked Sendable { let lock = NSLock(); var read = 0; var planned: Int?; var finished = 0 }
        let box = Box()
        var o = ScanOptions()
        o.workers = 1
        o.chunkSize = 4096
        o.events = { e in
            box.lock.lock(); defer { box.lock.unlock() }
            switch e {
            case .planned(_, let b): box.planned = b
            case .read(let n): box.read += n
            case .finished: box.finished += 1
            }
        }
        let report = ScanDriver(options: o).scan(objects, consumers: [Counter()])
        XCTAssertEqual(box.planned, bytes)
        XCTAssertEqual(box.read, bytes, "every raw byte reported once")
        XCTAssertEqual(box.finished, objects.count)
        XCTAssertFalse(report.cancelled)

        let cancel = ScanCancellation()
        cancel.cancel()
        o.cancellation = cancel
        o.events = nil
        let counter = Counter()
        let stopped = ScanDriver(options: o).scan(objects, consumers: [counter])
        XCTAssertTrue(stopped.cancelled)
        XCTAssertEqual(counter.blocks, 0)
    }
}

/// Object identity: what survives a rename, a copy and compression.
final class ObjectIdentityTests: XCTestCase {
    func testIdentityFollowsRenamesAndFingerprintFollowsContentIntoGzip() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-identity")
        defer { tmp.cleanup() }
        let dir = tmp.path
                let text = (0..<200).map { "2026-11-01T00:00:\(String(format: "%02d", $0 % 60)).000Z line \($0)\n" }.joined()
        FileManager.default.createFile(atPath: dir + "/app.log", contents: Data(text.utf8))
        let before = try SourceArguments.objects([dir + "/app.log"])[0]
        try FileManager.default.moveItem(atPath: dir + "/app.log", toPath: dir + "/app.log.1")
        let after = try SourceArguments.objects([dir + "/app.log.1"])[0]
        XCTAssertEqual(before.identity, after.identity, "a rename keeps device and inode")
        XCTAssertNotEqual(before.name, after.name)
        try FileManager.default.copyItem(atPath: dir + "/app.log.1", toPath: dir + "/copy.log")
        XCTAssertNotEqual(try SourceArguments.objects([dir + "/copy.log"])[0].identity, after.identity, "a copy is another file")

        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/bin/sh")
        gz.arguments = ["-c", "gzip -c '\(dir)/app.log.1' > '\(dir)/app.log.1.gz'"]
        try gz.run()
        gz.waitUntilExit()
        let objects = try SourceArguments.objects([dir + "/app.log.1", dir + "/app.log.1.gz", dir + "/copy.log"])
        XCTAssertEqual(objects.count, 3)
        let report = ScanDriver(options: ScanOptions()).scan(objects, consumers: [ScanDriverControlTests.Counter()])
        let prints = objects.map { report.fingerprints[$0.name] }
        XCTAssertNotNil(prints[0])
        XCTAssertEqual(prints[0], prints[1], "the decoded content is fingerprinted, so compression keeps it")
        XCTAssertEqual(prints[0], prints[2])
        XCTAssertEqual(prints[0]?.length, ContentFingerprint.span)
    }

    func testAFileReachedTwiceIsListedOnce() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-twice")
        defer { tmp.cleanup() }
        let dir = tmp.path
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/sub/a.log", contents: Data("x\n".utf8))
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.log", withDestinationPath: dir + "/sub/a.log")
        try FileManager.default.createSymbolicLink(atPath: dir + "/sub/loop", withDestinationPath: dir)
        XCTAssertEqual(try SourceArguments.objects([dir, dir + "/sub/a.log", dir + "/**/*.log"]).count, 1, "links and a symlink loop")
    }
}

/// stddev gives the same digits however the records are split, and the right ones.
final class StandardDeviationSplitTests: XCTestCase {
    func testSameAnswerForEverySplitAndCloseToATwoPassComputation() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-stddev")
        defer { tmp.cleanup() }
        var rng = SeededRandom(seed: 77)
        var values: [Double] = []
        var text = ""
        for i in 0..<60_000 {
            let v = (Double(rng.below(100_000)) / 7.0 + 480) * (rng.chance(50) ? 1 : 1e6)
            values.append(v)
            text += "2026-11-01T00:00:\(String(format: "%02d", i % 60)).000Z {\"v\":\(v)}\n"
        }
        FileManager.default.createFile(atPath: tmp.path + "/v.log", contents: Data(text.utf8))
        let mean = values.reduce(0, +) / Double(values.count)
        let twoPass = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
        var answers = Set<String>()
        for (workers, split) in [(1, 8 << 20), (2, 8 << 20), (2, 64 << 10), (2, 16 << 10)] {
            var o = QueryOptions()
            o.scan.workers = workers
            o.scan.splitSize = split
            o.scan.budget = WorkerBudget(capacity: 2)
            let r = try QueryEngine(text: "stats stddev(v) as sd", options: o).run(try SourceArguments.objects([tmp.path + "/v.log"]))
            let sd = r.rows[0][0].number!
            XCTAssertEqual(sd, twoPass, accuracy: twoPass * 1e-12)
            answers.insert("\(sd)")
        }
        XCTAssertEqual(answers.count, 1, "one answer whatever the split: \(answers)")
    }
}

extension PartialResultTests {
    /// Sample lines (what alarm notifications carry): the earliest by time, the same however the
    /// records were split between workers, objects and stored partials; kept through bytes; a
    /// version 1 partial (before samples) still reads, with none.
    func testSampleLinesAreTheEarliestWhateverTheSplit() throws {
        let objects = try objects()
        func sampled(_ workers: Int) throws -> QueryEngine {
            var o = QueryOptions()
            o.clock = ManualClock(milliseconds: 1_800_000_000_000)
            o.scan.workers = workers
            o.sampleLines = 4
            return try QueryEngine(text: "filter @message like /ERROR/ | stats count(*) as n", options: o)
        }
        let one = try sampled(1).scan(objects).whole!
        XCTAssertEqual(one.samples.count, 4)
        XCTAssertTrue(one.samples.allSatisfy { $0.message.contains("ERROR") })
        XCTAssertEqual(one.samples.map { $0.time }, one.samples.map { $0.time }.sorted())
        // The earliest four matching records of all objects, found independently.
        let all = try engine("filter @message like /ERROR/ | fields @timestamp | sort @timestamp asc | limit 4", workers: 1).run(objects)
        XCTAssertEqual(one.samples.map { $0.time }, all.rows.map { row -> Int64 in
            if case .timestamp(let ms) = row[0] { return ms }
            XCTFail("not a time: \(row[0])"); return 0
        })
        let e = try sampled(2)
        XCTAssertEqual(e.scan(objects).whole!.samples, one.samples)
        var rng = SeededRandom(seed: 7)
        var stored = objects.map { e.scan([$0]).whole!.encoded() }
        stored.shuffle(using: &rng)
        let merged = e.emptyPartial()
        for bytes in stored { merged.merge(try e.partial(from: bytes)) }
        XCTAssertEqual(merged.samples, one.samples)
        // Version 1 bytes: the same layout without the samples section.
        let plain = try engine("filter @message like /ERROR/ | stats count(*) as n")
        var v1 = plain.scan(objects).whole!.encoded()
        XCTAssertEqual(Array(v1.suffix(8)), [UInt8](repeating: 0, count: 8), "an empty samples section ends the bytes")
        v1.removeLast(8)
        v1[4] = 1
        let old = try plain.partial(from: v1)
        XCTAssertEqual(old.records, plain.scan(objects).whole!.records)
        XCTAssertTrue(old.samples.isEmpty)
    }
}
