import Foundation
import XCTest
import LogmillDigest
@testable import LogmillQuery

/// The digests behind md5() and sha256(), as hex.
private enum Digest {
    static func md5Hex(_ s: String) -> String { Array(s.utf8).withUnsafeBytes { MD5.hex($0) } }
    static func sha256Hex(_ s: String) -> String { SHA256.hex(s) }
}

/// md5 and sha256: the digests against published vectors, and the query functions.
final class HashFunctionTests: FunctionTestCase {
    func testDigestVectors() {
        // RFC 1321 appendix A.5.
        let md5: [(String, String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (input, hex) in md5 { XCTAssertEqual(Digest.md5Hex(input), hex, input) }
        // FIPS 180-4 examples (and the NIST empty-message vector).
        let sha: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ]
        for (input, hex) in sha { XCTAssertEqual(Digest.sha256Hex(input), hex, input) }
        let million = String(repeating: "a", count: 1_000_000)
        XCTAssertEqual(Digest.sha256Hex(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        XCTAssertEqual(Digest.md5Hex(million), "7707d6ae4e027c70eea2a935c2296f21")
        // Lengths around the padding boundary (55, 56, 63, 64, 65 bytes) against the Foundation-free
        // implementations' own consistency: each differs and has the right size.
        var seen = Set<String>()
        for n in [55, 56, 57, 63, 64, 65, 119, 120] {
            let s = String(repeating: "x", count: n)
            XCTAssertEqual(Digest.sha256Hex(s).count, 64)
            XCTAssertEqual(Digest.md5Hex(s).count, 32)
            seen.insert(Digest.sha256Hex(s))
        }
        XCTAssertEqual(seen.count, 8)
    }

    func testDigestFunctions() {
        assertText("md5('abc')", "900150983cd24fb0d6963f7d28e17f72")
        assertText("sha256('abc')", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        assertText("sha256('')", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        assertText("md5(@message)", "5eb63bbbe01eeed093cb22bb8f5acdc3")  // md5("hello world")
        assertText("SHA256(user)", Digest.sha256Hex("alice"), line: "{\"user\": \"alice\"}")
        assertText("md5(missing)", nil)
    }
}
