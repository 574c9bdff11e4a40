import Foundation
import XCTest
import LogmillPatterns

/// Runs every case of `corpus.txt` (its header describes the format).
final class CorpusTests: XCTestCase {
    struct Case {
        let lineNumber: Int
        let pattern: String
        let event: String
        let expectation: [String]
    }

    static func cases() throws -> [Case] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("corpus.txt")
        let text = try String(contentsOf: url, encoding: .utf8)
        var out: [Case] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.components(separatedBy: " ⟶ ")
            guard parts.count >= 3 else { XCTFail("corpus.txt:\(n + 1): expected 'pattern ⟶ event ⟶ result'"); continue }
            func literal(_ s: String) -> String { s == "<empty>" ? "" : s }
            out.append(Case(lineNumber: n + 1, pattern: literal(parts[0]), event: literal(parts[1]), expectation: Array(parts[2...])))
        }
        return out
    }

    func testCorpus() throws {
        let cases = try Self.cases()
        var matchCases = 0, errorCases = 0
        for c in cases {
            let at = "corpus.txt:\(c.lineNumber): \(c.pattern)"
            if c.event == "error" {
                errorCases += 1
                XCTAssertEqual(c.expectation.count, 2, at)
                do {
                    _ = try FilterPattern.parse(c.pattern)
                    XCTFail("\(at): parsed, expected an error")
                } catch {
                    XCTAssertEqual(error.column, Int(c.expectation[0]), "\(at): \(error)")
                    if c.expectation.count > 1 {
                        XCTAssertTrue(error.message.contains(c.expectation[1]), "\(at): \(error.message)")
                    }
                }
                continue
            }
            matchCases += 1
            let pattern: FilterPattern
            do { pattern = try FilterPattern.parse(c.pattern) } catch {
                XCTFail("\(at): \(error)")
                continue
            }
            let expected = c.expectation[0] == "yes"
            XCTAssertTrue(c.expectation[0] == "yes" || c.expectation[0] == "no", at)
            var bytes = Array(c.event.utf8)
            bytes.withUnsafeBytes { line in
                XCTAssertEqual(pattern.matches(line), expected, "\(at) ⟶ \(c.event)")
                let m = pattern.extract(line)
                XCTAssertEqual(m != nil, expected, "extract: \(at) ⟶ \(c.event)")
                guard c.expectation.count > 1, let m else { return }
                for pair in c.expectation[1].components(separatedBy: " | ") {
                    let eq = pair.firstIndex(of: "=")!
                    let name = String(pair[..<eq]), value = String(pair[pair.index(after: eq)...])
                    XCTAssertEqual(m.text(name, in: line), value == "<missing>" ? nil : value, "\(at): \(name)")
                }
            }
            // The same event inside a larger buffer: matching reads only the event's bytes.
            bytes = Array("xx \"[{".utf8) + bytes + Array("}]\" yy".utf8)
            bytes.withUnsafeBytes { whole in
                let line = UnsafeRawBufferPointer(rebasing: whole[6..<(whole.count - 6)])
                XCTAssertEqual(pattern.matches(line), expected, "rebased: \(at)")
            }
        }
        XCTAssertGreaterThan(matchCases, 150)
        XCTAssertGreaterThan(errorCases, 40)
    }
}
