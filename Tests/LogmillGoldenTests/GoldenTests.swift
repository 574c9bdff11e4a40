import Foundation
import LogmillJobs
import LogmillSinks
import LogmillQuery
import LogmillScan
import LogmillSources
import LogmillTestSupport
import XCTest

/// Runs every case of `Tests/golden` in every execution mode and compares the output exactly with the
/// case's `expected.json` (query rows as `logmill query --format json` prints them) or `expected.txt`
/// (what `logmill run --dry-run` prints). `Tests/golden/generate.py --verify` recomputes those
/// expectations independently of logmill; these tests check that every mode agrees with them.
///
/// Modes: the built binary with `--workers 1` and `--workers 2`; the same with every input gzipped, as
/// one member or as two cut inside a record (same file names: gzip is detected by content, so `@log` is
/// unchanged); single-input query cases piped to `-`, plain and gzipped; inputs split into record-aligned parts of a few hundred bytes (in
/// process, through `QueryEngine`/`JobRunner` with `ScanOptions.splitSize`, since the CLI has no way
/// to lower the 8 MiB split size and these tests must not add one); and query cases whose rows are
/// numbers per `bin()` wrapped in a job with an EMF sink, whose datums must equal the rows.
/// Mismatches listed in Tests/golden/known-disagreements.txt are printed as notes; all others fail.
final class GoldenTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let corpus = root + "/Tests/golden"
    /// Small enough that every input is cut into several parts, so records straddle part boundaries.
    static let splitSize = 256

    static var binary: String { LogmillProcess.binary }

    struct Case: Sendable {
        let name: String
        let dir: String
        /// `inputs/<file>` in name order.
        let inputs: [String]
        var isJob: Bool { FileManager.default.fileExists(atPath: dir + "/case.job") }
        var expectedPath: String { dir + (isJob ? "/expected.txt" : "/expected.json") }
        func expected() throws -> String { try String(contentsOfFile: expectedPath, encoding: .utf8) }
        func query() throws -> String { try String(contentsOfFile: dir + "/query.insights", encoding: .utf8) }
    }

    static func cases() throws -> [Case] {
        let fm = FileManager.default
        return try fm.contentsOfDirectory(atPath: corpus).sorted().compactMap { name in
            let dir = corpus + "/" + name
            guard fm.fileExists(atPath: dir + "/inputs") else { return nil }
            let inputs = try fm.contentsOfDirectory(atPath: dir + "/inputs").sorted().map { "inputs/" + $0 }
            return Case(name: name, dir: dir, inputs: inputs)
        }
    }

    // MARK: running things

    struct Output: Sendable { let status: Int32; let stdout: String; let stderr: String }

    static func logmill(_ args: [String], stdin: Data? = nil, cwd: String) throws -> Output {
        let r = try LogmillProcess.run(args, stdin: stdin, cwd: cwd)
        return Output(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    static func run(_ executable: String, _ args: [String], stdin: Data? = nil, cwd: String) throws -> Output {
        let r = try LogmillProcess.execute(executable, args, stdin: stdin, cwd: cwd)
        return Output(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    static func gzip(_ data: Data) throws -> Data {
        let tmp = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try data.write(to: URL(fileURLWithPath: tmp + "/in"))
        try Self.gzipFile(tmp + "/in", to: tmp + "/in.gz")
        return try Data(contentsOf: URL(fileURLWithPath: tmp + "/in.gz"))
    }

    static func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "logmill-golden-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A copy of the case folder whose inputs are gzipped under their own names; with `members: 2`, each
    /// input is cut at its middle byte (inside a record) and the two halves are gzip members back to back.
    static func gzippedCopy(of c: Case, members: Int = 1) throws -> String {
        let tmp = try Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: tmp + "/inputs", withIntermediateDirectories: true)
        for input in c.inputs {
            let plain = try Data(contentsOf: URL(fileURLWithPath: c.dir + "/" + input))
            var gz = Data()
            for m in 0..<members {
                gz += try Self.gzip(plain.subdata(in: plain.count * m / members..<plain.count * (m + 1) / members))
            }
            try gz.write(to: URL(fileURLWithPath: tmp + "/" + input))
        }
        for file in ["query.insights", "case.job"] where FileManager.default.fileExists(atPath: c.dir + "/" + file) {
            try FileManager.default.copyItem(atPath: c.dir + "/" + file, toPath: tmp + "/" + file)
        }
        return tmp
    }

    static func gzipFile(_ source: String, to destination: String) throws {
        // gzip's output is binary: go through a file rather than a String.
        let r = Process()
        r.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        r.arguments = ["gzip", "-n", "-c", source]
        _ = FileManager.default.createFile(atPath: destination, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: destination))
        defer { try? handle.close() }
        r.standardOutput = handle
        try r.run()
        r.waitUntilExit()
        guard r.terminationStatus == 0 else { throw XCTSkip("gzip (run through /usr/bin/env) failed on \(source); install gzip (apt-get install gzip) to check the gzip inputs") }
    }

    /// Paths the output shows absolutely (sink files) are written relative to the folder the command ran in.
    static func normalized(_ text: String, ranIn dir: String) -> String {
        text.replacingOccurrences(of: dir + "/", with: "./")
    }

    // MARK: comparing

    struct Mismatch: CustomStringConvertible, Sendable {
        let kase: String, mode: String, detail: String
        var description: String { "golden case \(kase), mode \(mode): \(detail)" }
    }

    /// A diff-like excerpt around the first line that differs.
    static func excerpt(expected: String, actual: String) -> String {
        let e = expected.components(separatedBy: "\n"), a = actual.components(separatedBy: "\n")
        var i = 0
        while i < e.count, i < a.count, e[i] == a[i] { i += 1 }
        let from = max(0, i - 2)
        var lines = ["first difference at line \(i + 1) (expected \(e.count) lines, got \(a.count)):"]
        for k in from..<i { lines.append("  " + e[k]) }
        for k in i..<min(e.count, i + 3) { lines.append("- " + e[k]) }
        for k in i..<min(a.count, i + 3) { lines.append("+ " + a[k]) }
        return lines.joined(separator: "\n")
    }

    static func check(_ c: Case, _ mode: String, _ actual: Output, against expected: String, into failures: Failures) {
        if actual.status != 0 {
            failures.add(Mismatch(kase: c.name, mode: mode, detail: "exit status \(actual.status)\n\(actual.stderr)"))
        } else if actual.stdout != expected {
            failures.add(Mismatch(kase: c.name, mode: mode, detail: GoldenTests.excerpt(expected: expected, actual: actual.stdout)))
        }
    }

    /// Mismatches found by several threads.
    final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [Mismatch] = []
        func add(_ m: Mismatch) { lock.lock(); list.append(m); lock.unlock() }
        var all: [Mismatch] { lock.lock(); defer { lock.unlock() }; return list.sorted { ($0.kase, $0.mode) < ($1.kase, $1.mode) } }
    }

    /// Runs `body` for every case on a few threads (the modes run processes and mostly wait), then reports
    /// every mismatch and every error, naming the case.
    func forEach(_ cases: [Case], _ failures: Failures, _ body: @escaping @Sendable (Case) throws -> Void) {
        let errors = Failures()
        let lanes = max(1, min(4, cases.count))
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            for i in stride(from: lane, to: cases.count, by: lanes) {
                do { try body(cases[i]) } catch { errors.add(Mismatch(kase: cases[i].name, mode: "-", detail: "\(error)")) }
            }
        }
        for f in errors.all + failures.all {
            if let why = GoldenTests.knownDisagreement(f) {
                print("note: known disagreement (Tests/golden/known-disagreements.txt): \(f)\n  why: \(why)")
            } else {
                XCTFail(f.description)
            }
        }
    }

    /// Why `m` is listed in Tests/golden/known-disagreements.txt, if it is.
    static func knownDisagreement(_ m: Mismatch) -> String? {
        guard let text = try? String(contentsOfFile: corpus + "/known-disagreements.txt", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "|", maxSplits: 2).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 3, parts[0] == m.kase, m.mode.hasPrefix(parts[1]) { return parts[2] }
        }
        return nil
    }

    // MARK: in-process scans split into parts

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func add() { lock.lock(); n += 1; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return n }
    }

    /// Two workers from a budget of their own, and a split size that cuts every input into parts.
    static func splitOptions(_ parts: Counter) -> QueryOptions {
        var options = QueryOptions()
        options.scan.workers = 2
        options.scan.budget = WorkerBudget(capacity: 2)
        options.scan.splitSize = splitSize
        options.scan.events = { if case .finished = $0 { parts.add() } }
        return options
    }

    static func splitQuery(_ c: Case) throws -> (text: String, parts: Int) {
        let parts = Counter()
        let engine = try QueryEngine(text: try c.query(), origin: "query.insights", options: GoldenTests.splitOptions(parts))
        // Relative input names, as the CLI modes give them (they are @log).
        let previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(c.dir)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        let result = engine.run(try SourceArguments.objects(c.inputs))
        return (ResultWriter.render(result, as: .json), parts.value)
    }

    static func splitJob(_ c: Case) throws -> (text: String, parts: Int) {
        let parts = Counter()
        let job = try JobFile.load(c.dir + "/case.job")
        var runner = JobRunner(options: GoldenTests.splitOptions(parts), output: TextBuffer())
        runner.dryRun = true
        let outcome = try runner.run(job)
        // What `logmill run --dry-run` prints for each sink.
        var text = ""
        for (sink, payload) in outcome.payloads {
            text += "== \(job.name) → \(sink): \(payload.count) datum(s)\n"
            text += payload.text.hasSuffix("\n") || payload.text.isEmpty ? payload.text : payload.text + "\n"
        }
        return (GoldenTests.normalized(text, ranIn: c.dir), parts.value)
    }

    static func checkSplit(_ c: Case, _ result: (text: String, parts: Int), against expected: String, into failures: Failures) {
        let mode = "split into parts of \(GoldenTests.splitSize / 2)+ bytes, 2 workers (in process)"
        if result.parts <= c.inputs.count {
            failures.add(Mismatch(kase: c.name, mode: mode, detail: "the inputs were not split (\(result.parts) parts for \(c.inputs.count) inputs)"))
        }
        if result.text != expected {
            failures.add(Mismatch(kase: c.name, mode: mode, detail: GoldenTests.excerpt(expected: expected, actual: result.text)))
        }
    }

    // MARK: the tests

    func testCorpusHasQueryAndJobCases() throws {
        let all = try GoldenTests.cases()
        XCTAssertGreaterThanOrEqual(all.filter { !$0.isJob }.count, 12)
        XCTAssertGreaterThanOrEqual(all.filter(\.isJob).count, 3)
        for c in all {
            XCTAssertTrue(FileManager.default.fileExists(atPath: c.expectedPath), "\(c.name): no \(c.expectedPath)")
            XCTAssertTrue(FileManager.default.fileExists(atPath: c.dir + "/README"), "\(c.name): no README saying what it covers")
            XCTAssertFalse(c.inputs.isEmpty, "\(c.name): no inputs")
        }
    }

    /// The committed inputs are what generate.py writes, and the expected files agree with its own recount
    /// of the records (so re-recording them with a wrong logmill fails here, not only in review).
    func testCorpusMatchesGeneratorAndIndependentRecount() throws {
        for flag in ["--check", "--verify"] {
            let r = try Self.run("/usr/bin/env", ["python3", GoldenTests.corpus + "/generate.py", flag], cwd: GoldenTests.root)
            if r.status == 127 { throw XCTSkip("python3 is not on PATH (apt-get install python3) to run Tests/golden/generate.py: \(r.stderr)") }
            XCTAssertEqual(r.status, 0, "generate.py \(flag):\n\(r.stdout)\(r.stderr)")
        }
    }

    func testQueryCasesInEveryMode() throws {
        let cases = try GoldenTests.cases().filter { !$0.isJob }
        let failures = Failures(), asJob = Counter()
        // The in-process split mode changes the current directory (input names are @log): not concurrently.
        for c in cases { GoldenTests.checkSplit(c, try GoldenTests.splitQuery(c), against: try c.expected(), into: failures) }
        forEach(cases, failures) { c in
            let expected = try c.expected()
            let query = ["query", "--format", "json", "-f", "query.insights"]
            for workers in ["1", "2"] {
                Self.check(c, "--workers \(workers)", try Self.logmill(query + ["--workers", workers] + c.inputs, cwd: c.dir), against: expected, into: failures)
            }
            // Standard input: one input only (several would be one stream), and not when the rows show @log,
            // which names the file.
            let stdin = try c.inputs.count == 1 && c.query().range(of: "@log(?![A-Za-z])", options: .regularExpression) == nil
            if stdin {
                let plain = try Data(contentsOf: URL(fileURLWithPath: c.dir + "/" + c.inputs[0]))
                Self.check(c, "stdin", try Self.logmill(query + ["-"], stdin: plain, cwd: c.dir), against: expected, into: failures)
            }
            for (members, workers) in [(1, ["1", "2"]), (2, ["2"])] {
                let gz = try Self.gzippedCopy(of: c, members: members)
                defer { try? FileManager.default.removeItem(atPath: gz) }
                for w in workers {
                    Self.check(c, "gzip (\(members) member(s)), --workers \(w)", try Self.logmill(query + ["--workers", w] + c.inputs, cwd: gz),
                               against: expected, into: failures)
                }
                if stdin {
                    let data = try Data(contentsOf: URL(fileURLWithPath: gz + "/" + c.inputs[0]))
                    Self.check(c, "stdin, gzip (\(members) member(s))", try Self.logmill(query + ["-"], stdin: data, cwd: c.dir), against: expected, into: failures)
                }
            }
            if try Self.checkAsJob(c, expected: expected, into: failures) { asJob.add() }
        }
        XCTAssertGreaterThanOrEqual(asJob.value, 2, "query cases checked as jobs")
    }

    func testJobCasesInEveryMode() throws {
        let cases = try GoldenTests.cases().filter(\.isJob)
        let failures = Failures()
        for c in cases { GoldenTests.checkSplit(c, try GoldenTests.splitJob(c), against: try c.expected(), into: failures) }
        forEach(cases, failures) { c in
            let expected = try c.expected()
            for workers in ["1", "2"] {
                let r = try Self.logmill(["run", "--dry-run", "--workers", workers, "case.job"], cwd: c.dir)
                Self.check(c, "--workers \(workers)", Self.normalizedOutput(r, ranIn: c.dir), against: expected, into: failures)
            }
            for members in [1, 2] {
                let gz = try Self.gzippedCopy(of: c, members: members)
                defer { try? FileManager.default.removeItem(atPath: gz) }
                let r = try Self.logmill(["run", "--dry-run", "--workers", "2", "case.job"], cwd: gz)
                Self.check(c, "gzip (\(members) member(s)), --workers 2", Self.normalizedOutput(r, ranIn: gz), against: expected, into: failures)
            }
        }
    }

    /// Every example job of the repository, its --dry-run output compared with Tests/golden/jobs/<name>.expected
    /// (which generate.py --verify checks against recounts of fixtures/).
    /// The clock of the example jobs' dry runs (generate.py's RECORD_NOW): after the fixtures' last
    /// line, so every window with data is due, and the output does not depend on the day.
    static let exampleJobsNow = "2026-11-01T05:00:00Z"

    func testExampleJobsInQueries() throws {
        let jobs = try FileManager.default.contentsOfDirectory(atPath: GoldenTests.root + "/queries").filter { $0.hasSuffix(".job") }.sorted()
        XCTAssertFalse(jobs.isEmpty)
        let failures = Failures()
        forEach(jobs.map { Case(name: "queries/" + $0, dir: GoldenTests.root, inputs: []) }, failures) { c in
            let name = String(c.name.dropFirst("queries/".count).dropLast(".job".count))
            guard let expected = try? String(contentsOfFile: GoldenTests.corpus + "/jobs/\(name).expected", encoding: .utf8) else {
                failures.add(Mismatch(kase: c.name, mode: "-", detail: "no expected output at Tests/golden/jobs/\(name).expected"))
                return
            }
            for workers in ["1", "2"] {
                let r = try Self.logmill(["run", "--dry-run", "--now", GoldenTests.exampleJobsNow, "--workers", workers, c.name], cwd: GoldenTests.root)
                Self.check(c, "--workers \(workers)", Self.normalizedOutput(r, ranIn: GoldenTests.root), against: expected, into: failures)
            }
        }
    }

    static func normalizedOutput(_ r: Output, ranIn dir: String) -> Output {
        Output(status: r.status, stdout: GoldenTests.normalized(r.stdout, ranIn: dir), stderr: r.stderr)
    }

    // MARK: query as job

    /// A query case whose rows are numbers per `bin()` (no other group key) runs as a job with one metric per
    /// column and an EMF sink: each EMF event must carry exactly its row's numbers at the bin's time.
    /// Other cases have no checkable equivalent as datums (text values, no time column) and skip this mode.
    @discardableResult
    static func checkAsJob(_ c: Case, expected: String, into failures: Failures) throws -> Bool {
        guard let rows = try JSONSerialization.jsonObject(with: Data(expected.utf8)) as? [[String: Any]], let first = rows.first,
              let binColumn = first.keys.first(where: { $0.hasPrefix("bin(") }) else { return false }
        let metrics = first.keys.filter { $0 != binColumn }.sorted()
        let identifier = try NSRegularExpression(pattern: "^[A-Za-z_][A-Za-z0-9_]*$")
        guard !metrics.isEmpty,
              metrics.allSatisfy({ identifier.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }),
              rows.allSatisfy({ r in metrics.allSatisfy { r[$0] is NSNumber } }) else { return false }
        let period = String(binColumn.dropFirst(4).dropLast())
        var job = "name: as-job\nschedule: every \(period)\nstart: 2026-11-01T00:00:00Z\n"
        for input in c.inputs { job += "source: \(c.dir)/\(input)\n" }
        job += "namespace: Golden/AsJob\n"
        for m in metrics { job += "metric: \(m) = \(m)\n" }
        job += "sink: emf\nquery:\n" + (try c.query())
        let tmp = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try job.write(toFile: tmp + "/as.job", atomically: true, encoding: .utf8)
        let mode = "as a job with an emf sink"
        let r = try Self.logmill(["run", "--dry-run", "--workers", "2", "as.job"], cwd: tmp)
        guard r.status == 0 else {
            failures.add(Mismatch(kase: c.name, mode: mode, detail: "exit status \(r.status)\n\(r.stderr)"))
            return true
        }
        var want: [Int: [String: Double]] = [:]
        let time = DateFormatter()
        time.locale = Locale(identifier: "en_US_POSIX")
        time.timeZone = TimeZone(identifier: "UTC")
        time.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        for row in rows {
            guard let bin = (row[binColumn] as? String).flatMap(time.date(from:)) else { return false }
            want[Int((bin.timeIntervalSince1970 * 1000).rounded())] = Dictionary(uniqueKeysWithValues: metrics.map { ($0, (row[$0] as! NSNumber).doubleValue) })
        }
        var got: [Int: [String: Double]] = [:]
        for line in r.stdout.split(separator: "\n") where line.hasPrefix("{") {
            guard let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let aws = event["_aws"] as? [String: Any], let ts = aws["Timestamp"] as? NSNumber else { continue }
            got[ts.intValue, default: [:]].merge(metrics.compactMap { m in (event[m] as? NSNumber).map { (m, $0.doubleValue) } }) { a, _ in a }
        }
        if got != want {
            failures.add(Mismatch(kase: c.name, mode: mode, detail: "datums \(got.sorted { $0.key < $1.key })\nrows   \(want.sorted { $0.key < $1.key })"))
        }
        return true
    }
}
