import Foundation
import LogmillAlarms
import LogmillMetrics
import LogmillQuery
import LogmillRecords
import LogmillSinks
import LogmillTime

/// A unit test for a job and its alarms, in the spirit of `promtool test rules`: log lines given in
/// the file replace the job's sources, the job runs once on a clock set to `at:` with a fresh state
/// (every window from `start:` on, in order, as scheduled runs would emit them), and the datums per
/// window, the alarms' states and the notifications are compared with the expectations.
///
///     # lambda-errors.job over a burst of errors
///     job: ../lambda-errors.job
///     start: 2026-11-01T00:00:00Z
///     at: 2026-11-01T00:30:00Z
///     input: /aws/lambda/orders-api
///     lines:
///     2026-11-01T00:00:01.000Z	req-1	ERROR	boom
///     end
///     expect: 2026-11-01T00:00:00Z Errors{FunctionName=orders-api} = 1
///     expect: 2026-11-01T00:05:00Z Errors = none
///     expect-alarm: 2026-11-01T00:15:00Z ErrorSpike = ALARM
///     expect-notification: 2026-11-01T00:15:00Z ErrorSpike ALARM
///
/// `expect:` lines for one window and metric list all of its datums (any other is a difference);
/// `= none` says there is none. Values are numbers, or `count/sum/min/max` for statistic sets.
/// `expect-alarm:` is the alarm's state after the windows ending at or before the time.
/// Once any `expect-notification:` is given, the notifications must be exactly those listed.
public struct JobTest: Sendable {
    public struct Input: Sendable {
        public var logGroup: String?
        public var lines: [String]
    }
    public struct DatumExpectation: Sendable {
        public var line: Int
        public var window: Int64
        public var metric: String
        /// Sorted `name=value` pairs.
        public var dimensions: [String]
        /// nil: no datum (`= none`).
        public var value: MetricValue?
    }
    public struct AlarmExpectation: Sendable {
        public var line: Int
        public var time: Int64
        public var alarm: String
        public var state: AlarmState
    }
    public struct NotificationExpectation: Sendable {
        public var line: Int
        public var time: Int64
        public var alarm: String
        public var state: AlarmState
        public var reminder: Bool
    }

    public var path: String
    public var jobPath: String
    public var start: Int64?
    public var at: Int64
    public var inputs: [Input] = []
    public var datums: [DatumExpectation] = []
    public var alarms: [AlarmExpectation] = []
    public var notifications: [NotificationExpectation] = []
    public var expectsNotifications = false

    public static func load(_ path: String) throws -> JobTest {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw JobFile.ParseError(path: path, line: 0, message: "cannot read the test file")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> JobTest {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        func fail(_ n: Int, _ m: String) -> JobFile.ParseError { JobFile.ParseError(path: path, line: n, message: m) }
        func time(_ word: Substring, _ n: Int) throws -> Int64 {
            guard let t = Timestamps.parseISO8601(String(word)) else { throw fail(n, "'\(word)' is not an ISO-8601 time such as 2026-11-01T00:05:00Z") }
            return t
        }
        var job: String?, start: Int64?, at: Int64?
        var test = JobTest(path: path, jobPath: "", start: nil, at: 0)
        var group: String? = nil
        var i = 0
        while i < lines.count {
            let n = i + 1
            let line = lines[i].trimmingCharacters(in: .whitespaces)
            i += 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else { throw fail(n, "expected 'key: value' (job, start, at, input, lines, expect, expect-alarm, expect-notification)") }
            let key = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            let words = value.split(separator: " ")
            switch key {
            case "job": job = value
            case "start": start = try time(Substring(value), n)
            case "at": at = try time(Substring(value), n)
            case "input": group = value.isEmpty ? nil : value
            case "lines":
                var body: [String] = []
                while i < lines.count && lines[i] != "end" { body.append(lines[i]); i += 1 }
                guard i < lines.count else { throw fail(n, "the lines after 'lines:' end with a line 'end'") }
                i += 1
                test.inputs.append(Input(logGroup: group, lines: body))
            case "expect":
                // TIME METRIC[{k=v,…}] = VALUE | none; `=` inside the braces belongs to the dimensions.
                let usage = "write 'expect: TIME Metric{Dim=value} = number' (or '= none')"
                guard let space = value.firstIndex(of: " ") else { throw fail(n, usage) }
                let t = try time(value[..<space], n)
                let rest = value[value.index(after: space)...]
                let metricEnd = rest.firstIndex(of: "{").flatMap { _ in rest.firstIndex(of: "}").map { rest.index(after: $0) } } ?? rest.firstIndex(of: "=")
                guard let metricEnd, let eq = rest[metricEnd...].firstIndex(of: "=") else { throw fail(n, usage) }
                let metricText = rest[..<metricEnd].trimmingCharacters(in: .whitespaces)
                let right = rest[rest.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                guard !metricText.isEmpty, !right.isEmpty else { throw fail(n, usage) }
                var metric = metricText
                var dims: [String] = []
                if let open = metricText.firstIndex(of: "{") {
                    guard metricText.hasSuffix("}") else { throw fail(n, "dimensions go in braces: Metric{Dim=value,Dim2=value}") }
                    metric = String(metricText[..<open])
                    let inner = metricText[metricText.index(after: open)..<metricText.index(before: metricText.endIndex)]
                    dims = inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.sorted()
                }
                let v: MetricValue?
                if right == "none" { v = nil } else if let d = Double(right) { v = .single(d) } else {
                    let nums = right.split(separator: "/").compactMap { Double($0) }
                    guard nums.count == 4 else { throw fail(n, "the value is a number, count/sum/min/max for a statistic set, or none") }
                    v = .statistics(StatisticSet(sampleCount: nums[0], sum: nums[1], minimum: nums[2], maximum: nums[3]))
                }
                test.datums.append(DatumExpectation(line: n, window: t, metric: metric, dimensions: dims, value: v))
            case "expect-alarm":
                // TIME NAME = STATE
                guard words.count == 4, words[2] == "=", let s = AlarmState(rawValue: String(words[3])) else {
                    throw fail(n, "write 'expect-alarm: TIME Name = OK|ALARM|INSUFFICIENT_DATA'")
                }
                test.alarms.append(AlarmExpectation(line: n, time: try time(words[0], n), alarm: String(words[1]), state: s))
            case "expect-notification":
                // TIME NAME STATE [reminder]
                guard words.count == 3 || (words.count == 4 && words[3] == "reminder"), let s = AlarmState(rawValue: String(words[2])) else {
                    throw fail(n, "write 'expect-notification: TIME Name OK|ALARM|INSUFFICIENT_DATA [reminder]'")
                }
                test.notifications.append(NotificationExpectation(line: n, time: try time(words[0], n), alarm: String(words[1]), state: s, reminder: words.count == 4))
                test.expectsNotifications = true
            case "expect-notifications":
                guard value == "none" else { throw fail(n, "'expect-notifications: none' says no notification is expected") }
                test.expectsNotifications = true
            default:
                throw fail(n, "unknown key '\(key)'; keys: job, start, at, input, lines, expect, expect-alarm, expect-notification(s)")
            }
        }
        guard let job else { throw fail(1, "no 'job:' line naming the job file under test") }
        guard let at else { throw fail(1, "no 'at:' line: the time the job runs at") }
        guard !test.inputs.isEmpty else { throw fail(1, "no 'lines:' block: the log lines the job reads") }
        test.jobPath = job.hasPrefix("/") ? job : URL(fileURLWithPath: path).deletingLastPathComponent().path + "/" + job
        test.start = start
        test.at = at
        return test
    }

    /// What differed, as `file:line: message`; empty when the test passed.
    public func run(workers: Int = 1) throws -> [String] {
        var job = try JobFile.load(jobPath)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("logmill-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: dir + "/state", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        job.sources = []
        for (k, input) in inputs.enumerated() {
            let file = dir + "/input-\(k).log"
            try Data((input.lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
            job.sources.append(JobFile.Source(pattern: file, logGroup: input.logGroup))
        }
        let period = JobCycle.period(job)
        if let start { job.start = period.floor(start) }
        guard job.start != nil else {
            throw JobFile.ParseError(path: path, line: 1, message: "the job has no 'start:'; give the test one (start: TIME)")
        }
        // Datums go to a table printed nowhere; nobody is notified.
        job.sinks = [try SinkRegistry.parse(SinkSpec(kind: "table"))]
        job.notifiers = []
        var options = QueryOptions()
        options.clock = ManualClock(milliseconds: at)
        options.scan.workers = workers
        let cycle = JobCycle(store: StateStore(directory: dir + "/state"), options: options, output: TextBuffer(), environment: [:])
        let report = try cycle.run(job)
        var failures = report.warnings.map { "\(path): the run warned: \($0)" }

        // Datums: per window and metric, exactly the expected set.
        var groups: [String: [DatumExpectation]] = [:]
        for e in datums { groups["\(e.window) \(e.metric)", default: []].append(e) }
        for (_, expected) in groups.sorted(by: { $0.value[0].line < $1.value[0].line }) {
            let first = expected[0]
            let where_ = "\(CivilCalendar.iso(first.window)) \(first.metric)"
            guard let windowDatums = report.emitted[first.window] else {
                failures.append("\(path):\(first.line): no window starting at \(CivilCalendar.iso(first.window)) was emitted (\(report.windows.isEmpty ? "none was" : "emitted: \(Window(start: report.windows.first!.start, end: report.windows.last!.end))"); a window is due at its end plus the job's settle delay: is 'at:' late enough?)")
                continue
            }
            var actual: [String: MetricValue] = [:]
            for d in windowDatums where d.name == first.metric {
                actual[d.dimensions.map { "\($0.name)=\($0.value)" }.sorted().joined(separator: ",")] = d.value
            }
            var wanted: [String: (Int, MetricValue)] = [:]
            for e in expected { if let v = e.value { wanted[e.dimensions.joined(separator: ",")] = (e.line, v) } }
            for (dims, (line, v)) in wanted.sorted(by: { $0.key < $1.key }) {
                guard let got = actual[dims] else {
                    failures.append("\(path):\(line): \(where_)\(dims.isEmpty ? "" : "{\(dims)}"): expected \(JobTest.show(v)), got no datum" + JobTest.others(actual))
                    continue
                }
                if !JobTest.same(got, v) { failures.append("\(path):\(line): \(where_)\(dims.isEmpty ? "" : "{\(dims)}"): expected \(JobTest.show(v)), got \(JobTest.show(got))") }
            }
            for (dims, v) in actual.sorted(by: { $0.key < $1.key }) where wanted[dims] == nil {
                failures.append("\(path):\(first.line): \(where_)\(dims.isEmpty ? "" : "{\(dims)}"): not expected, got \(JobTest.show(v))")
            }
        }

        // Alarm states over time, from the run's transitions.
        for e in alarms {
            guard job.alarms.contains(where: { $0.name == e.alarm }) else {
                failures.append("\(path):\(e.line): the job has no alarm '\(e.alarm)' (alarms: \(job.alarms.map(\.name).joined(separator: ", ")))")
                continue
            }
            let state = report.alarmChanges.filter { $0.alarm == e.alarm && $0.transition.time <= e.time }.last?.transition.newState ?? .insufficientData
            if state != e.state { failures.append("\(path):\(e.line): alarm \(e.alarm) at \(CivilCalendar.iso(e.time)): expected \(e.state.rawValue), got \(state.rawValue)") }
        }

        // Notifications: exactly those listed.
        if expectsNotifications {
            let got = report.intendedNotifications.map { "\(CivilCalendar.iso($0.notification.time)) \($0.alarm) \($0.notification.transition.newState.rawValue)" + ($0.notification.kind == .reminder ? " reminder" : "") }
            let want = notifications.map { "\(CivilCalendar.iso($0.time)) \($0.alarm) \($0.state.rawValue)" + ($0.reminder ? " reminder" : "") }
            if got != want {
                let line = notifications.first?.line ?? 1
                failures.append("\(path):\(line): notifications differ\n  expected: \(want.isEmpty ? "none" : want.joined(separator: "; "))\n  got:      \(got.isEmpty ? "none" : got.joined(separator: "; "))")
            }
        }
        return failures
    }

    static func same(_ a: MetricValue, _ b: MetricValue) -> Bool {
        func close(_ x: Double, _ y: Double) -> Bool { x == y || abs(x - y) <= 1e-9 * max(abs(x), abs(y)) }
        switch (a, b) {
        case (.single(let x), .single(let y)): return close(x, y)
        case (.statistics(let x), .statistics(let y)):
            return close(x.sampleCount, y.sampleCount) && close(x.sum, y.sum) && close(x.minimum, y.minimum) && close(x.maximum, y.maximum)
        default: return a == b
        }
    }

    static func show(_ v: MetricValue) -> String {
        switch v {
        case .single(let x): return number(x)
        case .statistics(let s): return [s.sampleCount, s.sum, s.minimum, s.maximum].map(number).joined(separator: "/")
        case .distribution(let values, let counts): return "distribution of \(values.count) values (\(counts.reduce(0, +)) samples)"
        }
    }

    /// `3`, `2.5`: as a person writes the expectation.
    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
    }

    static func others(_ actual: [String: MetricValue]) -> String {
        actual.isEmpty ? "" : " (datums of the window: " + actual.keys.sorted().map { "{\($0)}" }.joined(separator: ", ") + ")"
    }
}
