// Thompson NFA over bytes, and the compiler from `Node` to it.

/// A 256-bit set of bytes.
struct ByteBitmap: Hashable, Sendable {
    var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0

    @inline(__always)
    func contains(_ b: UInt8) -> Bool {
        let bit = UInt64(1) &<< UInt64(b & 63)
        switch b >> 6 {
        case 0: return w0 & bit != 0
        case 1: return w1 & bit != 0
        case 2: return w2 & bit != 0
        default: return w3 & bit != 0
        }
    }

    mutating func insert(_ b: UInt8) {
        let bit = UInt64(1) &<< UInt64(b & 63)
        switch b >> 6 {
        case 0: w0 |= bit
        case 1: w1 |= bit
        case 2: w2 |= bit
        default: w3 |= bit
        }
    }

    mutating func insert(_ r: ClosedRange<UInt8>) {
        for b in r { insert(b) }
    }

    mutating func formUnion(_ o: ByteBitmap) {
        w0 |= o.w0; w1 |= o.w1; w2 |= o.w2; w3 |= o.w3
    }

    var isFull: Bool { w0 & w1 & w2 & w3 == UInt64.max }
    var isEmpty: Bool { w0 | w1 | w2 | w3 == 0 }
    var count: Int { w0.nonzeroBitCount + w1.nonzeroBitCount + w2.nonzeroBitCount + w3.nonzeroBitCount }
}

/// One NFA instruction. Kept as a small POD struct so the VM loops stay tight.
struct Inst: Sendable {
    enum Op: UInt8, Sendable {
        /// Consume one byte in `lo...hi`, go to `next`.
        case byteRange
        /// Consume one byte in `sets[arg]`, go to `next`.
        case byteSet
        /// Epsilon to `next` (preferred) and `arg` (alternative).
        case split
        /// Record the position in capture slot `arg`, go to `next`.
        case save
        /// Continue to `next` if assertion `arg` holds at the current position.
        case assert
        case match
        case fail
    }
    var op: Op
    var lo: UInt8 = 0
    var hi: UInt8 = 0
    var arg: Int32 = 0
    var next: Int32 = 0

    var isLeaf: Bool { op == .byteRange || op == .byteSet || op == .match }
}

/// A compiled program.
struct Program: Sendable {
    var insts: [Inst] = []
    var sets: [ByteBitmap] = []
    /// Entry point (the `save 0` that starts every match).
    var start: Int32 = 0
    /// 2 * (captureCount + 1).
    var slotCount: Int = 2
    /// True when every match must begin at haystack offset 0 (pattern starts with `\A` or non-multiline `^`).
    var anchoredStart = false
    /// Whether any `assert` instruction exists (the lazy DFA supports them, but it is useful to know).
    var hasAssertions = false
    /// Byte equivalence classes: bytes with the same class are indistinguishable to the program.
    var byteClasses = [UInt8](repeating: 0, count: 256)
    var byteClassCount = 1

    /// Bytes that can begin a match (over-approximated through assertions), or nil when the program
    /// can match the empty string.
    var firstBytes: ByteBitmap? = nil

    /// True when no instruction in the start closure can be re-entered after consuming a byte, so a
    /// search state equal to the fresh start state implies every live thread started at that position.
    var startIsFresh = false
}

enum Compiler {
    /// Upper bound on instruction count; larger programs are rejected with an error.
    static let maxInstructions = 100_000

    struct TooBig: Error {}

    static func compile(_ parsed: ParsedRegex) throws -> Program {
        var c = Builder()
        do {
            let m = try c.emit(Inst(op: .match))
            let s1 = try c.emit(Inst(op: .save, arg: 1, next: m))
            let body = try c.compile(parsed.root, next: s1)
            let s0 = try c.emit(Inst(op: .save, arg: 0, next: body))
            c.prog.start = s0
        } catch is TooBig {
            throw RegexError(message: "pattern too large: compiled program exceeds \(maxInstructions) instructions (reduce repetition counts)", column: 1)
        }
        var prog = c.prog
        prog.slotCount = 2 * (parsed.captureNames.count + 1)
        prog.anchoredStart = startsAnchored(parsed.root)
        prog.hasAssertions = prog.insts.contains { $0.op == .assert }
        computeByteClasses(&prog)
        prog.firstBytes = computeFirstBytes(prog)
        prog.startIsFresh = computeStartIsFresh(prog)
        return prog
    }

    /// Whether every path through `node` begins with a start-of-text assertion.
    static func startsAnchored(_ node: Node) -> Bool {
        switch node {
        case .assertion(let a): return a == .startText
        case .concat(let xs):
            for x in xs {
                if startsAnchored(x) { return true }
                // Skip leading empty / zero-width nodes that are not anchors.
                if case .empty = x { continue }
                return false
            }
            return false
        case .alternate(let xs): return !xs.isEmpty && xs.allSatisfy(startsAnchored)
        case .group(let x, _): return startsAnchored(x)
        case .repetition(let x, let min, _, _): return min >= 1 && startsAnchored(x)
        default: return false
        }
    }

    static func computeByteClasses(_ prog: inout Program) {
        // Boundaries: a byte b starts a new class if b-1 and b differ in membership for some transition.
        var boundary = [Bool](repeating: false, count: 257)
        boundary[0] = true
        for inst in prog.insts {
            switch inst.op {
            case .byteRange:
                boundary[Int(inst.lo)] = true
                boundary[Int(inst.hi) + 1] = true
            case .byteSet:
                let s = prog.sets[Int(inst.arg)]
                for b in 1..<256 where s.contains(UInt8(b)) != s.contains(UInt8(b - 1)) { boundary[b] = true }
            case .assert:
                // Word-boundary and line assertions look at neighbouring bytes.
                for b in [0x30, 0x3A, 0x41, 0x5B, 0x5F, 0x60, 0x61, 0x7B, 0x0A, 0x0B] { boundary[b] = true }
            default: break
            }
        }
        var cls = -1
        for b in 0..<256 {
            if boundary[b] { cls += 1 }
            prog.byteClasses[b] = UInt8(cls)
        }
        prog.byteClassCount = cls + 1
    }

    /// Epsilon-reachable instructions from `roots`.
    static func epsilonReach(_ prog: Program, _ roots: [Int32]) -> [Bool] {
        var seen = [Bool](repeating: false, count: prog.insts.count)
        var stack = roots
        while let pc = stack.popLast() {
            if seen[Int(pc)] { continue }
            seen[Int(pc)] = true
            let inst = prog.insts[Int(pc)]
            switch inst.op {
            case .split: stack.append(inst.next); stack.append(inst.arg)
            case .save, .assert: stack.append(inst.next)
            default: break
            }
        }
        return seen
    }

    static func computeStartIsFresh(_ prog: Program) -> Bool {
        let fromStart = epsilonReach(prog, [prog.start])
        let afterConsume = epsilonReach(prog, prog.insts.filter { $0.op == .byteRange || $0.op == .byteSet }.map(\.next))
        for i in prog.insts.indices where fromStart[i] && afterConsume[i] { return false }
        return true
    }

    static func computeFirstBytes(_ prog: Program) -> ByteBitmap? {
        var seen = [Bool](repeating: false, count: prog.insts.count)
        var stack = [prog.start]
        var out = ByteBitmap()
        while let pc = stack.popLast() {
            if seen[Int(pc)] { continue }
            seen[Int(pc)] = true
            let inst = prog.insts[Int(pc)]
            switch inst.op {
            case .byteRange: out.insert(inst.lo...inst.hi)
            case .byteSet: out.formUnion(prog.sets[Int(inst.arg)])
            case .split: stack.append(inst.next); stack.append(inst.arg)
            case .save, .assert: stack.append(inst.next)
            case .match: return nil
            case .fail: break
            }
        }
        return out
    }

    /// Compiles nodes back to front: `compile(node, next)` returns the entry of code for `node`
    /// that continues at `next`.
    struct Builder {
        var prog = Program()
        var setIndex: [ByteBitmap: Int32] = [:]

        mutating func emit(_ inst: Inst) throws -> Int32 {
            if prog.insts.count >= Compiler.maxInstructions { throw TooBig() }
            prog.insts.append(inst)
            return Int32(prog.insts.count - 1)
        }

        mutating func split(_ a: Int32, _ b: Int32) throws -> Int32 {
            try emit(Inst(op: .split, arg: b, next: a))
        }

        mutating func compile(_ node: Node, next: Int32) throws -> Int32 {
            switch node {
            case .empty:
                return next
            case .char(let c):
                var cur = next
                for b in utf8Encode(c).reversed() {
                    cur = try emit(Inst(op: .byteRange, lo: b, hi: b, next: cur))
                }
                return cur
            case .set(let s):
                return try compileSet(s, next: next)
            case .concat(let xs):
                var cur = next
                for x in xs.reversed() { cur = try compile(x, next: cur) }
                return cur
            case .alternate(let xs):
                var cur = try compile(xs[xs.count - 1], next: next)
                for x in xs.dropLast().reversed() {
                    let a = try compile(x, next: next)
                    cur = try split(a, cur)
                }
                return cur
            case .group(let x, let capture):
                guard let k = capture else { return try compile(x, next: next) }
                let close = try emit(Inst(op: .save, arg: Int32(2 * k + 1), next: next))
                let body = try compile(x, next: close)
                return try emit(Inst(op: .save, arg: Int32(2 * k), next: body))
            case .assertion(let a):
                return try emit(Inst(op: .assert, arg: Int32(a.rawValue), next: next))
            case .repetition(let x, let minCount, let maxCount, let greedy):
                var cur = next
                if let maxCount {
                    // Optional tail: (x(x(x)?)?)? for max - min copies.
                    for _ in 0..<(maxCount - minCount) {
                        let placeholder = try emit(Inst(op: .fail))
                        let body = try compile(x, next: cur)
                        prog.insts[Int(placeholder)] = greedy
                            ? Inst(op: .split, arg: next, next: body)
                            : Inst(op: .split, arg: body, next: next)
                        cur = placeholder
                    }
                } else {
                    // x*: L: split(body -> L, next).
                    let loop = try emit(Inst(op: .fail))
                    let body = try compile(x, next: loop)
                    prog.insts[Int(loop)] = greedy
                        ? Inst(op: .split, arg: next, next: body)
                        : Inst(op: .split, arg: body, next: next)
                    cur = loop
                }
                for _ in 0..<minCount { cur = try compile(x, next: cur) }
                return cur
            }
        }

        mutating func byteSetIndex(_ s: ByteBitmap) -> Int32 {
            if let i = setIndex[s] { return i }
            let i = Int32(prog.sets.count)
            prog.sets.append(s)
            setIndex[s] = i
            return i
        }

        /// One instruction consuming a byte from `s`.
        mutating func emitByteSet(_ s: ByteBitmap, next: Int32) throws -> Int32 {
            // A single contiguous range becomes a byteRange.
            var lo = -1, hi = -1, contiguous = true
            for b in 0..<256 where s.contains(UInt8(b)) {
                if lo < 0 { lo = b; hi = b } else if b == hi + 1 { hi = b } else { contiguous = false; break }
            }
            if contiguous && lo >= 0 {
                return try emit(Inst(op: .byteRange, lo: UInt8(lo), hi: UInt8(hi), next: next))
            }
            return try emit(Inst(op: .byteSet, arg: byteSetIndex(s), next: next))
        }

        mutating func compileSet(_ s: CodePointSet, next: Int32) throws -> Int32 {
            var alternatives: [Int32] = []
            var ascii = ByteBitmap()
            var nonASCII: [ClosedRange<UInt32>] = []
            for r in s.ranges {
                if r.lowerBound < 0x80 {
                    ascii.insert(UInt8(r.lowerBound)...UInt8(min(r.upperBound, 0x7F)))
                }
                if r.upperBound >= 0x80 {
                    nonASCII.append(max(r.lowerBound, 0x80)...r.upperBound)
                }
            }
            let coversAllNonASCII = s.contains(0x80) && s.ranges.contains { $0.lowerBound <= 0x80 && $0.upperBound >= 0xD7FF }
                && s.ranges.contains { $0.lowerBound <= 0xE000 && $0.upperBound == CodePointSet.maxScalar }
            if !ascii.isEmpty { alternatives.append(try emitByteSet(ascii, next: next)) }
            if coversAllNonASCII {
                // Any UTF-8 encoded scalar, loosely (lead byte + continuation bytes), then any single
                // non-ASCII byte as a lowest-priority fallback so invalid UTF-8 never blocks a match.
                let cont = ByteBitmap.range(0x80...0xBF)
                for (lead, n) in [(ByteBitmap.range(0xC0...0xDF), 1), (ByteBitmap.range(0xE0...0xEF), 2), (ByteBitmap.range(0xF0...0xF7), 3)] {
                    var cur = next
                    for _ in 0..<n { cur = try emitByteSet(cont, next: cur) }
                    alternatives.append(try emitByteSet(lead, next: cur))
                }
                alternatives.append(try emitByteSet(ByteBitmap.range(0x80...0xFF), next: next))
            } else {
                for r in nonASCII {
                    for seq in utf8Sequences(r) {
                        var cur = next
                        for br in seq.reversed() {
                            cur = try emit(Inst(op: .byteRange, lo: br.lowerBound, hi: br.upperBound, next: cur))
                        }
                        alternatives.append(cur)
                    }
                }
            }
            if alternatives.isEmpty { return try emit(Inst(op: .fail)) }
            var cur = alternatives[alternatives.count - 1]
            for a in alternatives.dropLast().reversed() { cur = try split(a, cur) }
            return cur
        }
    }
}

extension ByteBitmap {
    static func range(_ r: ClosedRange<UInt8>) -> ByteBitmap {
        var s = ByteBitmap()
        s.insert(r)
        return s
    }
}

func utf8Encode(_ c: UInt32) -> [UInt8] {
    switch c {
    case 0..<0x80: return [UInt8(c)]
    case 0x80..<0x800: return [UInt8(0xC0 | (c >> 6)), UInt8(0x80 | (c & 0x3F))]
    case 0x800..<0x10000:
        return [UInt8(0xE0 | (c >> 12)), UInt8(0x80 | ((c >> 6) & 0x3F)), UInt8(0x80 | (c & 0x3F))]
    default:
        return [UInt8(0xF0 | (c >> 18)), UInt8(0x80 | ((c >> 12) & 0x3F)),
                UInt8(0x80 | ((c >> 6) & 0x3F)), UInt8(0x80 | (c & 0x3F))]
    }
}

/// Splits a scalar range into sequences of byte ranges matching exactly its UTF-8 encodings
/// (surrogates excluded), as in RE2 / utf8-ranges.
func utf8Sequences(_ r: ClosedRange<UInt32>) -> [[ClosedRange<UInt8>]] {
    var out: [[ClosedRange<UInt8>]] = []
    var work: [(UInt32, UInt32)] = [(r.lowerBound, r.upperBound)]
    while let (lo, hi) = work.popLast() {
        if lo > hi { continue }
        // Remove surrogates.
        if lo <= 0xDFFF && hi >= 0xD800 {
            if lo < 0xD800 { work.append((lo, 0xD7FF)) }
            if hi > 0xDFFF { work.append((0xE000, hi)) }
            continue
        }
        // Split at encoded-length boundaries.
        var splitDone = false
        for b: UInt32 in [0x7F, 0x7FF, 0xFFFF] where lo <= b && hi > b {
            work.append((b + 1, hi))
            work.append((lo, b))
            splitDone = true
            break
        }
        if splitDone { continue }
        if hi < 0x80 {
            out.append([UInt8(lo)...UInt8(hi)])
            continue
        }
        var didSplit = false
        for i in 1..<4 {
            let m: UInt32 = (1 << (6 * UInt32(i))) - 1
            if lo & ~m != hi & ~m {
                if lo & m != 0 {
                    work.append(((lo | m) + 1, hi))
                    work.append((lo, lo | m))
                    didSplit = true
                    break
                }
                if hi & m != m {
                    work.append((hi & ~m, hi))
                    work.append((lo, (hi & ~m) - 1))
                    didSplit = true
                    break
                }
            }
        }
        if didSplit { continue }
        let a = utf8Encode(lo), b = utf8Encode(hi)
        out.append(zip(a, b).map { $0...$1 })
    }
    // `work` is a stack, so pieces were pushed high-then-low and popped low first: `out` is ascending.
    return out
}
