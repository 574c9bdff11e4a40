// A lazy (on-demand) DFA over byte equivalence classes, for programs without assertions.
//
// A DFA state is the priority-ordered list of NFA "leaf" instructions (byte consumers and `match`)
// reachable after an epsilon closure, exactly the thread list of the PikeVM without captures. The
// unanchored search loop `(?s:.)*?` is represented by a marker at the lowest priority. Leaves after a
// `match` are dropped (leftmost-first: lower-priority threads are cut), so running the DFA to the
// dead state yields the end of the leftmost-first match, identical to the PikeVM's.
//
// One-byte lookaheads (`look`, from the UTF-8 units of sets) stay in the leaf list: they are decided
// by the byte the state steps over, so a transition resolves them (and a `match` reached through them
// is a match *before* that byte, flagged in the transition), and the end of the haystack resolves
// them in a per-state flag. For programs whose matches could begin inside a character, the unanchored
// loop is the program's `unanchoredStart` (`(?s:.)*?` over whole UTF-8 units) instead of the marker,
// so new threads start on unit boundaries only.
//
// States and transitions are built on demand into a per-scratch cache with a memory budget; when the
// budget is exceeded the cache is cleared, and a search that clears it too often gives up so the
// caller can fall back to the PikeVM.

/// Leaf list entry standing for the unanchored start loop.
private let startMarker: Int32 = -2
private let unknownState: Int32 = -1
private let deadState: Int32 = 0
/// A transition to state `s` on which the leftmost-first match ends before the byte stepped over is
/// stored as `-2 - s` (negative, below `unknownState`), so the hot loop tests it with the dead state.
@inline(__always) private func matchBefore(_ s: Int32) -> Int32 { -2 - s }

/// Mutable per-thread DFA state (lives in a `Scratch`).
final class DFACache {
    let classCount: Int
    let maxStates: Int
    /// trans[state * classCount + class]; `unknownState` when not yet computed. Raw memory so the
    /// hot loop has no exclusivity or bounds checks; rows are initialised when their state is added.
    let trans: UnsafeMutablePointer<Int32>
    let matchFlags: UnsafeMutablePointer<Bool>
    /// Per state: whether a match ends at the end of the haystack through lookaheads (-1: unknown).
    let eoiMatch: UnsafeMutablePointer<Int8>
    var stateCount = 0
    var states: [[Int32]] = []
    var index: [[Int32]: Int32] = [:]
    /// Initial state of an unanchored search.
    var initial: Int32 = unknownState
    // Closure scratch.
    var seen: [Int32]
    var seenGen: Int32 = 0
    var stack: [Int32] = []

    init(program: Program, memoryBudget: Int = 512 << 10) {
        classCount = program.byteClassCount
        maxStates = max(64, memoryBudget / (4 * classCount))
        trans = .allocate(capacity: maxStates * classCount)
        matchFlags = .allocate(capacity: maxStates)
        eoiMatch = .allocate(capacity: maxStates)
        seen = [Int32](repeating: 0, count: program.insts.count)
        reset()
    }

    deinit {
        trans.deallocate()
        matchFlags.deallocate()
        eoiMatch.deallocate()
    }

    func reset() {
        stateCount = 0
        states.removeAll(keepingCapacity: true)
        index.removeAll(keepingCapacity: true)
        initial = unknownState
        // State 0 is the dead state.
        add([], match: false)
    }

    @discardableResult
    func add(_ list: [Int32], match: Bool) -> Int32 {
        let id = Int32(stateCount)
        (trans + stateCount * classCount).initialize(repeating: unknownState, count: classCount)
        matchFlags[stateCount] = match
        eoiMatch[stateCount] = -1
        stateCount += 1
        states.append(list)
        index[list] = id
        return id
    }
}

final class LazyDFA: Sendable {
    let prog: Program
    let prefilter: StartPrefilter

    /// `prog.hasLookahead`, read once (reading it through `prog` per search costs more than the check).
    let hasLookahead: Bool

    init(prog: Program, prefilter: StartPrefilter) {
        self.prog = prog
        self.prefilter = prefilter.onUnitBoundaries(prog)
        hasLookahead = prog.hasLookahead
    }

    enum Result {
        case noMatch
        /// The leftmost-first match ends at `end`; it starts at or after `runStart`.
        case match(end: Int, runStart: Int)
        /// The cache thrashed; use the PikeVM.
        case gaveUp
    }

    /// Appends the leaves of the epsilon closure of `pc0` to `out`, in priority order.
    private func closure(_ pc0: Int32, into out: inout [Int32], _ c: DFACache) {
        c.stack.removeAll(keepingCapacity: true)
        c.stack.append(pc0)
        while let top = c.stack.popLast() {
            var pc = top
            while true {
                if c.seen[Int(pc)] == c.seenGen { break }
                c.seen[Int(pc)] = c.seenGen
                let inst = prog.insts[Int(pc)]
                switch inst.op {
                case .split:
                    c.stack.append(inst.arg)
                    pc = inst.next
                    continue
                case .save:
                    pc = inst.next
                    continue
                case .byteRange, .byteSet, .match, .look:
                    out.append(pc)
                case .assert, .fail:
                    break
                }
                break
            }
        }
    }

    private func newGeneration(_ c: DFACache) {
        c.seenGen &+= 1
        if c.seenGen == Int32.max {
            for i in c.seen.indices { c.seen[i] = 0 }
            c.seenGen = 1
        }
    }

    /// Interns a leaf list (truncated after the first match) and returns its state id.
    private func intern(_ list: [Int32], _ c: DFACache) -> Int32 {
        var list = list
        var match = false
        if let m = list.firstIndex(where: { $0 >= 0 && prog.insts[Int($0)].op == .match }) {
            match = true
            list.removeSubrange((m + 1)...)
        }
        if list.isEmpty { return deadState }
        if let id = c.index[list] { return id }
        return c.add(list, match: match)
    }

    private func initialState(_ c: DFACache, anchored: Bool) -> Int32 {
        newGeneration(c)
        var list: [Int32] = []
        if !anchored, let u = prog.unanchoredStart {
            // `(?s:.)*?` over whole units, so matches begin on unit boundaries only.
            closure(u, into: &list, c)
        } else {
            closure(prog.start, into: &list, c)
            if !anchored { list.append(startMarker) }
        }
        return intern(list, c)
    }

    /// Computes the transition of `state` on a byte (any representative of its class), encoded with
    /// `matchBefore` when a lookahead leads to a match before the byte.
    @inline(never) // kept out of `find`, whose every call would pay for its cache accesses
    private func computeNext(_ state: Int32, _ byte: UInt8, _ c: DFACache) -> Int32 {
        newGeneration(c)
        var out: [Int32] = []
        let ended = step(c.states[Int(state)], next: Int(byte), into: &out, c)
        let id = intern(out, c)
        return ended ? matchBefore(id) : id
    }

    /// Steps the leaves of a state over `next` (a byte, or -1 for the end of the haystack), in
    /// priority order, appending the closures after it to `out`. Returns true when a `match` reached
    /// through lookaheads ends before `next`; it cuts the lower-priority leaves, like a `match` leaf.
    private func step(_ leaves: [Int32], next b: Int, into out: inout [Int32], _ c: DFACache) -> Bool {
        for pc in leaves {
            if pc == startMarker {
                closure(prog.start, into: &out, c)
                out.append(startMarker)
                continue
            }
            let inst = prog.insts[Int(pc)]
            switch inst.op {
            case .match:
                return false
            case .byteRange:
                if b >= Int(inst.lo) && b <= Int(inst.hi) { closure(inst.next, into: &out, c) }
            case .byteSet:
                if b >= 0 && prog.sets[Int(inst.arg)].contains(UInt8(b)) { closure(inst.next, into: &out, c) }
            case .look:
                guard inst.lookHolds(next: b) else { continue }
                // The leaves after the lookahead, at the same position.
                var here: [Int32] = []
                aside(c) { closure(inst.next, into: &here, c) }
                if let m = here.firstIndex(where: { prog.insts[Int($0)].op == .match }) {
                    _ = step(Array(here[..<m]), next: b, into: &out, c)
                    return true
                }
                if step(here, next: b, into: &out, c) { return true }
            default:
                continue
            }
        }
        return false
    }

    /// Runs `body` with its own closure marks, keeping those of the closure under construction.
    private func aside(_ c: DFACache, _ body: () -> Void) {
        let saved = c.seen, savedGen = c.seenGen
        newGeneration(c)
        body()
        c.seen = saved
        c.seenGen = savedGen
    }

    /// Whether a match ends at the end of the haystack in `state` through lookaheads. Not inlined:
    /// in `find` its accesses to the cache's arrays would cost exclusivity checks on every search.
    @inline(never)
    private func matchesAtEnd(_ state: Int32, _ c: DFACache) -> Bool {
        if c.eoiMatch[Int(state)] < 0 {
            var unused: [Int32] = []
            var m = false
            aside(c) { m = step(c.states[Int(state)], next: -1, into: &unused, c) }
            c.eoiMatch[Int(state)] = m ? 1 : 0
        }
        return c.eoiMatch[Int(state)] == 1
    }

    /// Finds the end of the leftmost-first match starting at or after `start` (or exactly at `start`
    /// when `anchored`). With `earliest`, stops at the first match state seen (for `isMatch`).
    func find(_ h: UnsafePointer<UInt8>, _ n: Int, start: Int, anchored: Bool,
              earliest: Bool, cache c: DFACache) -> Result {
        // One read of `c.initial` (each access of a class `var` is a dynamic exclusivity check).
        var unanchoredInitial = c.initial
        if unanchoredInitial == unknownState {
            unanchoredInitial = initialState(c, anchored: false)
            c.initial = unanchoredInitial
        }
        var state = anchored ? initialState(c, anchored: true) : unanchoredInitial
        var initial = anchored ? Int32(-3) : unanchoredInitial
        var pos = start
        var runStart = start
        var lastMatch = -1
        var clears = 0
        let classes = prog.byteClasses
        let classCount = c.classCount
        let trans = c.trans
        let matchFlags = c.matchFlags
        let hasLook = hasLookahead
        return classes.withUnsafeBufferPointer { cls -> Result in
            while true {
                if state == initial {
                    // With `unanchoredStart` the prefilter only returns unit boundaries, which the
                    // initial state stands for.
                    guard let p = prefilter.next(h, n, from: pos) else { break }
                    pos = p
                    if prog.startIsFresh { runStart = p }
                }
                if matchFlags[Int(state)] {
                    lastMatch = pos
                    if earliest { break }
                }
                if pos >= n {
                    if hasLook && lastMatch < n && matchesAtEnd(state, c) { lastMatch = n }
                    break
                }
                // Hot loop: follow cached transitions.
                var next = trans[Int(state) &* classCount &+ Int(cls[Int(h[pos])])]
                if next == unknownState {
                    if c.stateCount >= c.maxStates - 1 {
                        clears += 1
                        if clears > 8 { return .gaveUp }
                        let list = c.states[Int(state)]
                        let wasInitial = state == initial
                        c.reset()
                        c.initial = initialState(c, anchored: false)
                        state = intern(list, c)
                        if wasInitial { initial = state } else if !anchored { initial = c.initial }
                    }
                    next = computeNext(state, h[pos], c)
                    trans[Int(state) &* classCount &+ Int(cls[Int(h[pos])])] = next
                }
                if next <= deadState {
                    // Dead, or a match ending before this byte (see `matchBefore`).
                    if next == deadState { break }
                    next = matchBefore(next)
                    lastMatch = pos
                    if earliest || next == deadState { break }
                }
                state = next
                pos += 1
            }
            return lastMatch >= 0 ? .match(end: lastMatch, runStart: runStart) : .noMatch
        }
    }
}
