// Literal extraction from the AST (for prefilters) and fast literal search.
import CZlib

/// A literal search tuned for short haystacks (log lines): `memchr` for the literal's rarest byte
/// (by a static frequency ranking of log text), a check of its second rarest byte, then a compare.
/// glibc's `memmem` costs ~50 ns even on 140 bytes; this is a few times faster. Too many false hits
/// (e.g. `aaab` in `aaaa...`) switch to `memmem`, so the search stays linear.
struct LiteralSearcher: @unchecked Sendable {
    /// The literal, in memory owned by `storage` (immutable after init).
    private let bytes: UnsafeMutablePointer<UInt8>
    private let storage: LiteralStorage
    let count: Int
    /// The literal (for setup code; searches use `bytes`).
    let literal: [UInt8]
    private let rare1: Int
    private let rare2: Int

    init(_ lit: [UInt8]) {
        storage = LiteralStorage(lit)
        bytes = storage.pointer
        count = lit.count
        literal = lit
        var r1 = 0
        for i in lit.indices where LiteralSearcher.rank(lit[i]) < LiteralSearcher.rank(lit[r1]) { r1 = i }
        var r2 = r1 == 0 ? min(1, lit.count - 1) : 0
        for i in lit.indices where i != r1 && LiteralSearcher.rank(lit[i]) < LiteralSearcher.rank(lit[r2]) { r2 = i }
        rare1 = r1
        rare2 = r2
    }

    /// Approximate frequency rank of a byte in log text (higher = more common).
    static func rank(_ b: UInt8) -> Int {
        switch b {
        case 0x20: return 255
        case UInt8(ascii: "e"), UInt8(ascii: "t"), UInt8(ascii: "a"), UInt8(ascii: "o"), UInt8(ascii: "i"),
             UInt8(ascii: "n"), UInt8(ascii: "s"), UInt8(ascii: "r"): return 240
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return 235
        case UInt8(ascii: "h"), UInt8(ascii: "l"), UInt8(ascii: "d"), UInt8(ascii: "c"), UInt8(ascii: "u"),
             UInt8(ascii: "m"), UInt8(ascii: "f"), UInt8(ascii: "p"), UInt8(ascii: "g"): return 220
        case 0x22, UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ","),
             UInt8(ascii: "/"), UInt8(ascii: "_"), UInt8(ascii: "="), 0x0A, 0x09: return 200
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return 190
        case UInt8(ascii: "E"), UInt8(ascii: "T"), UInt8(ascii: "A"), UInt8(ascii: "S"), UInt8(ascii: "I"),
             UInt8(ascii: "R"), UInt8(ascii: "N"), UInt8(ascii: "O"), UInt8(ascii: "M"), UInt8(ascii: "D"),
             UInt8(ascii: "C"): return 150
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return 130
        case 0x21...0x7E: return 120
        case 0x80...0xFF: return 60
        default: return 20
        }
    }

    /// The first start offset of the literal in `h[from..<n]`, or nil.
    @inline(__always)
    func find(_ h: UnsafePointer<UInt8>, _ n: Int, from: Int) -> Int? {
        let m = count
        if m <= 1 {
            if m == 0 { return from <= n ? from : nil }
            if from >= n { return nil }
            guard let r = memchr(h + from, Int32(bytes[0]), n - from) else { return nil }
            return h.distance(to: r.assumingMemoryBound(to: UInt8.self))
        }
        if n - from < m { return nil }
        let r1 = rare1, r2 = rare2
        let b1 = Int32(bytes[r1]), b2 = bytes[r2]
        var pos = from + r1
        let limit = n - m + r1 + 1 // exclusive bound for the rare byte's position
        var falseHits = 0
        while pos < limit {
            guard let p = memchr(h + pos, b1, limit - pos) else { return nil }
            let hit = h.distance(to: p.assumingMemoryBound(to: UInt8.self))
            let start = hit - r1
            if h[start + r2] == b2 && memcmp(h + start, bytes, m) == 0 { return start }
            falseHits += 1
            if falseHits > 16 && falseHits * 32 > hit - from {
                guard let r = memmem(h + start + 1, n - start - 1, bytes, m) else { return nil }
                return h.distance(to: r.assumingMemoryBound(to: UInt8.self))
            }
            pos = hit + 1
        }
        return nil
    }
}

/// Owns the bytes of a `LiteralSearcher`.
final class LiteralStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<UInt8>
    init(_ lit: [UInt8]) {
        pointer = .allocate(capacity: max(lit.count, 1))
        pointer.initialize(from: lit, count: lit.count)
    }
    deinit { pointer.deallocate() }
}

enum Literals {
    /// Limits keeping extracted sets small and useful.
    static let maxStrings = 16
    static let maxLength = 256

    /// The finite set of strings `node` can match, ignoring assertions (which only filter),
    /// or nil when it is infinite or too large.
    static func exact(_ node: Node) -> [[UInt8]]? {
        switch node {
        case .empty, .assertion:
            return [[]]
        case .char(let c):
            // U+FFFD also matches invalid UTF-8 (see `replacementCharacter`): not a literal.
            return c == replacementCharacter ? nil : [utf8Encode(c)]
        case .set(let s):
            guard s.count <= 8, !s.contains(replacementCharacter) else { return nil }
            var out: [[UInt8]] = []
            for r in s.ranges { for c in r where !(0xD800...0xDFFF).contains(c) { out.append(utf8Encode(c)) } }
            return out
        case .group(let x, _):
            return exact(x)
        case .concat(let xs):
            var acc: [[UInt8]] = [[]]
            for x in xs {
                guard let e = exact(x) else { return nil }
                guard let p = product(acc, e) else { return nil }
                acc = p
            }
            return acc
        case .alternate(let xs):
            var out: [[UInt8]] = []
            for x in xs {
                guard let e = exact(x) else { return nil }
                for s in e where !out.contains(s) { out.append(s) }
                if out.count > maxStrings { return nil }
            }
            return out
        case .repetition(let x, let minCount, let maxCount, _):
            guard maxCount == minCount, minCount <= 16, let e = exact(x) else { return nil }
            var acc: [[UInt8]] = [[]]
            for _ in 0..<minCount {
                guard let p = product(acc, e) else { return nil }
                acc = p
            }
            return acc
        }
    }

    static func product(_ a: [[UInt8]], _ b: [[UInt8]]) -> [[UInt8]]? {
        if a.count * b.count > maxStrings { return nil }
        var out: [[UInt8]] = []
        for x in a {
            for y in b {
                let s = x + y
                if s.count > maxLength { return nil }
                if !out.contains(s) { out.append(s) }
            }
        }
        return out
    }

    /// Quality of a required-literal set: longer shortest string is better, fewer strings break ties.
    static func score(_ set: [[UInt8]]) -> (Int, Int) {
        (set.map(\.count).min() ?? 0, -set.count)
    }

    static func better(_ a: [[UInt8]]?, _ b: [[UInt8]]?) -> [[UInt8]]? {
        guard let a else { return b }
        guard let b else { return a }
        return score(b) > score(a) ? b : a
    }

    /// A set of literals, one of which every match of `node` contains; nil if none (or only empty ones).
    static func required(_ node: Node) -> [[UInt8]]? {
        let r = requiredRaw(node)
        guard let r, !r.isEmpty, r.allSatisfy({ !$0.isEmpty }) else { return nil }
        return r
    }

    private static func usable(_ s: [[UInt8]]?) -> [[UInt8]]? {
        guard let s, !s.isEmpty, s.allSatisfy({ !$0.isEmpty }) else { return nil }
        return s
    }

    private static func requiredRaw(_ node: Node) -> [[UInt8]]? {
        if let e = usable(exact(node)) { return e }
        switch node {
        case .group(let x, _):
            return requiredRaw(x)
        case .repetition(let x, let minCount, _, _):
            return minCount >= 1 ? requiredRaw(x) : nil
        case .alternate(let xs):
            var out: [[UInt8]] = []
            for x in xs {
                guard let r = usable(requiredRaw(x)) else { return nil }
                for s in r where !out.contains(s) { out.append(s) }
                if out.count > maxStrings { return nil }
            }
            return out
        case .concat(let xs):
            var best: [[UInt8]]? = nil
            var run: [[UInt8]] = [[]]
            for x in xs {
                if let e = exact(x), let p = product(run, e) {
                    run = p
                    continue
                }
                best = better(best, usable(run))
                best = better(best, usable(requiredRaw(x)))
                // Restart the run; if this child has an exact set that overflowed, start from it.
                run = usable(exact(x)) ?? [[]]
            }
            return better(best, usable(run))
        default:
            return nil
        }
    }

    /// A literal every match starts with (possibly empty).
    static func prefix(_ node: Node) -> [UInt8] {
        var out: [UInt8] = []
        _ = appendPrefix(node, to: &out)
        return out
    }

    /// Appends the literal prefix of `node` to `out`; returns true if the whole node was consumed
    /// exactly (so the caller may continue with the following sibling).
    private static func appendPrefix(_ node: Node, to out: inout [UInt8]) -> Bool {
        if let e = exact(node), e.count == 1 {
            out += e[0]
            return true
        }
        switch node {
        case .group(let x, _):
            return appendPrefix(x, to: &out)
        case .concat(let xs):
            for x in xs where !appendPrefix(x, to: &out) { return false }
            return true
        case .repetition(let x, let minCount, _, _):
            if minCount >= 1 { _ = appendPrefix(x, to: &out) }
            return false
        default:
            return false
        }
    }
}
