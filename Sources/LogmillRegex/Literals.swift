// Literal extraction from the AST (for prefilters) and fast literal search.
import CZlib

/// Finds `lit` in `h[from..<n]` with memchr/memmem. Returns the start offset.
@inline(__always)
func findLiteral(_ lit: [UInt8], in h: UnsafePointer<UInt8>, _ n: Int, from: Int) -> Int? {
    if from >= n { return lit.isEmpty ? from : nil }
    return lit.withUnsafeBufferPointer { l -> Int? in
        guard let lp = l.baseAddress, l.count > 0 else { return from }
        if l.count == 1 {
            guard let r = memchr(h + from, Int32(lp[0]), n - from) else { return nil }
            return h.distance(to: r.assumingMemoryBound(to: UInt8.self))
        }
        guard let r = memmem(h + from, n - from, lp, l.count) else { return nil }
        return h.distance(to: r.assumingMemoryBound(to: UInt8.self))
    }
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
            return [utf8Encode(c)]
        case .set(let s):
            guard s.count <= 8 else { return nil }
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
