import LogmillQuery

/// How a query's result columns become datums.
public struct MetricMapping: Sendable {
    public enum Source: Sendable, Equatable {
        /// A result column holding one value per row.
        case column(String)
        /// A statistic set over a field, computed per bin and dimension set by hidden aggregates.
        case statistics(field: String)
    }

    public struct Metric: Sendable {
        public var name: String
        public var source: Source
        public var unit: MetricUnit
        public var storageResolution: Int
        /// Emitted for a window in which the query gave no row for a dimension set (like a metric filter's
        /// default value), so an alarm sees this value instead of missing data.
        public var defaultValue: Double? = nil
        public init(name: String, source: Source, unit: MetricUnit = .none, storageResolution: Int = 60) {
            self.name = name
            self.source = source
            self.unit = unit
            self.storageResolution = storageResolution
        }
    }

    public enum DimensionSource: Sendable, Equatable {
        case column(String)
        case constant(String)
    }

    public var namespace: String
    public var metrics: [Metric]
    /// Explicit dimensions; when empty, every `by` column except the time bucket becomes one.
    public var dimensions: [(name: String, source: DimensionSource)]
    /// The column giving each row's time; nil picks the first timestamp column (the `bin()` column).
    public var timestampColumn: String?
    /// The bucket used when statistic sets need a `stats` the query does not have.
    public var period: String
    /// Whether, without declared dimensions, the query's other columns become dimensions (queries);
    /// a metric filter job's dimensions are only those it declares.
    public var infersDimensions = true

    public init(namespace: String, metrics: [Metric], dimensions: [(name: String, source: DimensionSource)] = [],
                timestampColumn: String? = nil, period: String = "5m") {
        self.namespace = namespace
        self.metrics = metrics
        self.dimensions = dimensions
        self.timestampColumn = timestampColumn
        self.period = period
    }

    /// The hidden aggregate columns of a statistic-set metric.
    static func statisticColumns(_ metric: String) -> (count: String, sum: String, min: String, max: String) {
        ("__\(metric)_SampleCount", "__\(metric)_Sum", "__\(metric)_Minimum", "__\(metric)_Maximum")
    }

    /// The aggregates the query must compute for statistic-set metrics.
    public var hiddenAggregates: [HiddenAggregate] {
        var out: [HiddenAggregate] = []
        for m in metrics {
            guard case .statistics(let field) = m.source else { continue }
            let c = MetricMapping.statisticColumns(m.name)
            out.append(HiddenAggregate(function: "count", field: field, alias: c.count))
            out.append(HiddenAggregate(function: "sum", field: field, alias: c.sum))
            out.append(HiddenAggregate(function: "min", field: field, alias: c.min))
            out.append(HiddenAggregate(function: "max", field: field, alias: c.max))
        }
        return out
    }

    /// Dimension columns named by the mapping (used as `by` fields when logmill adds the `stats` itself).
    public var dimensionColumns: [String] {
        dimensions.compactMap { if case .column(let c) = $0.source { return c }; return nil }
    }
}

/// A result that cannot be turned into datums, with the reason.
public struct MappingError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

extension MetricMapping {
    /// One datum per row and metric. Rows whose metric value is missing or not a number are skipped and counted.
    public func datums(from result: QueryResult, defaultTimestamp: Int64) throws -> (datums: [MetricDatum], skipped: Int) {
        let index = Dictionary(result.columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        func column(_ name: String) throws -> Int {
            guard let i = index[name] else {
                throw MappingError(message: "the query result has no column '\(name)'; its columns are: \(result.columns.filter { !$0.hasPrefix("__") }.joined(separator: ", "))")
            }
            return i
        }
        // The time column: declared, or the first column holding timestamps.
        var timeColumn: Int? = nil
        if let t = timestampColumn { timeColumn = try column(t) }
        else if let first = result.rows.first {
            timeColumn = first.firstIndex { if case .timestamp = $0 { return true }; return false }
        }
        // Dimensions: declared, or every other non-metric column.
        var dims: [(String, DimensionSource)] = dimensions
        if dims.isEmpty && infersDimensions {
            let used = Set(metrics.compactMap { m -> String? in if case .column(let c) = m.source { return c }; return nil })
            for (i, c) in result.columns.enumerated() where i != timeColumn && !used.contains(c) && !c.hasPrefix("__") {
                dims.append((c, .column(c)))
            }
        }
        if dims.count > 30 { throw MappingError(message: "\(dims.count) dimensions; CloudWatch allows at most 30") }
        let dimColumns = try dims.map { d -> Int? in if case .column(let c) = d.1 { return try column(c) }; return nil }
        var out: [MetricDatum] = []
        var skipped = 0
        for row in result.rows {
            var timestamp = defaultTimestamp
            if let tc = timeColumn, case .timestamp(let t) = row[tc] { timestamp = t }
            var dimensionValues: [(name: String, value: String)] = []
            var missingDimension = false
            for (k, d) in dims.enumerated() {
                switch d.1 {
                case .constant(let v): dimensionValues.append((d.0, v))
                case .column:
                    guard let text = row[dimColumns[k]!].render() else { missingDimension = true; continue }   // "" is a value: each sink says whether its service takes it
                    dimensionValues.append((d.0, text))
                }
            }
            if missingDimension { skipped += metrics.count; continue }
            for m in metrics {
                let value: MetricValue
                switch m.source {
                case .column(let c):
                    guard let v = row[try column(c)].number, v.isFinite else { skipped += 1; continue }
                    value = .single(v)
                case .statistics:
                    let cols = MetricMapping.statisticColumns(m.name)
                    guard let n = row[try column(cols.count)].number, n > 0,
                          let s = row[try column(cols.sum)].number, let lo = row[try column(cols.min)].number,
                          let hi = row[try column(cols.max)].number else { skipped += 1; continue }
                    value = .statistics(StatisticSet(sampleCount: n, sum: s, minimum: lo, maximum: hi))
                }
                out.append(MetricDatum(namespace: namespace, name: m.name, dimensions: dimensionValues, timestamp: timestamp,
                                       unit: m.unit, value: value, storageResolution: m.storageResolution))
            }
        }
        return (out, skipped)
    }
}
