import Foundation
import XCTest
@testable import LogmillQuery

/// urlencode/urldecode, Base64 and the hex conversions.
final class EncodingFunctionTests: FunctionTestCase {
    func testURLAndBase64() {
        assertText("urlencode('a b&c=d/é~')", "a%20b%26c%3Dd%2F%C3%A9~")
        assertText("urldecode('a%20b%26c%3Dd%2F%C3%A9~')", "a b&c=d/é~")
        assertText("urldecode('a+b%2')", "a b%2")
        assertText("base64encode('Hello')", "SGVsbG8=")
        assertText("base64encode('')", "")
        assertText("base64encode('f')", "Zg==")
        assertText("base64encode('fo')", "Zm8=")
        assertText("base64encode('foo')", "Zm9v")
        assertText("base64encode('foobar')", "Zm9vYmFy")
        assertText("base64decode('SGVsbG8=')", "Hello")
        assertText("base64decode('SGVsbG8')", "Hello")
        assertText("base64decode('Zm9vYmFy')", "foobar")
        assertText("base64decode('Zg==')", "f")
        assertText("base64decode('w6k=')", "é")
        assertText("base64decode('not base64!')", nil)
        assertText("base64decode('Zg=a')", nil)
        assertText("base64decode(base64encode('round trip ✓'))", "round trip ✓")
    }

    func testHex() {
        assertText("hexToAscii('48656c6c6f')", "Hello")
        assertText("hexToAscii('0x48656C6C6F')", "Hello")
        assertText("hexToAscii('486')", nil)
        assertText("hexToAscii('zz')", nil)
        assertText("hexToDec('0xff')", "255")
        assertText("hexToDec('FF')", "255")
        assertText("hexToDec('-0x10')", "-16")
        assertText("hexToDec('0x7fffffffffffffff')", "9223372036854775807")
        assertText("hexToDec('0xg1')", nil)
        assertText("hexToDec('')", nil)
        assertText("decToHex(255)", "0xff")
        assertText("decToHex(-255)", "-0xff")
        assertText("decToHex(0)", "0x0")
        assertText("decToHex(255.9)", "0xff")
        assertText("decToHex(-255.9)", "-0xff")
        assertText("decToHex('4096')", "0x1000")
        assertText("decToHex(hexToDec('0xdeadbeef'))", "0xdeadbeef")
        assertText("decToHex('x')", nil)
    }
}
