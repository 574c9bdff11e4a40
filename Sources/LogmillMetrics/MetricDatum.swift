/// The CloudWatch metric units, spelled as the API spells them.
public enum MetricUnit: String, CaseIterable, Sendable {
    case seconds = "Seconds", microseconds = "Microseconds", milliseconds = "Milliseconds"
    case bytes = "Bytes", kilobytes = "Kilobytes", megabytes = "Megabytes", gigabytes = "Gigabytes", terabytes = "Terabytes"
    case bits = "Bits", kilobits = "Kilobits", megabits = "Megabits", gigabits = "Gigabits", terabits = "Terabits"
    case percent = "Percent", count = "Count"
    case bytesPerSecond = "Bytes/Second", kilobytesPerSecond = "Kilobytes/Second", megabytesPerSecond = "Megabytes/Second"
    case gigabytesPerSecond = "Gigabytes/Second", terabytesPerSecond = "Terabytes/Second"
    case bitsPerSecond = "Bits/Second", kilobitsPerSecond = "Kilobits/Second", megabitsPerSecond = "Megabits/Second"
    case gigabitsPerSecond = "Gigabits/Second", terabitsPerSecond = "Terabits/Second"
    case countPerSecond = "Count/Second", none = "None"

    /// Parses a unit name, ignoring case.
    public static func named(_ s: String) -> MetricUnit? {
        allCases.first { $0.rawValue.lowercased() == s.lowercased() }
    }
}

/// A pre-aggregated set of samples.
public struct StatisticSet: Sendable, Equatable {
    public var sampleCount: Double
    public var sum: Double
    public var minimum: Double
    public var maximum: Double
    public init(sampleCount: Double, sum: Double, minimum: Double, maximum: Double) {
        self.sampleCount = sampleCount
        self.sum = sum
        self.minimum = minimum
        self.maximum = maximum
    }
}

/// What one datum carries: exactly one of a value, a statistic set, or a distribution.
public enum MetricValue: Sendable, Equatable {
    case single(Double)
    case statistics(StatisticSet)
    /// Distinct values with how often each occurred.
    case distribution(values: [Double], counts: [Double])
}

/// One custom-metric data point.
public struct MetricDatum: Sendable, Equatable {
    public var namespace: String
    public var name: String
    /// Ordered name/value pairs.
    public var dimensions: [(name: String, value: String)]
    /// Epoch milliseconds.
    public var timestamp: Int64
    public var unit: MetricUnit
    public var value: MetricValue
    /// 1 for high resolution, 60 for standard.
    public var storageResolution: Int

    public init(namespace: String, name: String, dimensions: [(name: String, value: String)], timestamp: Int64,
                unit: MetricUnit, value: MetricValue, storageResolution: Int = 60) {
        self.namespace = namespace
        self.name = name
        self.dimensions = dimensions
        self.timestamp = timestamp
        self.unit = unit
        self.value = value
        self.storageResolution = storageResolution
    }

    public static func == (a: MetricDatum, b: MetricDatum) -> Bool {
        a.namespace == b.namespace && a.name == b.name && a.timestamp == b.timestamp && a.unit == b.unit && a.value == b.value &&
            a.storageResolution == b.storageResolution && a.dimensions.map(\.name) == b.dimensions.map(\.name) &&
            a.dimensions.map(\.value) == b.dimensions.map(\.value)
    }
}
