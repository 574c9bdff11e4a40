import LogmillTime

/// The statistic an alarm reduces a datapoint's statistic set by (protocols.md 5.1; extended
/// statistics such as `p90` are not supported: a window's statistic set cannot give them).
public enum AlarmStatistic: String, Codable, Sendable, CaseIterable {
    case sampleCount = "SampleCount", average = "Average", sum = "Sum", minimum = "Minimum", maximum = "Maximum"

    /// The upper-case spelling of the SNS message's `Trigger.Statistic` (`SUM`, `SAMPLE_COUNT`).
    public var messageName: String { self == .sampleCount ? "SAMPLE_COUNT" : rawValue.uppercased() }
}

/// CloudWatch's four static-threshold operators (the anomaly-band ones have no meaning here).
public enum AlarmComparison: String, Codable, Sendable, CaseIterable {
    case greaterThan = ">", greaterThanOrEqual = ">=", lessThan = "<", lessThanOrEqual = "<="

    /// `ComparisonOperator` as PutMetricAlarm and the SNS message spell it.
    public var serviceName: String {
        switch self {
        case .greaterThan: return "GreaterThanThreshold"
        case .greaterThanOrEqual: return "GreaterThanOrEqualToThreshold"
        case .lessThan: return "LessThanThreshold"
        case .lessThanOrEqual: return "LessThanOrEqualToThreshold"
        }
    }

    /// The words of a reason text: `... were greater than or equal to the threshold (10.0)`.
    public var phrase: String {
        switch self {
        case .greaterThan: return "greater than"
        case .greaterThanOrEqual: return "greater than or equal to"
        case .lessThan: return "less than"
        case .lessThanOrEqual: return "less than or equal to"
        }
    }

    /// Whether one datapoint breaches the threshold.
    public func breaches(_ value: Double, _ threshold: Double) -> Bool {
        switch self {
        case .greaterThan: return value > threshold
        case .greaterThanOrEqual: return value >= threshold
        case .lessThan: return value < threshold
        case .lessThanOrEqual: return value <= threshold
        }
    }
}

/// `TreatMissingData` (protocols.md 5.1, 5.3).
public enum TreatMissingData: String, Codable, Sendable, CaseIterable {
    case missing, ignore, breaching, notBreaching
}

/// A window's value as a statistic set (what a `MetricDatum` with statistic values carries).
public struct AlarmStatisticSet: Codable, Sendable, Hashable {
    public var sampleCount: Double, sum: Double, minimum: Double, maximum: Double
    public init(sampleCount: Double, sum: Double, minimum: Double, maximum: Double) {
        self.sampleCount = sampleCount; self.sum = sum; self.minimum = minimum; self.maximum = maximum
    }
}

/// What a finished window gives an alarm: one number, or a statistic set the rule's statistic reduces.
public enum AlarmInput: Sendable, Hashable {
    case value(Double)
    case statistics(AlarmStatisticSet)
}

/// One alarm over one metric of a job: `NAME = METRIC [STATISTIC] OP THRESHOLD for M of N
/// [missing TREATMENT] [renotify 1h]`, evaluated once per finished window of the job's period.
public struct AlarmRule: Sendable, Hashable, Codable {
    public var name: String
    public var metricName: String
    /// nil: a plain value is used as it is, and a statistic set is reduced by `Average` (the
    /// CloudWatch console's default statistic).
    public var statistic: AlarmStatistic?
    public var comparison: AlarmComparison
    public var threshold: Double
    /// M: breaching datapoints among the N that make ALARM.
    public var datapointsToAlarm: Int
    /// N: the number of most recent periods considered.
    public var evaluationPeriods: Int
    public var treatMissingData: TreatMissingData
    public var period: Period
    /// While in ALARM, notify again after this long (nil: on state changes only).
    public var renotify: Period?
    public var description: String?

    public init(name: String, metricName: String, statistic: AlarmStatistic? = nil, comparison: AlarmComparison,
                threshold: Double, datapointsToAlarm: Int, evaluationPeriods: Int,
                treatMissingData: TreatMissingData = .missing, period: Period, renotify: Period? = nil,
                description: String? = nil) {
        self.name = name; self.metricName = metricName; self.statistic = statistic; self.comparison = comparison
        self.threshold = threshold; self.datapointsToAlarm = datapointsToAlarm; self.evaluationPeriods = evaluationPeriods
        self.treatMissingData = treatMissingData; self.period = period; self.renotify = renotify; self.description = description
    }

    /// The statistic the SNS message reports (`Average` when the rule names none).
    public var effectiveStatistic: AlarmStatistic { statistic ?? .average }

    /// The number a window's input gives this alarm; nil (missing) for an average of no samples.
    public func reduce(_ input: AlarmInput) -> Double? {
        switch input {
        case .value(let v):
            // A single value is a statistic set of one sample (what CloudWatch stores for it).
            return statistic == .sampleCount ? 1 : v
        case .statistics(let s):
            switch effectiveStatistic {
            case .sampleCount: return s.sampleCount
            case .sum: return s.sum
            case .minimum: return s.minimum
            case .maximum: return s.maximum
            case .average: return s.sampleCount > 0 ? s.sum / s.sampleCount : nil
            }
        }
    }

    // Codable: `Period` is not Codable; it is stored as the literal that parses back to it.
    enum CodingKeys: String, CodingKey {
        case name, metricName, statistic, comparison, threshold, datapointsToAlarm, evaluationPeriods
        case treatMissingData, period, renotify, description
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func period(_ key: CodingKeys) throws -> Period? {
            guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
            guard let p = Period.parse(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not a period: \(text)")
            }
            return p
        }
        guard let p = try period(.period) else {
            throw DecodingError.keyNotFound(CodingKeys.period, .init(codingPath: c.codingPath, debugDescription: "no period"))
        }
        self.init(name: try c.decode(String.self, forKey: .name), metricName: try c.decode(String.self, forKey: .metricName),
                  statistic: try c.decodeIfPresent(AlarmStatistic.self, forKey: .statistic),
                  comparison: try c.decode(AlarmComparison.self, forKey: .comparison),
                  threshold: try c.decode(Double.self, forKey: .threshold),
                  datapointsToAlarm: try c.decode(Int.self, forKey: .datapointsToAlarm),
                  evaluationPeriods: try c.decode(Int.self, forKey: .evaluationPeriods),
                  treatMissingData: try c.decode(TreatMissingData.self, forKey: .treatMissingData),
                  period: p, renotify: try period(.renotify),
                  description: try c.decodeIfPresent(String.self, forKey: .description))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(metricName, forKey: .metricName)
        try c.encodeIfPresent(statistic, forKey: .statistic)
        try c.encode(comparison, forKey: .comparison)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(datapointsToAlarm, forKey: .datapointsToAlarm)
        try c.encode(evaluationPeriods, forKey: .evaluationPeriods)
        try c.encode(treatMissingData, forKey: .treatMissingData)
        try c.encode(period.description, forKey: .period)
        try c.encodeIfPresent(renotify?.description, forKey: .renotify)
        try c.encodeIfPresent(description, forKey: .description)
    }
}

/// A job-file alarm line that does not parse: `column` is 1-based in the text after `alarm:`.
public struct AlarmRuleError: Error, Sendable, Hashable, CustomStringConvertible {
    public let column: Int
    public let message: String
    public init(column: Int, message: String) { self.column = column; self.message = message }
    public var description: String { "column \(column): \(message)" }
}
