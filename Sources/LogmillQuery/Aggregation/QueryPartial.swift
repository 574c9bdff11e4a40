import LogmillSources
/// The mergeable state of one query over some of its records: the aggregate state of every group
/// for a `stats` query, the rows held so far for one without. Partials of the same plan merge in any
/// order to the state one scan over all their records would have reached, and can be written to bytes
/// and read back, so a window's partial can be stored, restated with late records, or merged across shards.
public final class QueryPartial {
    /// Bumped whenever the byte layout changes; older bytes are refused, never misread.
    public static let formatVersion: UInt8 = 1
    static let magic: [UInt8] = Array("LMQP".utf8)

    let plan: QueryPlan
    // The hot path touches these once per record: no dynamic exclusivity checks (a partial is only
    // ever used by one thread at a time).
    let groups: GroupTable?
    @exclusivity(unchecked) var top: TopRows?
    @exclusivity(unchecked) var all: [Row] = []
    private let collectColumns: [CExpr]
    /// Records that reached this partial (those that passed the per-record phase).
    @exclusivity(unchecked) public internal(set) var records = 0

    init(plan: QueryPlan) {
        self.plan = plan
        switch plan.boundary {
        case .stats(let sp):
            groups = GroupTable(plan: sp)
            collectColumns = []
        case .collect(let columns, _, let order, let limit):
            groups = nil
            collectColumns = columns
            if let limit { top = TopRows(order: RowOrder(keys: order), limit: limit) }
        }
    }

    /// Whether nothing was added.
    public var isEmpty: Bool { records == 0 }

    /// Adds the current record of `ctx` (after the per-record phase).
    @inline(__always) func add(_ ctx: EvalContext, timestamp: Int64, sequence: UInt64) {
        records += 1
        if let groups {
            groups.add(ctx, timestamp: timestamp)
            return
        }
        let row = Row(values: collectColumns.map { ctx.eval($0).owned() }, timestamp: timestamp, sequence: sequence)
        if top != nil { top!.insert(row) } else { all.append(row) }
    }

    /// Folds `other` (a partial of the same plan) into this one. `other` is consumed.
    public func merge(_ other: QueryPartial) {
        assert(other.plan.signature == plan.signature, "partials of different queries cannot be merged")
        records += other.records
        if let groups, let theirs = other.groups {
            groups.merge(theirs)
        } else if top != nil {
            for r in other.top!.heap { top!.insert(r) }
        } else {
            all += other.all
        }
    }

    /// The rows of a partial without groups, in the order the table phase expects (groups go to
    /// `TablePhase.run(_:groups:)`).
    func boundaryRows() -> [Row] {
        if let top { return top.sorted() }
        guard case .collect(_, _, let order, _) = plan.boundary else { return all }
        return all.sorted(by: RowOrder(keys: order).before)
    }

    /// The partial as bytes: a header (magic, format version, the plan's signature) and the state.
    public func encoded() -> [UInt8] {
        var w = PartialWriter()
        w.bytes = QueryPartial.magic
        w.u8(QueryPartial.formatVersion)
        w.uint(plan.signature)
        w.count(records)
        if let groups {
            w.u8(0)
            groups.encode(into: &w)
        } else {
            let rows = top?.heap ?? all
            w.u8(1)
            w.count(rows.count)
            for r in rows { r.encode(into: &w) }
        }
        return w.bytes
    }

    /// Reads bytes written by `encoded()` for the same plan; anything else is refused with a reason.
    convenience init(plan: QueryPlan, bytes: [UInt8]) throws {
        self.init(plan: plan)
        var r = PartialReader(bytes)
        guard bytes.count >= 5, Array(bytes[0..<4]) == QueryPartial.magic else { throw PartialFormatError(message: "not a logmill partial") }
        r.position = 4
        let version = try r.u8()
        guard version == QueryPartial.formatVersion else {
            throw PartialFormatError(message: "format version \(version); this logmill reads version \(QueryPartial.formatVersion)")
        }
        guard try r.uint() == plan.signature else { throw PartialFormatError(message: "written for another query") }
        records = try r.count()
        let kind = try r.u8()
        if let groups {
            guard kind == 0 else { throw PartialFormatError(message: "holds rows, not groups") }
            try groups.decode(from: &r)
        } else {
            guard kind == 1 else { throw PartialFormatError(message: "holds groups, not rows") }
            for _ in 0..<(try r.count()) {
                let row = try Row(from: &r)
                if top != nil { top!.insert(row) } else { all.append(row) }
            }
        }
        guard r.atEnd else { throw PartialFormatError(message: "\(bytes.count - r.position) unexpected trailing bytes") }
    }
}

extension QueryPlan {
    /// A 64-bit FNV-1a hash of the parsed query, so a partial is only ever read by the query that wrote it.
    static func signature(of query: Query) -> UInt64 {
        FNV1a.hash(String(describing: query).utf8)
    }
}
