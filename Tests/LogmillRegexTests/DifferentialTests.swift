import Foundation
import XCTest
@testable import LogmillRegex
import LogmillTestSupport

/// Random patterns from the subset whose semantics agree between Python's backtracking `re` and a
/// leftmost-first PikeVM. Quantifiers are only applied to expressions that cannot match the empty
/// string: for empty iterations (e.g. `(a*)*`, `(a|)+`) Python and RE2-style engines report
/// different capture positions, so they are excluded here (see the notes at the top of ByteRegex.swift).
struct PatternGenerator {
    var rng: SeededRandom
    var groupCounter = 0
    /// Also quantify expressions that can match the empty string (`(a*)*`, `(a|)+`): fine when
    /// comparing our own engines with each other, not against Python.
    var allowEmptyLoops = false

    /// Non-ASCII members have 2-, 3- and 4-byte UTF-8 encodings; none has a case variant in the
    /// input alphabet, since Python's `re.ASCII` (used for `\\d \\w \\s \\b`) also makes `(?i)` ASCII-only.
    static let literals = ["a", "b", "c", "1", " ", "-", "x", "\\.", "\\n", "é", "日", "😀"]
    static let classes = ["[ab]", "[^a]", "[a-c]", "[^b-c1]", "[\\d]", "[\\sa]", "[a\\-]", "[^\\w]", "[.x]", "[\\n]",
                          "[é日]", "[^é]", "[α-ω]", "[^日a]", "[\\u00e0-\\u00ff]", "[^\\x00-\\x7f]", "[😀-😂b]", "[^a-z😀]"]
    static let perl = ["\\d", "\\w", "\\s", "\\D", "\\W", "\\S", "."]
    static let assertions = ["\\b", "\\B", "^", "$", "\\A", "\\Z"]

    mutating func pattern() -> String {
        groupCounter = 0
        var prefix = ""
        if rng.chance(20) { prefix = rng.pick(["(?i)", "(?s)", "(?m)", "(?im)", "(?ms)", "(?si)"]) }
        return prefix + alternation(depth: 0).text
    }

    mutating func alternation(depth: Int) -> (text: String, nullable: Bool) {
        let n = rng.chance(25) ? 2 + rng.below(2) : 1
        var parts: [String] = []
        var nullable = false
        for _ in 0..<n {
            let c = concat(depth: depth)
            parts.append(c.text)
            nullable = nullable || c.nullable
        }
        return (parts.joined(separator: "|"), nullable)
    }

    mutating func concat(depth: Int) -> (text: String, nullable: Bool) {
        let n = 1 + rng.below(depth == 0 ? 4 : 3)
        var text = ""
        var nullable = true
        for _ in 0..<n {
            let a = quantified(depth: depth)
            text += a.text
            nullable = nullable && a.nullable
        }
        return (text, nullable)
    }

    mutating func quantified(depth: Int) -> (text: String, nullable: Bool) {
        let a = atom(depth: depth)
        guard a.repeatable, allowEmptyLoops || !a.nullable, rng.chance(35) else { return (a.text, a.nullable) }
        var q: String
        var nullable: Bool
        switch rng.below(7) {
        case 0: q = "*"; nullable = true
        case 1: q = "+"; nullable = false
        case 2: q = "?"; nullable = true
        case 3: let m = rng.below(3); q = "{\(m)}"; nullable = m == 0
        case 4: let m = rng.below(2); q = "{\(m),\(m + 1 + rng.below(2))}"; nullable = m == 0
        case 5: let m = rng.below(3); q = "{\(m),}"; nullable = m == 0
        default: q = "*"; nullable = true
        }
        if rng.chance(30) { q += "?" }
        return (a.text + q, nullable)
    }

    mutating func atom(depth: Int) -> (text: String, nullable: Bool, repeatable: Bool) {
        let roll = rng.below(100)
        if depth < 3 && roll < 18 {
            let inner = alternation(depth: depth + 1)
            let open: String
            switch rng.below(5) {
            case 0: open = "(?:"
            case 1: groupCounter += 1; open = "(?P<g\(groupCounter)>"
            case 2: open = rng.pick(["(?i:", "(?s:", "(?-i:"])
            default: open = "("
            }
            return (open + inner.text + ")", inner.nullable, true)
        }
        if roll < 55 { return (rng.pick(Self.literals), false, true) }
        if roll < 70 { return (rng.pick(Self.classes), false, true) }
        if roll < 88 { return (rng.pick(Self.perl), false, true) }
        return (rng.pick(Self.assertions), true, false)
    }

    mutating func input() -> String {
        let alphabet: [Character] = ["a", "b", "c", "A", "1", " ", "-", "x", "\n", ".", "é", "日", "😀", "β", "ÿ"]
        let n = 1 + rng.below(12)
        return String((0..<n).map { _ in rng.pick(alphabet) })
    }

    /// `input()` as UTF-8, sometimes with invalid sequences spliced in (stray continuation bytes,
    /// truncated sequences, bytes that never begin one), which Python decodes with "replace".
    mutating func inputBytes() -> [UInt8] {
        var bytes = Array(input().utf8)
        guard rng.chance(30) else { return bytes }
        let invalid: [[UInt8]] = [[0x80], [0xFF], [0xC3], [0xE6, 0x97], [0xE0, 0x80], [0xF0, 0x9F, 0x98], [0xED, 0xA0]]
        for _ in 0..<(1 + rng.below(2)) {
            // At any byte offset: inside a character it turns that character into invalid units too.
            bytes.insert(contentsOf: rng.pick(invalid), at: rng.below(bytes.count + 1))
        }
        return bytes
    }
}

final class DifferentialTests: XCTestCase {
    static let pythonScript = #"""
import json, re, sys, warnings
warnings.simplefilter("ignore")
out = []
cache = {}
# re.ASCII: \d \w \s \b are ASCII-only, as in ByteRegex; `.` and classes still match code points.
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        c = json.loads(line)
        p = c["p"]
        r = cache.get(p)
        if r is None:
            try:
                r = re.compile(p, re.ASCII)
            except re.error as e:
                out.append({"err": str(e)})
                continue
            cache[p] = r
        # Invalid UTF-8 becomes U+FFFD per maximal subpart, as ByteRegex reads it.
        m = r.search(bytes.fromhex(c["b"]).decode("utf-8", "replace"))
        if m is None:
            out.append(None)
        else:
            out.append([list(m.span(g)) if m.span(g) != (-1, -1) else None for g in range(r.groups + 1)])
with open(sys.argv[2], "w") as f:
    json.dump(out, f)
"""#

    func findPython() -> String? {
        for p in ["/usr/bin/python3", "/usr/local/bin/python3", "/opt/homebrew/bin/python3"]
        where FileManager.default.isExecutableFile(atPath: p) { return p }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":") {
            let p = "\(dir)/python3"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    func testAgainstPythonRe() throws {
        guard let python = findPython() else {
            print("DifferentialTests: python3 not found on PATH; skipping differential test against Python re")
            throw XCTSkip("python3 not found on PATH; install it (apt-get install python3) to compare the engine with Python's re")
        }
        let long = ProcessInfo.processInfo.environment["LOGMILL_REGEX_LONG"] == "1"
        let caseCount = long ? 60_000 : 3_000
        let seed: UInt64 = UInt64(ProcessInfo.processInfo.environment["LOGMILL_REGEX_SEED"] ?? "") ?? 0x5EED_1234
        var gen = PatternGenerator(rng: SeededRandom(seed: seed))
        var cases: [(pattern: String, input: [UInt8])] = []
        cases.reserveCapacity(caseCount)
        while cases.count < caseCount {
            let p = gen.pattern()
            for _ in 0..<3 { cases.append((p, gen.inputBytes())) }
        }

        let tmp = TemporaryDirectory(prefix: "logmill-regex-diff")
        defer { tmp.cleanup() }
        let dir = tmp.url
        let casesURL = dir.appendingPathComponent("cases.jsonl")
        let outURL = dir.appendingPathComponent("out.json")
        let scriptURL = dir.appendingPathComponent("run.py")
        try Self.pythonScript.write(to: scriptURL, atomically: true, encoding: .utf8)
        var lines = ""
        for c in cases {
            let hex = c.input.map { String(format: "%02x", $0) }.joined()
            let obj = try JSONSerialization.data(withJSONObject: ["p": c.pattern, "b": hex])
            lines += String(decoding: obj, as: UTF8.self) + "\n"
        }
        try lines.write(to: casesURL, atomically: true, encoding: .utf8)
        if ProcessInfo.processInfo.environment["LOGMILL_REGEX_DUMP"] == "1" {
            for c in cases.prefix(60) { print("  case /\(c.pattern)/ on \(c.input)") }
        }

        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: python)
        proc.arguments = [scriptURL.path, casesURL.path, outURL.path]
        try proc.run()
        proc.waitUntilExit()
        XCTAssertEqual(proc.terminationStatus, 0, "python3 failed")
        let results = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: outURL)) as? [Any])
        XCTAssertEqual(results.count, cases.count)

        var compiled: [String: ByteRegex] = [:]
        var mismatches: [String] = []
        var pythonErrors = 0, matched = 0
        for (i, c) in cases.enumerated() {
            let expected = results[i]
            if let d = expected as? [String: Any], d["err"] != nil {
                pythonErrors += 1
                continue
            }
            let regex: ByteRegex
            if let r = compiled[c.pattern] {
                regex = r
            } else {
                do {
                    regex = try ByteRegex(c.pattern)
                } catch {
                    mismatches.append("/\(c.pattern)/ rejected by ByteRegex (\(error)) but accepted by Python")
                    continue
                }
                compiled[c.pattern] = regex
            }
            let (found, isMatch) = c.input.withUnsafeBytes { (regex.firstMatch($0), regex.isMatch($0)) }
            let got = found.map { m in m.spans.map { $0.map { [$0.lowerBound, $0.upperBound] } } }
            // Python reports offsets in the decoded text; ours are byte offsets.
            let byteOffset = UTF8Tests.units(c.input)
            let want: [[Int]?]? = (expected as? [Any]).map { arr in arr.map { ($0 as? [Int])?.map { byteOffset[$0] } } }
            if got != nil { matched += 1 }
            if got.map({ $0.map { $0 ?? [-1] } }) != want.map({ $0.map { $0 ?? [-1] } }) || isMatch != (want != nil) {
                mismatches.append("/\(c.pattern)/ on \(String(reflecting: String(decoding: c.input, as: UTF8.self))) \(c.input): python \(String(describing: want)) ours \(String(describing: got))")
            }
        }
        print("DifferentialTests: \(cases.count) cases (seed \(seed)), \(matched) matches, \(pythonErrors) rejected by Python, \(mismatches.count) mismatches")
        for m in mismatches.prefix(25) { print("  MISMATCH " + m) }
        XCTAssertEqual(mismatches.count, 0, "see MISMATCH lines above")
    }
}
