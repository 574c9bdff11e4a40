// Benchmarks for LogmillRegex. See README.md (or just run ./run.sh) for how to build and run.
//
//   RegexBench [throughput] [name-filter]   per-line isMatch / firstMatch over Lambda REPORT lines, MB/s
//   RegexBench time PATTERN KIND N [REPS]   seconds for firstMatch and isMatch on an adversarial
//                                           input (KIND: a, a!, x, x!, ...: N copies of the letter,
//                                           then the optional suffix); used by pathological.py
//   RegexBench micro PATTERN INPUT          ns per call on one line (env ITERS, ONLY=first)
//   RegexBench try PATTERN INPUT...         print spans and required literals
import Foundation
import LogmillRegex

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func tryPattern(_ pattern: String, _ inputs: [String]) {
    do {
        let r = try ByteRegex(pattern)
        for s in inputs {
            if let m = r.firstMatch(s) {
                print(m.spans.map { $0.map { "\($0.lowerBound)..<\($0.upperBound)" } ?? "nil" })
            } else {
                print("no match")
            }
        }
        print("required:", r.requiredLiterals.map { $0.map { String(decoding: $0, as: UTF8.self) } } ?? [])
    } catch {
        print(error)
    }
}

func micro(_ pattern: String, _ input: String) {
    let r = try! ByteRegex(pattern)
    let line = Array(input.utf8)
    let iters = Int(ProcessInfo.processInfo.environment["ITERS"] ?? "") ?? 1_000_000
    var hits = 0
    line.withUnsafeBytes { buf in
        let t0 = now()
        for _ in 0..<iters { if r.firstMatch(buf) != nil { hits += 1 } }
        let t1 = now()
        if ProcessInfo.processInfo.environment["ONLY"] != "first" {
            for _ in 0..<iters { if r.isMatch(buf) { hits += 1 } }
        }
        let t2 = now()
        print(String(format: "firstMatch %.0f ns/call, isMatch %.0f ns/call (hits %d)",
                     (t1 - t0) / Double(iters) * 1e9, (t2 - t1) / Double(iters) * 1e9, hits))
    }
}

/// Synthetic Lambda REPORT lines, ~140 bytes each.
func reportLines(_ count: Int) -> [[UInt8]] {
    (0..<count).map { i in
        let id = String(format: "%04x", i % 65536)
        let s = "REPORT RequestId: 3f1e9a7c-2b8d-4e6f-a0c1-b2d3e4f5\(id)\tDuration: \(12 + i % 50).\(i % 100) ms\tBilled Duration: \(13 + i % 50) ms\tMemory Size: 256 MB\tMax Memory Used: \(80 + i % 40) MB\t"
        return Array(s.utf8)
    }
}

func throughput(filter: String?) {
    let lines = reportLines(200_000)
    let totalBytes = lines.reduce(0) { $0 + $1.count }
    let patterns: [(String, String)] = [
        ("literal", "Max Memory Used"),
        ("literal-miss", "ERROR"),
        ("(?i)error miss", "(?i)error"),
        ("one capture", "Max Memory Used: (\\d+)"),
        ("two captures", "Duration: (?<d>[\\d.]+) ms\\tBilled Duration: (?<b>\\d+) ms"),
        ("two captures, no prefix", "(\\d+) MB\\tMax Memory Used: (\\d+)"),
        ("no literal prefix", "\\d+\\.\\d+ ms"),
        ("word boundary", "\\bMax Memory Used: (\\d+)"),
    ]
    let rounds = Int(ProcessInfo.processInfo.environment["ROUNDS"] ?? "") ?? 5
    print("\(lines.count) lines, \(totalBytes) bytes, avg \(totalBytes / lines.count) bytes/line; best of \(rounds) rounds")
    print("| case | pattern | isMatch MB/s | isMatch ns/line | firstMatch MB/s | firstMatch ns/line |")
    print("|---|---|---:|---:|---:|---:|")
    for (name, p) in patterns where filter == nil || name.contains(filter!) {
        let r = try! ByteRegex(p)
        var cells: [String] = []
        for mode in ["isMatch", "firstMatch"] {
            var hits = 0
            var best = Double.infinity
            for _ in 0..<rounds {
                hits = 0
                let t0 = now()
                for l in lines {
                    l.withUnsafeBytes { buf in
                        if mode == "isMatch" {
                            if r.isMatch(buf) { hits += 1 }
                        } else if let m = r.firstMatch(buf) {
                            hits += m.spans.count
                        }
                    }
                }
                best = min(best, now() - t0)
            }
            cells.append(String(format: "%.0f", Double(totalBytes) / best / 1e6))
            cells.append(String(format: "%.0f", best / Double(lines.count) * 1e9))
            _ = hits
        }
        let shown = p.replacingOccurrences(of: "|", with: "\\|")
        print("| \(name) | `\(shown)` | \(cells.joined(separator: " | ")) |")
    }
}

/// `KIND` = letter + optional suffix, e.g. "a!" -> "aaaa...a!".
func adversarial(_ kind: String, _ n: Int) -> [UInt8] {
    let k = Array(kind.utf8)
    precondition(!k.isEmpty, "empty KIND")
    return [UInt8](repeating: k[0], count: n) + k.dropFirst()
}

func timeOne(_ pattern: String, _ kind: String, _ n: Int, reps: Int) {
    let r = try! ByteRegex(pattern)
    let text = adversarial(kind, n)
    var bestFirst = Double.infinity, bestIs = Double.infinity
    var result = "no match"
    text.withUnsafeBytes { buf in
        for _ in 0..<reps {
            let t0 = now()
            let m = r.firstMatch(buf)
            let t1 = now()
            _ = r.isMatch(buf)
            let t2 = now()
            bestFirst = min(bestFirst, t1 - t0)
            bestIs = min(bestIs, t2 - t1)
            result = m.map { "\($0.range)" } ?? "no match"
        }
    }
    // Machine-readable: firstMatch seconds, isMatch seconds, result.
    print(String(format: "%.6f %.6f ", bestFirst, bestIs) + result)
}

let args = CommandLine.arguments
if args.count >= 3 && args[1] == "try" {
    tryPattern(args[2], Array(args.dropFirst(3)))
} else if args.count >= 4 && args[1] == "micro" {
    micro(args[2], args[3])
} else if args.count >= 5 && args[1] == "time" {
    timeOne(args[2], args[3], Int(args[4])!, reps: args.count >= 6 ? Int(args[5])! : 3)
} else if args.count >= 2 && args[1] == "throughput" {
    throughput(filter: args.count >= 3 ? args[2] : nil)
} else {
    throughput(filter: args.count >= 2 ? args[1] : nil)
}
