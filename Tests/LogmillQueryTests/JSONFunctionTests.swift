import Foundation
import XCTest
@testable import LogmillQuery

/// jsonArraySize and jsonArrayContains.
final class JSONFunctionTests: FunctionTestCase {
    func testJSONArrays() {
        assertText("jsonArraySize('[1, 2, 3]')", "3")
        assertText("jsonArraySize('[]')", "0")
        assertText("jsonArraySize(' [ {\"a\": [1, 2]}, [3], \"x,y\", null, true ] ')", "5")
        assertText("jsonArraySize('{\"a\": 1}')", nil)
        assertText("jsonArraySize('[1, 2')", nil)
        assertText("jsonArraySize('[1 2]')", nil)
        assertText("jsonArraySize('[1,]')", nil)
        assertText("jsonArraySize('nope')", nil)
        assertText("jsonArrayContains('[\"a\", \"b\"]', 'a')", "1")
        assertText("jsonArrayContains('[\"a\", \"b\"]', 'A')", "0")  // case-sensitive
        assertText("jsonArrayContains('[\"a\\\\\"b\"]', 'a\"b')", "1")  // escaped quote inside an element
        assertText("jsonArrayContains('[1, 2, 3]', 2)", "1")
        assertText("jsonArrayContains('[1, 2, 3]', '2')", "1")
        assertText("jsonArrayContains('[1.5, 2]', 1.5)", "1")
        assertText("jsonArrayContains('[1, 2, 3]', 4)", "0")
        assertText("jsonArrayContains('[true]', 'true')", "1")
        assertText("jsonArrayContains('[true]', 1 = 1)", "1")
        assertText("jsonArrayContains('[]', 'a')", "0")
        assertText("jsonArrayContains('not json', 'a')", "0")
        assertText("jsonArrayContains('{\"a\": \"a\"}', 'a')", "0")
        assertText("jsonArrayContains('[null]', missing)", "0")
        assertText("jsonArrayContains(split('x,y,z', ','), 'y')", "1")
        assertText("jsonArrayContains('[{\"a\": 1}, [2]]', '[2]')", "1")
        assertText("jsonArraySize(jsonParse('[1, [2, 3]]'))", "2")
        assertText("jsonArrayContains(jsonParse('[\"p\", \"q\"]'), 'q')", "1")
        assertText("jsonArraySize(jsonParse('{\"a\": [1]}').a)", "1")
    }
}
