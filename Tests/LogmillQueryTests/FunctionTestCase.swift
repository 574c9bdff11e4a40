import Foundation
import XCTest
import LogmillSources
@testable import LogmillQuery
import LogmillTestSupport

/// Runs scalar functions through real queries over one-line logs, with a fixed clock; the
/// per-family function tests derive from it.
class FunctionTestCase: XCTestCase {
    var tmp: TemporaryDirectory!
    var dir: String { tmp.path }
    override func setUp() { tmp = TemporaryDirectory(prefix: "logmill-fn") }
    override func tearDown() { tmp.cleanup() }

    static let now = 1_767_225_600.5  // 2026-01-01T00:00:00.5Z

    func run(_ q: String, _ text: String) throws -> QueryResult {
        let p = dir + "/in-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        var o = QueryOptions()
        o.scan.workers = 1
        o.now = FunctionTestCase.now
        return try QueryEngine(text: q, options: o).run(try SourceArguments.objects([p]))
    }

    /// The value of `expr` for one log line.
    func value(_ expr: String, line: String = "2026-01-01T00:00:00.000Z hello world", file: StaticString = #filePath, lineNo: UInt = #line) -> Value {
        do {
            let r = try run("fields \(expr) as v | limit 1", line + "\n")
            guard r.rows.count == 1 else { XCTFail("no row for \(expr)", file: file, line: lineNo); return .null }
            return r.rows[0][0]
        } catch {
            XCTFail("\(expr): \(error)", file: file, line: lineNo)
            return .null
        }
    }

    /// The rendered value, nil for null.
    func text(_ expr: String, line: String = "2026-01-01T00:00:00.000Z hello world", file: StaticString = #filePath, lineNo: UInt = #line) -> String? {
        value(expr, line: line, file: file, lineNo: lineNo).render()
    }

    func assertText(_ expr: String, _ expected: String?, line: String = "2026-01-01T00:00:00.000Z hello world", file: StaticString = #filePath, lineNo: UInt = #line) {
        XCTAssertEqual(text(expr, line: line, file: file, lineNo: lineNo), expected, expr, file: file, line: lineNo)
    }

    func compileError(_ q: String) -> String? {
        do { _ = try QueryEngine(text: q); return nil } catch let e as QueryError { return e.message + " | " + (e.hint ?? "") } catch { return "\(error)" }
    }
}
