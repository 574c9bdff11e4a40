import Foundation
import XCTest
@testable import LogmillQuery
import LogmillSources

/// Every file of the shared corpus of real public AWS logs is read completely; counts of records,
/// discovered fields and parse failures are checked against what the files hold, counted here
/// independently of logmill's readers.
final class CorpusTests: XCTestCase {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus").path

    func files(_ folder: String) throws -> [String] {
        let dir = CorpusTests.corpus + "/" + folder
        guard FileManager.default.fileExists(atPath: dir) else {
            throw XCTSkip("the real-log corpus ../shared/corpus (the shared folder next to this checkout) is absent; put the shared folder beside the repository to run these")
        }
        return try FileManager.default.contentsOfDirectory(atPath: dir).sorted().map { dir + "/" + $0 }
    }

    func text(_ path: String) throws -> String {
        if path.hasSuffix(".gz") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "gzip -dc '\(path)'"]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        return String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }

    func query(_ q: String, _ path: String) throws -> (row: [String: Double], stats: QueryStatistics) {
        let r = try QueryEngine(text: q).run(try SourceArguments.objects([path]))
        var row: [String: Double] = [:]
        if let first = r.rows.first { for (c, v) in zip(r.columns, first) { row[c] = v.number } }
        return (row, r.statistics)
    }

    // "\r\n" is one Character in Swift, so split on any newline (the Illumio export is CRLF).
    func lines(_ s: String) -> [Substring] { s.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) }

    func testLambdaConsoleCSVDownloads() throws {
        for f in try files("lambda") where f.hasSuffix(".csv") {
            let t = try text(f)
            // A record starts on a line with the 13-digit epoch-ms timestamp and a comma.
            let records = lines(t).filter { $0.range(of: #"^[0-9]{13},"#, options: .regularExpression) != nil }
            let reports = records.filter { $0.contains(",\"REPORT RequestId: ") }.count
            let (row, stats) = try query("stats count(*) as n, count(@timestamp) as ts, sum(@type = \"REPORT\") as reports", f)
            XCTAssertEqual(row["n"], Double(records.count), f)
            XCTAssertEqual(row["ts"], Double(records.count), "every record has a time: \(f)")
            XCTAssertEqual(row["reports"], Double(reports), f)
            XCTAssertEqual(stats.parseFailures, 0, f)
        }
    }

    func testSubscriptionPayloadsAndCloudTrail() throws {
        for f in try files("cwl-subscription") {
            let t = try text(f)
            let events = t.components(separatedBy: "\"id\":").count - 1
            let (row, stats) = try query("stats count(*) as n, count(@logStream) as streams, count(@log) as groups", f)
            XCTAssertEqual(row["n"], Double(events), f)
            XCTAssertEqual(row["streams"], Double(events), f)
            XCTAssertEqual(row["groups"], Double(events), f)
            XCTAssertEqual(stats.parseFailures, 0, f)
        }
        for f in try files("cloudtrail") {
            let t = try text(f)
            let events = t.components(separatedBy: "\"eventTime\"").count - 1
            let (row, stats) = try query("stats count(*) as n, count(eventName) as named, count(userIdentity.type) as who, count(@timestamp) as ts", f)
            XCTAssertEqual(row["n"], Double(events), f)
            XCTAssertEqual(row["named"], Double(events), f)
            XCTAssertEqual(row["who"], Double(events), f)
            XCTAssertEqual(row["ts"], Double(events), f)
            XCTAssertEqual(stats.parseFailures, 0, f)
        }
    }

    func testPositionalLogTypes() throws {
        for f in try files("s3-access") {
            let n = lines(try text(f)).count
            let (row, stats) = try query("stats count(*) as n, count(operation) as ops, count(httpStatus) as st, count(@timestamp) as ts", f)
            XCTAssertEqual(row["n"], Double(n), f)
            XCTAssertEqual(row["ops"], Double(n), f)
            XCTAssertEqual(row["st"], Double(n), f)
            XCTAssertEqual(row["ts"], Double(n), "S3's bracketed time becomes @timestamp: \(f)")
            XCTAssertEqual(stats.parseFailures, 0)
        }
        for f in try files("alb") where !f.contains("nlb") {
            let n = lines(try text(f)).count
            let (row, _) = try query("stats count(*) as n, count(elb_status_code) as st, count(request_verb) as verbs, count(@timestamp) as ts", f)
            XCTAssertEqual(row["n"], Double(n), f)
            XCTAssertEqual(row["st"], Double(n), f)
            XCTAssertEqual(row["verbs"], Double(n), f)
            XCTAssertEqual(row["ts"], Double(n), f)
        }
        for f in try files("vpc-flow") {
            let all = lines(try text(f))
            let data = f.hasSuffix(".csv") ? all.dropFirst() : all.filter { !$0.hasPrefix("version ") }[...]
            // Fields that are "-" (NODATA records) are missing, as Insights reports them.
            let withAddr = data.filter { line in
                let tokens = line.split(separator: " ")
                return tokens.count > 3 && !tokens[3].hasPrefix("-") && !tokens[3].contains("E+")
            }.count
            let (row, stats) = try query("stats count(*) as n, count(srcAddr) as addr, count(logStatus) as status", f)
            XCTAssertEqual(row["n"], Double(data.count), f)
            XCTAssertEqual(row["addr"], Double(withAddr), f)
            XCTAssertEqual(row["status"], Double(data.count), f)
            XCTAssertEqual(stats.parseFailures, 0, f)
        }
    }
}
