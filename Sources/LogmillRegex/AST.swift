// The abstract syntax tree produced by `Parser` and consumed by `Compiler` and `Literals`.

/// A zero-width assertion.
enum Assertion: UInt8, Sendable {
    /// `\A`, or `^` without (?m): start of the haystack.
    case startText
    /// `\z` / `\Z`: end of the haystack.
    case endText
    /// `$` without (?m): end of haystack, or before a final `\n` (Python semantics).
    case endTextOptionalNewline
    /// `^` with (?m): start of haystack or after `\n`.
    case startLine
    /// `$` with (?m): end of haystack or before `\n`.
    case endLine
    /// `\b` (ASCII word characters).
    case wordBoundary
    /// `\B`.
    case notWordBoundary
}

/// A set of Unicode scalar values as sorted, non-overlapping, non-adjacent closed ranges.
struct CodePointSet: Equatable, Sendable {
    static let maxScalar: UInt32 = 0x10FFFF
    private(set) var ranges: [ClosedRange<UInt32>] = []

    init() {}
    init(_ ranges: [ClosedRange<UInt32>]) {
        for r in ranges { insert(r) }
    }

    var isEmpty: Bool { ranges.isEmpty }

    /// Number of code points in the set.
    var count: Int { ranges.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound) + 1 } }

    mutating func insert(_ r: ClosedRange<UInt32>) {
        ranges.append(r)
        normalize()
    }

    mutating func insert(_ c: UInt32) { insert(c...c) }

    mutating func formUnion(_ other: CodePointSet) {
        ranges.append(contentsOf: other.ranges)
        normalize()
    }

    func contains(_ c: UInt32) -> Bool {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].upperBound < c { lo = mid + 1 }
            else if ranges[mid].lowerBound > c { hi = mid }
            else { return true }
        }
        return false
    }

    /// The complement over 0...0x10FFFF.
    func inverted() -> CodePointSet {
        var out: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for r in ranges {
            if r.lowerBound > next { out.append(next...(r.lowerBound - 1)) }
            next = r.upperBound &+ 1
            if r.upperBound == CodePointSet.maxScalar { next = CodePointSet.maxScalar + 1 }
        }
        if next <= CodePointSet.maxScalar { out.append(next...CodePointSet.maxScalar) }
        var s = CodePointSet()
        s.ranges = out
        return s
    }

    private mutating func normalize() {
        guard ranges.count > 1 else { return }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var out: [ClosedRange<UInt32>] = []
        out.reserveCapacity(ranges.count)
        for r in ranges {
            if let last = out.last, r.lowerBound <= last.upperBound &+ 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        ranges = out
    }

    /// Adds simple case variants: ASCII always, other scalars via Unicode simple case mappings
    /// (for ranges small enough to enumerate).
    func caseFolded() -> CodePointSet {
        var out = self
        for r in ranges {
            // ASCII letters.
            let aLo = max(r.lowerBound, 0x41), aHi = min(r.upperBound, 0x5A)
            if aLo <= aHi { out.insert((aLo + 32)...(aHi + 32)) }
            let bLo = max(r.lowerBound, 0x61), bHi = min(r.upperBound, 0x7A)
            if bLo <= bHi { out.insert((bLo - 32)...(bHi - 32)) }
            // Non-ASCII: enumerate small ranges only.
            let nLo = max(r.lowerBound, 0x80)
            if nLo <= r.upperBound && r.upperBound - nLo < 2048 {
                for c in nLo...r.upperBound {
                    for v in CodePointSet.simpleCaseVariants(c) where v != c { out.insert(v) }
                }
            }
        }
        // Python folds K with KELVIN SIGN and s with LONG S; include them for letters in the set.
        if out.contains(0x6B) || out.contains(0x4B) { out.insert(0x212A) }
        if out.contains(0x73) || out.contains(0x53) { out.insert(0x17F) }
        return out
    }

    static func simpleCaseVariants(_ c: UInt32) -> [UInt32] {
        guard let s = Unicode.Scalar(c) else { return [c] }
        var out: [UInt32] = [c]
        let p = s.properties
        for m in [p.lowercaseMapping, p.uppercaseMapping, p.titlecaseMapping] {
            let scalars = m.unicodeScalars
            if scalars.count == 1, let v = scalars.first?.value, !out.contains(v) { out.append(v) }
        }
        // Scalars whose lowercase maps back to a different uppercase (e.g. KELVIN SIGN -> k).
        if out.count > 1 {
            for v in out.dropFirst() {
                guard let t = Unicode.Scalar(v) else { continue }
                let u = t.properties.uppercaseMapping.unicodeScalars
                if u.count == 1, let w = u.first?.value, !out.contains(w) { out.append(w) }
            }
        }
        return out
    }
}

/// A parsed regular expression.
indirect enum Node: Sendable {
    case empty
    /// A single Unicode scalar (matched as its UTF-8 encoding).
    case char(UInt32)
    /// A set of scalars (classes, `.`, case-folded literals).
    case set(CodePointSet)
    case concat([Node])
    case alternate([Node])
    case repetition(Node, min: Int, max: Int?, greedy: Bool)
    /// A group; `capture` is the 1-based capture index for capturing groups.
    case group(Node, capture: Int?)
    case assertion(Assertion)

    /// Whether the node can match the empty string.
    var isNullable: Bool {
        switch self {
        case .empty, .assertion: return true
        case .char, .set: return false
        case .concat(let xs): return xs.allSatisfy { $0.isNullable }
        case .alternate(let xs): return xs.contains { $0.isNullable }
        case .repetition(let x, let min, _, _): return min == 0 || x.isNullable
        case .group(let x, _): return x.isNullable
        }
    }
}
