import Foundation
import XCTest
@testable import LogmillQuery

/// ipv4ToNumber and the address classes (isPrivateIP, isPublicIP, isReservedIP).
final class IPFunctionTests: FunctionTestCase {
    func testIPFunctions() {
        assertText("ipv4ToNumber('192.168.1.1')", "3232235777")
        assertText("ipv4ToNumber('0.0.0.0')", "0")
        assertText("ipv4ToNumber('255.255.255.255')", "4294967295")
        assertText("ipv4ToNumber('256.0.0.1')", nil)
        assertText("ipv4ToNumber('::1')", nil)

        let cases: [(String, private: Bool, reserved: Bool, public: Bool)] = [
            ("10.1.2.3", true, true, false),
            ("172.16.0.1", true, true, false),
            ("172.31.255.255", true, true, false),
            ("172.32.0.1", false, false, true),
            ("192.168.0.10", true, true, false),
            ("8.8.8.8", false, false, true),
            ("127.0.0.1", false, true, false),
            ("0.1.2.3", false, true, false),
            ("100.64.0.1", false, true, false),
            ("100.128.0.1", false, false, true),
            ("169.254.169.254", false, true, false),
            ("192.0.0.8", false, true, false),
            ("192.0.2.55", false, true, false),
            ("192.88.99.1", false, true, false),
            ("198.18.0.1", false, true, false),
            ("198.19.255.255", false, true, false),
            ("198.20.0.1", false, false, true),
            ("198.51.100.7", false, true, false),
            ("203.0.113.9", false, true, false),
            ("224.0.0.251", false, true, false),
            ("240.0.0.1", false, true, false),
            ("255.255.255.255", false, true, false),
            ("::1", false, true, false),
            ("::", false, true, false),
            ("fe80::1", false, true, false),
            ("fd12:3456::1", true, true, false),
            ("fc00::1", true, true, false),
            ("2001:db8::1", false, true, false),
            ("ff02::1", false, true, false),
            ("2606:4700:4700::1111", false, false, true),
            ("::ffff:10.0.0.1", true, true, false),
            ("::ffff:8.8.4.4", false, false, true),
            ("not an ip", false, false, false),
            ("10.0.0", false, false, false),
        ]
        for c in cases {
            XCTAssertEqual(text("isPrivateIP('\(c.0)')"), c.private ? "1" : "0", "isPrivateIP \(c.0)")
            XCTAssertEqual(text("isReservedIP('\(c.0)')"), c.reserved ? "1" : "0", "isReservedIP \(c.0)")
            XCTAssertEqual(text("isPublicIP('\(c.0)')"), c.public ? "1" : "0", "isPublicIP \(c.0)")
        }
        assertText("isPrivateIP(missing)", "0")
        // From a log field, in a filter.
        let log = ["{\"ip\": \"10.0.0.5\"}", "{\"ip\": \"8.8.8.8\"}", "{\"ip\": \"192.168.3.4\"}", "{\"ip\": \"1.1.1.1\"}"].joined(separator: "\n") + "\n"
        let r = try! run("filter isPrivateIP(ip) | stats count(*) as c", log)
        XCTAssertEqual(r.rows.first?.first?.number, 2)
        let p = try! run("filter isPublicIP(ip) | fields ip | sort ip asc", log)
        XCTAssertEqual(p.rows.map { $0[0].render()! }, ["1.1.1.1", "8.8.8.8"])
    }
}
