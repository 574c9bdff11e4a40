import Foundation
import Glibc
import LogmillRecords

/// How one aggregate call in `stats` is computed.
struct AggregateSpec {
    let function: AggregateFunction
    /// The argument; nil for `count(*)` / `count()`.
    let argument: CExpr?
    /// The percentile for `pct`.
    let parameter: Double

    func makeAccumulator() -> Accumulator {
        switch function {
        case .count: return argument == nil ? CountAll() : CountPresent()
        case .count_distinct: return CountDistinct()
        case .sum: return Sum()
        case .avg: return Average()
        case .min: return Extreme(wantMax: false, natural: false)
        case .max: return Extreme(wantMax: true, natural: false)
        case .sortsfirst: return Extreme(wantMax: false, natural: true)
        case .sortslast: return Extreme(wantMax: true, natural: true)
        case .stddev: return StandardDeviation()
        case .pct: return Percentile(p: parameter)
        case .earliest: return ByTime(latest: false)
        case .latest: return ByTime(latest: true)
        }
    }
}

/// A running aggregate for one group. `add` sees borrowed values; anything kept must be `owned()`.
/// Every accumulator's state can be merged with another's of the same kind, in any order, and
/// written to bytes and read back (`encode`/`decode`), so that partial results can be stored and merged later.
class Accumulator {
    func add(_ v: Value, timestamp: Int64) {}
    func merge(_ other: Accumulator) {}
    func result() -> Value { .null }
    func encode(into w: inout PartialWriter) {}
    /// Replaces this accumulator's state with the one written by `encode`.
    func decode(from r: inout PartialReader) throws {}
}

final class CountAll: Accumulator {
    var n: Int64 = 0
    override func add(_ v: Value, timestamp: Int64) { n += 1 }
    override func merge(_ o: Accumulator) { n += (o as! CountAll).n }
    override func result() -> Value { .int(n) }
    override func encode(into w: inout PartialWriter) { w.int(n) }
    override func decode(from r: inout PartialReader) throws { n = try r.int() }
}

final class CountPresent: Accumulator {
    var n: Int64 = 0
    override func add(_ v: Value, timestamp: Int64) { if !v.isNull { n += 1 } }
    override func merge(_ o: Accumulator) { n += (o as! CountPresent).n }
    override func result() -> Value { .int(n) }
    override func encode(into w: inout PartialWriter) { w.int(n) }
    override func decode(from r: inout PartialReader) throws { n = try r.int() }
}

final class CountDistinct: Accumulator {
    /// What `stats … by` would put in one group is one value (`Value.keyNumber`): numbers by value
    /// (so 200 and "200" are one), other values, and numeric text beyond 2^53, by text.
    enum Key: Hashable { case number(Double), text(String) }
    var seen = Set<Key>()
    override func add(_ v: Value, timestamp: Int64) {
        guard !v.isNull else { return }
        if let d = v.keyNumber { seen.insert(d.isNaN ? .text("NaN") : .number(d)) } else if let t = v.text { seen.insert(.text(t)) }
    }
    override func merge(_ o: Accumulator) { seen.formUnion((o as! CountDistinct).seen) }
    override func result() -> Value { .int(Int64(seen.count)) }
    override func encode(into w: inout PartialWriter) {
        w.count(seen.count)
        for k in seen {
            switch k {
            case .number(let d): w.u8(0); w.double(d)
            case .text(let t): w.u8(1); w.text(t)
            }
        }
    }
    override func decode(from r: inout PartialReader) throws {
        seen = []
        for _ in 0..<(try r.count()) { seen.insert(try r.u8() == 0 ? .number(try r.double()) : .text(try r.text())) }
    }
}

/// A sum kept as an unevaluated pair (Neumaier), so that the result does not depend on how
/// the input was split between workers.
struct CompensatedSum {
    var high = 0.0
    var low = 0.0
    @inline(__always) mutating func add(_ x: Double) {
        let t = high + x
        if abs(high) >= abs(x) { low += (high - t) + x } else { low += (x - t) + high }
        high = t
    }
    mutating func add(_ o: CompensatedSum) {
        add(o.high)
        add(o.low)
    }
    var value: Double { high + low }
}

final class Sum: Accumulator {
    var total = CompensatedSum()
    var any = false
    override func add(_ v: Value, timestamp: Int64) { if let d = v.number { total.add(d); any = true } }
    override func merge(_ o: Accumulator) { let s = o as! Sum; total.add(s.total); any = any || s.any }
    override func result() -> Value { any ? .number(total.value) : .null }
    override func encode(into w: inout PartialWriter) { w.double(total.high); w.double(total.low); w.bool(any) }
    override func decode(from r: inout PartialReader) throws { total.high = try r.double(); total.low = try r.double(); any = try r.bool() }
}

final class Average: Accumulator {
    var total = CompensatedSum()
    var n = 0
    override func add(_ v: Value, timestamp: Int64) { if let d = v.number { total.add(d); n += 1 } }
    override func merge(_ o: Accumulator) { let a = o as! Average; total.add(a.total); n += a.n }
    override func result() -> Value { n == 0 ? .null : .number(total.value / Double(n)) }
    override func encode(into w: inout PartialWriter) { w.double(total.high); w.double(total.low); w.count(n) }
    override func decode(from r: inout PartialReader) throws { total.high = try r.double(); total.low = try r.double(); n = try r.count() }
}

/// min/max (numeric when every value is a number, otherwise natural order) and sortsFirst/sortsLast.
final class Extreme: Accumulator {
    let wantMax: Bool
    let natural: Bool
    var best: Value = .null
    init(wantMax: Bool, natural: Bool) {
        self.wantMax = wantMax
        self.natural = natural
    }
    override func add(_ v: Value, timestamp: Int64) {
        if v.isNull { return }
        if best.isNull { best = v.owned(); return }
        let c: Int
        if !natural, case .number(let a) = v, case .number(let b) = best { c = a < b ? -1 : (a > b ? 1 : 0) }
        else { c = natural ? NaturalOrder.compare(v, best) : Extreme.compareValues(v, best) }
        if wantMax ? c > 0 : c < 0 { best = v.owned() }
    }
    static func compareValues(_ a: Value, _ b: Value) -> Int {
        if let x = a.number, let y = b.number { return x < y ? -1 : (x > y ? 1 : 0) }
        return NaturalOrder.compare(a, b)
    }
    override func merge(_ o: Accumulator) { let e = o as! Extreme; add(e.best, timestamp: 0) }
    override func result() -> Value { best }
    override func encode(into w: inout PartialWriter) { w.value(best) }
    override func decode(from r: inout PartialReader) throws { best = try r.value() }
}

/// Sample standard deviation (n − 1) from the count, the sum and the sum of squares, each kept as a
/// compensated (double-double) sum and the squares added exactly (`x·x` and its rounding error), so
/// the answer does not depend on how the records were split between workers or partials, and
/// `(Σx² − (Σx)²/n)` keeps its digits even when the values are large and close together.
final class StandardDeviation: Accumulator {
    var n = 0.0
    var sum = CompensatedSum()
    var squares = CompensatedSum()
    override func add(_ v: Value, timestamp: Int64) {
        guard let x = v.number else { return }
        n += 1
        sum.add(x)
        let sq = x * x
        squares.add(sq)
        squares.add((-sq).addingProduct(x, x))   // x·x − sq, exactly (fused multiply-add)
    }
    override func merge(_ o: Accumulator) {
        let s = o as! StandardDeviation
        n += s.n
        sum.add(s.sum)
        squares.add(s.squares)
    }
    override func result() -> Value {
        if n < 2 { return n == 1 ? .number(0) : .null }
        // (Σx)² as a double-double: the exact square of the high part, plus the cross term.
        let sh = sum.high, sl = sum.low
        let p = sh * sh
        let pl = (-p).addingProduct(sh, sh) + 2 * sh * sl
        // Divided by n, in double-double.
        let qh = p / n
        let ql = (p.addingProduct(-qh, n) + pl) / n   // the remainder p − qh·n is exact
        // Σx² − (Σx)²/n, the high parts subtracted exactly (two-sum), then the low parts.
        let t = squares.high - qh
        let bb = t - squares.high
        let err = (squares.high - (t - bb)) + (-qh - bb)
        let d = t + (err + squares.low - ql)
        return .number((max(0, d) / (n - 1)).squareRoot())
    }
    override func encode(into w: inout PartialWriter) {
        w.double(n); w.double(sum.high); w.double(sum.low); w.double(squares.high); w.double(squares.low)
    }
    override func decode(from r: inout PartialReader) throws {
        n = try r.double()
        sum.high = try r.double(); sum.low = try r.double()
        squares.high = try r.double(); squares.low = try r.double()
    }
}

/// Percentile by nearest rank: exact over the first `exactLimit` values, then a mergeable
/// logarithmic sketch (DDSketch) whose answers are within `relativeAccuracy` of a true value of
/// that rank, so memory stays flat however many values a group has.
final class Percentile: Accumulator {
    static let exactLimit = 10_000
    let p: Double
    var values: [Double] = []
    var sketch: QuantileSketch? = nil
    init(p: Double) { self.p = p }

    override func add(_ v: Value, timestamp: Int64) {
        guard let d = v.number, d.isFinite else { return }
        if let s = sketch { s.add(d); return }
        values.append(d)
        if values.count > Percentile.exactLimit { spill() }
    }

    private func spill() {
        let s = QuantileSketch()
        for x in values { s.add(x) }
        values = []
        sketch = s
    }

    override func merge(_ o: Accumulator) {
        let other = o as! Percentile
        if sketch == nil && other.sketch == nil && values.count + other.values.count <= Percentile.exactLimit {
            values += other.values
            return
        }
        if sketch == nil { spill() }
        if let os = other.sketch { sketch!.merge(os) } else { for x in other.values { sketch!.add(x) } }
    }

    override func encode(into w: inout PartialWriter) {
        if let s = sketch {
            w.u8(1)
            s.encode(into: &w)
        } else {
            w.u8(0)
            w.count(values.count)
            for v in values { w.double(v) }
        }
    }
    override func decode(from r: inout PartialReader) throws {
        if try r.u8() == 1 {
            values = []
            sketch = try QuantileSketch(from: &r)
        } else {
            sketch = nil
            values = []
            for _ in 0..<(try r.count()) { values.append(try r.double()) }
        }
    }

    override func result() -> Value {
        if let s = sketch { return s.quantile(p / 100).map { .number($0) } ?? .null }
        guard !values.isEmpty else { return .null }
        values.sort()
        let rank = Int((p / 100 * Double(values.count)).rounded(.up))
        return .number(values[min(values.count - 1, max(0, rank - 1))])
    }
}

/// DDSketch: values fall in logarithmic buckets `(γ^(k-1), γ^k]` with γ = (1+α)/(1-α); the estimate
/// 2γ^k/(γ+1) of any value in bucket k is within relative error α. Negative values mirror, zero is counted apart.
final class QuantileSketch {
    static let relativeAccuracy = 0.005
    let gamma: Double
    let logGamma: Double
    var positive: [Int: Double] = [:]
    var negative: [Int: Double] = [:]
    var zeros = 0.0
    var count = 0.0

    init() {
        let a = QuantileSketch.relativeAccuracy
        gamma = (1 + a) / (1 - a)
        logGamma = Foundation.log(gamma)
    }

    /// The bucket of `x` > 0. Finite doubles need at most ±71,000; infinity is clamped into the top bucket.
    @inline(__always) func key(_ x: Double) -> Int { Int(Swift.min(100_000, (Foundation.log(x) / logGamma).rounded(.up))) }

    func add(_ x: Double) {
        count += 1
        if x > 1e-300 { positive[key(x), default: 0] += 1 }
        else if x < -1e-300 { negative[key(-x), default: 0] += 1 }
        else { zeros += 1 }
    }

    func merge(_ o: QuantileSketch) {
        for (k, c) in o.positive { positive[k, default: 0] += c }
        for (k, c) in o.negative { negative[k, default: 0] += c }
        zeros += o.zeros
        count += o.count
    }

    func encode(into w: inout PartialWriter) {
        for buckets in [positive, negative] {
            w.count(buckets.count)
            for k in buckets.keys.sorted() { w.int(Int64(k)); w.double(buckets[k]!) }
        }
        w.double(zeros)
        w.double(count)
    }
    convenience init(from r: inout PartialReader) throws {
        self.init()
        for side in 0..<2 {
            var buckets: [Int: Double] = [:]
            for _ in 0..<(try r.count()) { buckets[Int(try r.int())] = try r.double() }
            if side == 0 { positive = buckets } else { negative = buckets }
        }
        zeros = try r.double()
        count = try r.double()
    }

    func value(_ k: Int) -> Double { 2 * Foundation.pow(gamma, Double(k)) / (gamma + 1) }

    /// The nearest-rank quantile `q` in [0, 1].
    func quantile(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let rank = max(1, (q * count).rounded(.up))
        var seen = 0.0
        for k in negative.keys.sorted(by: >) {
            seen += negative[k]!
            if seen >= rank { return -value(k) }
        }
        seen += zeros
        if seen >= rank { return 0 }
        for k in positive.keys.sorted() {
            seen += positive[k]!
            if seen >= rank { return value(k) }
        }
        return positive.keys.max().map(value)
    }
}

/// earliest(f) / latest(f): the value from the row with the smallest or largest @timestamp.
final class ByTime: Accumulator {
    let latest: Bool
    var time = Int64.min
    var value: Value = .null
    var any = false
    init(latest: Bool) { self.latest = latest }
    override func add(_ v: Value, timestamp: Int64) {
        guard !v.isNull else { return }
        if !any || (latest ? timestamp > time : timestamp < time) { time = timestamp; value = v.owned(); any = true }
    }
    override func merge(_ o: Accumulator) { let b = o as! ByTime; if b.any { add(b.value, timestamp: b.time) } }
    override func result() -> Value { value }
    override func encode(into w: inout PartialWriter) { w.int(time); w.value(value); w.bool(any) }
    override func decode(from r: inout PartialReader) throws { time = try r.int(); value = try r.value(); any = try r.bool() }
}
