import Foundation
import LogmillAlarms
import LogmillJobs
import LogmillTime

/// `logmill alarms`: every alarm of the named jobs with its state, from the jobs' state.
enum AlarmsCommand {
    static let spec = CommandSpec(
        name: "alarms",
        summary: "show each alarm's state, since when, its last datapoints and its last notification",
        arguments: "(JOB... | DIR)",
        description: """
        Per alarm of each job ('alarm:' lines): its state (OK, ALARM, INSUFFICIENT_DATA) and since
        when, the reason, the values of the windows in its evaluation range, and its last
        notification with where it went (or why it has not yet). Reads the state only; never locks or
        changes it. An alarm that no run has evaluated yet shows INSUFFICIENT_DATA, as a new
        CloudWatch alarm does.

        Exit status: 0 when no alarm is in ALARM and no notification is pending; 1 when one is in
        ALARM, a notification could not be sent, or a job's state cannot be read; 2 when a job file
        or the command line is wrong.
        """,
        options: [
            OptionSpec("format", value: "FORMAT", "text (default) or json (an array, one object per alarm)"),
            OptionSpec("state-dir", value: "DIR", "where jobs keep their state (as for 'run')"),
        ],
        examples: [
            "logmill alarms queries/",
            "logmill alarms --format json --state-dir /var/lib/logmill /etc/logmill/jobs/errors.job",
        ])

    /// One alarm, as shown.
    struct Shown: Encodable {
        var job: String
        var alarm: String
        var rule: String
        var state: String
        var since: String?
        var reason: String
        var datapoints: [Point]
        var lastNotification: Notification?
        var pendingNotifications: Int

        struct Point: Encodable { var time: String; var value: Double? }
        struct Notification: Encodable {
            var state: String
            var time: String
            var kind: String
            var status: String
            var deliveredTo: [String]
            var errors: [String: String]
        }
    }

    static func run(_ parsed: ParsedOptions) throws -> ExitStatus {
        guard !parsed.positionals.isEmpty else { throw UsageError("name job files or a folder of them\n\n" + spec.helpText) }
        let format = parsed.value("format") ?? "text"
        guard format == "text" || format == "json" else { throw UsageError("--format takes text or json") }
        let store = StateStore(directory: parsed.value("state-dir") ?? StateStore.defaultDirectory())
        var status = ExitStatus.ok
        var shown: [Shown] = []
        let paths: [String]
        do { paths = try JobSet.paths(parsed.positionals) } catch { throw UsageError("\(error)") }
        for path in paths {
            do {
                let job = try JobFile.load(path)
                let state = try store.load(job: job.name, signature: JobCycle.signature(job, period: JobCycle.period(job)))
                let labels = Dictionary(job.notifiers.map { ($0.key, $0.label) }, uniquingKeysWith: { a, _ in a })
                for rule in job.alarms {
                    let t = state?.alarms?[rule.name] ?? AlarmTracker(rule: rule)
                    shown.append(describe(job, rule: rule, tracker: t, labels: labels))
                }
            } catch {
                Terminal.err("\(error)\n")
                status.raise(ExitStatus.of(error))
            }
        }
        if shown.contains(where: { $0.state == AlarmState.alarm.rawValue || $0.pendingNotifications > 0 }) { status.raise(.failed) }
        if format == "json" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Terminal.out(String(decoding: try encoder.encode(shown), as: UTF8.self) + "\n")
            return status
        }
        if shown.isEmpty { Terminal.notice("no alarms: the jobs have no 'alarm:' lines") }
        Terminal.out(shown.map(text).joined())
        return status
    }

    static func describe(_ job: JobFile, rule: AlarmRule, tracker t: AlarmTracker, labels: [String: String]) -> Shown {
        let points = t.values.keys.sorted().map { Shown.Point(time: CivilCalendar.iso($0), value: t.values[$0]) }
        let last = t.history.last.map { n in
            Shown.Notification(state: n.transition.newState.rawValue, time: CivilCalendar.iso(n.time), kind: n.kind.rawValue,
                               status: n.status.rawValue, deliveredTo: (n.deliveredTo ?? []).map { labels[$0] ?? $0 },
                               errors: Dictionary((n.lastErrors ?? [:]).map { (labels[$0.key] ?? $0.key, $0.value) }, uniquingKeysWith: { a, _ in a }))
        }
        return Shown(job: job.name, alarm: rule.name, rule: ruleText(rule), state: t.state.rawValue,
                     since: t.stateSince.map(CivilCalendar.iso), reason: t.reason, datapoints: points,
                     lastNotification: last, pendingNotifications: t.pending.count)
    }

    static func ruleText(_ r: AlarmRule) -> String {
        "\(r.metricName) \(r.effectiveStatistic.rawValue) \(r.comparison.rawValue) \(AlarmFormat.number(r.threshold)) "
            + "for \(r.datapointsToAlarm) of \(r.evaluationPeriods) (\(r.period)) missing \(r.treatMissingData.rawValue)"
    }

    static func text(_ s: Shown) -> String {
        var out = "\(s.job)/\(s.alarm): \(s.state)" + (s.since.map { " since \($0)" } ?? "") + "\n"
        out += "  rule: \(s.rule)\n"
        out += "  reason: \(s.reason)\n"
        if !s.datapoints.isEmpty {
            out += "  datapoints: " + s.datapoints.map { "\($0.time) \($0.value.map(AlarmFormat.number) ?? "missing")" }.joined(separator: ", ") + "\n"
        }
        if let n = s.lastNotification {
            out += "  last notification: \(n.state) at \(n.time)\(n.kind == "reminder" ? " (reminder)" : ""): \(n.status)"
            if !n.deliveredTo.isEmpty { out += ", taken by " + n.deliveredTo.joined(separator: ", ") }
            for (k, e) in n.errors.sorted(by: { $0.key < $1.key }) { out += "; \(k): \(e)" }
            out += "\n"
        }
        if s.pendingNotifications > 0 { out += "  pending notifications: \(s.pendingNotifications) (sent by the next run)\n" }
        return out
    }
}
