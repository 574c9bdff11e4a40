import LogmillPatterns
import LogmillRecords
import LogmillScan
import LogmillSources
import LogmillTime

/// Applies per-row operations; shared by the record phase and the table phase.
enum RowOps {
    /// Returns false when the row is filtered out.
    @inline(__always) static func apply(_ op: RowOp, _ ctx: EvalContext) -> Bool {
        switch op {
        case .filter(let e):
            return ctx.truth(e)
        case .assign(let items):
            for (slot, e) in items { ctx.slots[slot] = ctx.eval(e) }
            return true
        case .parse(let source, let regex, let slots):
            let v = ctx.eval(source)
            switch v {
            case .bytes(let b):
                let m = regex.firstMatch(b)
                for (i, slot) in slots.enumerated() {
                    guard let slot else { continue }
                    if let span = m?.spans[i + 1] { ctx.slots[slot] = .bytes(UnsafeRawBufferPointer(rebasing: b[span])) } else { ctx.slots[slot] = .null }
                }
            case .null:
                for slot in slots { if let slot { ctx.slots[slot] = .null } }
            default:
                let owned: [Value?] = v.withText { b -> [Value?] in
                    let m = regex.firstMatch(b)
                    return slots.indices.map { i in m?.spans[i + 1].map { .string(String(decoding: UnsafeRawBufferPointer(rebasing: b[$0]), as: UTF8.self)) } }
                } ?? []
                for (i, slot) in slots.enumerated() { if let slot { ctx.slots[slot] = i < owned.count ? (owned[i] ?? .null) : .null } }
            }
            return true
        case .lookup(let keys, let table, let slots):
            var parts: [String] = []
            for k in keys {
                guard let t = ctx.eval(k).text else {
                    for s in slots { ctx.slots[s] = .null }
                    return true
                }
                parts.append(t)
            }
            if let values = table.match(parts.joined(separator: "\u{1f}")) {
                for (s, v) in zip(slots, values) { ctx.slots[s] = .string(v) }
            } else {
                for s in slots { ctx.slots[s] = .null }
            }
            return true
        case .metricFilter(let filter, let valueSlot, let dimensionSlots):
            // Metric filters read the event's message, as CloudWatch applies them to each event.
            guard ctx.hasRecord, let seen = filter.observe(ctx.record.message), seen.dimensions.count == dimensionSlots.count else { return false }
            ctx.slots[valueSlot] = .number(seen.value)
            for (k, slot) in dimensionSlots.enumerated() { ctx.slots[slot] = .string(seen.dimensions[k].value) }
            return true
        case .source(let prefixes, let exact):
            guard let found = ctx.system(.log).withText({ log -> Bool in
                for p in prefixes where log.count >= p.count && p.withUnsafeBytes({ Bytes.equal(UnsafeRawBufferPointer(rebasing: log[0..<p.count]), $0) }) { return true }
                for e in exact where e.withUnsafeBytes({ Bytes.equal(log, $0) }) { return true }
                return false
            }) else { return false }
            return found
        }
    }
}

/// Runs the commands after the first stats/sort/limit/dedup over owned rows.
struct TablePhase {
    let plan: QueryPlan
    let now: Double
    var window: (Int64?, Int64?) = (nil, nil)

    /// Runs the commands after a `stats` on its groups. A `sort` right after it orders the groups
    /// itself (their natural order only breaks its ties), so they are not sorted twice, and
    /// `sort … | limit N` keeps the first N groups in a heap instead of sorting them all.
    func run(_ ops: ArraySlice<TableOp>, groups: GroupTable) -> [Row] {
        guard case .sort(let keys) = ops.first else { return run(ops, groups.rows(now: now)) }
        let ctx = context()
        let order = GroupOrder(descending: keys.map(\.descending), width: groups.plan.groups.count)
        if case .limit(let n) = ops.dropFirst().first {
            return run(ops.dropFirst(2), groups.top(keys, order: order, limit: n, now: now, keyContext: ctx))
        }
        var keyed = groups.rows(now: now, naturalOrder: false).map { KeyedRow(keys: TablePhase.sortKeys($0, keys, ctx), row: $0) }
        keyed.sort(by: order.before)
        return run(ops.dropFirst(), keyed.map(\.row))
    }

    /// The values of `keys` for a row.
    static func sortKeys(_ r: Row, _ keys: [(expr: CExpr, descending: Bool)], _ ctx: EvalContext) -> [Value] {
        ctx.slots = r.values
        return keys.map { ctx.eval($0.expr).owned() }
    }

    /// An evaluation context with the query's window.
    private func context() -> EvalContext {
        let ctx = EvalContext(slotCount: 0, now: now)
        ctx.windowStart = window.0
        ctx.windowEnd = window.1
        return ctx
    }

    func run(_ ops: ArraySlice<TableOp>, _ input: [Row]) -> [Row] {
        var rows = input
        let ctx = context()
        for (position, op) in zip(ops.indices, ops) {
            switch op {
            case .widen(let width):
                for i in rows.indices where rows[i].values.count < width {
                    rows[i].values += [Value](repeating: .null, count: width - rows[i].values.count)
                }
            case .row(let rowOp):
                var kept: [Row] = []
                kept.reserveCapacity(rows.count)
                for var r in rows {
                    ctx.slots = r.values
                    if RowOps.apply(rowOp, ctx) {
                        r.values = ctx.slots.map { $0.owned() }
                        kept.append(r)
                    }
                }
                rows = kept
            case .sort(let keys):
                var keyed = rows.map { KeyedRow(keys: TablePhase.sortKeys($0, keys, ctx), row: $0) }
                keyed.sort { a, b in
                    for (k, key) in keys.enumerated() {
                        let c = NaturalOrder.compare(a.keys[k], b.keys[k])
                        if c != 0 { return key.descending ? c > 0 : c < 0 }
                    }
                    return false
                }
                rows = keyed.map(\.row)
            case .limit(let n):
                if rows.count > n { rows.removeSubrange(n...) }
            case .dedup(let keys):
                // The same equality as `stats … by` groups (`GroupTable.encode`).
                var seen = Set<[UInt8]>()
                rows = rows.filter { r in
                    ctx.slots = r.values
                    var key: [UInt8] = []
                    for k in keys {
                        let v = ctx.eval(k)
                        if v.isNull { return true }   // rows with a null key are never duplicates
                        GroupTable.encode(v, into: &key)
                    }
                    return seen.insert(key).inserted
                }
            case .unnest(let e, let column):
                var out: [Row] = []
                for r in rows {
                    ctx.slots = r.values
                    let v = ctx.eval(e)
                    func emit(_ item: Value) {
                        var copy = r
                        copy.values[column] = item.owned()
                        out.append(copy)
                    }
                    if case .structure(.array(let items)) = v {
                        for item in items { emit(item.value) }   // an empty list gives no rows
                    } else {
                        emit(v)                                   // a map or scalar is a list of one; null gives one row
                    }
                }
                rows = out
            case .pattern(let e):
                var clusterer = PatternClusterer()
                for r in rows {
                    ctx.slots = r.values
                    if let t = ctx.eval(e).text { clusterer.add(t) }
                }
                rows = clusterer.clusters.enumerated().map { i, c in
                    Row(values: [.string(c.tokens.joined(separator: " ")), .number(Double(c.count) / Double(max(1, clusterer.total))), .int(Int64(c.count))],
                        timestamp: 0, sequence: UInt64(i))
                }
                rows.sort { $0.values[2].number! > $1.values[2].number! || ($0.values[2].number! == $1.values[2].number! && $0.sequence < $1.sequence) }
            case .stats(let sp):
                let table = GroupTable(plan: sp)
                for r in rows {
                    ctx.slots = r.values
                    table.add(ctx, timestamp: r.timestamp)
                }
                return run(ops[(position + 1)...], groups: table)
            }
        }
        return rows
    }
}
