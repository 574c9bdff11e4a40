import XCTest
@testable import LogmillAWS

final class SHA256Tests: XCTestCase {
    func testNISTVectors() {
        XCTAssertEqual(SHA256.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        XCTAssertEqual(SHA256.hex("The quick brown fox jumps over the lazy dog"),
                       "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592")
    }

    func testMillionA() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        XCTAssertEqual(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000)), expected)
        // Streaming in uneven pieces gives the same digest.
        var s = SHA256()
        let piece = [UInt8](repeating: 0x61, count: 997)
        var left = 1_000_000
        while left > 0 {
            let n = min(left, piece.count)
            s.update(piece[0..<n])
            left -= n
        }
        XCTAssertEqual(AWS.hex(s.finalize()), expected)
    }

    func testStreamingMatchesOneShotAtEveryLength() {
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        for n in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 300] {
            let data = Array(bytes[0..<n])
            var s = SHA256()
            for split in stride(from: 0, to: n, by: 13) { s.update(data[split..<min(n, split + 13)]) }
            XCTAssertEqual(s.finalize(), SHA256.hash(data), "length \(n)")
        }
        XCTAssertEqual(SHA256.hash(Data("abc".utf8)), SHA256.hash("abc"))
    }

    func testHexRoundTrip() {
        XCTAssertEqual(AWS.bytes(hex: "00ff10Ab"), [0, 255, 16, 171])
        XCTAssertNil(AWS.bytes(hex: "abc"))
        XCTAssertNil(AWS.bytes(hex: "zz"))
        XCTAssertEqual(AWS.hex([0, 255, 16, 171]), "00ff10ab")
    }
}

final class HMACTests: XCTestCase {
    private func check(_ key: [UInt8], _ data: [UInt8], _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        let mac = AWS.hex(HMACSHA256.mac(key: key, message: data))
        XCTAssertEqual(String(mac.prefix(expected.count)), expected, file: file, line: line)
    }

    func testRFC4231() {
        check([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        check(Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        check([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
              "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe")
        check(Array(1...25), [UInt8](repeating: 0xcd, count: 50),
              "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b")
        // Test case 5 specifies the first 128 bits.
        check([UInt8](repeating: 0x0c, count: 20), Array("Test With Truncation".utf8), "a3b6167473100ee06e0c796c2955552b")
        check([UInt8](repeating: 0x0c, count: 20), Array("Test With Truncation".utf8),
              "a3b6167473100ee06e0c796c2955552bfa6f7c0a6a8aef8b93f860aab0cd20c5")
        check([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        check([UInt8](repeating: 0xaa, count: 131),
              Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
              "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")
    }

    func testStreamingHMAC() {
        var h = HMACSHA256(key: Array("Jefe".utf8))
        h.update(Array("what do ya ".utf8))
        h.update(Data("want for nothing?".utf8))
        XCTAssertEqual(AWS.hex(h.finalize()), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
