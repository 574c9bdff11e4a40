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
    func intersection(_ o: ByteBitmap) -> ByteBitmap {
        ByteBitmap(w0: w0 & o.w0, w1: w1 & o.w1, w2: w2 & o.w2, w3: w3 & o.w3)
    }
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
        /// One-byte lookahead, consuming nothing: continue to `next` if the byte at the current
        /// position is in `lo...hi` (`arg` = 1), or is not in it or the haystack ends there (`arg` = 0).
        /// Only the UTF-8 unit automata of `compileSet` emit it (see `replacementCharacter`).
        case look
    }
    var op: Op
    var lo: UInt8 = 0
    var hi: UInt8 = 0
    var arg: Int32 = 0
    var next: Int32 = 0

    var isLeaf: Bool { op == .byteRange || op == .byteSet || op == .match }

    /// Whether a `look` instruction holds at `pos` of `h[0..<n]` (the whole haystack, like assertions).
    @inline(__always)
    func lookHolds(_ h: UnsafePointer<UInt8>, _ n: Int, _ pos: Int) -> Bool {
        lookHolds(next: pos < n ? Int(h[pos]) : -1)
    }

    /// Whether a `look` instruction holds before `next` (a byte, or -1 at the end of the haystack).
    @inline(__always)
    func lookHolds(next b: Int) -> Bool {
        (b >= Int(lo) && b <= Int(hi)) == (arg != 0)
    }
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
    /// Whether any `look` instruction exists (sets that match invalid UTF-8 units).
    var hasLookahead = false
    /// When a match could begin inside a character (the pattern can match the empty string or begin
    /// with an invalid unit, i.e. a continuation byte): the entry of `(?s:.)*?` followed by the
    /// program, consuming whole units, which the lazy DFA runs instead of restarting at every byte;
    /// the other engines and the prefilters check `isUnitBoundary` instead. Nil otherwise: a match
    /// can then only begin on an ASCII or lead byte, which always begins a unit.
    var unanchoredStart: Int32? = nil
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
        let anchoredStart = startsAnchored(parsed.root)
        let firstBytes: ByteBitmap?
        let startIsFresh: Bool
        do {
            let m = try c.emit(Inst(op: .match))
            let s1 = try c.emit(Inst(op: .save, arg: 1, next: m))
            let body = try c.compile(parsed.root, next: s1)
            let s0 = try c.emit(Inst(op: .save, arg: 0, next: body))
            c.prog.start = s0
            firstBytes = computeFirstBytes(c.prog)
            startIsFresh = computeStartIsFresh(c.prog)
            if !anchoredStart && firstBytes.map({ !$0.intersection(utf8InvalidSingles).isEmpty }) ?? true {
                let loop = try c.emit(Inst(op: .fail))
                let unit = try c.compileSet(CodePointSet([0...CodePointSet.maxScalar]), next: loop)
                c.prog.insts[Int(loop)] = Inst(op: .split, arg: unit, next: s0)
                c.prog.unanchoredStart = loop
            }
        } catch is TooBig {
            throw RegexError(message: "pattern too large: compiled program exceeds \(maxInstructions) instructions (reduce repetition counts)", column: 1)
        }
        var prog = c.prog
        prog.slotCount = 2 * (parsed.captureNames.count + 1)
        prog.anchoredStart = anchoredStart
        prog.hasAssertions = prog.insts.contains { $0.op == .assert }
        prog.hasLookahead = prog.insts.contains { $0.op == .look }
        prog.firstBytes = firstBytes
        prog.startIsFresh = startIsFresh
        computeByteClasses(&prog)
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
            case .look:
                boundary[Int(inst.lo)] = true
                boundary[Int(inst.hi) + 1] = true
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
            case .save, .assert, .look: stack.append(inst.next)
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
            case .save, .assert, .look: stack.append(inst.next)
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
                if c == replacementCharacter { return try compileSet(CodePointSet([c...c]), next: next) }
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

        /// Instructions emitted by the current `compileSet`, so units share equal tails (the
        /// continuation-byte steps of `.` appear once, not once per lead-byte range).
        var unitMemo: [UnitKey: Int32] = [:]

        struct UnitKey: Hashable {
            var op: UInt8, lo: UInt8, hi: UInt8, arg: Int32, next: Int32
        }

        mutating func emitShared(_ inst: Inst) throws -> Int32 {
            let key = UnitKey(op: inst.op.rawValue, lo: inst.lo, hi: inst.hi, arg: inst.arg, next: inst.next)
            if let pc = unitMemo[key] { return pc }
            let pc = try emit(inst)
            unitMemo[key] = pc
            return pc
        }

        /// Alternatives in priority order.
        mutating func alternation(_ xs: [Int32]) throws -> Int32 {
            guard var cur = xs.last else { return try emit(Inst(op: .fail)) }
            for a in xs.dropLast().reversed() { cur = try emitShared(Inst(op: .split, arg: cur, next: a)) }
            return cur
        }

        /// A set of code points consumes one UTF-8 unit per step (see `replacementCharacter` for the rule on
        /// invalid UTF-8): ASCII members and, when the set matches invalid units, the bytes that are
        /// always a unit of their own, form one byte set (so ASCII classes stay one instruction);
        /// multi-byte units are byte-range sequences behind a lookahead for a lead byte, so a thread
        /// on ASCII text pays one check for all of them.
        mutating func compileSet(_ s: CodePointSet, next: Int32) throws -> Int32 {
            unitMemo.removeAll(keepingCapacity: true)
            let invalid = s.contains(replacementCharacter)
            var single = invalid ? utf8InvalidSingles : ByteBitmap()
            var nonASCII = CodePointSet()
            for r in s.ranges {
                if r.lowerBound < 0x80 {
                    single.insert(UInt8(r.lowerBound)...UInt8(min(r.upperBound, 0x7F)))
                }
                if r.upperBound >= 0x80 {
                    nonASCII.insert(max(r.lowerBound, 0x80)...r.upperBound)
                }
            }
            var units: [(lead: ClosedRange<UInt8>, after: Int32)] = []
            var withSurrogates = nonASCII
            withSurrogates.insert(0xD800...0xDFFF)
            if withSurrogates.ranges == [0x80...CodePointSet.maxScalar] {
                // Every scalar: valid and truncated sequences share their steps.
                for seq in utf8Sequences(0x80...CodePointSet.maxScalar) {
                    units.append(try emitUnit(seq, valid: true, truncated: invalid, next: next))
                }
            } else {
                for r in nonASCII.ranges {
                    for seq in utf8Sequences(r) { units.append(try emitUnit(seq, valid: true, truncated: false, next: next)) }
                }
                if invalid {
                    for seq in utf8Sequences(0x80...CodePointSet.maxScalar) {
                        units.append(try emitUnit(seq, valid: false, truncated: true, next: next))
                    }
                }
            }
            // One lead-byte instruction per distinct tail (e.g. E1-EC and EE-EF).
            var leads: [(set: ByteBitmap, after: Int32)] = []
            var anyLead = ByteBitmap()
            for u in units {
                anyLead.insert(u.lead)
                if let i = leads.firstIndex(where: { $0.after == u.after }) {
                    leads[i].set.insert(u.lead)
                } else {
                    leads.append((ByteBitmap.range(u.lead), u.after))
                }
            }
            var multi: [Int32] = []
            for l in leads { multi.append(try emitByteSet(l.set, next: l.after)) }
            var alternatives: [Int32] = []
            if !single.isEmpty { alternatives.append(try emitByteSet(single, next: next)) }
            if multi.count > 1 {
                let inner = try alternation(multi)
                var lo = 0, hi = 255
                while !anyLead.contains(UInt8(lo)) { lo += 1 }
                while !anyLead.contains(UInt8(hi)) { hi -= 1 }
                alternatives.append(try emit(Inst(op: .look, lo: UInt8(lo), hi: UInt8(hi), arg: 1, next: inner)))
            } else {
                alternatives += multi
            }
            return try alternation(alternatives)
        }

        /// The steps of one UTF-8 byte-range sequence after its lead byte: the complete sequence
        /// (`valid`) and/or its truncations (`truncated`, see `replacementCharacter`). Returns the lead range and
        /// the instruction following the lead byte.
        mutating func emitUnit(_ seq: [ClosedRange<UInt8>], valid: Bool, truncated: Bool,
                               next: Int32) throws -> (lead: ClosedRange<UInt8>, after: Int32) {
            var after = next
            for i in stride(from: seq.count - 1, through: 1, by: -1) {
                var options: [Int32] = []
                if valid || i < seq.count - 1 {
                    options.append(try emitShared(Inst(op: .byteRange, lo: seq[i].lowerBound, hi: seq[i].upperBound, next: after)))
                }
                if truncated {
                    // The prefix so far is a maximal one: the byte that follows cannot continue it.
                    options.append(try emitShared(Inst(op: .look, lo: seq[i].lowerBound, hi: seq[i].upperBound, arg: 0, next: next)))
                }
                after = try alternation(options)
            }
            return (seq[0], after)
        }
    }
}

/// How sets consume invalid UTF-8. The haystack is read in units as `String(decoding:as: UTF8.self)`
/// and Python's `bytes.decode("utf-8", "replace")` read it: a unit is an ASCII byte, a complete
/// UTF-8 sequence (one scalar), or an invalid unit, which stands for U+FFFD: a byte that never begins
/// a sequence (80-BF, C0, C1, F5-FF), or the longest prefix of a valid sequence that the next byte
/// (or the end of the haystack) does not continue (Unicode's "maximal subpart": E6 97 before "a",
/// E0 before 80). Sets containing U+FFFD (`.`, `[^...]`, `\S`, `\W`, `\D`, a literal U+FFFD) match
/// one invalid unit per step, other sets never do, so `.*` is never blocked by stray bytes, and each
/// byte string splits into units in exactly one way: no set can match part of a valid character, and
/// captures of a set-based match fall on unit boundaries.
let replacementCharacter: UInt32 = 0xFFFD

/// Whether a unit (see `replacementCharacter`) begins at `pos` of `h[0..<n]`: any byte but a
/// continuation byte does; a continuation byte only when no lead byte at most 3 bytes back begins a
/// (complete or maximal truncated) sequence reaching it.
@inline(__always)
func isUnitBoundary(_ h: UnsafePointer<UInt8>, _ n: Int, _ pos: Int) -> Bool {
    if pos <= 0 || pos >= n || h[pos] & 0xC0 != 0x80 { return true }
    return continuationBoundary(h, pos)
}

@inline(never)
func continuationBoundary(_ h: UnsafePointer<UInt8>, _ pos: Int) -> Bool {
    var k = 1
    while k <= 3 && pos - k >= 0 {
        let b = h[pos - k]
        if b & 0xC0 == 0x80 { k += 1; continue }
        // `b` begins a unit; it reaches `pos` if it is a lead byte of a sequence longer than k
        // whose second byte (the one after `b`) is in the range that lead allows.
        let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
        guard b >= 0xC2 && b <= 0xF4 && k < length else { return true }
        let second = h[pos - k + 1]
        switch b {
        case 0xE0: return !(second >= 0xA0)
        case 0xED: return !(second <= 0x9F)
        case 0xF0: return !(second >= 0x90)
        case 0xF4: return !(second <= 0x8F)
        default: return false
        }
    }
    return true
}

/// Bytes that are an invalid unit on their own wherever a unit starts.
let utf8InvalidSingles: ByteBitmap = {
    var s = ByteBitmap.range(0x80...0xC1)
    s.insert(0xF5...0xFF)
    return s
}()

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
