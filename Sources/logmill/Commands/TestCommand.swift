import Foundation
import LogmillJobs
import LogmillQuery

/// `logmill test`: unit tests for jobs and their alarms, over log lines given in the test file.
enum TestCommand {
    static let spec = CommandSpec(
        name: "test",
        summary: "run unit tests of jobs and alarms: given log lines, expected datums, alarm states and notifications",
        arguments: "(FILE.test... | DIR)",
        description: """
        A test file names a job, gives log lines (which replace the job's sources), the time the job
        runs at, and what it must produce. The job runs once with a fresh state on a clock set to
        'at:', emitting every window from 'start:' (the test's, else the job's) in order, as its
        scheduled runs would; nothing is sent and nobody is notified. Then:

          expect: TIME Metric{Dim=value} = N       the datum of the window starting at TIME; all of a
                                                   window's datums of a metric must be listed
          expect: TIME Metric = none               no datum of Metric in that window
          expect: TIME Metric = count/sum/min/max  a statistic set
          expect-alarm: TIME Name = ALARM          the alarm's state after the windows ending by TIME
          expect-notification: TIME Name ALARM     the notifications, exactly (add 'reminder' for one)
          expect-notifications: none               no notification at all

        Lines between 'lines:' and a line 'end' are the log; 'input: GROUP' before them sets their
        @log. A folder runs every *.test file in it.

        Exit status: 0 when every test passed; 1 when one failed; 2 when a test or job file is wrong.
        """,
        options: [CommonOptions.workers],
        examples: [
            "logmill test queries/tests/",
            "logmill test queries/tests/lambda-errors.test",
        ])

    static func run(_ parsed: ParsedOptions) throws -> ExitStatus {
        guard !parsed.positionals.isEmpty else { throw UsageError("name test files or a folder of them\n\n" + spec.helpText) }
        var options = QueryOptions()
        options.scan.workers = 1
        try CommonOptions.apply(parsed, to: &options)
        let workers = options.scan.workers
        var files: [String] = []
        for p in parsed.positionals {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else { throw UsageError("\(p): no such file or folder") }
            if isDir.boolValue {
                let found = ((try? FileManager.default.contentsOfDirectory(atPath: p)) ?? []).filter { $0.hasSuffix(".test") }.sorted()
                if found.isEmpty { throw UsageError("\(p): no *.test files in this folder") }
                let folder = p.hasSuffix("/") ? String(p.dropLast()) : p
                files += found.map { folder + "/" + $0 }
            } else {
                files.append(p)
            }
        }
        var status = ExitStatus.ok
        var passed = 0, failed = 0
        for file in files {
            do {
                let test = try JobTest.load(file)
                let failures = try test.run(workers: workers)
                let checks = test.datums.count + test.alarms.count + (test.expectsNotifications ? 1 : 0)
                if failures.isEmpty {
                    passed += 1
                    Terminal.out("ok    \(file) (\(checks) check\(checks == 1 ? "" : "s"))\n")
                } else {
                    failed += 1
                    Terminal.out("FAIL  \(file)\n" + failures.map { "  " + $0.replacingOccurrences(of: "\n", with: "\n  ") + "\n" }.joined())
                    status.raise(.failed)
                }
            } catch {
                failed += 1
                Terminal.err("\(error)\n")
                status.raise(ExitStatus.of(error))
            }
        }
        Terminal.notice("\(passed) passed, \(failed) failed")
        return status
    }
}
