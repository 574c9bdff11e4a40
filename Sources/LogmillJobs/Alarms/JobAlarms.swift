import Foundation
import LogmillAlarms
import LogmillMetrics
import LogmillQuery
import LogmillSinks
import LogmillTime

/// What a job's alarms make of its windows: the tracker of each `alarm:` fed every emitted window in
/// order, and the notifications they call for delivered to every `notify:` with a ledger in the state.
public enum JobAlarms {
    /// A state change, for reports and `backfill --alarms`.
    public struct Change: Sendable {
        public var alarm: String
        public var transition: AlarmTransition
    }

    /// One delivery attempt's result.
    public struct Delivery: Sendable {
        public var alarm: String
        public var notifier: String
        public var newState: AlarmState
        public var time: Int64
        /// nil when delivered.
        public var error: String?
    }

    /// The value one window gives an alarm: the alarm's metric's datums in it, across dimension sets,
    /// as one value (a single plain datum) or one statistic set; nil (missing) when there are none.
    public static func input(_ datums: [MetricDatum], metric: String) -> AlarmInput? {
        let mine = datums.filter { $0.name == metric }
        if mine.count == 1, case .single(let v) = mine[0].value { return .value(v) }
        var set: AlarmStatisticSet? = nil
        func add(_ n: Double, _ sum: Double, _ lo: Double, _ hi: Double) {
            guard n > 0 else { return }
            if let s = set {
                set = AlarmStatisticSet(sampleCount: s.sampleCount + n, sum: s.sum + sum, minimum: min(s.minimum, lo), maximum: max(s.maximum, hi))
            } else {
                set = AlarmStatisticSet(sampleCount: n, sum: sum, minimum: lo, maximum: hi)
            }
        }
        for d in mine {
            switch d.value {
            case .single(let v): add(1, v, v, v)
            case .statistics(let s): add(s.sampleCount, s.sum, s.minimum, s.maximum)
            case .distribution(let values, let counts):
                for (v, c) in zip(values, counts) { add(c, v * c, v, v) }
            }
        }
        return set.map { .statistics($0) }
    }

    /// The trackers for `job`'s alarms from `state` (new ones for new alarms; a changed rule replaces the
    /// old one and keeps the state, as updating an alarm does; removed alarms are dropped).
    public static func trackers(_ job: JobFile, state: JobState) -> [String: AlarmTracker] {
        var out: [String: AlarmTracker] = [:]
        for rule in job.alarms {
            var t = state.alarms?[rule.name] ?? AlarmTracker(rule: rule)
            t.rule = rule
            t.sampleLimit = job.sampleLines
            out[rule.name] = t
        }
        return out
    }

    /// Feeds `windows` (in order) to every tracker: the datums of each and its sample lines.
    public static func observe(_ trackers: inout [String: AlarmTracker], job: JobFile, windows: [Window],
                               datums: [Int64: [MetricDatum]], samples: [Int64: [SampleLine]]) -> [Change] {
        var changes: [Change] = []
        for w in windows {
            let lines = (samples[w.start] ?? []).map { AlarmSampleLine(time: $0.time, source: $0.source, line: $0.message) }
            for rule in job.alarms {
                let value = input(datums[w.start] ?? [], metric: rule.metricName)
                if let t = trackers[rule.name]!.observe(window: w, value: value, samples: lines) {
                    changes.append(Change(alarm: rule.name, transition: t))
                }
            }
        }
        return changes
    }

    /// The SNS-shaped message of a notification.
    public static func message(_ job: JobFile, rule: AlarmRule, notification: AlarmNotification) -> AlarmMessage {
        let unit = job.mapping.metrics.first { $0.name == rule.metricName }?.unit.rawValue
        return AlarmMessage(rule: rule, transition: notification.transition, namespace: job.mapping.namespace, unit: unit,
                            sampleLines: notification.samples ?? [])
    }

    /// Delivers every pending notification of `trackers` to each notifier that has not taken it,
    /// recording each attempt before it and its answer after it through `save`; returns the results.
    public static func deliver(_ trackers: inout [String: AlarmTracker], job: JobFile, delivery: AlarmDelivery,
                               save: (_ trackers: [String: AlarmTracker]) throws -> Void) throws -> [Delivery] {
        var results: [Delivery] = []
        var handled = false
        let keys = job.notifiers.map(\.key)
        for rule in job.alarms {
            for n in trackers[rule.name]!.pending {
                let message = JobAlarms.message(job, rule: rule, notification: n)
                for notifier in job.notifiers where n.awaits(notifier.key) {
                    trackers[rule.name]!.markAttempted(n.id)
                    try save(trackers)
                    FaultPoint.hit("notify")
                    let error = delivery.deliver(message, key: "\(job.name)/\(rule.name)/\(n.key)", reminder: n.kind == .reminder, to: notifier)
                    if let error {
                        trackers[rule.name]!.markFailed(n.id, at: notifier.key, error: error)
                    } else {
                        trackers[rule.name]!.markDelivered(n.id, to: notifier.key, of: keys)
                    }
                    results.append(Delivery(alarm: rule.name, notifier: notifier.label, newState: n.transition.newState, time: n.time, error: error))
                    try save(trackers)
                }
                // A job without notifiers records its transitions as handled.
                if keys.isEmpty { trackers[rule.name]!.markSent(n.id); handled = true }
            }
        }
        if handled { try save(trackers) }
        return results
    }
}
