import Foundation
import LogmillTime
import LogmillRecords
import LogmillMetrics
import LogmillSinks
import LogmillAlarms

/// A job file: a header of `key: value` lines, then `query:` and the query verbatim.
///
///     name: lambda-max-memory
///     schedule: every 5m
///     source: ../fixtures/lambda/orders-api.log as /aws/lambda/orders-api
///     namespace: Logmill/Lambda
///     metric: MaxMemoryUsed = statistics(@maxMemoryUsed) unit Bytes
///     dimension: FunctionName = function
///     sink: prometheus ../out/lambda.prom
///     query:
///     filter @type = "REPORT"
///     | parse @log /\/aws\/lambda\/(?<function>.+)/
///     | stats count(*) as invocations by bin(5m), function
public struct JobFile: Sendable {
    public struct Source: Sendable {
        /// A path, directory or glob, relative to the job file's folder unless absolute.
        public var pattern: String
        /// `@log` for its records (`as /aws/lambda/name`).
        public var logGroup: String?
    }

    public var path: String
    public var name: String
    /// The period of `schedule: every 5m`, or nil when the job has none.
    public var schedule: Schedule?
    public var sources: [Source]
    /// `sources-from: URL-or-FILE` lines: discovered source lists (`SourceDiscovery`), with their line.
    public var sourcesFrom: [(location: String, line: Int)] = []
    public var mapping: MetricMapping
    /// Its sinks, checked against their kinds' declared options (nothing is built or contacted).
    public var sinks: [SinkConfiguration]
    /// The query; for a job with `pattern:` instead, the filter pattern's text.
    public var query: String
    /// `pattern:` (instead of `query:`): a CloudWatch Logs metric filter pattern. Per window it gives
    /// a row per dimension set with the columns `matches` (events matched) and `value` (the sum of the
    /// metric values: `value:`, 1 per match by default).
    public var pattern: String? = nil
    /// `value:` with a pattern: the metric value, a field of the pattern (`$.latency`, `$bytes`) or a number.
    public var patternValue: String? = nil
    /// Dimensions whose value is a field of the pattern (`dimension: Status = $status`), in order.
    public var patternDimensions: [(name: String, field: String)] = []
    /// The line on which the query text starts, so query errors point into the job file.
    public var queryLine: Int
    public var format: String?
    /// `timestamp-field: NAME`: the top-level key JSON lines take `@timestamp` from.
    public var timestampField: String? = nil
    /// The line each metric, dimension and the timestamp column were declared on, for errors found
    /// later (when the query's columns are known): `metric:NAME`, `dimension:NAME`, `timestamp`.
    public var declarationLines: [String: Int] = [:]
    /// `start:`: the first window a job with no state emits (epoch ms); without it, the latest due window.
    public var start: Int64? = nil
    /// `settle:`: how long after a window's end it is due (default 30 s for files).
    public var settle: Period? = nil
    /// `late:`: what happens to records that arrive after their window was emitted.
    public var late: LatePolicy = .drop
    /// `in-doubt:`: what an additive sink gets after a crash between sending and recording the answer.
    public var inDoubt: InDoubtPolicy = .resend
    /// `alarm:` lines, evaluated on every window the job emits, in order.
    public var alarms: [AlarmRule] = []
    /// `notify:` lines: where the alarms' state changes go.
    public var notifiers: [AlarmNotifierSpec] = []
    /// `samples: N`: log lines a notification carries (default 10, at most 50).
    public var sampleLines = 10
    /// `lookback: 1d`: how far before a run's first open window S3 date-template prefixes are listed,
    /// for deliveries that arrive late (default: a day).
    public var lookback: Period? = nil

    /// Records that arrive after their window was emitted.
    public enum LatePolicy: String, Sendable, CaseIterable {
        /// Counted and reported (summary, state), not emitted.
        case drop
        /// Also emitted as additional datums for their window to the sinks that add (CloudWatch,
        /// StatsD, webhooks, EMF), where the extra datum sums exactly; counted for the others.
        case merge
    }

    /// The one ambiguous case of an additive sink: the process died after sending a window and before
    /// recording the answer, so nobody knows whether the sink took it.
    public enum InDoubtPolicy: String, Sendable, CaseIterable {
        /// Send it again: nothing is lost, a window may be counted twice.
        case resend
        /// Do not: nothing is counted twice, a window may be missing.
        case skip
    }

    /// How long after a window's end it is due when the job does not say.
    public static let defaultSettle = Period(unit: .fixed, amount: 30_000)

    /// A problem in a job file, as `file:line: message`.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let line: Int
        public let message: String
        public var description: String { "\(path):\(line): error: \(message)" }
    }

    /// One line per key, for `logmill run --help`.
    public static let keyHelp = """
      name: NAME                      the job's name (default: the file name)
      schedule: rate(5 minutes)       how often it runs: rate(N minutes|hours|days), cron(m h dom mon dow y)
                                      as EventBridge writes them (UTC), or every 5m; its period is the window
      start: 2026-11-01T00:00:00Z     the first window a job without state emits (default: the latest due)
      settle: 30s                     how long after a window's end it is due (default 30s)
      late: drop|merge                records after their window was emitted: counted, or also emitted as extra datums
      in-doubt: resend|skip           an additive sink after a crash between send and record (default resend)
      source: PATH|DIR|GLOB [as GROUP]  where its logs are; '@log' is GROUP (repeatable)
      sources-from: URL|FILE          a JSON list [{"targets": [...], "labels": {...}}] of sources; labels are fields (repeatable)
      namespace: NAME                 the metrics' namespace (required)
      metric: Name = column [unit U] [resolution 1|60] [default N], or Name = statistics(field) (repeatable)
      dimension: Name = column | "constant"  (repeatable; default: the stats 'by' columns)
      timestamp: column               the column giving each datum's time (default: the bin() column)
      period: 5m                      the bucket for statistic sets when the query has no stats
      format: FORMAT                  force the log format
      timestamp-field: NAME           the JSON key records take @timestamp from (default: timestamp, @timestamp, time, ts)
      sink: KIND [ARG] [key=value…]   where datums go (repeatable; default: table)
      query:                          the Insights query follows on the next lines
      pattern:                        or: a CloudWatch Logs filter pattern on the next line; per window it gives
                                      the columns matches and value, by dimension (dimension: Name = $field)
      value: $bytes                   with pattern: the metric value (a field or a number; default 1)
      alarm: NAME = METRIC [STAT] OP T for M of N [missing ignore|breaching|notBreaching|missing] [renotify 1h]
                                      evaluated on every window, CloudWatch's way (repeatable)
      notify: webhook URL | slack URL | command PATH | stdout
                                      where alarm state changes go (repeatable)
      samples: 10                     log lines a notification carries (0 to 50)
      lookback: 1d                    S3 date-template prefixes listed this far before the open windows (default 1d)
    See README.md ("Job files") for details.
    """

    static let keys = ["name", "schedule", "start", "settle", "late", "in-doubt", "source", "sources", "sources-from", "namespace", "metric", "dimension",
                       "timestamp", "timestamp-field", "period", "sink", "format", "query", "pattern", "value",
                       "alarm", "notify", "samples", "lookback"]

    public static func load(_ path: String) throws -> JobFile {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ParseError(path: path, line: 0, message: "cannot read the job file")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> JobFile {
        // CRLF files (written on Windows) read as LF files.
        // ("\r\n" is one Character in Swift, so it is replaced before splitting.)
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        var declared: [String: Int] = [:]
        var name: String? = nil, schedule: Schedule? = nil, namespace: String? = nil, timestampColumn: String? = nil
        var period: String? = nil, format: String? = nil, timestampField: String? = nil
        var start: Int64? = nil, settle: Period? = nil
        var late = LatePolicy.drop, inDoubt = InDoubtPolicy.resend
        var isPattern = false, patternValue: String? = nil
        var sources: [Source] = []
        var sourcesFrom: [(location: String, line: Int)] = []
        var metrics: [MetricMapping.Metric] = []
        var dimensions: [(name: String, source: MetricMapping.DimensionSource)] = []
        var sinks: [SinkConfiguration] = []
        var queryLine: Int? = nil
        var alarmLines: [(text: String, line: Int, column: Int)] = []
        var notifiers: [AlarmNotifierSpec] = []
        var sampleLines = 10
        var lookback: Period? = nil
        func fail(_ n: Int, _ m: String) -> ParseError { ParseError(path: path, line: n, message: m) }
        for (i, raw) in lines.enumerated() {
            let n = i + 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw fail(n, "expected 'key: value' (keys: \(keys.joined(separator: ", "))), or 'query:' before the query")
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "query":
                if !value.isEmpty { throw fail(n, "put the query on the lines after 'query:'") }
                queryLine = n + 1
            case "pattern":
                if !value.isEmpty { throw fail(n, "put the filter pattern on the line after 'pattern:'") }
                queryLine = n + 1
                isPattern = true
            case "value":
                guard !value.isEmpty else { throw fail(n, "value needs a field of the pattern ($.latency, $bytes) or a number") }
                patternValue = value
                declared["value"] = n
            case "name": name = value
            case "schedule":
                do {
                    schedule = try Schedule.parse(value)
                } catch let e as ScheduleError {
                    // Point at the column in the job file's line.
                    let column = (raw.range(of: value).map { raw.distance(from: raw.startIndex, to: $0.lowerBound) } ?? 0) + e.column
                    throw fail(n, "column \(column): \(e.message)")
                }
            case "source", "sources":
                let words = value.split(separator: " ").map(String.init)
                if let asIndex = words.firstIndex(of: "as") {
                    guard asIndex == words.count - 2, asIndex > 0 else { throw fail(n, "write 'source: PATH [PATH…] as LOG-GROUP'") }
                    for w in words[..<asIndex] { sources.append(Source(pattern: w, logGroup: words.last)) }
                } else {
                    guard !words.isEmpty else { throw fail(n, "source needs a path, directory or glob") }
                    for w in words { sources.append(Source(pattern: w, logGroup: nil)) }
                }
            case "sources-from":
                guard !value.isEmpty, !value.contains(" ") else { throw fail(n, "write 'sources-from: URL' or 'sources-from: FILE' (a JSON list of target groups)") }
                sourcesFrom.append((value, n))
            case "namespace":
                guard !value.isEmpty, value.count <= 255, !value.hasPrefix("AWS/"), !value.hasPrefix(":") else {
                    throw fail(n, "namespace must be 1 to 255 characters and not start with 'AWS/' or ':'")
                }
                namespace = value
            case "metric":
                let m = try parseMetric(value, line: n, fail: fail)
                if let first = declared["metric:" + m.name] { throw fail(n, "metric '\(m.name)' is declared twice (first on line \(first))") }
                declared["metric:" + m.name] = n
                metrics.append(m)
            case "dimension":
                guard let eq = value.firstIndex(of: "=") else { throw fail(n, "write 'dimension: Name = column' or 'dimension: Name = \"constant\"'") }
                let dn = value[..<eq].trimmingCharacters(in: .whitespaces)
                let dv = value[value.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                guard !dn.isEmpty, !dv.isEmpty else { throw fail(n, "dimension needs a name and a column") }
                if let first = declared["dimension:" + dn] { throw fail(n, "dimension '\(dn)' is declared twice (first on line \(first))") }
                declared["dimension:" + dn] = n
                guard declared.keys.filter({ $0.hasPrefix("dimension:") }).count <= 30 else {
                    throw fail(n, "more than 30 dimensions; CloudWatch allows at most 30")
                }
                if dv.hasPrefix("\""), dv.hasSuffix("\""), dv.count >= 2 {
                    dimensions.append((dn, .constant(String(dv.dropFirst().dropLast()))))
                } else {
                    dimensions.append((dn, .column(dv)))
                }
            case "timestamp":
                timestampColumn = value
                declared["timestamp"] = n
            case "period":
                guard let p = Period.parse(value) else { throw fail(n, "period must look like 30s, 5m, 1h, 1d or 1w") }
                period = p.description
            case "format":
                guard LogFormat(rawValue: value) != nil else {
                    throw fail(n, "unknown log format '\(value)'; formats: \(LogFormat.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                format = value
            case "start":
                guard let t = Timestamps.parseISO8601(value) else { throw fail(n, "start must be an ISO-8601 time, e.g. 2026-11-01T00:00:00Z") }
                start = t
            case "settle":
                guard let p = Period.parse(value), let ms = p.fixedMilliseconds, ms <= 7 * 86_400_000 else {
                    throw fail(n, "settle must be a duration of at most 7 days, e.g. 30s, 2m, 2h")
                }
                settle = p
            case "late":
                guard let l = LatePolicy(rawValue: value) else { throw fail(n, "late must be one of: \(LatePolicy.allCases.map(\.rawValue).joined(separator: ", "))") }
                late = l
            case "in-doubt":
                guard let d = InDoubtPolicy(rawValue: value) else { throw fail(n, "in-doubt must be one of: \(InDoubtPolicy.allCases.map(\.rawValue).joined(separator: ", "))") }
                inDoubt = d
            case "timestamp-field":
                guard !value.isEmpty else { throw fail(n, "timestamp-field needs the name of a JSON key, e.g. 'timestamp-field: eventTime'") }
                timestampField = value
            case "alarm":
                // Parsed once the period is known (the schedule may come later in the file).
                let column = (raw.range(of: value).map { raw.distance(from: raw.startIndex, to: $0.lowerBound) } ?? 0)
                alarmLines.append((value, n, column))
            case "notify":
                do { notifiers.append(try AlarmNotifierSpec.parse(value)) } catch { throw fail(n, "\(error)") }
                if let first = notifiers.dropLast().first(where: { $0.key == notifiers.last!.key }) {
                    throw fail(n, "'\(first.key)' is named twice")
                }
            case "lookback":
                guard let p = Period.parse(value), let ms = p.fixedMilliseconds, ms > 0, ms <= 30 * 86_400_000 else {
                    throw fail(n, "lookback must be a duration of at most 30 days, e.g. 6h, 1d, 3d")
                }
                lookback = p
            case "samples":
                guard let k = Int(value), (0...AlarmMessage.maximumSampleLines).contains(k) else {
                    throw fail(n, "samples must be a whole number from 0 to \(AlarmMessage.maximumSampleLines)")
                }
                sampleLines = k
            case "sink":
                let words = value.split(separator: " ").map(String.init)
                guard let spec = SinkSpec.parse(words, line: n) else {
                    throw fail(n, "sink needs a kind: \(SinkRegistry.kinds.map(\.name).joined(separator: ", "))")
                }
                do { sinks.append(try SinkRegistry.parse(spec)) } catch { throw fail(n, "\(error)") }
            default:
                throw fail(n, "unknown key '\(key)'; keys are: \(keys.joined(separator: ", "))")
            }
            if queryLine != nil { break }
        }
        guard let ql = queryLine else { throw fail(lines.count, "no 'query:' line; the query follows it (or 'pattern:' and a filter pattern)") }
        var query = lines[(ql - 1)...].joined(separator: "\n")
        guard !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw fail(ql, "the \(isPattern ? "pattern after 'pattern:'" : "query after 'query:'") is empty") }
        if isPattern {
            // One pattern, on one line (trailing blank lines and comments after it are ignored).
            let body = lines[(ql - 1)...].filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("#") }
            guard body.count == 1 else { throw fail(ql, "a filter pattern is one line; put each pattern in its own job") }
            query = body[0]
        } else if patternValue != nil {
            throw fail(declared["value"] ?? 1, "'value:' goes with 'pattern:', not with a query")
        }
        guard let ns = namespace else { throw fail(1, "missing 'namespace:'") }
        guard !metrics.isEmpty else { throw fail(1, "no 'metric:' line; name at least one metric") }
        guard !sources.isEmpty || !sourcesFrom.isEmpty else { throw fail(1, "no 'source:' or 'sources-from:' line") }
        // A CloudWatch Logs group is asked again for every open window; other sources are read on
        // from where they stopped: the two cannot share a job's windows.
        let logs = sources.filter { $0.pattern.lowercased().hasPrefix("cloudwatch-logs:") }
        if !logs.isEmpty && (logs.count != sources.count || !sourcesFrom.isEmpty) {
            throw fail(1, "a job reads CloudWatch Logs groups or other sources, not both: put the cloudwatch-logs: sources in a job of their own")
        }
        // In a pattern job a dimension `Name = $field` takes its value from the pattern's match.
        var patternDimensions: [(name: String, field: String)] = []
        if isPattern {
            for (k, d) in dimensions.enumerated() {
                guard case .column(let c) = d.source, c.hasPrefix("$") else { continue }
                patternDimensions.append((d.name, c))
                dimensions[k].source = .column(d.name)
            }
            guard patternDimensions.count <= 3 else { throw fail(declared["dimension:" + patternDimensions[3].name] ?? 1, "a metric filter has at most 3 dimensions") }
        }
        let jobName = name ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let mapping = MetricMapping(namespace: ns, metrics: metrics, dimensions: dimensions, timestampColumn: timestampColumn,
                                    period: period ?? schedule?.period?.description ?? "5m")
        var job = JobFile(path: path, name: jobName, schedule: schedule, sources: sources, mapping: mapping,
                       sinks: sinks.isEmpty ? [try! SinkRegistry.parse(SinkSpec(kind: "table"))] : sinks,
                       query: query, queryLine: ql, format: format, timestampField: timestampField, declarationLines: declared,
                       start: start, settle: settle, late: late, inDoubt: inDoubt)
        job.sourcesFrom = sourcesFrom
        // Alarms: over one of the job's metrics, on the job's period.
        let alarmPeriod = schedule?.period ?? Period.parse(mapping.period) ?? Period(unit: .fixed, amount: 300_000)
        for a in alarmLines {
            let rule: AlarmRule
            do { rule = try AlarmRule.parse(a.text, period: alarmPeriod) } catch let e as AlarmRuleError {
                throw fail(a.line, "column \(a.column + e.column): \(e.message)")
            }
            guard metrics.contains(where: { $0.name == rule.metricName }) else {
                throw fail(a.line, "alarm '\(rule.name)' watches '\(rule.metricName)', which is not one of the job's metrics (\(metrics.map(\.name).joined(separator: ", ")))")
            }
            if job.alarms.contains(where: { $0.name == rule.name }) { throw fail(a.line, "alarm '\(rule.name)' is declared twice") }
            job.alarms.append(rule)
        }
        if !notifiers.isEmpty && alarmLines.isEmpty { throw fail(1, "'notify:' lines need at least one 'alarm:' line") }
        job.notifiers = notifiers
        job.sampleLines = sampleLines
        job.lookback = lookback
        if isPattern {
            job.mapping.infersDimensions = false
            job.pattern = query
            job.patternValue = patternValue
            job.patternDimensions = patternDimensions
        }
        return job
    }

    /// `Name = column [unit U] [resolution 1|60]` or `Name = statistics(field) …`.
    static func parseMetric(_ value: String, line n: Int, fail: (Int, String) -> ParseError) throws -> MetricMapping.Metric {
        guard let eq = value.firstIndex(of: "=") else { throw fail(n, "write 'metric: Name = column [unit Unit]'") }
        let name = value[..<eq].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 255 else { throw fail(n, "a metric name is 1 to 255 characters") }
        var words = value[value.index(after: eq)...].split(separator: " ").map(String.init)
        guard !words.isEmpty else { throw fail(n, "metric '\(name)' needs a column") }
        let sourceWord = words.removeFirst()
        let source: MetricMapping.Source
        if sourceWord.lowercased().hasPrefix("statistics("), sourceWord.hasSuffix(")") {
            source = .statistics(field: String(sourceWord.dropFirst("statistics(".count).dropLast()))
        } else {
            source = .column(sourceWord)
        }
        var unit = MetricUnit.none
        var resolution = 60
        var defaultValue: Double? = nil
        while !words.isEmpty {
            let w = words.removeFirst().lowercased()
            guard !words.isEmpty else { throw fail(n, "'\(w)' needs a value") }
            let v = words.removeFirst()
            switch w {
            case "unit":
                guard let u = MetricUnit.named(v) else {
                    throw fail(n, "unknown unit '\(v)'; CloudWatch units: \(MetricUnit.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                unit = u
            case "resolution":
                guard v == "1" || v == "60" else { throw fail(n, "resolution is 1 (high resolution) or 60 seconds") }
                resolution = Int(v)!
            case "default":
                guard let d = Double(v), d.isFinite else { throw fail(n, "default must be a number, e.g. 'default 0'") }
                defaultValue = d
            default: throw fail(n, "unexpected '\(w)'; after the column come 'unit U', 'resolution 1|60' and 'default N'")
            }
        }
        var metric = MetricMapping.Metric(name: name, source: source, unit: unit, storageResolution: resolution)
        metric.defaultValue = defaultValue
        return metric
    }
}

extension JobFile {
    /// Checks the mapping against the columns the query produces: every metric, dimension and the
    /// timestamp column must be one of them. Throws with the line of the declaration.
    public func check(columns: [String]) throws {
        let known = Set(columns)
        let shown = columns.filter { !$0.hasPrefix("__") }.joined(separator: ", ")
        func need(_ column: String, _ key: String, _ what: String) throws {
            guard known.contains(column) else {
                throw ParseError(path: path, line: declarationLines[key] ?? 0,
                                 message: "\(what) names the column '\(column)', which the query does not produce; its columns are: \(shown)")
            }
        }
        for m in mapping.metrics {
            if case .column(let c) = m.source { try need(c, "metric:" + m.name, "metric '\(m.name)'") }
        }
        for d in mapping.dimensions {
            if case .column(let c) = d.source { try need(c, "dimension:" + d.name, "dimension '\(d.name)'") }
        }
        if let t = mapping.timestampColumn { try need(t, "timestamp", "timestamp") }
        if mapping.dimensions.isEmpty {
            let metricColumns = Set(mapping.metrics.compactMap { m -> String? in if case .column(let c) = m.source { return c }; return nil })
            let implied = columns.filter { !$0.hasPrefix("__") && !metricColumns.contains($0) }
            if implied.count > 31 {
                throw ParseError(path: path, line: queryLine, message: "the query's \(implied.count) non-metric columns would become dimensions; CloudWatch allows at most 30 (declare 'dimension:' lines)")
            }
        }
    }
}
