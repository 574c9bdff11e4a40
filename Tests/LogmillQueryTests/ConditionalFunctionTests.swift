import Foundation
import XCTest
@testable import LogmillQuery

/// case and if.
final class ConditionalFunctionTests: FunctionTestCase {
    func testCaseAndIf() {
        assertText("case(1 = 2, 'a', 2 = 2, 'b', 'c')", "b")
        assertText("case(1 = 2, 'a', 3 = 2, 'b', 'c')", "c")
        assertText("case(1 = 2, 'a')", nil)
        assertText("case(1 = 1, 'first', 1 = 1, 'second')", "first")
        assertText("case(status >= 500, 'server', status >= 400, 'client', 'ok')", "client", line: "{\"status\": 404}")
        assertText("case(status >= 500, 'server', status >= 400, 'client', 'ok')", "ok", line: "{\"status\": 200}")
        assertText("case(missing, 'x', 'default')", "default")
        assertText("if(2 > 1, 'yes', 'no')", "yes")
        assertText("if(2 < 1, 'yes', 'no')", "no")
        assertText("if(missing, 'yes', 'no')", "no")
        assertText("if(strcontains(@message, 'hello'), 1, 0)", "1.0")
        // Ten conditions plus a default is the maximum.
        let eleven = (1...11).map { "\($0) = 0, \($0)" }.joined(separator: ", ")
        XCTAssertNotNil(compileError("fields case(\(eleven), 'd') as v"))
        let ten = (1...10).map { "\($0) = 0, \($0)" }.joined(separator: ", ")
        assertText("case(\(ten), 'd')", "d")
        XCTAssertNil(compileError("fields case(\(ten), 'd') as v"))
    }
}
