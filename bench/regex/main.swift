// Throughput benchmark for LogmillRegex: per-line searches over Lambda REPORT lines.
// Usage: RegexBench [name-filter] | RegexBench try PATTERN INPUT... | RegexBench micro PATTERN INPUT
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
        for _ in 0..<iters { if r.isMatch(buf) { hits += 1 } }
        let t2 = now()
        print(String(format: "firstMatch %.0f ns/call, isMatch %.0f ns/call (hits %d)",
                     (t1 - t0) / Double(iters) * 1e9, (t2 - t1) / Double(iters) * 1e9, hits))
    }
}

func reportLines(_ count: Int) -> [[UInt8]] {
    (0..<count).map { i in
        let id = String(format: "%04x", i % 65536)
        let s = "REPORT RequestId: 3f1e9a7c-2b8d-4e6f-a0c1-b2d3e4f5\(id)\tDuration: \(12 + i % 50).\(i % 100) ms\tBilled Duration: \(13 + i % 50) ms\tMemory Size: 256 MB\tMax Memory Used: \(80 + i % 40) MB\t"
        return Array(s.utf8)
    }
}

func bench(filter: String?) {
    let lines = reportLines(200_000)
    let totalBytes = lines.reduce(0) { $0 + $1.count }
    let patterns: [(String, String)] = [
        ("literal", "Max Memory Used"),
        ("literal-miss", "ERROR"),
        ("(?i)error miss", "(?i)error"),
        ("one capture", "Max Memory Used: (\\d+)"),
        ("named capture", "Duration: (?<d>[\\d.]+) ms"),
        ("two captures", "Duration: ([\\d.]+) ms\\tBilled Duration: (\\d+) ms"),
        ("two captures, no prefix", "(\\d+) MB\\tMax Memory Used: (\\d+)"),
        ("no literal prefix", "\\d+\\.\\d+ ms"),
        ("word boundary (PikeVM)", "\\bMax Memory Used: (\\d+)"),
    ]
    print("\(lines.count) lines, \(totalBytes) bytes, avg \(totalBytes / lines.count) bytes/line")
    for (name, p) in patterns where filter == nil || name.contains(filter!) {
        let r = try! ByteRegex(p)
        for mode in ["isMatch", "firstMatch"] {
            var hits = 0
            var best = Double.infinity
            for _ in 0..<3 {
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
            let mbps = Double(totalBytes) / best / 1e6
            print(name.padding(toLength: 26, withPad: " ", startingAt: 0), mode.padding(toLength: 11, withPad: " ", startingAt: 0),
                  String(format: "%8.1f MB/s %6.0f ns/line  hits=%d", mbps, best / Double(lines.count) * 1e9, hits))
        }
    }
}

let args = CommandLine.arguments
if args.count >= 3 && args[1] == "try" {
    tryPattern(args[2], Array(args.dropFirst(3)))
} else if args.count >= 4 && args[1] == "micro" {
    micro(args[2], args[3])
} else {
    bench(filter: args.count >= 2 ? args[1] : nil)
}
