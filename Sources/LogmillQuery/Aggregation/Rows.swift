import LogmillTime
import LogmillRecords
/// A row of the table phase: owned values plus the record's time and position for the default order.
struct Row {
    var values: [Value]
    var timestamp: Int64
    var sequence: UInt64

    func encode(into w: inout PartialWriter) {
        w.count(values.count)
        for v in values { w.value(v) }
        w.int(timestamp)
        w.uint(sequence)
    }
    init(values: [Value], timestamp: Int64, sequence: UInt64) {
        self.values = values
        self.timestamp = timestamp
        self.sequence = sequence
    }
    init(from r: inout PartialReader) throws {
        var vs: [Value] = []
        for _ in 0..<(try r.count()) { vs.append(try r.value()) }
        values = vs
        timestamp = try r.int()
        sequence = try r.uint()
    }
}

/// Orders rows by column keys with the natural sort, then by the default order.
struct RowOrder {
    let keys: [(column: Int, descending: Bool)]

    /// True when `a` comes before `b`.
    @inline(__always) func before(_ a: Row, _ b: Row) -> Bool {
        for k in keys {
            let c = NaturalOrder.compare(a.values[k.column], b.values[k.column])
            if c != 0 {
                // Nulls stay last in ascending order and come first in descending, the exact reverse.
                return k.descending ? c > 0 : c < 0
            }
        }
        if keys.isEmpty {
            // The default order: newest first.
            if a.timestamp != b.timestamp { return a.timestamp > b.timestamp }
        }
        return a.sequence < b.sequence
    }
}

/// Keeps the first `limit` rows of an order in a binary heap whose root is the worst row kept.
struct TopRows {
    let order: RowOrder
    let limit: Int
    private(set) var heap: [Row] = []

    init(order: RowOrder, limit: Int) {
        self.order = order
        self.limit = limit
    }

    /// Whether a row with these values would be kept (cheap pre-check before materialising).
    var isFull: Bool { heap.count >= limit }
    var worst: Row? { heap.first }

    mutating func insert(_ row: Row) {
        if limit == 0 { return }
        if heap.count < limit {
            heap.append(row)
            siftUp(heap.count - 1)
        } else if order.before(row, heap[0]) {
            heap[0] = row
            siftDown(0)
        }
    }

    // A max-heap under `before`: the parent comes after its children.
    private mutating func siftUp(_ i0: Int) {
        var i = i0
        while i > 0 {
            let p = (i - 1) / 2
            if order.before(heap[p], heap[i]) { heap.swapAt(p, i); i = p } else { break }
        }
    }

    private mutating func siftDown(_ i0: Int) {
        var i = i0
        let n = heap.count
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < n && order.before(heap[m], heap[l]) { m = l }
            if r < n && order.before(heap[m], heap[r]) { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }

    func sorted() -> [Row] { heap.sorted(by: order.before) }
}
