// Bounded backtracker (RE2's "BitState"): depth-first search over the NFA in priority order, so the
// first match found is the leftmost-first match and its capture spans equal the PikeVM's. A visited
// bitset over (instruction, position) pairs makes every pair explored at most once, so a search costs
// O(program size × region length) like the PikeVM, but with far less work per step (no thread lists,
// no slot copying). It is only used when `program size × (region length + 1)` fits `maxBits`.
//
// Why pruning on visited pairs keeps the PikeVM's answer: the search from (pc, pos) onwards does not
// depend on the capture slots, so once a pair has been fully explored without reaching `match` it can
// never lead to one; and the first path reaching a pair in depth-first priority order is the highest
// priority path to it, which is exactly the thread the PikeVM keeps at that pair. Failed pairs stay
// failed for later start positions too, so one bitset serves the whole unanchored search.
//
// The bitset (32 KiB per scratch object) is all zero between searches: a search records each word it
// makes non-zero and zeroes just those words before returning, so its cost is proportional to the
// part of the bitset it used, never to the region size.

/// One entry of the backtracking stack: explore `pc` at `pos`, or (pc < 0) restore capture slot
/// `~pc` to the value `pos`.
struct BacktrackJob {
    var pc: Int32
    var pos: Int
}

/// Per-search mutable state of the backtracker. Not thread-safe; `ByteRegex` pools these.
final class BacktrackScratch {
    /// Bitset size limit (bits): 32 KiB per scratch object.
    static let maxBits = 256 * 1024

    /// All zero between searches.
    let visited: UnsafeMutablePointer<UInt64>
    /// Indices of the words of `visited` a search made non-zero.
    let touched: UnsafeMutablePointer<Int32>
    var stack: UnsafeMutablePointer<BacktrackJob>
    var stackCapacity: Int
    /// Capture slots of the path being explored; after a successful search, the match's slots.
    let slots: UnsafeMutablePointer<Int>
    let slotCount: Int

    init(program: Program) {
        visited = .allocate(capacity: BacktrackScratch.maxBits / 64)
        visited.initialize(repeating: 0, count: BacktrackScratch.maxBits / 64)
        touched = .allocate(capacity: BacktrackScratch.maxBits / 64)
        stackCapacity = 64
        stack = .allocate(capacity: stackCapacity)
        slotCount = program.slotCount
        slots = .allocate(capacity: max(slotCount, 2))
    }

    deinit {
        visited.deallocate()
        touched.deallocate()
        stack.deallocate()
        slots.deallocate()
    }

    /// Doubles the stack (rare: the stack is bounded by the number of visited pairs).
    @inline(never)
    func grow() {
        let bigger = UnsafeMutablePointer<BacktrackJob>.allocate(capacity: stackCapacity * 2)
        bigger.moveInitialize(from: stack, count: stackCapacity)
        stack.deallocate()
        stack = bigger
        stackCapacity *= 2
    }
}

/// An instruction of the backtracker's rewritten program (see the file comment).
struct BTInst: Sendable {
    enum Op: UInt8, Sendable {
        /// The first cases mirror `Inst.Op` (same raw values).
        case byteRange, byteSet, split, save, assert, match, fail, look
        /// Compare `aux` bytes at `literalBytes[arg...]`, then go to `next`.
        case literal
        /// Greedy loop: consume bytes of the class (`lo...hi` when `aux < 0`, else `sets[aux]`) while
        /// pushing `arg` (the exit) for every position, then continue at the exit.
        case star
    }
    var op: Op
    var lo: UInt8 = 0
    var hi: UInt8 = 0
    var arg: Int32 = 0
    var next: Int32 = 0
    var aux: Int32 = 0
}

final class Backtracker: @unchecked Sendable {
    let prog: Program
    let prefilter: StartPrefilter
    /// With a `.prefix` prefilter: how many leading bytes of the literal are a plain chain of
    /// single-byte instructions right after `save 0`, and the instruction after that chain. A search
    /// starting at a literal hit jumps over them (the literal search already proved them).
    let skipBytes: Int
    let afterSkip: Int32
    /// The rewritten program and the bytes of its literal runs, immutable after init.
    private let code: BTCode
    /// `prog.unanchoredStart != nil`: matches begin only where `isUnitBoundary` holds.
    let boundaryStarts: Bool

    init(prog: Program, prefilter: StartPrefilter) {
        self.prog = prog
        let prefilter = prefilter.onUnitBoundaries(prog)
        self.prefilter = prefilter
        var skip = 0
        var pc = prog.start
        if case .prefix(let searcher) = prefilter, !prog.anchoredStart {
            let lit = searcher.literal
            let first = prog.insts[Int(pc)]
            if first.op == .save && first.arg == 0 {
                pc = first.next
                while skip < lit.count {
                    let inst = prog.insts[Int(pc)]
                    guard inst.op == .byteRange, inst.lo == lit[skip], inst.hi == lit[skip] else { break }
                    skip += 1
                    pc = inst.next
                }
            }
        }
        if skip == 0 { pc = prog.start }
        skipBytes = skip
        afterSkip = pc
        code = BTCode(prog, skipTarget: skip > 0 ? pc : nil)
        boundaryStarts = prog.unanchoredStart != nil
    }

    /// Whether a search over a region of `length` bytes fits the bitset budget.
    @inline(__always)
    func fits(_ length: Int) -> Bool {
        length >= 0 && prog.insts.count &* (length &+ 1) <= BacktrackScratch.maxBits
    }

    /// Leftmost-first search for a match starting in `start...limit` (exactly at `start` when
    /// `anchored`) and ending at or before `limit`. Bytes at and after `limit` are not consumed, but
    /// assertions see the whole haystack `h[0..<n]`. Requires `fits(limit - start)`.
    /// On success the match's capture slots are in `scratch.slots`.
    func search(_ h: UnsafePointer<UInt8>, _ n: Int, start: Int, limit: Int, anchored: Bool = false,
                scratch s: BacktrackScratch) -> Bool {
        precondition(start <= limit && limit <= n && fits(limit - start), "backtracker region over budget")
        if prog.anchoredStart && start > 0 { return false }
        return prog.sets.withUnsafeBufferPointer { sets in
            run(code.insts, code.literalBytes, sets.baseAddress, h, n, start: start, limit: limit,
                anchored: anchored || prog.anchoredStart, s: s)
        }
    }

    @inline(__always)
    private func run(_ insts: UnsafePointer<BTInst>, _ lits: UnsafePointer<UInt8>, _ sets: UnsafePointer<ByteBitmap>?,
                     _ h: UnsafePointer<UInt8>, _ n: Int, start: Int, limit: Int,
                     anchored: Bool, s: BacktrackScratch) -> Bool {
        let ninst = prog.insts.count
        let visited = s.visited
        let slots = s.slots
        let slotCount = s.slotCount
        let base = start
        // The bitset is all zero between searches: every word that becomes non-zero is recorded
        // in `touched` and zeroed again on return, so no search pays for clearing rows it never
        // reached (and there is no memset whose wide stores stall the loads that follow).
        let touched = s.touched
        var touchedCount = 0
        defer {
            for i in 0..<touchedCount { visited[Int(touched[i])] = 0 }
        }
        let hasFirstBytes = prog.firstBytes != nil
        let firstBytes = prog.firstBytes ?? ByteBitmap()
        let skip = skipBytes
        let usePrefilter = !anchored
        var stack = s.stack
        var cap = s.stackCapacity
        // Inside a character no match begins; unanchored, the prefilter only returns unit boundaries.
        if anchored && boundaryStarts && !isUnitBoundary(h, n, start) { return false }
        var cand = start
        while cand <= limit {
            if usePrefilter {
                guard let p = prefilter.next(h, n, from: cand), p <= limit else { return false }
                cand = p
            }
            var pc0 = prog.start
            var pos0 = cand
            for k in 0..<slotCount { slots[k] = -1 }
            if skip > 0 && usePrefilter {
                // `cand` is a hit of the literal prefix: start after its leading byte chain.
                if cand &+ skip > limit { return false }
                slots[0] = cand
                pc0 = afterSkip
                pos0 = cand &+ skip
            } else if hasFirstBytes && !(cand < limit && firstBytes.contains(h[cand])) {
                if anchored { return false }
                cand += 1
                continue
            }
            stack[0] = BacktrackJob(pc: pc0, pos: pos0)
            var sp = 1
            while sp > 0 {
                sp &-= 1
                let job = stack[sp]
                var pc = job.pc
                var pos = job.pos
                if pc < 0 {
                    slots[Int(~pc)] = pos
                    continue
                }
                while true {
                    let bit = (pos &- base) &* ninst &+ Int(pc)
                    let word = visited + (bit >> 6)
                    let mask = UInt64(1) &<< UInt64(bit & 63)
                    let w = word.pointee
                    if w & mask != 0 { break }
                    if w == 0 {
                        touched[touchedCount] = Int32(truncatingIfNeeded: bit >> 6)
                        touchedCount &+= 1
                    }
                    word.pointee = w | mask
                    let inst = insts[Int(pc)]
                    switch inst.op {
                    case .byteRange:
                        if pos < limit {
                            let b = h[pos]
                            if b >= inst.lo && b <= inst.hi {
                                pc = inst.next
                                pos &+= 1
                                continue
                            }
                        }
                    case .byteSet:
                        if pos < limit && sets.unsafelyUnwrapped[Int(inst.arg)].contains(h[pos]) {
                            pc = inst.next
                            pos &+= 1
                            continue
                        }
                    case .literal:
                        let len = Int(inst.aux)
                        if limit &- pos >= len {
                            let l = UnsafeRawPointer(lits + Int(inst.arg))
                            let t = UnsafeRawPointer(h + pos)
                            var i = 0
                            while i &+ 8 <= len && t.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                                    == l.loadUnaligned(fromByteOffset: i, as: UInt64.self) { i &+= 8 }
                            if i &+ 8 > len {
                                while i < len && t.load(fromByteOffset: i, as: UInt8.self) == l.load(fromByteOffset: i, as: UInt8.self) { i &+= 1 }
                            }
                            if i == len {
                                pc = inst.next
                                pos &+= len
                                continue
                            }
                        }
                    case .star:
                        // Same steps as the split/consume loop it replaces: at each position push the
                        // exit, consume a class byte, re-enter the split unless already visited there.
                        let exit = inst.arg
                        let useSet = inst.aux >= 0
                        let set = useSet ? sets.unsafelyUnwrapped[Int(inst.aux)] : ByteBitmap()
                        let lo = inst.lo, hi = inst.hi
                        var q = pos
                        while true {
                            if sp == cap {
                                s.grow()
                                stack = s.stack
                                cap = s.stackCapacity
                            }
                            stack[sp] = BacktrackJob(pc: exit, pos: q)
                            sp &+= 1
                            guard q < limit else { break }
                            let b = h[q]
                            guard useSet ? set.contains(b) : (b >= lo && b <= hi) else { break }
                            q &+= 1
                            let qbit = (q &- base) &* ninst &+ Int(pc)
                            let qword = visited + (qbit >> 6)
                            let qmask = UInt64(1) &<< UInt64(qbit & 63)
                            let qw = qword.pointee
                            if qw & qmask != 0 { break }
                            if qw == 0 {
                                touched[touchedCount] = Int32(truncatingIfNeeded: qbit >> 6)
                                touchedCount &+= 1
                            }
                            qword.pointee = qw | qmask
                        }
                        // Continue with the exit at the last position (the job just pushed).
                    case .split:
                        if sp == cap {
                            s.grow()
                            stack = s.stack
                            cap = s.stackCapacity
                        }
                        stack[sp] = BacktrackJob(pc: inst.arg, pos: pos)
                        sp &+= 1
                        pc = inst.next
                        continue
                    case .save:
                        let k = Int(inst.arg)
                        if k < slotCount {
                            if sp == cap {
                                s.grow()
                                stack = s.stack
                                cap = s.stackCapacity
                            }
                            stack[sp] = BacktrackJob(pc: ~Int32(k), pos: slots[k])
                            sp &+= 1
                            slots[k] = pos
                        }
                        pc = inst.next
                        continue
                    case .assert:
                        if assertionHolds(inst.arg, h, n, pos) {
                            pc = inst.next
                            continue
                        }
                    case .look:
                        if backtrackLookHolds(inst, h, n, pos) {
                            pc = inst.next
                            continue
                        }
                    case .match:
                        return true
                    case .fail:
                        break
                    }
                    break
                }
            }
            if anchored { return false }
            cand += 1
        }
        return false
    }
}

/// `Inst.lookHolds` for the backtracker, out of line so the hot loop's code stays as without it.
@inline(never)
func backtrackLookHolds(_ inst: BTInst, _ h: UnsafePointer<UInt8>, _ n: Int, _ pos: Int) -> Bool {
    Inst(op: .look, lo: inst.lo, hi: inst.hi, arg: inst.arg).lookHolds(h, n, pos)
}

/// The backtracker's rewritten program (owned memory, immutable after init).
final class BTCode: @unchecked Sendable {
    let insts: UnsafeMutablePointer<BTInst>
    let literalBytes: UnsafeMutablePointer<UInt8>
    let count: Int

    /// `skipTarget`: an extra entry point (after the skipped prefix) that counts as a reference.
    init(_ prog: Program, skipTarget: Int32?) {
        let src = prog.insts
        count = src.count
        // In-degree of every instruction (the entry points count as references).
        var indeg = [Int](repeating: 0, count: src.count)
        indeg[Int(prog.start)] += 1
        if let t = skipTarget { indeg[Int(t)] += 1 }
        for inst in src {
            switch inst.op {
            case .split: indeg[Int(inst.next)] += 1; indeg[Int(inst.arg)] += 1
            case .match, .fail: break
            default: indeg[Int(inst.next)] += 1
            }
        }
        var out: [BTInst] = src.map { BTInst(op: BTInst.Op(rawValue: $0.op.rawValue)!, lo: $0.lo, hi: $0.hi, arg: $0.arg, next: $0.next) }
        var bytes: [UInt8] = []
        func isSingleByte(_ i: Inst) -> Bool { i.op == .byteRange && i.lo == i.hi }
        for pc in src.indices {
            let inst = src[pc]
            if isSingleByte(inst) {
                // A run of >= 2 single-byte instructions whose tail has no other way in.
                var run: [UInt8] = [inst.lo]
                var next = inst.next
                while run.count < 4096, isSingleByte(src[Int(next)]), indeg[Int(next)] == 1 {
                    run.append(src[Int(next)].lo)
                    next = src[Int(next)].next
                }
                if run.count >= 2 {
                    out[pc] = BTInst(op: .literal, arg: Int32(bytes.count), next: next, aux: Int32(run.count))
                    bytes += run
                }
            } else if inst.op == .split {
                // Greedy loop over one byte class: L: split(next: B, arg: exit); B: class -> L.
                let body = src[Int(inst.next)]
                if inst.next != inst.arg, indeg[Int(inst.next)] == 1, body.next == Int32(pc) {
                    if body.op == .byteRange {
                        out[pc] = BTInst(op: .star, lo: body.lo, hi: body.hi, arg: inst.arg, next: inst.next, aux: -1)
                    } else if body.op == .byteSet {
                        out[pc] = BTInst(op: .star, arg: inst.arg, next: inst.next, aux: body.arg)
                    }
                }
            }
        }
        insts = .allocate(capacity: max(out.count, 1))
        insts.initialize(from: out, count: out.count)
        literalBytes = .allocate(capacity: max(bytes.count, 1))
        literalBytes.initialize(from: bytes, count: bytes.count)
    }

    deinit {
        insts.deallocate()
        literalBytes.deallocate()
    }
}
