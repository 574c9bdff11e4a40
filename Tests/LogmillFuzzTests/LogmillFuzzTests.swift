import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
import LogmillTestSupport

/// Runs the built binary on generated and mutated queries, hostile log files of every format and job
/// files, for a time budget (`LOGMILL_FUZZ_SECONDS`, default 25) from a seed (`LOGMILL_FUZZ_SEED`,
/// default 1). A run fails only when it is killed by a signal (a crash), passes the time bound (a
/// hang, `LOGMILL_FUZZ_TIMEOUT` seconds, default 15), passes the memory bound (peak resident memory,
/// `LOGMILL_FUZZ_MEMORY_MB`, default 512), or exits with a status other than 0, 1 or 2. Each failing
/// input is saved (and minimized when it crashed) under a temporary folder, with the command that
/// reproduces it. `LOGMILL_FUZZ_VERBOSE=1` prints each run's exit status and first line of stderr.
final class LogmillFuzzTests: XCTestCase {
    struct Settings {
        var seconds = 25.0, seed: UInt64 = 1
        var limits = LogmillProcess.Limits(seconds: 15, memoryKB: 512 * 1024)
        init(_ env: [String: String]) {
            if let s = env["LOGMILL_FUZZ_SECONDS"].flatMap(Double.init) { seconds = s }
            if let s = env["LOGMILL_FUZZ_SEED"].flatMap(UInt64.init) { seed = s }
            if let s = env["LOGMILL_FUZZ_TIMEOUT"].flatMap(Double.init) { limits.seconds = s }
            if let s = env["LOGMILL_FUZZ_MEMORY_MB"].flatMap(Int.init) { limits.memoryKB = s * 1024 }
        }
    }

    /// One generated case: files to write in its folder and the arguments to run there.
    struct Case {
        var kind: String
        var files: [String: [UInt8]] = [:]
        /// Symbolic links (name → target) and FIFOs among the inputs, which a walk cannot read.
        var links: [String: String] = [:]
        var fifos: [String] = []
        /// Commands run after `args` in the same folder (scheduled runs one after another).
        var then: [[String]] = []
        /// Whether to damage the job state the first command wrote before the next runs.
        var damageState = false
        var args: [String] = []
    }

    /// Crashes (SWIFT_BACKTRACE off: no symbolication on the way down) are reported by their signal.
    static let environment = ["SWIFT_BACKTRACE": "enable=no"]
    static let kinds = ["grammar", "mutated", "logs", "validate", "run", "state"]
    /// Valid queries to mutate besides generated ones: the golden cases' (Tests/golden/*/query.insights).
    static let goldenQueries: [String] = {
        let dir = LogmillProcess.root + "/Tests/golden"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
            .compactMap { try? String(contentsOfFile: dir + "/" + $0 + "/query.insights", encoding: .utf8) }
    }()

    func testFuzzBudget() throws {
        let settings = Settings(ProcessInfo.processInfo.environment)
        let work = TemporaryDirectory(prefix: "logmill-fuzz")
        defer { work.cleanup() }
        let failures = NSTemporaryDirectory() + "logmill-fuzz-failures-seed\(settings.seed)-\(UUID().uuidString.prefix(8))"
        let deadline = Date().addingTimeInterval(settings.seconds)
        let verbose = ProcessInfo.processInfo.environment["LOGMILL_FUZZ_VERBOSE"] != nil
        var iteration = 0, failed = 0, peak = 0
        var statuses: [Int32: Int] = [:], perKind: [String: Int] = [:]
        print("fuzz: seed \(settings.seed), \(settings.seconds) s, \(settings.limits.seconds) s and \(settings.limits.memoryKB / 1024) MB per run")
        while Date() < deadline && failed < 10 {
            var rng = SeededRandom(seed: settings.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(iteration))
            let c = Self.generate(&rng)
            let dir = work.path + "/\(iteration)"
            try Self.write(c, in: dir)
            let out = try Self.run(c, in: dir, limits: settings.limits)
            peak = max(peak, out.peakMemoryKB)
            perKind[c.kind, default: 0] += 1
            if let problem = Self.problem(out) {
                failed += 1
                let saved = failures + "/case-\(iteration)"
                // The inputs as generated, and beside them the folder as the failing run left it (its job state).
                try? FileManager.default.createDirectory(atPath: failures, withIntermediateDirectories: true)
                try FileManager.default.moveItem(atPath: dir, toPath: saved + "-after")
                try Self.write(c, in: saved)
                var note = ""
                if out.signal != nil, let smaller = Self.minimize(c, limits: settings.limits, in: saved + "-min", while: { Self.problem($0) == problem }) {
                    note = "\nminimized: " + Self.reproduction(smaller, in: saved + "-min")
                }
                XCTFail("fuzz: \(problem) (seed \(settings.seed), iteration \(iteration), \(c.kind)); input saved in \(saved) (as the run left it: \(saved)-after)\n"
                        + "reproduce: " + Self.reproduction(c, in: saved) + note + "\nstderr: " + String(out.stderr.suffix(2_000)))
            } else {
                if verbose { print("fuzz: \(iteration) \(c.kind) exit \(out.status): \(out.stderr.split(separator: "\n").first ?? "")") }
                statuses[out.status, default: 0] += 1
                try? FileManager.default.removeItem(atPath: dir)
            }
            iteration += 1
        }
        print("fuzz: \(iteration) runs \(perKind.sorted { $0.key < $1.key }), exit statuses \(statuses.sorted { $0.key < $1.key }), "
              + "\(failed) failed, peak memory \(peak / 1024) MB")
        XCTAssertGreaterThan(iteration, 0)
    }

    /// Runs a case's commands in its folder (job state in `state/` there), stopping at the first that
    /// fails; the state is damaged between commands when the case says so.
    static func run(_ c: Case, in dir: String, limits: LogmillProcess.Limits) throws -> LogmillProcess.Output {
        var env = environment
        env["LOGMILL_STATE_DIR"] = dir + "/state"
        var out = try LogmillProcess.run(c.args, cwd: dir, environment: env, limits: limits)
        var rng = SeededRandom(seed: UInt64(c.args.count) &+ UInt64(c.files.count))
        for next in c.then where problem(out) == nil {
            if c.damageState { damageStateFiles(in: dir + "/state", &rng) }
            out = try LogmillProcess.run(next, cwd: dir, environment: env, limits: limits)
        }
        return out
    }

    /// Truncates a state file, flips a byte in it, or writes garbage or a huge number into it.
    static func damageStateFiles(in dir: String, _ rng: inout SeededRandom) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasSuffix(".json") {
            let path = dir + "/" + name
            guard var bytes = FileManager.default.contents(atPath: path).map(Array.init), !bytes.isEmpty else { continue }
            switch rng.below(4) {
            case 0: bytes.removeSubrange(rng.below(bytes.count)...)
            case 1: bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
            case 2:
                let text = String(decoding: bytes, as: UTF8.self)
                bytes = Array(text.replacingOccurrences(of: #"[0-9]+"#, with: rng.pick(["-1", "99999999999999999999", "1e308", "0"]),
                                                        options: .regularExpression).utf8)
            default: bytes = Array(rng.pick(["", "{}", "[]", "null", "{\"version\":99}"]).utf8)
            }
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
        }
    }

    /// What makes a run a failure, or nil.
    static func problem(_ out: LogmillProcess.Output) -> String? {
        if out.timedOut { return "hang: killed after the time bound" }
        if out.overMemory { return "peak memory \(out.peakMemoryKB / 1024) MB over the bound" }
        if let s = out.signal { return "crash: killed by signal \(s)" }
        if !(0...2).contains(out.status) { return "exit status \(out.status)" }
        return nil
    }

    static func generate(_ rng: inout SeededRandom) -> Case {
        var c = Case(kind: rng.pick(kinds))
        var logs = HostileLogs(rng: SeededRandom(seed: rng.next()))
        var inputs: [String] = []
        for i in 0..<(1 + rng.below(3)) {
            let format = rng.pick(HostileLogs.formats)
            let name = "logs/\(i)-\(format)" + (rng.chance(20) ? "/000000.gz" : ".log")
            c.files[name] = logs.file(format)
        }
        if rng.chance(10) { c.links["logs/dangling.log"] = "nowhere" }
        if rng.chance(5) { c.links["logs/loop.log"] = "loop.log" }
        if rng.chance(5) { c.links["logs/up"] = ".." }
        if rng.chance(5) { c.fifos.append("logs/pipe.log") }
        inputs.append(rng.chance(50) ? "logs" : rng.pick(["logs/*", "logs/**", "logs/**/*.gz", Array(c.files.keys).sorted()[0]]))
        if c.kind == "grammar" || rng.chance(20) { inputs.append(LogmillProcess.root + "/fixtures") }
        // The table `lookup t …` reads (lookups/ in the folder the binary runs in).
        if rng.chance(50) { c.files["lookups/t.csv"] = logs.lookupTable() }
        var queries = QueryGenerator(rng: SeededRandom(seed: rng.next()))
        switch c.kind {
        case "state":
            var jobs = JobGenerator(rng: SeededRandom(seed: rng.next()))
            c.files["fuzz.job"] = jobs.job(offline: true)
            let nows = ["2026-11-01T00:10:00Z", "2026-11-01T01:00:00Z", "2026-11-01T00:05:00Z", "2026-11-03T00:00:00Z", "9999-12-31T23:59:59Z"]
            c.args = ["run", "--now", rng.pick(nows), "fuzz.job"]
            c.then = [["run", "--now", rng.pick(nows), "fuzz.job"], ["state", "show", "fuzz.job"]]
            if rng.chance(30) { c.then.insert(["run", "--now", rng.pick(nows), "--from", "2026-11-01T00:00Z", "--to", "2026-11-01T00:30Z", "fuzz.job"], at: 1) }
            c.damageState = rng.chance(50)
            return c
        case "validate", "run":
            var jobs = JobGenerator(rng: SeededRandom(seed: rng.next()))
            c.files["fuzz.job"] = jobs.job()
            c.args = c.kind == "validate" ? ["validate", "fuzz.job"]
                : ["run", "--dry-run"] + rng.pick([["--now", "2026-11-01T01:00:00Z"], ["--from", "2026-11-01T00:00Z", "--to", "2026-11-01T01:00Z"],
                                                   ["--now", "9999-12-31T23:59:59Z"], ["--from", "0000-01-01", "--to", "9999-12-31"]]) + ["fuzz.job"]
            return c
        case "mutated": c.files["query.insights"] = queries.mutate(rng.chance(50) || goldenQueries.isEmpty ? queries.query() : rng.pick(goldenQueries))
        case "logs": c.files["query.insights"] = Array(rng.pick(["stats count(*) by bin(5m)", "fields @timestamp, @message", "filter @message like /ERROR/",
                                                                  "stats max(@duration), sum(bytes), count_distinct(@requestId) by @log",
                                                                  "sort @timestamp asc | limit 3", "pattern @message", "dedup @message"]).utf8)
        default: c.files["query.insights"] = Array(queries.query().utf8)
        }
        c.args = ["query", "-f", "query.insights", "--format", rng.pick(["json", "ndjson", "csv", "table"])]
        if rng.chance(30) { c.args += ["--workers", rng.pick(["1", "2", "4"])] }
        if rng.chance(20) { c.args += ["--max-record-size", rng.pick(["64k", "1m", "16m"])] }
        if rng.chance(20) { c.args += ["--log-format", rng.pick(["cloudwatch", "events", "json", "plain", "csv", "cloudtrail", "subscription"])] }
        if rng.chance(20) { c.args += ["--timestamp-field", rng.pick(["ts", "a.b", "n", "@timestamp"])] }
        if rng.chance(20) { c.args += ["--from", rng.pick(["2026-11-01T00:00Z", "-1h", "1762041600", "0000-01-01"]), "--to", rng.pick(["now", "2026-11-02", "9999-12-31"])] }
        if rng.chance(10) { c.args += ["--now", rng.pick(["2026-11-01T00:00:00Z", "0000-01-01", "9999-12-31T23:59:59Z"])] }
        if rng.chance(20) { c.args.append("--stats") }
        c.args += inputs
        return c
    }

    static func write(_ c: Case, in dir: String) throws {
        for (name, bytes) in c.files {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        for (name, target) in c.links { try FileManager.default.createSymbolicLink(atPath: dir + "/" + name, withDestinationPath: target) }
        for name in c.fifos where mkfifo(dir + "/" + name, 0o644) != 0 { throw POSIXError(.EIO) }
    }

    static func reproduction(_ c: Case, in dir: String) -> String {
        let quote = { (s: String) in "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let commands = ([c.args] + c.then).map { "LOGMILL_STATE_DIR=state " + quote(LogmillProcess.binary) + " " + $0.map(quote).joined(separator: " ") }
        return "cd \(quote(dir)) && " + commands.joined(separator: c.damageState ? " ; (damage state/*.json) ; " : " ; ")
    }

    /// Removes chunks of each file while the run still fails the same way (`fails` holds); at most a
    /// minute. The smaller case is written to `dir`.
    static func minimize(_ c: Case, limits: LogmillProcess.Limits, in dir: String, while stillFails: (LogmillProcess.Output) -> Bool) -> Case? {
        let deadline = Date().addingTimeInterval(60)
        var best = c
        func fails(_ candidate: Case) -> Bool {
            try? FileManager.default.removeItem(atPath: dir)
            guard (try? write(candidate, in: dir)) != nil,
                  let out = try? run(candidate, in: dir, limits: limits) else { return false }
            return stillFails(out)
        }
        for name in best.files.keys.sorted() {
            var chunk = max(1, (best.files[name]?.count ?? 0) / 2)
            while chunk >= 1 && Date() < deadline {
                var i = 0
                while i < best.files[name]!.count && Date() < deadline {
                    var candidate = best
                    candidate.files[name]!.removeSubrange(i..<min(i + chunk, candidate.files[name]!.count))
                    if fails(candidate) { best = candidate } else { i += chunk }
                }
                chunk /= 2
            }
        }
        try? FileManager.default.removeItem(atPath: dir)
        guard (try? write(best, in: dir)) != nil else { return nil }
        return best
    }

    /// The minimizer keeps what the failure needs: here a query error that names one command.
    func testMinimizerKeepsOnlyWhatTheFailureNeeds() throws {
        let work = TemporaryDirectory(prefix: "logmill-fuzz-min")
        defer { work.cleanup() }
        var c = Case(kind: "grammar")
        c.files["query.insights"] = Array("fields @message | filter strlen(@message) > 2 | nosuchcommand x | limit 5".utf8)
        c.files["logs/a.log"] = Array("2026-11-01T00:00:00Z hello\n".utf8)
        c.args = ["query", "-f", "query.insights", "logs"]
        let smaller = try XCTUnwrap(Self.minimize(c, limits: .init(seconds: 30, memoryKB: 1 << 20), in: work.path + "/min",
                                                  while: { $0.status == 2 && $0.stderr.contains("nosuchcommand") }))
        XCTAssertEqual(String(decoding: smaller.files["query.insights"]!, as: UTF8.self), "nosuchcommand")
        XCTAssertEqual(smaller.files["logs/a.log"], [])
    }
}
