import Foundation
import XCTest
@testable import LogmillQuery

/// Arity errors with usage lines, and one case-insensitive name per function.
final class FunctionRegistryTests: FunctionTestCase {
    func testArityErrors() {
        XCTAssertEqual(compileError("fields sha256() as h"), "sha256() takes 1 argument, not 0 | usage: sha256(s)")
        XCTAssertEqual(compileError("fields md5('a', 'b') as h"), "md5() takes 1 argument, not 2 | usage: md5(s)")
        XCTAssertEqual(compileError("fields if(1, 2) as h"), "if() takes 3 arguments, not 2 | usage: if(condition, valueIfTrue, valueIfFalse)")
        XCTAssertEqual(compileError("fields haversine(1, 2, 3) as h"), "haversine() takes 4 arguments, not 3 | usage: haversine(lat1, lon1, lat2, lon2)")
        XCTAssertEqual(compileError("fields parseDate('x') as h"),
                       "parseDate() takes 2 to 3 arguments, not 1 | usage: parseDate(s, \"yyyy-MM-dd HH:mm:ss\" [, \"UTC\"])")
        XCTAssertEqual(compileError("fields queryEndTime(1) as h"), "queryEndTime() takes 0 arguments, not 1 | usage: queryEndTime()")
        XCTAssertEqual(compileError("fields case(1) as h")?.hasPrefix("case() takes 2 to 21 arguments, not 1"), true)
    }

    func testNamesAreCaseInsensitiveAndUnique() {
        assertText("HEXTODEC('0x10')", "16")
        assertText("hextodec('0x10')", "16")
        assertText("ToInt('7')", "7")
        var names = Set<String>()
        for f in FunctionRegistry.functions {
            XCTAssertTrue(names.insert(f.name.lowercased()).inserted, "registered twice: \(f.name)")
        }
        for f in InlineFunction.allCases {
            XCTAssertNotNil(FunctionRegistry.index[f.rawValue], "\(f.rawValue) is evaluated in line but not registered")
        }
        for n in ["haversine", "toNumber", "toInt", "toLong", "toDouble", "parseDate", "formatDate", "strftime", "case", "if",
                  "isNumeric", "messageSize", "queryStartTime", "queryEndTime", "queryTimeRange", "regexReplace", "startsWith",
                  "endsWith", "urlencode", "urldecode", "base64encode", "base64decode", "split", "hexToAscii", "hexToDec",
                  "decToHex", "md5", "sha256", "jsonArraySize", "jsonArrayContains", "ipv4ToNumber", "isPrivateIP",
                  "isPublicIP", "isReservedIP", "round"] {
            XCTAssertNotNil(FunctionRegistry.index[n.lowercased()], n)
        }
    }
}
