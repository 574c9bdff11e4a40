// Thompson/Pike NFA simulation with capture slots and leftmost-first thread priority.
// Time O(haystack × program); memory O(program × slots), allocated once per scratch object.

/// Checks a zero-width assertion at position `pos` of `h[0..<n]`.
@inline(__always)
func assertionHolds(_ kind: Int32, _ h: UnsafePointer<UInt8>, _ n: Int, _ pos: Int) -> Bool {
    switch kind {
    case Int32(Assertion.startText.rawValue): return pos == 0
    case Int32(Assertion.endText.rawValue): return pos == n
    case Int32(Assertion.endTextOptionalNewline.rawValue):
        return pos == n || (pos == n - 1 && h[pos] == 0x0A)
    case Int32(Assertion.startLine.rawValue): return pos == 0 || h[pos - 1] == 0x0A
    case Int32(Assertion.endLine.rawValue): return pos == n || h[pos] == 0x0A
    case Int32(Assertion.wordBoundary.rawValue):
        let a = pos > 0 && isWordByte(h[pos - 1])
        let b = pos < n && isWordByte(h[pos])
        return a != b
    default: // notWordBoundary
        let a = pos > 0 && isWordByte(h[pos - 1])
        let b = pos < n && isWordByte(h[pos])
        return a == b
    }
}

@inline(__always)
func isWordByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || b == 0x5F || (b >= 0x61 && b <= 0x7A)
}

/// A sparse set of instruction indices, in insertion (= priority) order, with per-instruction slots.
struct ThreadList {
    let dense: UnsafeMutablePointer<Int32>
    let sparse: UnsafeMutablePointer<Int32>
    let slots: UnsafeMutablePointer<Int>
    var count = 0

    init(capacity: Int, slotCount: Int) {
        dense = .allocate(capacity: max(capacity, 1))
        sparse = .allocate(capacity: max(capacity, 1))
        sparse.initialize(repeating: 0, count: max(capacity, 1))
        slots = .allocate(capacity: max(capacity * slotCount, 1))
    }

    func deallocate() {
        dense.deallocate()
        sparse.deallocate()
        slots.deallocate()
    }

    @inline(__always)
    func contains(_ pc: Int32) -> Bool {
        let i = Int(sparse[Int(pc)])
        return i < count && dense[i] == pc
    }

    @inline(__always)
    mutating func insert(_ pc: Int32) {
        sparse[Int(pc)] = Int32(count)
        dense[count] = pc
        count += 1
    }
}

/// Per-search mutable state of the PikeVM. Not thread-safe; `ByteRegex` pools these.
final class PikeScratch {
    var curr: ThreadList
    var next: ThreadList
    /// Closure stack: pc >= 0 explores pc; pc < 0 restores slot (-pc - 1) to `value`.
    let stackPC: UnsafeMutablePointer<Int32>
    let stackValue: UnsafeMutablePointer<Int>
    /// Slots of the thread being extended.
    let tslots: UnsafeMutablePointer<Int>
    /// Slots of the best match found so far.
    let best: UnsafeMutablePointer<Int>
    let slotCount: Int

    init(program: Program) {
        let n = program.insts.count
        slotCount = program.slotCount
        curr = ThreadList(capacity: n, slotCount: slotCount)
        next = ThreadList(capacity: n, slotCount: slotCount)
        stackPC = .allocate(capacity: 2 * n + 4)
        stackValue = .allocate(capacity: 2 * n + 4)
        tslots = .allocate(capacity: slotCount)
        best = .allocate(capacity: slotCount)
    }

    deinit {
        curr.deallocate()
        next.deallocate()
        stackPC.deallocate()
        stackValue.deallocate()
        tslots.deallocate()
        best.deallocate()
    }
}

/// How to skip ahead when no thread is alive.
enum StartPrefilter: Sendable {
    case none
    /// Every match starts with this literal.
    case prefix(LiteralSearcher)
    /// Every match starts with a byte in this set.
    case firstByte(ByteBitmap)
    /// Every match starts on a unit boundary (see `isUnitBoundary`) with a byte in this set, or at
    /// the end of the haystack.
    case unitBoundary(ByteBitmap)

    /// Smallest candidate start position >= `from` (a match may start at n only if the program is nullable,
    /// in which case no prefilter but `unitBoundary` is built). Returns nil if there is none.
    @inline(__always)
    func next(_ h: UnsafePointer<UInt8>, _ n: Int, from: Int) -> Int? {
        switch self {
        case .none:
            return from
        case .prefix(let lit):
            return lit.find(h, n, from: from)
        case .firstByte(let set):
            var i = from
            while i < n {
                if set.contains(h[i]) { return i }
                i += 1
            }
            return nil
        case .unitBoundary(let set):
            // Fast path: an ASCII or lead byte always begins a unit.
            if from < n && h[from] & 0xC0 != 0x80 && set.contains(h[from]) { return from }
            return StartPrefilter.nextUnitBoundary(set, h, n, from: from)
        }
    }

    /// `self`, or for a program whose matches could begin inside a character (`unanchoredStart`),
    /// a prefilter returning unit boundaries only, which the engines rely on.
    func onUnitBoundaries(_ prog: Program) -> StartPrefilter {
        if case .unitBoundary = self { return self }
        guard prog.unanchoredStart != nil else { return self }
        return .unitBoundary(prog.firstBytes ?? ByteBitmap.range(0...255))
    }

    /// Out of line, so the loops above compile as they would without this case.
    @inline(never)
    static func nextUnitBoundary(_ set: ByteBitmap, _ h: UnsafePointer<UInt8>, _ n: Int, from: Int) -> Int? {
        var i = from
        while i < n {
            if set.contains(h[i]) && isUnitBoundary(h, n, i) { return i }
            i += 1
        }
        return i == n ? n : nil
    }
}

final class PikeVM: Sendable {
    let prog: Program
    let prefilter: StartPrefilter

    /// `prog.unanchoredStart != nil`: matches begin only where `isUnitBoundary` holds.
    let boundaryStarts: Bool

    init(prog: Program, prefilter: StartPrefilter) {
        self.prog = prog
        self.prefilter = prefilter.onUnitBoundaries(prog)
        boundaryStarts = prog.unanchoredStart != nil
    }

    /// Runs the VM over `h[0..<n]` starting at `start`, searching for the leftmost-first match that
    /// starts at or after `start` (or, if `anchored`, exactly at `start`) and ends at or before `end`.
    /// When `earliest`, returns as soon as any match is known (slots are then not meaningful).
    /// On success the match slots are in `scratch.best`.
    func search(_ h: UnsafePointer<UInt8>, _ n: Int, start: Int, end: Int? = nil,
                anchored: Bool = false, earliest: Bool, scratch: PikeScratch) -> Bool {
        let limit = end ?? n
        return prog.insts.withUnsafeBufferPointer { insts in
            prog.sets.withUnsafeBufferPointer { sets in
                run(insts.baseAddress!, sets.baseAddress, h, n, start: start, limit: limit,
                    anchored: anchored || prog.anchoredStart, earliest: earliest, s: scratch)
            }
        }
    }

    @inline(__always)
    private func run(_ insts: UnsafePointer<Inst>, _ sets: UnsafePointer<ByteBitmap>?,
                     _ h: UnsafePointer<UInt8>, _ n: Int, start: Int, limit: Int,
                     anchored: Bool, earliest: Bool, s: PikeScratch) -> Bool {
        let slotCount = s.slotCount
        let captures = !earliest
        var curr = s.curr
        var next = s.next
        defer {
            s.curr = curr
            s.next = next
        }
        curr.count = 0
        next.count = 0
        var matched = false
        var pos = start
        if prog.anchoredStart && start > 0 { return false }
        let usePrefilter = !anchored
        let hasFirstBytes = prog.firstBytes != nil
        let firstBytes = prog.firstBytes ?? ByteBitmap()
        let boundaries = boundaryStarts
        while true {
            if curr.count == 0 {
                if matched || (anchored && pos > start) { break }
                if usePrefilter {
                    guard let p = prefilter.next(h, n, from: pos), p <= limit else { break }
                    pos = p
                }
            }
            // A new thread can only succeed where a first byte of the pattern occurs.
            if !matched && (!anchored || pos == start)
                && (!hasFirstBytes || (pos < limit && firstBytes.contains(h[pos])))
                && (!boundaries || isUnitBoundary(h, n, pos)) {
                if captures {
                    for k in 0..<slotCount { s.tslots[k] = -1 }
                }
                addThread(&curr, insts, h, n, pos, prog.start, captures: captures, s: s)
            }
            // Step over byte h[pos] (or end of input).
            let b: Int = pos < limit ? Int(h[pos]) : -1
            next.count = 0
            var i = 0
            while i < curr.count {
                let pc = curr.dense[i]
                let inst = insts[Int(pc)]
                i += 1
                var ok = false
                switch inst.op {
                case .match:
                    matched = true
                    if earliest { return true }
                    let src = curr.slots + Int(pc) * slotCount
                    for k in 0..<slotCount { s.best[k] = src[k] }
                    // Cut lower-priority threads.
                    i = curr.count
                    continue
                case .byteRange:
                    ok = b >= Int(inst.lo) && b <= Int(inst.hi)
                case .byteSet:
                    ok = b >= 0 && sets![Int(inst.arg)].contains(UInt8(b))
                default:
                    continue
                }
                if ok {
                    if captures {
                        let src = curr.slots + Int(pc) * slotCount
                        for k in 0..<slotCount { s.tslots[k] = src[k] }
                    }
                    addThread(&next, insts, h, n, pos + 1, inst.next, captures: captures, s: s)
                }
            }
            swap(&curr, &next)
            if pos >= limit { break }
            pos += 1
        }
        return matched
    }

    /// Follows epsilon transitions from `pc0` at position `pos`, adding threads to `list` in priority order.
    /// `s.tslots` holds the slots of the thread being extended and is restored on return.
    @inline(__always)
    private func addThread(_ list: inout ThreadList, _ insts: UnsafePointer<Inst>,
                           _ h: UnsafePointer<UInt8>, _ n: Int, _ pos: Int, _ pc0: Int32,
                           captures: Bool, s: PikeScratch) {
        let slotCount = s.slotCount
        let stackPC = s.stackPC
        let stackValue = s.stackValue
        let tslots = s.tslots
        var sp = 0
        stackPC[0] = pc0
        sp = 1
        while sp > 0 {
            sp -= 1
            var pc = stackPC[sp]
            if pc < 0 {
                tslots[Int(-pc - 1)] = stackValue[sp]
                continue
            }
            while true {
                if list.contains(pc) { break }
                list.insert(pc)
                let inst = insts[Int(pc)]
                switch inst.op {
                case .split:
                    stackPC[sp] = inst.arg
                    sp += 1
                    pc = inst.next
                    continue
                case .save:
                    if captures {
                        let k = Int(inst.arg)
                        if k < slotCount {
                            stackPC[sp] = Int32(-k - 1)
                            stackValue[sp] = tslots[k]
                            sp += 1
                            tslots[k] = pos
                        }
                    }
                    pc = inst.next
                    continue
                case .assert:
                    if assertionHolds(inst.arg, h, n, pos) {
                        pc = inst.next
                        continue
                    }
                case .look:
                    if inst.lookHolds(h, n, pos) {
                        pc = inst.next
                        continue
                    }
                case .byteRange, .byteSet, .match:
                    if captures {
                        let dst = list.slots + Int(pc) * slotCount
                        for k in 0..<slotCount { dst[k] = tslots[k] }
                    }
                case .fail:
                    break
                }
                break
            }
        }
    }
}
