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

/// A strict order for `TopN`: true when `a` comes before `b`.
protocol HeapOrder {
    associatedtype Element
    func before(_ a: Element, _ b: Element) -> Bool
}

/// Orders rows by column keys with the natural sort, then by the default order.
struct RowOrder: HeapOrder {
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

/// A group's row with the values of the `sort` keys that follow its `stats`.
struct KeyedRow {
    var keys: [Value]
    var row: Row
}

/// The order of `stats … | sort keys`: the sort keys (a null key last ascending, first descending),
/// then, among equal keys, the groups' own order (`GroupTable.rows`): natural order of the group
/// keys, then first seen. This is what the stable sort of the naturally ordered groups gave.
struct GroupOrder: HeapOrder {
    let descending: [Bool]
    /// How many leading values of a row are the group keys.
    let width: Int

    @inline(__always) func before(_ a: KeyedRow, _ b: KeyedRow) -> Bool {
        for k in descending.indices {
            let c = NaturalOrder.compare(a.keys[k], b.keys[k])
            if c != 0 { return descending[k] ? c > 0 : c < 0 }
        }
        for k in 0..<width {
            let c = NaturalOrder.compare(a.row.values[k], b.row.values[k])
            if c != 0 { return c < 0 }
        }
        return a.row.sequence < b.row.sequence
    }
}

typealias TopRows = TopN<RowOrder>

/// Keeps the first `limit` elements of an order in a binary heap whose root is the worst one kept.
struct TopN<Order: HeapOrder> {
    typealias Element = Order.Element
    let order: Order
    let limit: Int
    private(set) var heap: [Element] = []

    init(order: Order, limit: Int) {
        self.order = order
        self.limit = limit
    }

    /// Whether a row with these values would be kept (cheap pre-check before materialising).
    var isFull: Bool { heap.count >= limit }
    var worst: Element? { heap.first }

    mutating func insert(_ row: Element) {
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

    func sorted() -> [Element] { heap.sorted(by: order.before) }
}
