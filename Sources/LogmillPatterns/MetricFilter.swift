import LogmillRecords

/// A metric filter definition that is not valid (PutMetricFilter's rules, reference section 6.5).
public struct MetricFilterError: Error, Equatable, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "metric filter error: \(message)" }
}

/// PutMetricFilter's transformation over a pattern: what each matching event adds to the metric
/// (`metricValue`: a number, `$.field` of a JSON pattern or `$field` of a space-delimited one), the
/// default value and up to three dimensions read from the event.
///
/// ```swift
/// let f = try MetricFilter(pattern: try FilterPattern.parse("[ip, ..., status = 5*, bytes]"),
///                          metricValue: "$bytes", dimensions: [.init(name: "Status", field: "$status")])
/// line.withUnsafeBytes { f.observe($0) }   // MetricObservation(value: 1534, dimensions: [(name: "Status", value: "503")])
/// ```
public struct MetricFilter: Sendable {
    public static let maxDimensions = 3
    public static let maxMetricValueLength = 100

    /// A dimension: its name, and the field (`$.a.b` or `$name`) whose value it takes.
    public struct Dimension: Sendable, Equatable {
        public let name: String
        public let field: String
        public init(name: String, field: String) {
            self.name = name
            self.field = field
        }
    }

    public enum Value: Sendable, Equatable {
        case literal(Double)
        /// `$.a.b` (JSON pattern) or `$name` (space-delimited pattern).
        case field(String)
    }

    public let pattern: FilterPattern
    public let metricValue: Value
    /// Emitted for periods with events but no match (the aggregation is the caller's).
    public let defaultValue: Double?
    public let dimensions: [Dimension]

    /// Where a field's value is read: the pattern's match, or (inferred: the service's docs ask for
    /// the field to appear in a JSON pattern, `$.f = *` if need be, but do not say a field outside
    /// it is refused) a JSON selector looked up in the matched event.
    enum Source: Sendable {
        case matched(String)
        case json(JSONSelector)
    }
    let valueSource: Source?
    let dimensionSources: [Source]

    public init(pattern: FilterPattern, metricValue: String, defaultValue: Double? = nil,
                dimensions: [Dimension] = []) throws(MetricFilterError) {
        guard !metricValue.isEmpty, metricValue.count <= Self.maxMetricValueLength else {
            throw MetricFilterError("metricValue must be 1 to \(Self.maxMetricValueLength) characters")
        }
        guard dimensions.count <= Self.maxDimensions else {
            throw MetricFilterError("at most \(Self.maxDimensions) dimensions, not \(dimensions.count)")
        }
        // The 2023 guide: a default value and dimensions are not allowed together.
        if defaultValue != nil && !dimensions.isEmpty {
            throw MetricFilterError("defaultValue cannot be combined with dimensions")
        }
        var seen = Set<String>()
        for d in dimensions {
            guard !d.name.isEmpty, d.name.count <= 255 else { throw MetricFilterError("dimension names are 1 to 255 characters") }
            guard seen.insert(d.name).inserted else { throw MetricFilterError("dimension '\(d.name)' is given twice") }
        }
        self.pattern = pattern
        self.defaultValue = defaultValue
        self.dimensions = dimensions
        if metricValue.hasPrefix("$") {
            self.metricValue = .field(metricValue)
            valueSource = try Self.source(metricValue, in: pattern, role: "metricValue")
        } else {
            guard let v = Array(metricValue.utf8).withUnsafeBytes({ Bytes.parseDouble($0) }) else {
                throw MetricFilterError("metricValue '\(metricValue)' is neither a number nor a field ('$.name' or '$name')")
            }
            self.metricValue = .literal(v)
            valueSource = nil
        }
        var sources: [Source] = []
        for d in dimensions { sources.append(try Self.source(d.field, in: pattern, role: "dimension '\(d.name)'")) }
        dimensionSources = sources
    }

    static func source(_ field: String, in pattern: FilterPattern, role: String) throws(MetricFilterError) -> Source {
        switch pattern.kind {
        case .json:
            guard field.hasPrefix("$.") || field.hasPrefix("$[") else {
                throw MetricFilterError("\(role) '\(field)': a JSON pattern's fields are selectors such as '$.name'")
            }
            if pattern.fieldNames.contains(field) { return .matched(field) }
            do {
                return .json(try JSONSelector.parse(Array(field.utf8), at: 0, PatternSource(field)))
            } catch {
                throw MetricFilterError("\(role) '\(field)': \(error.message)")
            }
        case .spaceDelimited:
            // `$7`: the seventh field (the guide's Apache example uses `$7` as the metric value).
            guard pattern.fieldNames.contains(field) || PatternMatch.position(field) != nil else {
                throw MetricFilterError("\(role) '\(field)' is not a field of the pattern (\(pattern.fieldNames.joined(separator: ", ")))")
            }
            return .matched(field)
        case .terms, .regex:
            throw MetricFilterError("\(role) '\(field)': only JSON and space-delimited patterns have fields")
        }
    }

    func scalar(_ source: Source, _ match: PatternMatch, _ line: UnsafeRawBufferPointer) -> Scalar? {
        switch source {
        case .matched(let name): return match.field(name)
        case .json(let selector):
            guard let r = JSONPattern.object(line), case .scalar(let s) = selector.lookup(line, from: r.lowerBound, to: r.upperBound) else { return nil }
            return s
        }
    }

    /// For a matching event, the value it adds and its dimensions; nil when the event does not
    /// match, or (inferred: the service skips such events) when the value is not a number or a
    /// dimension's field is missing.
    public func observe(_ line: UnsafeRawBufferPointer) -> MetricObservation? {
        let match: PatternMatch
        if valueSource == nil && dimensionSources.isEmpty {
            guard pattern.matches(line) else { return nil }
            match = PatternMatch(fields: [])
        } else {
            guard let m = pattern.extract(line) else { return nil }
            match = m
        }
        let value: Double
        switch metricValue {
        case .literal(let v): value = v
        case .field:
            guard let s = scalar(valueSource!, match, line), let v = s.number(in: line) else { return nil }
            value = v
        }
        var dims: [(name: String, value: String)] = []
        for (d, source) in zip(dimensions, dimensionSources) {
            guard let s = scalar(source, match, line) else { return nil }
            dims.append((d.name, s.text(in: line)))
        }
        return MetricObservation(value: value, dimensions: dims)
    }
}

/// What one matching event contributes to a metric. Dimensions are in the filter's order, as
/// `MetricDatum` holds them.
public struct MetricObservation: Sendable, Equatable {
    public let value: Double
    public let dimensions: [(name: String, value: String)]
    public init(value: Double, dimensions: [(name: String, value: String)]) {
        self.value = value
        self.dimensions = dimensions
    }
    public static func == (a: MetricObservation, b: MetricObservation) -> Bool {
        a.value == b.value && a.dimensions.elementsEqual(b.dimensions) { $0 == $1 }
    }
}
