import Foundation
import XCTest
import LogmillTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// What a directory walk or a glob finds but cannot read is reported (exit 1) while the rest is read,
/// never skipped in silence. Root reads a `chmod 000` directory, so that case runs the binary as
/// `nobody` when the tests run as root (skipped, saying why, without setpriv), and the others use
/// entries that fail for root too: a symbolic link to nothing (ENOENT), a link to itself (ELOOP),
/// and a FIFO, which is not read in a walk because opening it would wait for a writer.
final class UnreadableInputTests: XCTestCase {
    /// A folder `d` holding one readable log line and `extra(d)`'s entries.
    func folder(_ extra: (String) throws -> Void) throws -> TemporaryDirectory {
        let tmp = TemporaryDirectory(prefix: "logmill-unreadable")
        try FileManager.default.createDirectory(atPath: tmp.path + "/d/sub", withIntermediateDirectories: true)
        try "2026-11-01T00:00:00Z hello\n".write(toFile: tmp.path + "/d/sub/a.log", atomically: true, encoding: .utf8)
        try extra(tmp.path + "/d")
        return tmp
    }

    func count(_ inputs: [String], cwd: String) throws -> (count: Int?, output: LogmillProcess.Output) {
        let r = try LogmillProcess.run(["query", "--format", "csv", "stats count(*) as n"] + inputs, cwd: cwd,
                                       limits: .init(seconds: 60, memoryKB: 1 << 30))
        XCTAssertFalse(r.timedOut, "the walk waited on an entry it cannot read")
        return (Int(r.stdout.split(separator: "\n").dropFirst().first ?? ""), r)
    }

    func testLinksToNothingAndFIFOsInAWalkOrGlobAreReportedAndTheRestIsRead() throws {
        let tmp = try folder { d in
            try FileManager.default.createSymbolicLink(atPath: d + "/dangling.log", withDestinationPath: "nowhere.log")
            try FileManager.default.createSymbolicLink(atPath: d + "/sub/loop.log", withDestinationPath: "loop.log")
            XCTAssertEqual(mkfifo(d + "/pipe.log", 0o644), 0)
        }
        for input in ["d", "d/", "d/*", "d/**", "d/**/*.log"] {
            let (n, r) = try count([input], cwd: tmp.path)
            XCTAssertEqual(r.status, 1, "\(input): \(r.stderr)")
            XCTAssertEqual(n, 1, "\(input): the readable file is still read")
            XCTAssertTrue(r.stderr.contains("dangling.log: is a symbolic link whose target cannot be reached (No such file or directory)"), "\(input): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("pipe.log: is a FIFO, not a regular file"), "\(input): \(r.stderr)")
            if input != "d/*" {
                XCTAssertTrue(r.stderr.contains("loop.log: is a symbolic link whose target cannot be reached (Too many levels of symbolic links)"), "\(input): \(r.stderr)")
            }
        }
    }

    func testAFIFONamedOnItsOwnIsStillRead() throws {
        let tmp = try folder { d in XCTAssertEqual(mkfifo(d + "/pipe.log", 0o644), 0) }
        let writer = Thread {
            let h = FileHandle(forWritingAtPath: tmp.path + "/d/pipe.log")
            h?.write(Data("2026-11-01T00:00:00Z one\n2026-11-01T00:00:01Z two\n".utf8))
            h?.closeFile()
        }
        writer.start()
        let (n, r) = try count(["d/pipe.log"], cwd: tmp.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(n, 2)
    }

    func testAJobsSourceWithALinkToNothingExitsOne() throws {
        let tmp = try folder { d in try FileManager.default.createSymbolicLink(atPath: d + "/dangling.log", withDestinationPath: "nowhere.log") }
        try "name: j\nnamespace: N\nsource: d\nmetric: M = n unit Count\nquery:\nstats count(*) as n\n".write(toFile: tmp.path + "/j.job", atomically: true, encoding: .utf8)
        let r = try LogmillProcess.run(["run", "--dry-run", "--from", "2026-11-01T00:00Z", "--to", "2026-11-01T01:00Z", "j.job"], cwd: tmp.path)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue((r.stdout + r.stderr).contains("dangling.log: is a symbolic link whose target cannot be reached"), r.stdout + r.stderr)
    }

    /// As root (as in CI), the binary runs as `nobody` through setpriv, from a copy it can reach.
    func testAnUnreadableSubdirectoryIsReported() throws {
        let tmp = try folder { d in
            try FileManager.default.createDirectory(atPath: d + "/locked", withIntermediateDirectories: true)
            try "2026-11-01T00:00:00Z hidden\n".write(toFile: d + "/locked/b.log", atomically: true, encoding: .utf8)
            XCTAssertEqual(chmod(d + "/locked", 0), 0)
        }
        defer { chmod(tmp.path + "/d/locked", 0o755) }
        var run: ([String]) throws -> LogmillProcess.Output = { args in try LogmillProcess.run(args, cwd: tmp.path) }
        if getuid() == 0 {
            let setpriv = "/usr/bin/setpriv"
            guard FileManager.default.isExecutableFile(atPath: setpriv) else {
                throw XCTSkip("running as root, which reads a chmod 000 directory anyway, and \(setpriv) (util-linux) is missing to run the binary as nobody; install util-linux or run the tests as another user")
            }
            let binary = tmp.path + "/logmill"
            try FileManager.default.copyItem(atPath: LogmillProcess.binary, toPath: binary)
            XCTAssertEqual(chmod(tmp.path, 0o755), 0)
            run = { args in try LogmillProcess.execute(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", binary] + args, cwd: tmp.path) }
        }
        for input in ["d", "d/*", "d/**", "d/locked/*.log"] {
            let r = try run(["query", "--format", "csv", "stats count(*) as n", input])
            XCTAssertEqual(r.status, 1, "\(input): \(r.stderr)")
            XCTAssertEqual(Int(r.stdout.split(separator: "\n").dropFirst().first ?? "") ?? 0, input == "d/locked/*.log" ? 0 : 1, "\(input): \(r.stdout)")
            XCTAssertTrue(r.stderr.contains("d/locked: is a directory that cannot be read (Permission denied)"), "\(input): \(r.stderr)")
        }
    }
}
