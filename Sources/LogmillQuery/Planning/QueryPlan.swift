import LogmillPatterns
import LogmillRecords
import LogmillRegex

/// A step applied to each record (or each row of the table phase).
enum RowOp {
    case filter(CExpr)
    case assign([(slot: Int, expr: CExpr)])
    // The larger payloads are boxed, so the per-record loop copies a word, not the payload.
    indirect case parse(source: CExpr, regex: ByteRegex, slots: [Int?])
    /// Left join with a lookup table: matching rows get the table's output columns.
    indirect case lookup(keys: [CExpr], table: LookupTable, slots: [Int])
    /// Keep records whose `@log` starts with one of `prefixes` or equals one of `exact`.
    indirect case source(prefixes: [[UInt8]], exact: [[UInt8]])
    /// Keep the events a metric filter matches; bind its value and dimensions to slots.
    indirect case metricFilter(MetricFilter, value: Int, dimensions: [Int])
}

/// A step of the table phase, after rows were collected or aggregated.
enum TableOp {
    case row(RowOp)
    case sort([(expr: CExpr, descending: Bool)])
    case limit(Int)
    case dedup([CExpr])
    case stats(StatsPlan)
    /// Re-shapes rows to `width` columns (new columns are null) before `fields` adds some.
    case widen(Int)
    /// One row per element of a list, bound to `column`.
    case unnest(CExpr, column: Int)
    /// Cluster the values of an expression into templates; rows become one per template.
    case pattern(CExpr)
}

/// One `stats` command: group keys, the aggregate calls, and the output items computed from them.
struct StatsPlan {
    var groups: [CExpr]
    var groupNames: [String]
    var specs: [AggregateSpec]
    var items: [CExpr]
    var itemNames: [String]
    var columnNames: [String] { groupNames + itemNames }
}

/// What happens where the per-record phase ends.
enum Boundary {
    case stats(StatsPlan)
    /// Materialise `columns` for each record; keep the best `limit` rows by `order` (all rows when nil).
    case collect(columns: [CExpr], names: [String], order: [(column: Int, descending: Bool)], limit: Int?)
}

/// A literal that every matching record's line must contain; lets the scan skip other lines unseen.
struct Prefilter {
    /// Any of these must occur.
    var literals: [[UInt8]]
    /// Whether each literal survives JSON string escaping unchanged (usable on JSON event lines).
    var jsonSafe: Bool
    /// Whether a literal stands for a discovered field's value, which an object's labels may give
    /// without the line holding it: such a prefilter is not used on objects with labels.
    var onFields = false
}

/// A query compiled for execution.
public final class QueryPlan {
    let recordOps: [RowOp]
    let boundary: Boundary
    let tableOps: [TableOp]
    let projection: [(name: String, expr: CExpr)]
    let slotCount: Int
    let prefilter: Prefilter?
    /// Whether the table phase starts from collected rows that need the default newest-first order.
    let needsDefaultOrder: Bool
    public let query: Query
    /// Identifies the query in stored partial results.
    /// (Computed on first use: describing the query costs more than planning it.)
    lazy var signature: UInt64 = QueryPlan.signature(of: query)

    init(query: Query, recordOps: [RowOp], boundary: Boundary, tableOps: [TableOp], projection: [(String, CExpr)],
         slotCount: Int, prefilter: Prefilter?, needsDefaultOrder: Bool) {
        self.query = query
        self.recordOps = recordOps
        self.boundary = boundary
        self.tableOps = tableOps
        self.projection = projection
        self.slotCount = slotCount
        self.prefilter = prefilter
        self.needsDefaultOrder = needsDefaultOrder
    }

    /// The output column names.
    public var columns: [String] { projection.map(\.name) }

    /// The Lambda REPORT fields the per-record phase reads.
    var lambdaWanted: LambdaFields.Wanted {
        var w: LambdaFields.Wanted = []
        func add(_ e: CExpr) { w.formUnion(e.lambdaFields) }
        for op in recordOps {
            switch op {
            case .filter(let e): add(e)
            case .assign(let items): items.forEach { add($0.expr) }
            case .parse(let e, _, _): add(e)
            case .lookup(let keys, _, _): keys.forEach(add)
            case .source, .metricFilter: break
            }
        }
        switch boundary {
        case .stats(let sp):
            sp.groups.forEach(add)
            for spec in sp.specs { if let a = spec.argument { add(a) } }
        case .collect(let columns, _, _, _): columns.forEach(add)
        }
        return w
    }

    /// The literal the scan searches for, for `--stats` and tests.
    public var prefilterLiterals: [String]? { prefilter.map { $0.literals.map { String(decoding: $0, as: UTF8.self) } } }
}
