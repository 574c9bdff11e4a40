/// The aggregate states of every group of a `GroupTable`, flat: the common aggregates (count, sum,
/// avg, numeric min and max) as a few machine words per group in one array, the others as
/// `Accumulator` objects in a second array, instead of an array of objects per group. A state
/// reads and writes the same bytes as its `Accumulator` (`encode`), and merges the same way.
struct GroupStates {
    /// Where one aggregate's state lives: word offsets within a group's words, or an object index.
    enum Slot {
        /// `count(*)`, `count(x)`: n.
        case countAll(Int), countPresent(Int)
        /// The compensated sum (high, low), then how many numbers were added (a sum of none is null).
        case sum(Int), average(Int)
        /// min/max: the best number and its state (`none`, `number`, or `inObject` once a value that
        /// is not a number arrived: from then on an `Extreme` in the objects holds it).
        case extreme(Int, object: Int, wantMax: Bool)
        case object(Int)
    }
    static let none: UInt64 = 0, number: UInt64 = 1, inObject: UInt64 = 2

    let specs: [AggregateSpec]
    let slots: [Slot]
    let wordStride: Int
    let objectStride: Int
    private var words: [UInt64] = []
    private var objects: [Accumulator?] = []
    private(set) var count = 0

    init(specs: [AggregateSpec]) {
        self.specs = specs
        var w = 0, o = 0
        var slots: [Slot] = []
        for spec in specs {
            switch spec.function {
            case .count: slots.append(spec.argument == nil ? .countAll(w) : .countPresent(w)); w += 1
            case .sum: slots.append(.sum(w)); w += 3
            case .avg: slots.append(.average(w)); w += 3
            case .min, .max: slots.append(.extreme(w, object: o, wantMax: spec.function == .max)); w += 2; o += 1
            default: slots.append(.object(o)); o += 1
            }
        }
        self.slots = slots
        wordStride = w
        objectStride = o
    }

    /// Adds an empty state for a new group.
    mutating func append() {
        count += 1
        words.append(contentsOf: repeatElement(0, count: wordStride))
        for (a, slot) in slots.enumerated() {
            switch slot {
            case .extreme: objects.append(nil)
            case .object: objects.append(specs[a].makeAccumulator())
            default: break
            }
        }
    }

    /// Adds aggregate `a`'s value for a row of group `g`.
    @inline(__always) mutating func add(_ g: Int, _ a: Int, _ v: Value, timestamp: Int64) {
        let w = g &* wordStride
        switch slots[a] {
        case .countAll(let k): words[w + k] &+= 1
        case .countPresent(let k): if !v.isNull { words[w + k] &+= 1 }
        case .sum(let k), .average(let k):
            guard let d = v.number else { return }
            addSum(w + k, d)
            words[w + k + 2] &+= 1
        case .extreme(let k, let o, let wantMax):
            let state = words[w + k + 1]
            if case .number(let d) = v, state != GroupStates.inObject {
                if state == GroupStates.none || (wantMax ? d > Double(bitPattern: words[w + k]) : d < Double(bitPattern: words[w + k])) {
                    words[w + k] = d.bitPattern
                    words[w + k + 1] = GroupStates.number
                }
            } else if !v.isNull {
                extremeObject(g, k, o, wantMax).add(v, timestamp: timestamp)
            }
        case .object(let o): objects[g &* objectStride + o]!.add(v, timestamp: timestamp)
        }
    }

    /// `add` of a number, or of null for nil, without building a `Value` (the same states result).
    @inline(__always) mutating func addNumber(_ g: Int, _ a: Int, _ x: Double?, timestamp: Int64) {
        let w = g &* wordStride
        let slot = slots[a]
        if case .object(let o) = slot {
            objects[g &* objectStride + o]!.add(x.map { .number($0) } ?? .null, timestamp: timestamp)
            return
        }
        if case .extreme(let k, let o, let wantMax) = slot, x != nil, words[w + k + 1] == GroupStates.inObject {
            extremeObject(g, k, o, wantMax).add(.number(x!), timestamp: timestamp)
            return
        }
        words.withUnsafeMutableBufferPointer { words in
            switch slot {
            case .countAll(let k): words[w + k] &+= 1
            case .countPresent(let k): if x != nil { words[w + k] &+= 1 }
            case .sum(let k), .average(let k):
                guard let d = x else { return }
                var s = CompensatedSum(high: Double(bitPattern: words[w + k]), low: Double(bitPattern: words[w + k + 1]))
                s.add(d)
                words[w + k] = s.high.bitPattern
                words[w + k + 1] = s.low.bitPattern
                words[w + k + 2] &+= 1
            case .extreme(let k, _, let wantMax):
                guard let d = x else { return }
                let state = words[w + k + 1]
                if state == GroupStates.none || (wantMax ? d > Double(bitPattern: words[w + k]) : d < Double(bitPattern: words[w + k])) {
                    words[w + k] = d.bitPattern
                    words[w + k + 1] = GroupStates.number
                }
            case .object: break
            }
        }
    }

    @inline(__always) private mutating func addSum(_ at: Int, _ x: Double) {
        var s = CompensatedSum(high: Double(bitPattern: words[at]), low: Double(bitPattern: words[at + 1]))
        s.add(x)
        words[at] = s.high.bitPattern
        words[at + 1] = s.low.bitPattern
    }

    private func compensated(_ at: Int) -> CompensatedSum {
        CompensatedSum(high: Double(bitPattern: words[at]), low: Double(bitPattern: words[at + 1]))
    }

    /// The `Extreme` that holds a min/max from now on, made from its inline state the first time.
    private mutating func extremeObject(_ g: Int, _ k: Int, _ o: Int, _ wantMax: Bool) -> Accumulator {
        let w = g * wordStride + k
        if words[w + 1] == GroupStates.inObject { return objects[g * objectStride + o]! }
        let e = Extreme(wantMax: wantMax, natural: false)
        if words[w + 1] == GroupStates.number { e.best = .number(Double(bitPattern: words[w])) }
        objects[g * objectStride + o] = e
        words[w + 1] = GroupStates.inObject
        return e
    }

    /// Aggregate `a`'s result for group `g`.
    func result(_ g: Int, _ a: Int) -> Value {
        let w = g * wordStride
        switch slots[a] {
        case .countAll(let k), .countPresent(let k): return .int(Int64(bitPattern: words[w + k]))
        case .sum(let k): return words[w + k + 2] == 0 ? .null : .number(compensated(w + k).value)
        case .average(let k):
            let n = words[w + k + 2]
            return n == 0 ? .null : .number(compensated(w + k).value / Double(n))
        case .extreme(let k, let o, _):
            switch words[w + k + 1] {
            case GroupStates.none: return .null
            case GroupStates.number: return .number(Double(bitPattern: words[w + k]))
            default: return objects[g * objectStride + o]!.result()
            }
        case .object(let o): return objects[g * objectStride + o]!.result()
        }
    }

    /// Appends group `og` of `other` (of the same specs) as a new group, taking over its objects.
    mutating func append(_ other: GroupStates, _ og: Int) {
        count += 1
        words.append(contentsOf: other.words[(og * wordStride)..<((og + 1) * wordStride)])
        objects.append(contentsOf: other.objects[(og * objectStride)..<((og + 1) * objectStride)])
    }

    /// Folds group `og` of `other` (of the same specs) into group `g`, as `Accumulator.merge` does.
    mutating func merge(_ g: Int, _ other: GroupStates, _ og: Int) {
        let w = g * wordStride, ow = og * other.wordStride
        for (a, slot) in slots.enumerated() {
            switch slot {
            case .countAll(let k), .countPresent(let k): words[w + k] &+= other.words[ow + k]
            case .sum(let k), .average(let k):
                var s = compensated(w + k)
                s.add(other.compensated(ow + k))
                words[w + k] = s.high.bitPattern
                words[w + k + 1] = s.low.bitPattern
                words[w + k + 2] &+= other.words[ow + k + 2]   // numbers seen (sum: any when not 0)
            case .extreme:
                let theirs = other.result(og, a)
                if !theirs.isNull { add(g, a, theirs, timestamp: 0) }
            case .object(let o): objects[g * objectStride + o]!.merge(other.objects[og * objectStride + o]!)
            }
        }
    }

    /// Writes group `g`'s states, the bytes each `Accumulator` writes.
    func encode(_ g: Int, into w: inout PartialWriter) {
        let base = g * wordStride
        for (a, slot) in slots.enumerated() {
            switch slot {
            case .countAll(let k), .countPresent(let k): w.int(Int64(bitPattern: words[base + k]))
            case .sum(let k):
                w.double(Double(bitPattern: words[base + k])); w.double(Double(bitPattern: words[base + k + 1])); w.bool(words[base + k + 2] != 0)
            case .average(let k):
                w.double(Double(bitPattern: words[base + k])); w.double(Double(bitPattern: words[base + k + 1])); w.count(Int(words[base + k + 2]))
            case .extreme: w.value(result(g, a))
            case .object(let o): objects[g * objectStride + o]!.encode(into: &w)
            }
        }
    }

    /// Appends a group whose states are read from bytes written by `encode`.
    mutating func appendDecoded(from r: inout PartialReader) throws {
        append()
        let g = count - 1
        let base = g * wordStride, objectBase = g * objectStride
        for slot in slots {
            switch slot {
            case .countAll(let k), .countPresent(let k): words[base + k] = UInt64(bitPattern: try r.int())
            case .sum(let k), .average(let k):
                words[base + k] = try r.double().bitPattern
                words[base + k + 1] = try r.double().bitPattern
                if case .sum = slot { words[base + k + 2] = try r.bool() ? 1 : 0 } else { words[base + k + 2] = UInt64(try r.count()) }
            case .extreme(let k, let o, let wantMax):
                let v = try r.value()
                if case .number(let d) = v {
                    words[base + k] = d.bitPattern
                    words[base + k + 1] = GroupStates.number
                } else if !v.isNull {
                    (extremeObject(g, k, o, wantMax) as! Extreme).best = v
                }
            case .object(let o): try objects[objectBase + o]!.decode(from: &r)
            }
        }
    }

    /// Forgets the last group (a scratch group read only to be merged).
    mutating func removeLast() {
        count -= 1
        words.removeLast(wordStride)
        objects.removeLast(objectStride)
    }
}
