// Public API of LogmillRegex.
//
// Pipeline: Parser (pattern -> Node) -> Compiler (Node -> byte-level Thompson NFA, `Program`) ->
//   * Literals: required literals (quick reject) and a literal prefix / first-byte set used to skip
//     ahead whenever no search thread is alive. Literal search is `LiteralSearcher`: memchr for the
//     literal's rarest byte, then a compare (memmem only after many false hits);
//   * LazyDFA: used by isMatch and to find the end of the match (and reject non-matching input)
//     for programs without assertions (`^ $ \A \z \b \B` make the program DFA-less);
//   * Backtracker (RE2's BitState, Backtrack.swift): depth-first search in priority order with a
//     visited bitset over (instruction, position); computes capture spans whenever program size ×
//     (region length + 1) fits 256K bits. On haystacks up to 2 KiB with a literal prefix, firstMatch
//     runs it directly from each literal hit (no DFA pass: the match is found touching only its own
//     bytes); otherwise over the region the DFA reported (or the whole haystack without a DFA);
//   * PikeVM: leftmost-first simulation with capture slots, for capture regions too large for the
//     backtracker, and isMatch without a DFA on large haystacks.
// Everything is O(haystack × program); the program is capped at 100k instructions.
//
// Semantic notes (differences from Python `re` on str):
//   * Matching is over UTF-8 bytes; spans are byte offsets. `\d \w \s \b` are ASCII-only.
//   * Every set (`.`, classes, `\D \W \S`, case-folded letters) consumes one whole code point (its
//     UTF-8 sequence) per step, so on valid UTF-8 counts and spans agree with Python on the decoded
//     text. Invalid UTF-8 is read in units like `String(decoding:as: UTF8.self)`, each invalid unit
//     standing for U+FFFD, which `.` and negated classes match (so stray bytes never block `.*`);
//     see `replacementCharacter` in NFA.swift.
//   * Empty loop iterations (`(a*)*`, `(a|)+`) follow RE2 capture semantics, not Python's.
//   * `(?i)` anywhere applies to the rest of the enclosing group (Python 3.11 rejects non-leading
//     global flags). `\B` matches the empty haystack (Python 3.11 does not).
//   * Not supported (compile error): backreferences, lookaround, atomic groups, possessive quantifiers,
//     `\p{...}`, verbose mode (?x), (?u)/(?a)/(?L).
import Foundation

/// Options applied to a whole pattern; inline flags `(?i)`, `(?s)`, `(?m)` can also set them.
public struct RegexOptions: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// `(?i)`: ASCII and simple Unicode case folding.
    public static let caseInsensitive = RegexOptions(rawValue: 1)
    /// `(?s)`: `.` also matches `\n`.
    public static let dotMatchesNewline = RegexOptions(rawValue: 2)
    /// `(?m)`: `^` and `$` match at line boundaries.
    public static let multiline = RegexOptions(rawValue: 4)
}

/// A pattern that failed to compile.
public struct RegexError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, naming the offending construct.
    public let message: String
    /// 1-based column (in Unicode scalars) within the pattern where the problem starts.
    public let column: Int

    public init(message: String, column: Int) {
        self.message = message
        self.column = column
    }

    public var description: String { "regex error at column \(column): \(message)" }
}

/// The result of a successful search.
public struct RegexMatch: Sendable {
    /// `spans[0]` is the whole match, `spans[i]` capture group `i` (nil when it did not participate).
    /// Offsets are byte offsets into the searched haystack.
    public var spans: [Range<Int>?]
    /// The whole match.
    public var range: Range<Int> { spans[0]! }
}

/// A compiled regular expression matching UTF-8 bytes in time linear in the haystack length.
///
/// Semantics follow Python's `re` (leftmost-first alternation, greedy and lazy quantifiers), without
/// backreferences or lookaround. Instances are immutable and safe to use from several threads at once.
public final class ByteRegex: Sendable {
    /// The source pattern.
    public let pattern: String
    let program: Program
    let vm: PikeVM
    /// Lazy DFA for programs without assertions (nil otherwise).
    let dfa: LazyDFA?
    let names: [String?]
    let literals: [[UInt8]]?
    let rejectLiterals: [LiteralSearcher]?
    /// When the whole pattern is one literal string without assertions: search with memmem only.
    let pureLiteral: LiteralSearcher?
    /// Bounded backtracker for capture spans on small regions.
    let backtracker: Backtracker
    /// Whether every match starts with a literal (found with memmem): firstMatch then backtracks
    /// directly from each literal hit instead of running the lazy DFA first.
    let literalPrefix: Bool
    let pool: ScratchPool
    /// `captureCount + 1` nils, copied for each match.
    let spanTemplate: [Range<Int>?]

    /// Compiles `pattern`. Throws `RegexError` for syntax errors, unsupported constructs and
    /// programs larger than the size limit.
    public init(_ pattern: String, options: RegexOptions = []) throws {
        self.pattern = pattern
        let parsed = try Parser.parse(pattern, options: options)
        let prog = try Compiler.compile(parsed)
        program = prog
        names = parsed.captureNames
        literals = Literals.required(parsed.root)
        // memmem per literal: only worth it as a quick reject for small sets.
        if let l = literals, l.count <= 4 { rejectLiterals = l.map(LiteralSearcher.init) } else { rejectLiterals = nil }

        var pure: LiteralSearcher? = nil
        if parsed.captureNames.isEmpty, !prog.hasAssertions,
           let e = Literals.exact(parsed.root), e.count == 1, !e[0].isEmpty {
            pure = LiteralSearcher(e[0])
        }
        pureLiteral = pure

        let prefix = Literals.prefix(parsed.root)
        let prefilter: StartPrefilter
        if prog.anchoredStart {
            prefilter = .none
        } else if prog.unanchoredStart != nil {
            // A match could begin inside a character: candidates are unit boundaries only.
            prefilter = StartPrefilter.none.onUnitBoundaries(prog)
        } else if !prefix.isEmpty {
            prefilter = .prefix(LiteralSearcher(prefix))
        } else if let fb = prog.firstBytes, !fb.isFull, fb.count <= 200 {
            prefilter = .firstByte(fb)
        } else {
            prefilter = .none
        }
        vm = PikeVM(prog: prog, prefilter: prefilter)
        dfa = prog.hasAssertions ? nil : LazyDFA(prog: prog, prefilter: prefilter)
        backtracker = Backtracker(prog: prog, prefilter: prefilter)
        if case .prefix = prefilter { literalPrefix = true } else { literalPrefix = false }
        pool = ScratchPool(program: prog, withDFA: dfa != nil)
        spanTemplate = [Range<Int>?](repeating: nil, count: parsed.captureNames.count + 1)
    }

    /// Number of capture groups, excluding group 0.
    public var captureCount: Int { names.count }

    /// Index `i` holds the name of group `i + 1`, or nil for unnamed groups.
    public var captureNames: [String?] { names }

    /// Literal byte strings, at least one of which every match must contain, or nil when none can be
    /// derived (e.g. `\d+`). `/Max Memory Used: (\d+)/` gives `["Max Memory Used: "]`.
    public var requiredLiterals: [[UInt8]]? { literals }

    /// Quick rejection: false when no required literal occurs in `h[from..<n]`.
    @inline(__always)
    private func mayMatch(_ h: UnsafePointer<UInt8>, _ n: Int, from: Int) -> Bool {
        guard let lits = rejectLiterals else { return true }
        for l in lits where l.find(h, n, from: from) != nil { return true }
        return false
    }

    /// Whether the pattern matches anywhere in `haystack`.
    public func isMatch(_ haystack: UnsafeRawBufferPointer) -> Bool {
        let n = haystack.count
        guard let base = haystack.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return withEmptyHaystack { isMatch($0) }
        }
        if let lit = pureLiteral { return lit.find(base, n, from: 0) != nil }
        // Short haystack with a literal prefix: backtracking from the literal hits touches only
        // the bytes of the match, where the DFA would run from the hit to the first match state.
        let direct = literalPrefix && n <= ByteRegex.directBacktrackMaxLength && backtracker.fits(n)
        if !direct && !mayMatch(base, n, from: 0) { return false }
        let scratch = pool.get()
        defer { pool.put(scratch) }
        if direct {
            return backtracker.search(base, n, start: 0, limit: n, scratch: scratch.bt)
        }
        if let dfa, let cache = scratch.dfa {
            switch dfa.find(base, n, start: 0, anchored: false, earliest: true, cache: cache) {
            case .match: return true
            case .noMatch: return false
            case .gaveUp: break
            }
        } else if backtracker.fits(n) {
            return backtracker.search(base, n, start: 0, limit: n, scratch: scratch.bt)
        }
        return vm.search(base, n, start: 0, earliest: true, scratch: scratch.pike)
    }

    /// The leftmost-first match in `haystack`, with capture spans.
    public func firstMatch(_ haystack: UnsafeRawBufferPointer) -> RegexMatch? {
        firstMatch(haystack, from: 0)
    }

    /// The leftmost-first match starting at or after byte offset `start`. Assertions (`^`, `\b`, ...)
    /// still see the bytes before `start`.
    public func firstMatch(_ haystack: UnsafeRawBufferPointer, from start: Int) -> RegexMatch? {
        firstMatch(haystack, from: start, engine: .automatic)
    }

    /// Longest haystack on which firstMatch backtracks from literal-prefix hits without a DFA pass.
    static let directBacktrackMaxLength = 2048

    /// Which engine computes capture spans; tests force each one to compare them.
    enum CaptureEngine {
        /// Backtracker when the region fits its budget, else PikeVM (the public behaviour).
        case automatic
        /// Lazy DFA narrowing (when available), then the PikeVM over the region.
        case pike
        /// The PikeVM over the whole haystack.
        case pikeWhole
        /// Lazy DFA narrowing (when available), then the backtracker over the region.
        case backtrack
        /// The backtracker over the whole haystack (no DFA) when it fits, else like `.backtrack`.
        case backtrackWhole
    }

    func firstMatch(_ haystack: UnsafeRawBufferPointer, from start: Int, engine: CaptureEngine) -> RegexMatch? {
        let n = haystack.count
        guard start >= 0, start <= n else { return nil }
        guard let base = haystack.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return withEmptyHaystack { firstMatch($0, from: 0, engine: engine) }
        }
        if let lit = pureLiteral, engine == .automatic {
            guard let p = lit.find(base, n, from: start) else { return nil }
            var spans = spanTemplate
            spans[0] = p..<(p + lit.count)
            return RegexMatch(spans: spans)
        }
        let direct: Bool
        switch engine {
        case .automatic:
            // On a short haystack (a log line) with a literal prefix, candidate starts are cheap to
            // find, so the backtracker runs right from each hit (typically touching only the ~40
            // bytes of the match) with no DFA pass. On long haystacks the DFA goes first: it rejects
            // failing text at a few ns per byte, where failing backtracking can cost far more.
            // Without a DFA (assertions) there is nothing better to narrow the region with.
            direct = ((literalPrefix && n - start <= ByteRegex.directBacktrackMaxLength) || dfa == nil)
                && backtracker.fits(n - start)
        case .backtrackWhole: direct = backtracker.fits(n - start)
        case .pike, .backtrack, .pikeWhole: direct = false
        }
        // Quick reject by required literals; the direct path with a literal prefix has its own
        // literal search (a second one would cost as much as the backtracking it might save).
        if !(direct && literalPrefix) && !mayMatch(base, n, from: start) { return nil }
        let scratch = pool.get()
        defer { pool.put(scratch) }
        let bt = scratch.bt
        if direct {
            guard backtracker.search(base, n, start: start, limit: n, scratch: bt) else { return nil }
            return makeMatch(bt.slots)
        }
        if engine == .pikeWhole {
            guard vm.search(base, n, start: start, earliest: false, scratch: scratch.pike) else { return nil }
            return makeMatch(scratch.pike.best)
        }
        var from = start
        var end = n
        if let dfa, let cache = scratch.dfa {
            switch dfa.find(base, n, start: start, anchored: false, earliest: false, cache: cache) {
            case .match(let e, let runStart):
                // Captures only over the region known to contain the match.
                from = runStart
                end = e
            case .noMatch: return nil
            case .gaveUp: break
            }
        }
        if engine != .pike && backtracker.fits(end - from) {
            guard backtracker.search(base, n, start: from, limit: end, scratch: bt) else { return nil }
            return makeMatch(bt.slots)
        }
        guard vm.search(base, n, start: from, end: end, earliest: false, scratch: scratch.pike) else { return nil }
        return makeMatch(scratch.pike.best)
    }

    @inline(__always)
    private func makeMatch(_ slots: UnsafeMutablePointer<Int>) -> RegexMatch {
        // Copying a prebuilt array (copy-on-write) avoids a generic-metadata lookup that creating a
        // fresh `[Range<Int>?]` costs on every call.
        var spans = spanTemplate
        spans.withUnsafeMutableBufferPointer { buf in
            for g in buf.indices {
                let a = slots[2 * g], b = slots[2 * g + 1]
                buf[g] = a >= 0 && b >= a ? a..<b : nil
            }
        }
        return RegexMatch(spans: spans)
    }

    private func withEmptyHaystack<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        var zero: UInt8 = 0
        return withUnsafeMutablePointer(to: &zero) { p in
            body(UnsafeRawBufferPointer(start: UnsafeRawPointer(p), count: 0))
        }
    }

    /// Convenience for tests: matches the UTF-8 bytes of `s`.
    public func isMatch(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { isMatch(UnsafeRawBufferPointer($0)) }
    }

    /// Convenience for tests: spans are UTF-8 byte offsets into `s`.
    public func firstMatch(_ s: String) -> RegexMatch? {
        var s = s
        return s.withUTF8 { firstMatch(UnsafeRawBufferPointer($0)) }
    }
}

/// Per-search mutable state.
final class Scratch {
    let pike: PikeScratch
    let dfa: DFACache?
    let bt: BacktrackScratch
    init(program: Program, withDFA: Bool) {
        pike = PikeScratch(program: program)
        bt = BacktrackScratch(program: program)
        dfa = withDFA ? DFACache(program: program) : nil
    }
}

/// A small lock-protected free list of scratch objects, so concurrent searches on one regex
/// never share mutable state and sequential searches do not allocate. Raw storage and a pthread
/// mutex keep get/put at a few nanoseconds (no array bookkeeping or exclusivity checks).
final class ScratchPool: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let slots: UnsafeMutablePointer<Unmanaged<Scratch>>
    /// Number of pooled objects; only accessed with `mutex` held.
    private let count: UnsafeMutablePointer<Int>
    private let program: Program
    private let withDFA: Bool
    private static let maxPooled = 16

    init(program: Program, withDFA: Bool) {
        self.program = program
        self.withDFA = withDFA
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        slots = .allocate(capacity: ScratchPool.maxPooled)
        count = .allocate(capacity: 1)
        count.initialize(to: 0)
    }

    deinit {
        for i in 0..<count.pointee { slots[i].release() }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        slots.deallocate()
        count.deallocate()
    }

    @inline(__always)
    func get() -> Scratch {
        pthread_mutex_lock(mutex)
        let c = count.pointee
        if c > 0 {
            count.pointee = c - 1
            let s = slots[c - 1]
            pthread_mutex_unlock(mutex)
            return s.takeRetainedValue()
        }
        pthread_mutex_unlock(mutex)
        return Scratch(program: program, withDFA: withDFA)
    }

    @inline(__always)
    func put(_ s: Scratch) {
        pthread_mutex_lock(mutex)
        let c = count.pointee
        if c < ScratchPool.maxPooled {
            slots[c] = Unmanaged.passRetained(s)
            count.pointee = c + 1
        }
        pthread_mutex_unlock(mutex)
    }
}
