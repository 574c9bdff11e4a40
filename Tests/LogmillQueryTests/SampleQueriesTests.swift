import Foundation
import XCTest
@testable import LogmillQuery
import LogmillSources
import LogmillTestSupport

/// Every sample query of `../shared/reference/sample-queries.md` (the AWS sample-query pages,
/// rewritten) parses, plans and runs unchanged over a small Lambda log.
final class SampleQueriesTests: XCTestCase {
    func testEverySampleQueryRuns() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let samples = root.deletingLastPathComponent().appendingPathComponent("shared/reference/sample-queries.md").path
        guard let text = try? String(contentsOfFile: samples, encoding: .utf8) else {
            throw XCTSkip("../shared/reference/sample-queries.md (the shared folder next to this checkout) is absent; put the shared folder beside the repository to run the sample queries")
        }
        // `**A1 [T1]** … ```query``` `
        let pattern = try NSRegularExpression(pattern: #"\*\*([A-Z]+[0-9]+) \[(T[123])\]\*\*.*?```\n(.*?)```"#, options: [.dotMatchesLineSeparators])
        let matches = pattern.matches(in: text, range: NSRange(text.startIndex..., in: text))
        XCTAssertGreaterThan(matches.count, 60)
        let tmp = TemporaryDirectory(prefix: "logmill-samples")
        defer { tmp.cleanup() }
        let dir = tmp.path
        _ = FileManager.default.createFile(atPath: dir + "/user_data.csv", contents: Data("user_id,department,email\nu1,eng,a@x.io\n".utf8))
        let input = root.appendingPathComponent("fixtures/lambda/orders-api.log").path
        var options = QueryOptions()
        options.lookupDirectories = [dir]
        var ran = 0
        for m in matches {
            let id = String(text[Range(m.range(at: 1), in: text)!])
            let query = String(text[Range(m.range(at: 3), in: text)!])
            do {
                _ = try QueryEngine(text: query, options: options).run(try SourceArguments.objects([input]))
                ran += 1
            } catch {
                XCTFail("\(id): \(error)")
            }
        }
        XCTAssertEqual(ran, matches.count)
    }
}
