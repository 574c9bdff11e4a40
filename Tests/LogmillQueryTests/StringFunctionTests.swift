import Foundation
import XCTest
@testable import LogmillQuery

/// regexReplace, startsWith/endsWith, split and messageSize.
final class StringFunctionTests: FunctionTestCase {
    func testRegexReplace() {
        assertText("regexReplace('a1b22c333', '[0-9]+', '#')", "a#b#c#")
        assertText("regexReplace('2024-03-15', '(\\\\d+)-(\\\\d+)-(\\\\d+)', '$3/$2/$1')", "15/03/2024")
        assertText("regexReplace('2024-03-15', '(\\\\d+)-(\\\\d+)-(\\\\d+)', '\\\\3.\\\\2.\\\\1')", "15.03.2024")
        assertText("regexReplace('john smith', '(?P<first>\\\\w+) (?P<last>\\\\w+)', '${last}, ${first}')", "smith, john")
        assertText("regexReplace('cost 5', '(\\\\d)', '$$$1')", "cost $5")
        assertText("regexReplace('abc', 'x*', '-')", "-a-b-c-")
        assertText("regexReplace('abc', 'b*', '-')", "-a-c-")
        assertText("regexReplace('héllo wörld', 'ö|é', '_')", "h_llo w_rld")
        assertText("regexReplace('no match', 'zzz', 'y')", "no match")
        assertText("regexReplace('aaa', '^a', 'b')", "baa")
        assertText("regexReplace('ABC abc', '(?i)b', 'x')", "AxC axc")
        assertText("regexReplace('user=bob id=7', 'user=\\\\w+', 'user=***')", "user=*** id=7", line: "x")
        assertText("regexReplace('abc', '(', 'x')", nil)  // invalid pattern
        assertText("regexReplace(missing, 'a', 'b')", nil)
        // Over a real message, many rows, several workers sharing the cached regex.
        let lines = (0..<200).map { "2026-01-01T00:00:00.000Z id=\($0) token=secret\($0)" }.joined(separator: "\n") + "\n"
        let r = try! run("fields regexReplace(@message, 'token=\\\\w+', 'token=***') as v", lines)
        XCTAssertEqual(r.rows.count, 200)
        for row in r.rows { XCTAssertTrue(row[0].render()!.hasSuffix("token=***"), row[0].render()!) }
    }

    func testStartsEndsWith() {
        assertText("startsWith('hello world', 'hello')", "1")
        assertText("startsWith('hello world', 'world')", "0")
        assertText("endsWith('hello world', 'world')", "1")
        assertText("endsWith('hello world', 'hello')", "0")
        assertText("startsWith('hi', 'hi there')", "0")
        assertText("startsWith('abc', '')", "1")
        assertText("startsWith(@message, 'hello')", "1")
        assertText("startsWith(missing, 'x')", nil)
    }

    func testSplit() {
        assertText("split('a,b,c', ',')", "[\"a\",\"b\",\"c\"]")
        assertText("split('a,,b', ',')", "[\"a\",\"\",\"b\"]")
        assertText("split('a::b', '::')", "[\"a\",\"b\"]")
        assertText("split('abc', '')", "[\"a\",\"b\",\"c\"]")
        assertText("split('no delimiter', ',')", "[\"no delimiter\"]")
        assertText("split('say \"hi\"', ' ')", "[\"say\",\"\\\"hi\\\"\"]")
        assertText("jsonArraySize(split('a b c d', ' '))", "4")
        // A list value: indexable and usable by the JSON functions without a round trip through text.
        assertText("split('a,b,c', ',')[1]", "b")
        if case .structure(.array(let items)) = value("split('x-y', '-')") {
            XCTAssertEqual(items, [.string("x"), .string("y")])
        } else {
            XCTFail("split should give a list")
        }
        assertText("split(missing, ',')", nil)
    }

    func testMessageSize() {
        assertText("messageSize('héllo')", "6")
        assertText("strlen('héllo')", "5")
        assertText("messageSize(@message)", "11")  // the leading timestamp is not part of @message
        assertText("messageSize(@message)", "13", line: "2026-01-01T00:00:00.000Z héllo wörld")
        assertText("messageSize(missing)", nil)
    }
}
