import LogmillTime
import LogmillRecords
/// Groups and their accumulators for one `stats`.
/// A table is only ever used by one thread at a time, so its per-record state skips the dynamic
/// exclusivity checks.
final class GroupTable {
    let plan: StatsPlan
    @exclusivity(unchecked) private var index: [[UInt8]: Int] = [:]
    @exclusivity(unchecked) private(set) var keys: [[Value]] = []
    @exclusivity(unchecked) private(set) var accumulators: [[Accumulator]] = []
    @exclusivity(unchecked) private var scratch: [UInt8] = []
    /// The previous row's key and group: consecutive log lines usually fall in the same bucket.
    @exclusivity(unchecked) private var lastKey: [UInt8] = []
    @exclusivity(unchecked) private var lastGroup = -1
    /// Fast path for the common `by bin(…)` alone: groups by bucket start.
    @exclusivity(unchecked) private var timeIndex: [Int64: Int] = [:]
    @exclusivity(unchecked) private var lastTime = Int64.min

    /// `by bin(period)` alone: the bucket comes straight from the record's time.
    private let binOnly: Period?
    /// Each aggregate's argument, unpacked once.
    private let arguments: [CExpr?]

    init(plan: StatsPlan) {
        self.plan = plan
        if plan.groups.count == 1, case .bin(let p) = plan.groups[0] { binOnly = p } else { binOnly = nil }
        arguments = plan.specs.map(\.argument)
        scratch.reserveCapacity(64)
    }

    var count: Int { keys.count }

    /// Adds the current row of `ctx` to its group.
    @inline(__always) func add(_ ctx: EvalContext, timestamp: Int64) {
        if let period = binOnly, ctx.hasRecord, ctx.record.timestamp != Record.absent {
            let t = period.floor(ctx.record.timestamp)
            let gi: Int
            if t == lastTime {
                gi = lastGroup
            } else if let found = timeIndex[t] {
                gi = found
            } else {
                gi = newGroup([.timestamp(t)])
                timeIndex[t] = gi
            }
            lastTime = t
            lastGroup = gi
            accumulate(gi, ctx, timestamp)
            return
        }
        lastTime = Int64.min
        scratch.removeAll(keepingCapacity: true)
        for g in plan.groups { GroupTable.encode(ctx.eval(g), into: &scratch) }
        let gi: Int
        if lastGroup >= 0 && scratch == lastKey {
            gi = lastGroup
        } else if let found = index[scratch] {
            gi = found
        } else {
            gi = newGroup(plan.groups.map { GroupTable.shown(ctx.eval($0).owned()) })
            index[scratch] = gi
        }
        if gi != lastGroup {
            lastGroup = gi
            lastKey.removeAll(keepingCapacity: true)
            lastKey.append(contentsOf: scratch)
        }
        accumulate(gi, ctx, timestamp)
    }

    private func newGroup(_ key: [Value]) -> Int {
        keys.append(key)
        accumulators.append(plan.specs.map { $0.makeAccumulator() })
        return keys.count - 1
    }

    @inline(__always) private func accumulate(_ gi: Int, _ ctx: EvalContext, _ timestamp: Int64) {
        let accs = accumulators[gi]
        for a in 0..<arguments.count {
            if let arg = arguments[a] { accs[a].add(ctx.eval(arg), timestamp: timestamp) } else { accs[a].add(.null, timestamp: timestamp) }
        }
    }

    /// Folds another table's groups into this one. `other` is consumed: its accumulators may be taken over.
    func merge(_ other: GroupTable) {
        for (gi, key) in other.keys.enumerated() { mergeGroup(key, other.accumulators[gi]) }
    }

    private func mergeGroup(_ key: [Value], _ accs: [Accumulator]) {
        lastGroup = -1
        lastTime = Int64.min
        if key.count == 1, case .timestamp(let t) = key[0], let mine = timeIndex[t] {
            for (a, acc) in accumulators[mine].enumerated() { acc.merge(accs[a]) }
            return
        }
        scratch.removeAll(keepingCapacity: true)
        for v in key { GroupTable.encode(v, into: &scratch) }
        if let mine = index[scratch] {
            for (a, acc) in accumulators[mine].enumerated() { acc.merge(accs[a]) }
        } else {
            if key.count == 1, case .timestamp(let t) = key[0], case .bin = plan.groups[0] { timeIndex[t] = keys.count } else { index[scratch] = keys.count }
            keys.append(key)
            accumulators.append(accs)
        }
    }

    /// Writes every group's key and aggregate states.
    func encode(into w: inout PartialWriter) {
        w.count(keys.count)
        for (gi, key) in keys.enumerated() {
            for v in key { w.value(v) }
            for acc in accumulators[gi] { acc.encode(into: &w) }
        }
    }

    /// Adds the groups written by `encode` (from a table of the same plan).
    func decode(from r: inout PartialReader) throws {
        let n = try r.count()
        for _ in 0..<n {
            var key: [Value] = []
            for _ in plan.groups { key.append(try r.value()) }
            let accs = plan.specs.map { $0.makeAccumulator() }
            for acc in accs { try acc.decode(from: &r) }
            mergeGroup(key, accs)
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
    /// made with one heap pass over the groups: only rows that enter the heap are kept.
    func top(_ keys: [(expr: CExpr, descending: Bool)], order: GroupOrder, limit: Int, now: Double, keyContext: EvalContext) -> [Row] {
        let ctx = EvalContext(slotCount: 0, now: now)
        var heap = TopN(order: order, limit: limit)
        for gi in 0..<count {
            let r = row(gi, ctx)
            heap.insert(KeyedRow(keys: TablePhase.sortKeys(r, keys, keyContext), row: r))
        }
        return heap.sorted().map(\.row)
    }

    /// Group `gi`'s row, its items evaluated in `ctx`.
    @inline(__always) private func row(_ gi: Int, _ ctx: EvalContext) -> Row {
        ctx.aggregates = accumulators[gi].map { $0.result() }
        ctx.slots = keys[gi]
        for item in plan.items { ctx.slots.append(ctx.eval(item).owned()) }
        return Row(values: ctx.slots, timestamp: 0, sequence: UInt64(gi))
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
