import Foundation
import LogmillTime

/// A log line shown with a notification (logmill's own addition; Log Based Alarms carry up to 50).
public struct AlarmSampleLine: Codable, Sendable, Hashable {
    public let time: Int64
    public let source: String
    public let line: String
    public init(time: Int64, source: String, line: String) { self.time = time; self.source = source; self.line = line }
}

/// The CloudWatch alarm message published to SNS (protocols.md 5.4), with logmill's `SampleLines`
/// and `Datapoints` after the service's fields. Keys are written in the order of the service's
/// messages, so the bytes are stable. Left out: `AlarmArn`, `AlarmConfigurationUpdatedTimestamp` and
/// the three action lists, which name AWS resources logmill does not have; receivers must accept
/// their absence anyway (older alarms lack them, 5.4). `StateChangeTime` is the end of the window
/// whose evaluation changed the state (the service's is a moment in the minute after it).
public struct AlarmMessage: Sendable, Hashable {
    public var rule: AlarmRule
    public var transition: AlarmTransition
    public var namespace: String
    public var dimensions: [(name: String, value: String)]
    public var unit: String?
    public var accountID: String?
    /// The region's long display name (`US East (N. Virginia)`), as the service writes it.
    public var region: String?
    public var sampleLines: [AlarmSampleLine]
    /// The service's maximum number of sample lines (PutLogAlarm's ActionLogLineCount).
    public static let maximumSampleLines = 50

    public init(rule: AlarmRule, transition: AlarmTransition, namespace: String, dimensions: [(name: String, value: String)] = [],
                unit: String? = nil, accountID: String? = nil, region: String? = nil, sampleLines: [AlarmSampleLine] = []) {
        self.rule = rule; self.transition = transition; self.namespace = namespace; self.dimensions = dimensions
        self.unit = unit; self.accountID = accountID; self.region = region
        self.sampleLines = Array(sampleLines.prefix(AlarmMessage.maximumSampleLines))
    }

    public static func == (a: AlarmMessage, b: AlarmMessage) -> Bool { a.json == b.json }
    public func hash(into h: inout Hasher) { h.combine(json) }

    /// The SNS subject the service uses: `ALARM: "name" in Region name`.
    public var subject: String {
        "\(transition.newState.rawValue): \"\(rule.name)\" in \(region ?? "logmill")"
    }

    /// The message, one line of JSON.
    public var json: String {
        let w = OrderedJSON()
        w.object {
            w.key("AlarmName"); w.string(rule.name)
            w.key("AlarmDescription"); w.string(rule.description)
            if let accountID { w.key("AWSAccountId"); w.string(accountID) }
            w.key("NewStateValue"); w.string(transition.newState.rawValue)
            w.key("NewStateReason"); w.string(transition.reason)
            w.key("StateChangeTime"); w.string(AlarmFormat.messageTime(transition.time))
            if let region { w.key("Region"); w.string(region) }
            w.key("OldStateValue"); w.string(transition.oldState.rawValue)
            w.key("Trigger"); w.object {
                w.key("MetricName"); w.string(rule.metricName)
                w.key("Namespace"); w.string(namespace)
                w.key("StatisticType"); w.string("Statistic")
                w.key("Statistic"); w.string(rule.effectiveStatistic.messageName)
                w.key("Unit"); w.string(unit)
                w.key("Dimensions"); w.array(dimensions) { d in
                    // The service writes these two keys in lower case, value first (5.4).
                    w.object { w.key("value"); w.string(d.value); w.key("name"); w.string(d.name) }
                }
                w.key("Period"); w.raw("\((rule.period.fixedMilliseconds ?? 0) / 1000)")
                w.key("EvaluationPeriods"); w.raw("\(rule.evaluationPeriods)")
                w.key("DatapointsToAlarm"); w.raw("\(rule.datapointsToAlarm)")
                w.key("ComparisonOperator"); w.string(rule.comparison.serviceName)
                w.key("Threshold"); w.number(rule.threshold)
                w.key("TreatMissingData"); w.string(rule.treatMissingData.rawValue)
                // Only percentile alarms have it; the service writes "" for the others.
                w.key("EvaluateLowSampleCountPercentile"); w.string("")
            }
            w.key("SampleLines"); w.array(sampleLines) { s in
                w.object {
                    w.key("time"); w.string(AlarmFormat.messageTime(s.time))
                    w.key("source"); w.string(s.source)
                    w.key("line"); w.string(s.line)
                }
            }
            w.key("Datapoints"); w.array(transition.datapoints) { p in
                w.object {
                    w.key("time"); w.string(AlarmFormat.messageTime(p.start))
                    w.key("value"); if let v = p.value { w.number(v) } else { w.raw("null") }
                }
            }
        }
        return w.text
    }
}

/// A JSON writer that keeps keys in the order they are written (JSONEncoder sorts or scrambles them).
/// A class: nested writes from closures share the one buffer.
final class OrderedJSON {
    private(set) var text = ""
    private var needsComma = false

    func object(_ body: () -> Void) {
        separate(); text += "{"; needsComma = false
        body()
        text += "}"; needsComma = true
    }
    func array<T>(_ items: [T], _ each: (T) -> Void) {
        separate(); text += "["; needsComma = false
        for item in items { each(item) }
        text += "]"; needsComma = true
    }
    func key(_ k: String) { separate(); appendString(k); text += ":"; needsComma = false }
    func string(_ s: String?) {
        separate()
        if let s { appendString(s) } else { text += "null" }
        needsComma = true
    }
    /// Numbers as the service writes them (`10.0`); non-finite ones, which JSON cannot hold, as null.
    func number(_ v: Double) {
        raw(v.isFinite ? AlarmFormat.number(v) : "null")
    }
    func raw(_ s: String) { separate(); text += s; needsComma = true }

    private func separate() { if needsComma { text += "," } }
    /// Strings through Foundation's encoder (notifications are rare; this keeps one escaper per
    /// dependency set — LogmillQuery's `ResultWriter.jsonString` is out of this target's reach).
    private func appendString(_ s: String) {
        text += String(decoding: (try? OrderedJSON.encoder.encode(s)) ?? Data("\"\"".utf8), as: UTF8.self)
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return e
    }()
}
