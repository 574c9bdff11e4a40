import LogmillRecords
import LogmillScan
import LogmillSources
import LogmillTime

/// One worker's share of the per-record phase: a scan consumer that folds records into partials.
final class QueryConsumer: BlockConsumer {
    /// Keeps other workers' objects off this one's cache lines (see `CacheLinePad`).
    private let padHead = CacheLinePad()
    let plan: QueryPlan
    let ctx: EvalContext
    let decoder = RecordDecoder()
    let documents = DocumentDecoder()
    let from: Int64, to: Int64
    /// The partial of an unwindowed scan.
    let whole: QueryPartial?
    /// Partials by window start, when windowed.
    @exclusivity(unchecked) var partials: [Int64: QueryPartial] = [:]
    private let period: Period?
    @exclusivity(unchecked) private var current: QueryPartial? = nil
    @exclusivity(unchecked) private var currentStart = Int64.min
    /// The end of `current`'s window when the period has a fixed length (else `currentStart`).
    @exclusivity(unchecked) private var currentEnd = Int64.min
    // Counted per record: no dynamic exclusivity checks (a consumer runs on one thread at a time).
    @exclusivity(unchecked) var scanned = 0
    @exclusivity(unchecked) var matched = 0
    @exclusivity(unchecked) var failures = 0
    @exclusivity(unchecked) var untimed = 0
    var failureSamples: [String] = []
    private var literals: [[UInt8]] = []
    /// Sample lines kept per partial (0: none).
    private let sampleLimit: Int
    /// Whether lines a prefilter skips are counted in `scanned` (an extra pass over every block).
    private let countsEveryRecord: Bool
    /// Finders tuned to the byte frequencies of the first block seen.
    private var finders: [LiteralFinder]? = nil
    /// The record operations, and for each its test on plain values when it has one (no expression
    /// is walked for those). Apart, so reading a test copies no operation (and retains nothing).
    private let ops: [RowOp]
    private let tests: [RecordTest?]

    /// Ends the object too, so its last fields never share a cache line with what is allocated after it.
    private let padTail = CacheLinePad()

    init(plan: QueryPlan, options: QueryOptions, now: Double, windows: Period?) {
        self.plan = plan
        ctx = EvalContext(slotCount: plan.slotCount, now: now)
        ctx.lambdaWanted = plan.lambdaWanted
        ctx.decoder = decoder
        ctx.windowStart = options.from
        ctx.windowEnd = options.to
        from = options.from ?? Int64.min
        to = options.to ?? Int64.max
        period = windows
        sampleLimit = options.sampleLines
        countsEveryRecord = options.countsEveryRecord
        whole = windows == nil ? QueryPartial(plan: plan, sampleLimit: options.sampleLines) : nil
        literals = plan.prefilter?.literals ?? []
        ops = plan.recordOps
        tests = plan.recordOps.map { RecordTest($0) }
    }

    func consume(block: UnsafeRawBufferPointer, input: InputContext, offset: Int) {
        ctx.input = input
        let n = block.count
        if !input.format.isLineFramed {
            let before = documents.failures
            scanned += documents.forEachRecord(block, input: input, offset: offset) { r in evaluate(r, input) }
            let bad = documents.failures - before
            if bad > 0 {
                failures += bad
                if failureSamples.count < 5 { failureSamples.append("\(input.name): byte \(offset): \(bad) malformed \(input.format.rawValue) record(s)") }
            }
            return
        }
        if let pf = plan.prefilter, pf.jsonSafe || !input.format.messageIsJSONEncoded, !(pf.onFields && input.hasLabels) {
            if countsEveryRecord { scanned += Bytes.countNewlines(block) + (block[n - 1] == 0x0a ? 0 : 1) }
            scanWithPrefilter(block, input, offset)
            return
        }
        var start = 0
        var lines = 0
        while start < n {
            let end = Bytes.find(0x0a, in: block, from: start, to: n) ?? n
            process(UnsafeRawBufferPointer(rebasing: block[start..<end]), input, offset + start)
            lines += 1
            start = end + 1
        }
        scanned += lines
    }

    /// Visits only the lines that contain one of the prefilter literals.
    private func scanWithPrefilter(_ block: UnsafeRawBufferPointer, _ input: InputContext, _ offset: Int) {
        let n = block.count
        if finders == nil {
            let sample = UnsafeRawBufferPointer(rebasing: block[0..<min(n, 64 * 1024)])
            finders = literals.map { LiteralFinder($0, sample: sample) }
        }
        let finders = self.finders!
        // Where each literal next occurs, on the stack: a heap array written at every hit could share
        // a cache line with another worker's data, which made whole runs a third slower at random.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: finders.count) { nextHit in
            nextHit.initialize(repeating: -1)
            var pos = 0
            while pos < n {
                var hit = Int.max
                for k in 0..<finders.count {
                    if nextHit[k] != Int.max && nextHit[k] < pos {
                        nextHit[k] = finders[k].find(in: block, from: pos, to: n) ?? Int.max
                    }
                    hit = min(hit, nextHit[k])
                }
                if hit == Int.max { return }
                let lineStart = (Bytes.findLast(0x0a, in: block, from: pos, to: hit) ?? (pos - 1)) + 1
                let lineEnd = Bytes.find(0x0a, in: block, from: hit, to: n) ?? n
                process(UnsafeRawBufferPointer(rebasing: block[lineStart..<lineEnd]), input, offset + lineStart)
                if !countsEveryRecord { scanned += 1 }
                pos = lineEnd + 1
            }
        }
    }

    @inline(__always) private func process(_ line: UnsafeRawBufferPointer, _ input: InputContext, _ offset: Int) {
        if line.count == 0 || (line.count == 1 && line[0] == 0x0d) { return }
        if input.isPositional && input.isHeader(line) { return }
        if !decoder.decode(line, input: input, offset: offset) {
            failures += 1
            if failureSamples.count < 5 { failureSamples.append("\(input.name): byte \(offset): \(decoder.describeProblem(input))") }
        }
        evaluate(decoder.record, input)
    }

    /// Runs the per-record phase on one decoded record.
    @inline(__always) private func evaluate(_ r: Record, _ input: InputContext) {
        let offset = r.offset
        if r.timestamp != Record.absent ? (r.timestamp < from || r.timestamp >= to) : (from != Int64.min || to != Int64.max) { return }
        ctx.begin(r)
        for i in 0..<tests.count {
            if let test = tests[i] {
                if !ctx.passes(test) { return }
            } else if !RowOps.apply(ops[i], ctx) {
                return
            }
        }
        matched += 1
        let sequence = UInt64(input.ordinal) << 40 | UInt64(offset)
        if let whole {
            whole.add(ctx, timestamp: r.timestamp, sequence: sequence)
            if sampleLimit > 0 { whole.sample(time: r.timestamp, sequence: sequence, source: input.name, message: r.message) }
            return
        }
        guard r.timestamp != Record.absent, let period else { untimed += 1; return }
        if r.timestamp < currentStart || r.timestamp >= currentEnd || current == nil {
            let start = period.floor(r.timestamp)
            if start != currentStart || current == nil {
                if let found = partials[start] { current = found } else {
                    let p = QueryPartial(plan: plan, sampleLimit: sampleLimit)
                    partials[start] = p
                    current = p
                }
                currentStart = start
            }
            // Empty when the window's start saturated (Int64.min is then not its start) or its end would.
            currentEnd = start == Int64.min ? start : (period.fixedMilliseconds.map { start &+ $0 > start ? start &+ $0 : start } ?? start)
        }
        current!.add(ctx, timestamp: r.timestamp, sequence: sequence)
        if sampleLimit > 0 { current!.sample(time: r.timestamp, sequence: sequence, source: input.name, message: r.message) }
    }
}

/// A record filter that reads plain values: `@type = "REPORT"` (or `!=`, or START, END), which
/// `EvalContext.passes` answers exactly as evaluating the expression would.
enum RecordTest {
    /// The line's Lambda type is `type` (nil: a name no line has), or is not when `negated`;
    /// false for lines of no Lambda type either way, as the comparison with a missing value is.
    case lambdaType(LambdaLineType?, negated: Bool)

    init?(_ op: RowOp) {
        guard case .filter(.equalsText(.lambda(.type), let lit, let negated)) = op else { return nil }
        let name = String(decoding: lit, as: UTF8.self)
        self = .lambdaType([LambdaLineType.report, .start, .end].first { $0.name == name }, negated: negated)
    }
}
