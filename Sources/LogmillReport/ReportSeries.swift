/// One metric series of a run's report: a metric with its dimensions and one value per window that
/// had data. Windows without a point are gaps, not zeros: the report shows them as breaks, because
/// "no records" and "a value of 0" mean different things to someone reading a backfill.
public struct ReportSeries: Sendable {
    public var metric: String
    /// In the order they are shown; may be empty.
    public var dimensions: [(name: String, value: String)]
    /// The metric's unit as CloudWatch names it (`Count`, `Milliseconds`, `None`).
    public var unit: String
    /// Epoch milliseconds of each window's start, ascending, and the window's value.
    public var points: [(time: Int64, value: Double)]

    public init(metric: String, dimensions: [(name: String, value: String)] = [], unit: String = "None",
                points: [(time: Int64, value: Double)]) {
        self.metric = metric
        self.dimensions = dimensions
        self.unit = unit
        self.points = points
    }

    /// `metric {name=value, …} (unit)`, the series' heading in the report; no braces without dimensions.
    public var label: String {
        let dims = dimensions.isEmpty ? "" : " {" + dimensions.map { "\($0.name)=\($0.value)" }.joined(separator: ", ") + "}"
        return "\(metric)\(dims) (\(unit))"
    }
}

/// What the report says of a series under its plot. Non-finite values (NaN, ±infinity) are left out
/// of every figure, as the plot leaves them out: one NaN would otherwise make min, max and total NaN.
public struct SeriesSummary: Sendable, Equatable {
    /// Points with a finite value: the windows that had data.
    public var windows: Int
    /// Nil when the series has no finite value; `total` is then 0.
    public var min: Double?
    public var max: Double?
    public var total: Double
    /// Window starts of the first and last of those points.
    public var first: Int64?
    public var last: Int64?

    public init(_ series: ReportSeries) {
        let finite = series.points.filter { $0.value.isFinite }
        windows = finite.count
        min = finite.map(\.value).min()
        max = finite.map(\.value).max()
        total = finite.reduce(0) { $0 + $1.value }
        first = finite.first?.time
        last = finite.last?.time
    }
}
