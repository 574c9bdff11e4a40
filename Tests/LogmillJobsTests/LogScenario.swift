import Foundation
import LogmillJobs
import LogmillTestSupport

/// A log that grows and rotates in every way logmill must survive, step by step, each step followed
/// by one scheduled run five minutes later. Everything it ever wrote is also kept in `all.log`, the
/// answer one query over the whole log gives.
struct LogScenario {
    enum Rotation: CaseIterable { case none, rename, gzipRotated, copyTruncate, truncateRewrite, replaceInPlace }

    struct Step {
        /// The run's `--now`.
        let now: Int64
        /// Lines appended to app.log before the run (after the rotation, if any).
        let lines: [String]
        /// What happens to the files right after the previous run, before the lines are written.
        let rotation: Rotation
    }

    static let start: Int64 = 1_793_491_200_000   // 2026-11-01T00:00:00Z

    let directory: String
    let steps: [Step]

    static let job = """
        name: scenario
        schedule: every 5m
        start: 2026-11-01T00:00:00Z
        settle: 30s
        source: logs/*
        namespace: Test/Scenario
        metric: Errors = errors unit Count
        dimension: Fn = fn
        sink: emf out/a.emf
        sink: emf out/b.emf
        query:
        filter @message like /ERROR/
        | parse @message /fn=(?<fn>[a-z]+)/
        | stats count(*) as errors by bin(5m), fn
        """

    /// A seeded scenario: `count` steps, each rotation kind at least once when count ≥ 12.
    init(directory: String, seed: UInt64, count: Int = 12, rotations: Bool = true) {
        self.directory = directory
        var rng = SeededRandom(seed: seed)
        var steps: [Step] = []
        var written: Int64 = LogScenario.start
        let kinds = Rotation.allCases
        for k in 0..<count {
            let now = LogScenario.start + Int64(k + 1) * 300_000 + 45_000   // 45 s after each boundary: past the 30 s settle
            var lines: [String] = []
            let n = 5 + rng.below(20)
            // Times strictly before the run, after what was written before.
            let span = now - 1000 - written
            var times = (0..<n).map { _ in written + 1 + Int64(rng.below(Int(span))) }
            times.sort()
            for t in times {
                let level = rng.chance(40) ? "ERROR" : "INFO"
                let fn = rng.pick(["orders", "payments", "checkout"])
                lines.append("\(LogScenario.iso(t)) \(level) fn=\(fn) request \(rng.below(100000))")
            }
            written = now - 1000
            let rotation: Rotation = k == 0 || !rotations ? .none : (k < kinds.count ? kinds[k] : rng.pick(kinds))
            steps.append(Step(now: now, lines: lines, rotation: rotation))
        }
        self.steps = steps
    }

    static func iso(_ ms: Int64) -> String {
        let d = Date(timeIntervalSince1970: Double(ms) / 1000)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }

    var logs: String { directory + "/logs" }

    /// A scenario in `directory` with its first step's lines written, and its job.
    static func firstStep(in directory: String, seed: UInt64, count: Int) throws -> (LogScenario, JobFile) {
        let scenario = LogScenario(directory: directory, seed: seed, count: count)
        try scenario.prepare()
        try scenario.apply(0)
        return (scenario, try JobFile.load(directory + "/scenario.job"))
    }

    func prepare() throws {
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        try LogScenario.job.write(toFile: directory + "/scenario.job", atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: logs + "/app.log", contents: Data())
        FileManager.default.createFile(atPath: directory + "/all.log", contents: Data())
    }

    /// Applies step `k`'s rotation and appends its lines (to app.log and to all.log).
    func apply(_ k: Int) throws {
        let step = steps[k]
        let app = logs + "/app.log"
        switch step.rotation {
        case .none: break
        case .rename:
            try move(app, logs + "/app.log.\(k)")
            FileManager.default.createFile(atPath: app, contents: Data())
        case .gzipRotated:
            // Rotate by rename, then compress the rotated file, as logrotate's delaycompress does.
            try move(app, logs + "/app.log.\(k)")
            FileManager.default.createFile(atPath: app, contents: Data())
            try shell("gzip -n '\(logs)/app.log.\(k)'")
        case .copyTruncate:
            try shell("cp '\(app)' '\(logs)/app.log.\(k)' && : > '\(app)'")
        case .truncateRewrite:
            // Everything in it was read by the last run; it starts again, same file.
            try shell(": > '\(app)'")
        case .replaceInPlace:
            // A new file under the same name (write beside, rename over).
            FileManager.default.createFile(atPath: app + ".new", contents: Data())
            try move(app + ".new", app)
        }
        let text = step.lines.map { $0 + "\n" }.joined()
        try append(text, to: app)
        try append(text, to: directory + "/all.log")
    }

    private func move(_ a: String, _ b: String) throws {
        if FileManager.default.fileExists(atPath: b) { try FileManager.default.removeItem(atPath: b) }
        try FileManager.default.moveItem(atPath: a, toPath: b)
    }

    private func append(_ text: String, to path: String) throws {
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.seekToEnd()
        try h.write(contentsOf: Data(text.utf8))
        try h.close()
    }

    func shell(_ command: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw NSError(domain: "shell", code: Int(p.terminationStatus), userInfo: [NSLocalizedDescriptionKey: command]) }
    }

    /// The datums an EMF file holds, as `time fn errors` lines, sorted.
    static func emfDatums(_ path: String) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line -> String? in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let aws = o["_aws"] as? [String: Any], let t = aws["Timestamp"] as? Int else { return nil }
            return "\(t) \(o["Fn"] ?? "-") \(o["Errors"] ?? "-")"
        }.sorted()
    }

    /// What one query over everything ever written gives for the windows the runs emitted:
    /// counted here directly from the lines, independently of logmill.
    func expected(through: Int64, steps written: Int? = nil) -> [String] {
        var counts: [String: Int] = [:]
        for step in steps.prefix(written ?? steps.count) {
            for line in step.lines where line.contains(" ERROR ") {
                let t = Int64((ISO8601DateFormatter.withFraction.date(from: String(line.prefix(24)))!.timeIntervalSince1970 * 1000).rounded())
                let bin = t - t % 300_000
                guard bin + 300_000 <= through else { continue }
                let fn = line.split(separator: " ")[2].dropFirst(3)
                counts["\(bin) \(fn)", default: 0] += 1
            }
        }
        return counts.map { "\($0.key) \($0.value)" }.sorted()
    }
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let withFraction: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}
