import LogmillTime
import LogmillRecords
/// Groups and their accumulators for one `stats`.
/// A group is its key's bytes (`encode`) in one arena, found through an open-addressing index,
/// and its aggregate states in `GroupStates`: a few words per group, no objects for the common aggregates.
/// A table is only ever used by one thread at a time, so its per-record state skips the dynamic
/// exclusivity checks.
final class GroupTable {
    /// Keeps other workers' objects off this one's cache lines (see `CacheLinePad`).
    private let padHead = CacheLinePad()
    let plan: StatsPlan
    /// Every group's encoded key, one after another: group g's is `keyBytes[keyStarts[g]..<keyStarts[g + 1]]`.
    @exclusivity(unchecked) private var keyBytes: [UInt8] = []
    @exclusivity(unchecked) private var keyStarts: [Int] = [0]
    /// The keys their bytes do not give back as shown (numbers, Booleans, structures), by group.
    @exclusivity(unchecked) private var shownKeys: [Int: [Value]] = [:]
    /// The groups found by their bytes (all but those of `timeIndex`): open addressing, each entry
    /// the key's 32-bit hash and the group + 1 (0: empty).
    @exclusivity(unchecked) private var index: [UInt64] = []
    @exclusivity(unchecked) private var indexed = 0
    @exclusivity(unchecked) private var states: GroupStates
    /// Where decoded states wait to be merged.
    private var decoded: GroupStates
    @exclusivity(unchecked) private var scratch: [UInt8] = []
    /// The previous row's group: consecutive log lines usually fall in the same group.
    @exclusivity(unchecked) private var lastGroup = -1
    /// Fast path for the common `by bin(…)` alone: groups by bucket start.
    @exclusivity(unchecked) private var timeIndex: [Int64: Int] = [:]
    @exclusivity(unchecked) private var lastTime = Int64.min

    /// `by bin(period)` alone: the bucket comes straight from the record's time.
    private let binOnly: Period?
    /// How each aggregate's argument is read.
    private let arguments: [ArgumentReader]
    /// The bucket of the previous row's time, `lastTime ..< lastTimeEnd`, so rows in it skip the division.
    @exclusivity(unchecked) private var lastTimeEnd = Int64.min

    /// Ends the object too, so its last fields never share a cache line with what is allocated after it.
    private let padTail = CacheLinePad()

    init(plan: StatsPlan) {
        self.plan = plan
        if plan.groups.count == 1, case .bin(let p) = plan.groups[0] { binOnly = p } else { binOnly = nil }
        arguments = plan.specs.map { ArgumentReader($0.argument) }
        states = GroupStates(specs: plan.specs)
        decoded = GroupStates(specs: plan.specs)
        scratch.reserveCapacity(64)
    }

    var count: Int { states.count }

    /// Adds the current row of `ctx` to its group.
    @inline(__always) func add(_ ctx: EvalContext, timestamp: Int64) {
        if let period = binOnly, ctx.hasRecord, ctx.record.timestamp != Record.absent {
            let time = ctx.record.timestamp
            if time >= lastTime && time < lastTimeEnd {
                accumulate(lastGroup, ctx, timestamp)
                return
            }
            let t = period.floor(time)
            let gi: Int
            if t == lastTime {
                gi = lastGroup
            } else if let found = timeIndex[t] {
                gi = found
            } else {
                scratch.removeAll(keepingCapacity: true)
                GroupTable.encode(.timestamp(t), into: &scratch)
                gi = newGroup(shown: nil)
                timeIndex[t] = gi
            }
            lastTime = t
            // Empty when the bin's start saturated (Int64.min is then not its start) or its end would.
            lastTimeEnd = t == Int64.min ? t : (period.fixedMilliseconds.map { t &+ $0 > t ? t &+ $0 : t } ?? t)
            lastGroup = gi
            accumulate(gi, ctx, timestamp)
            return
        }
        lastTime = Int64.min
        lastTimeEnd = Int64.min
        scratch.removeAll(keepingCapacity: true)
        for g in plan.groups { GroupTable.encode(ctx.eval(g), into: &scratch) }
        let gi: Int
        if lastGroup >= 0 && keyEquals(lastGroup, scratch) {
            gi = lastGroup
        } else {
            let h = GroupTable.hash(scratch)
            if let found = find(scratch, h) {
                gi = found
            } else {
                // Most keys are text or times, which their bytes give back: no values kept.
                let plain = plan.groups.allSatisfy { GroupTable.isPlain(ctx.eval($0)) }
                gi = newGroup(shown: plain ? nil : plan.groups.map { GroupTable.shown(ctx.eval($0).owned()) })
                insert(gi, h)
            }
        }
        lastGroup = gi
        accumulate(gi, ctx, timestamp)
    }

    /// A group for the key in `scratch`, with empty states (or `from` another's group's states).
    private func newGroup(shown: [Value]?, from other: (GroupStates, Int)? = nil) -> Int {
        let gi = count
        keyBytes.append(contentsOf: scratch)
        keyStarts.append(keyBytes.count)
        if let shown { shownKeys[gi] = shown }
        if let (o, og) = other { states.append(o, og) } else { states.append() }
        return gi
    }

    @inline(__always) private func accumulate(_ gi: Int, _ ctx: EvalContext, _ timestamp: Int64) {
        for a in 0..<arguments.count {
            switch arguments[a] {
            case .none: states.addNumber(gi, a, nil, timestamp: timestamp)
            case .lambdaNumber(let k): states.addNumber(gi, a, ctx.lambdaNumber(k), timestamp: timestamp)
            case .expression(let e): states.add(gi, a, ctx.eval(e), timestamp: timestamp)
            }
        }
    }

    // MARK: keys

    /// Whether a key value is given back exactly by its bytes: null, a time, or text that is not a number.
    static func isPlain(_ v: Value) -> Bool {
        switch v {
        case .null, .timestamp: return true
        case .string, .bytes: return v.keyNumber == nil
        default: return false
        }
    }

    /// Group `gi`'s key values as shown.
    func key(_ gi: Int) -> [Value] {
        if let shown = shownKeys[gi] { return shown }
        var out: [Value] = []
        out.reserveCapacity(plan.groups.count)
        keyBytes.withUnsafeBytes { appendKey(gi, $0, to: &out, borrowing: false) }
        return out
    }

    /// Appends group `gi`'s key values; with `borrowing`, text points into `arena` (the key bytes),
    /// valid while the table is not changed.
    private func appendKey(_ gi: Int, _ arena: UnsafeRawBufferPointer, to out: inout [Value], borrowing: Bool) {
        if let shown = shownKeys[gi] { return out.append(contentsOf: shown) }
        var i = keyStarts[gi]
        while i < keyStarts[gi + 1] {
            switch arena[i] {
            case 0: out.append(.null); i += 1
            case 1: out.append(.timestamp(arena.loadUnaligned(fromByteOffset: i + 1, as: Int64.self))); i += 9
            default:
                let n = Int(arena.loadUnaligned(fromByteOffset: i + 1, as: UInt32.self))
                let text = UnsafeRawBufferPointer(rebasing: arena[(i + 5)..<(i + 5 + n)])
                out.append(borrowing ? .bytes(text) : .string(String(decoding: text, as: UTF8.self)))
                i += 5 + n
            }
        }
    }

    @inline(__always) private func keyEquals(_ gi: Int, _ bytes: [UInt8]) -> Bool {
        let s = keyStarts[gi], e = keyStarts[gi + 1]
        guard e - s == bytes.count else { return false }
        return keyBytes.withUnsafeBytes { all in bytes.withUnsafeBytes { Bytes.equal(UnsafeRawBufferPointer(rebasing: all[s..<e]), $0) } }
    }

    @inline(__always) static func hash(_ bytes: [UInt8]) -> UInt32 {
        var h = Hasher()
        bytes.withUnsafeBytes { h.combine(bytes: $0) }
        return UInt32(truncatingIfNeeded: h.finalize())
    }

    private func find(_ bytes: [UInt8], _ h: UInt32) -> Int? {
        if index.isEmpty { return nil }
        let mask = index.count - 1
        var i = Int(h) & mask
        while true {
            let e = index[i]
            if e == 0 { return nil }
            if UInt32(truncatingIfNeeded: e >> 32) == h, keyEquals(Int(e & 0xffff_ffff) - 1, bytes) { return Int(e & 0xffff_ffff) - 1 }
            i = (i + 1) & mask
        }
    }

    private func insert(_ gi: Int, _ h: UInt32) {
        if (indexed + 1) * 4 > index.count * 3 {
            let old = index
            index = [UInt64](repeating: 0, count: max(16, index.count * 2))
            for e in old where e != 0 { place(e) }
        }
        place(UInt64(h) << 32 | UInt64(gi + 1))
        indexed += 1
    }

    @inline(__always) private func place(_ entry: UInt64) {
        let mask = index.count - 1
        var i = Int(truncatingIfNeeded: entry >> 32) & mask
        while index[i] != 0 { i = (i + 1) & mask }
        index[i] = entry
    }

    // MARK: merging and bytes

    /// Folds another table's groups into this one. `other` is consumed: its accumulators may be taken over.
    func merge(_ other: GroupTable) {
        for og in 0..<other.count {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: other.keyBytes[other.keyStarts[og]..<other.keyStarts[og + 1]])
            mergeGroup(shown: other.shownKeys[og], other.states, og)
        }
    }

    /// Folds group `og` of `states` into the group of the key in `scratch` (shown as `shown` when its bytes cannot tell).
    private func mergeGroup(shown: [Value]?, _ from: GroupStates, _ og: Int) {
        lastGroup = -1
        lastTime = Int64.min
        lastTimeEnd = Int64.min
        // A key that is one time: `timeIndex` holds it when the group is a `bin`.
        let time: Int64? = scratch.count == 9 && scratch[0] == 1 ? scratch.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 1, as: Int64.self) } : nil
        if let t = time, let mine = timeIndex[t] {
            states.merge(mine, from, og)
            return
        }
        let h = GroupTable.hash(scratch)
        if let mine = find(scratch, h) {
            states.merge(mine, from, og)
        } else {
            let gi = newGroup(shown: shown, from: (from, og))
            if let t = time, case .bin = plan.groups[0] { timeIndex[t] = gi } else { insert(gi, h) }
        }
    }

    /// Writes every group's key and aggregate states.
    func encode(into w: inout PartialWriter) {
        w.count(count)
        for gi in 0..<count {
            for v in key(gi) { w.value(v) }
            states.encode(gi, into: &w)
        }
    }

    /// Adds the groups written by `encode` (from a table of the same plan).
    func decode(from r: inout PartialReader) throws {
        let n = try r.count()
        for _ in 0..<n {
            var key: [Value] = []
            for _ in plan.groups { key.append(try r.value()) }
            try decoded.appendDecoded(from: &r)
            scratch.removeAll(keepingCapacity: true)
            for v in key { GroupTable.encode(v, into: &scratch) }
            mergeGroup(shown: key.allSatisfy(GroupTable.isPlain) ? nil : key, decoded, 0)
            decoded.removeLast()
        }
    }

    /// One output row per group (its keys, then the items; its sequence is its first-seen position),
    /// sorted by the group keys (time buckets first, then natural order), or in first-seen order
    /// when a `sort` is about to replace the order.
    func rows(now: Double, naturalOrder: Bool = true) -> [Row] {
        let ctx = EvalContext(slotCount: 0, now: now)
        var out: [Row] = []
        out.reserveCapacity(count)
        for gi in 0..<count { out.append(row(gi, ctx)) }
        if naturalOrder {
            let width = plan.groups.count
            out.sort { a, b in
                for k in 0..<width {
                    let c = NaturalOrder.compare(a.values[k], b.values[k])
                    if c != 0 { return c < 0 }
                }
                return a.sequence < b.sequence
            }
        }
        return out
    }

    /// The first `limit` rows of `rows(now:)` sorted by `keys` (evaluated in `keyContext`), in that order,
    /// made with one heap pass over the groups: a group's row is copied only when it enters the heap.
    func top(_ keys: [(expr: CExpr, descending: Bool)], order: GroupOrder, limit: Int, now: Double, keyContext: EvalContext) -> [Row] {
        let ctx = EvalContext(slotCount: 0, now: now)
        var heap = TopN(order: order, limit: limit)
        keyBytes.withUnsafeBytes { arena in
            for gi in 0..<count {
                fillRow(gi, ctx, borrowing: arena)
                keyContext.slots.removeAll(keepingCapacity: true)
                keyContext.slots.append(contentsOf: ctx.slots)
                let candidate = KeyedRow(keys: keys.map { keyContext.eval($0.expr).owned() },
                                         row: Row(values: keyContext.slots, timestamp: 0, sequence: UInt64(gi)))
                if let worst = heap.worst, heap.isFull, !order.before(candidate, worst) { continue }
                heap.insert(KeyedRow(keys: candidate.keys, row: Row(values: ctx.slots.map { $0.owned() }, timestamp: 0, sequence: UInt64(gi))))
            }
        }
        return heap.sorted().map(\.row)
    }

    /// Group `gi`'s row, its items evaluated in `ctx`.
    @inline(__always) private func row(_ gi: Int, _ ctx: EvalContext) -> Row {
        fillRow(gi, ctx, borrowing: nil)
        return Row(values: ctx.slots, timestamp: 0, sequence: UInt64(gi))
    }

    /// Puts group `gi`'s row in `ctx.slots`: its keys (borrowed from `arena`, the key bytes, when
    /// given), then its items, evaluated on its aggregates' results.
    @inline(__always) private func fillRow(_ gi: Int, _ ctx: EvalContext, borrowing arena: UnsafeRawBufferPointer?) {
        ctx.aggregates.removeAll(keepingCapacity: true)
        for a in plan.specs.indices { ctx.aggregates.append(states.result(gi, a)) }
        ctx.slots.removeAll(keepingCapacity: true)
        if let arena { appendKey(gi, arena, to: &ctx.slots, borrowing: true) } else { ctx.slots.append(contentsOf: key(gi)) }
        for item in plan.items { ctx.slots.append(ctx.eval(item).owned()) }
    }

    /// A group key as shown: the number -0 shows as 0, the group it shares with 0.
    static func shown(_ v: Value) -> Value {
        if case .number(let d) = v, d == 0 { return .number(0) }
        return v
    }

    /// The bytes that decide which values are the same group (and the same `dedup` key): what reads
    /// as a number (`Value.keyNumber`: numbers, and text such as `200`, `01`, `-0`, `1.5e3`) by its
    /// value; other text by its bytes. This is the equality `=` uses, so `stats … by status` puts
    /// JSON `200` and text `"200"` in one group.
    @inline(__always) static func encode(_ v: Value, into out: inout [UInt8]) {
        switch v {
        case .null: out.append(0)
        case .structure(let st):
            out.append(4)
            out.append(contentsOf: Array(st.json.utf8))
        case .timestamp(let t): out.append(1); withUnsafeBytes(of: t) { out.append(contentsOf: $0) }
        default:
            if let d = v.keyNumber {
                out.append(2)
                withUnsafeBytes(of: d) { out.append(contentsOf: $0) }
                return
            }
            out.append(3)
            _ = v.withText { t in
                withUnsafeBytes(of: UInt32(t.count)) { out.append(contentsOf: $0) }
                out.append(contentsOf: t)
            }
        }
    }
}

/// How an aggregate reads its argument for each row: a Lambda REPORT number straight from the
/// record (no `Value` built and no expression walked), or any other expression evaluated.
enum ArgumentReader {
    case none
    case lambdaNumber(LambdaFields.Numeric)
    case expression(CExpr)

    init(_ e: CExpr?) {
        guard let e else { self = .none; return }
        if case .lambda(let f) = e, let k = f.numeric { self = .lambdaNumber(k) } else { self = .expression(e) }
    }
}
