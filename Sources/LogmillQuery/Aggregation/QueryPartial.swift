import LogmillRecords
import LogmillSources
/// The mergeable state of one query over some of its records: the aggregate state of every group
/// for a `stats` query, the rows held so far for one without. Partials of the same plan merge in any
/// order to the state one scan over all their records would have reached, and can be written to bytes
/// and read back, so a window's partial can be stored, restated with late records, or merged across shards.
public final class QueryPartial {
    /// Keeps other workers' objects off this one's cache lines (see `CacheLinePad`).
    private let padHead = CacheLinePad()
    /// Bumped whenever the byte layout changes; older bytes are refused, never misread.
    /// Version 2 added sample lines; version 1 bytes (none) are still read.
    public static let formatVersion: UInt8 = 2
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
    /// Up to `sampleLimit` of those records' messages: the earliest by time (then by position), so
    /// the same records give the same samples however they were split and merged.
    @exclusivity(unchecked) public internal(set) var samples: [SampleLine] = []
    let sampleLimit: Int

    /// Ends the object too, so its last fields never share a cache line with what is allocated after it.
    private let padTail = CacheLinePad()

    init(plan: QueryPlan, sampleLimit: Int = 0) {
        self.plan = plan
        self.sampleLimit = sampleLimit
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

    /// Keeps `message` as a sample if it is among the earliest `sampleLimit` seen (the caller checks
    /// `sampleLimit > 0`). Copies the bytes only when the line is kept.
    func sample(time: Int64, sequence: UInt64, source: String, message: UnsafeRawBufferPointer) {
        if samples.count == sampleLimit {
            guard let last = samples.indices.max(by: { samples[$0].isBefore(samples[$1]) }),
                  SampleLine.isBefore(time, sequence, samples[last].time, samples[last].sequence) else { return }
            samples.remove(at: last)
        }
        samples.append(SampleLine(time: time, sequence: sequence, source: source, message: message))
    }

    private func keepSamples(_ more: [SampleLine]) {
        guard !more.isEmpty else { return }
        samples = Array((samples + more).sorted { $0.isBefore($1) }.prefix(max(sampleLimit, samples.count, more.count)))
    }

    /// Folds `other` (a partial of the same plan) into this one. `other` is consumed.
    public func merge(_ other: QueryPartial) {
        assert(other.plan.signature == plan.signature, "partials of different queries cannot be merged")
        records += other.records
        keepSamples(other.samples)
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
        w.count(samples.count)
        for s in samples {
            w.int(s.time); w.uint(s.sequence); w.text(s.source); w.text(s.message)
        }
        return w.bytes
    }

    /// Reads bytes written by `encoded()` for the same plan; anything else is refused with a reason.
    convenience init(plan: QueryPlan, bytes: [UInt8], sampleLimit: Int = 0) throws {
        self.init(plan: plan, sampleLimit: sampleLimit)
        var r = PartialReader(bytes)
        guard bytes.count >= 5, Array(bytes[0..<4]) == QueryPartial.magic else { throw PartialFormatError(message: "not a logmill partial") }
        r.position = 4
        let version = try r.u8()
        guard version == QueryPartial.formatVersion || version == 1 else {
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
        if version >= 2 {
            var stored: [SampleLine] = []
            for _ in 0..<(try r.count()) {
                stored.append(SampleLine(time: try r.int(), sequence: try r.uint(), source: try r.text(), message: try r.text()))
            }
            keepSamples(stored)
        }
        guard r.atEnd else { throw PartialFormatError(message: "\(bytes.count - r.position) unexpected trailing bytes") }
    }
}

/// A record's message kept as an example of what a window matched (alarm notifications carry them).
public struct SampleLine: Sendable, Hashable {
    /// The record's `@timestamp` (epoch ms).
    public let time: Int64
    /// The object's ordinal and byte offset: a stable tie-break between records of the same time.
    let sequence: UInt64
    /// The source object's name.
    public let source: String
    /// `@message`, cut at `maximumBytes`.
    public let message: String
    static let maximumBytes = 2048

    init(time: Int64, sequence: UInt64, source: String, message: String) {
        self.time = time; self.sequence = sequence; self.source = source; self.message = message
    }

    init(time: Int64, sequence: UInt64, source: String, message: UnsafeRawBufferPointer) {
        var bytes = message
        if bytes.count > SampleLine.maximumBytes {
            var cut = SampleLine.maximumBytes
            while cut > 0 && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }   // not inside a UTF-8 sequence
            bytes = UnsafeRawBufferPointer(rebasing: bytes[0..<cut])
        }
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        self.init(time: time, sequence: sequence, source: source, message: text)
    }

    /// Equal when they show the same line (the tie-break position depends on how the scan was split).
    public static func == (a: SampleLine, b: SampleLine) -> Bool { a.time == b.time && a.source == b.source && a.message == b.message }
    public func hash(into h: inout Hasher) { h.combine(time); h.combine(source); h.combine(message) }

    static func isBefore(_ t1: Int64, _ s1: UInt64, _ t2: Int64, _ s2: UInt64) -> Bool { t1 != t2 ? t1 < t2 : s1 < s2 }
    func isBefore(_ o: SampleLine) -> Bool { SampleLine.isBefore(time, sequence, o.time, o.sequence) }
}

extension QueryPlan {
    /// A 64-bit FNV-1a hash of the parsed query, so a partial is only ever read by the query that wrote it.
    static func signature(of query: Query) -> UInt64 {
        FNV1a.hash(String(describing: query).utf8)
    }
}
