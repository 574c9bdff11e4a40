import Foundation
import LogmillTime

/// An alarm's state; raw values are the service's spellings.
public enum AlarmState: String, Codable, Sendable, CaseIterable {
    case ok = "OK", alarm = "ALARM", insufficientData = "INSUFFICIENT_DATA"
}

/// One slot of the evaluation range: a window's start and its value, nil when the window had no data.
public struct AlarmDatapoint: Codable, Sendable, Hashable {
    public let start: Int64
    public let value: Double?
    public init(start: Int64, value: Double?) { self.start = start; self.value = value }
}

/// A datapoint classified against the threshold: breaching (X), not breaching (0) or missing (-).
public enum AlarmSlot: Sendable, Hashable { case breaching, notBreaching, missing }

/// What one evaluation decided. `kept` means the rules of 5.3 leave the state as it was ("keep
/// current"); `reason` then says why, and a tracker keeps the reason of the state's transition.
public struct AlarmEvaluation: Sendable, Hashable {
    public let state: AlarmState
    public let reason: String
    public let kept: Bool
    /// The evaluation range, oldest first.
    public let datapoints: [AlarmDatapoint]
}

extension AlarmRule {
    /// The evaluation range: how many of the most recent windows an evaluation reads. The service's
    /// size is not published (protocols.md 5.2, 16 "not verified"); its documented examples use a
    /// range of 5 for N = 3, and every row of tables A and B needs the two extra slots (`- - X - -`
    /// with M = N = 3 reaches ALARM only because slots 4 and 5 are in range). So: N + 2.
    public var evaluationRange: Int { evaluationPeriods + 2 }

    /// The starts of the `evaluationRange` windows ending with the window starting at `start`, oldest first.
    public func rangeStarts(endingAt start: Int64) -> [Int64] {
        var starts = [start]
        var s = start
        while starts.count < evaluationRange {
            s = period.floor(s - 1)
            starts.append(s)
        }
        return starts.reversed()
    }

    /// Evaluates the range ending with the window that starts at `start`: `values` maps window
    /// starts to reduced values (absent = missing); `previous` is the state before.
    public func evaluate(values: [Int64: Double], endingAt start: Int64, previous: AlarmState) -> AlarmEvaluation {
        evaluate(range: rangeStarts(endingAt: start).map { AlarmDatapoint(start: $0, value: values[$0]) }, previous: previous)
    }

    /// Evaluates an evaluation range given oldest first (normally `evaluationRange` long).
    public func evaluate(range: [AlarmDatapoint], previous: AlarmState) -> AlarmEvaluation {
        let slots = range.map { p -> AlarmSlot in
            guard let v = p.value else { return .missing }
            return comparison.breaches(v, threshold) ? .breaching : .notBreaching
        }
        let decision = AlarmRule.decide(slots: slots, m: datapointsToAlarm, n: evaluationPeriods, treatment: treatMissingData)
        let state = decision.state ?? previous
        let reason = AlarmReason(rule: self, range: range, slots: slots, decision: decision, previous: previous).text
        return AlarmEvaluation(state: state, reason: reason, kept: decision.state == nil, datapoints: range)
    }

    /// The missing-data algorithm of protocols.md 5.3 over classified slots (oldest first). A nil
    /// state is "keep current".
    public static func decide(slots: [AlarmSlot], m: Int, n: Int, treatment: TreatMissingData) -> AlarmDecision {
        let newestFirst = Array(slots.reversed())
        let present = newestFirst.enumerated().filter { $0.element != .missing }   // (offset, slot); slot number = offset + 1
        if present.count >= n {
            // 1. Enough real points: the N newest, missing slots skipped.
            let used = present.prefix(n)
            let breaching = used.filter { $0.element == .breaching }.count
            return AlarmDecision(state: breaching >= m ? .alarm : .ok, rule: .threshold, used: used.map { $0.offset }, filled: 0)
        }
        // 2. Too few: every real point, plus k = N - present fill points.
        let k = n - present.count
        let realBreaching = present.filter { $0.element == .breaching }.count
        let realNotBreaching = present.count - realBreaching
        let used = present.map { $0.offset }
        switch treatment {
        case .breaching:
            return AlarmDecision(state: realBreaching + k >= m ? .alarm : .ok, rule: .filled(.breaching), used: used, filled: k)
        case .notBreaching:
            return AlarmDecision(state: realBreaching >= m ? .alarm : .ok, rule: .filled(.notBreaching), used: used, filled: k)
        case .missing, .ignore:
            if present.isEmpty {
                return AlarmDecision(state: treatment == .missing ? .insufficientData : nil, rule: .noData, used: [], filled: 0)
            }
            if realBreaching >= m { return AlarmDecision(state: .alarm, rule: .threshold, used: used, filled: 0) }
            if realNotBreaching > 0 { return AlarmDecision(state: .ok, rule: .threshold, used: used, filled: 0) }
            // Only breaching points, fewer than M: the premature-alarm rule. Everything newer than the
            // oldest breaching point is breaching or missing here, since no real point is non-breaching.
            // The user guide's prose would also fire it past an older non-breaching point; its own table
            // (B, `0 - X - -` → OK) and so the service do not (protocols.md 16.4): a real non-breaching
            // point returned OK above. "Not old enough" keeps the state (the guide: "does not go to
            // ALARM immediately"), which table A's `- - - X -` row under ignore agrees with.
            let oldestSlot = (present.last?.offset ?? 0) + 1
            let alarm = oldestSlot >= m && treatment == .missing
            return AlarmDecision(state: alarm ? .alarm : nil, rule: .premature, used: used, filled: 0)
        }
    }
}

/// The outcome of 5.3 before it meets the previous state.
public struct AlarmDecision: Sendable, Hashable {
    public enum Rule: Sendable, Hashable { case threshold, filled(AlarmSlot), noData, premature }
    /// nil: keep the current state.
    public let state: AlarmState?
    public let rule: Rule
    /// The real points used, as offsets from the newest slot (0 = newest).
    public let used: [Int]
    /// How many missing slots were filled by the treatment.
    public let filled: Int
}

/// The reason texts, in the service's style (protocols.md 5.4's example:
/// `Threshold Crossed: 1 out of the last 1 datapoints [12.0 (15/01/26 09:59:00)] was greater than or
/// equal to the threshold (10.0) (minimum 1 datapoint for OK -> ALARM transition).`). Datapoints are
/// listed newest first with their window's start, as the service does. The texts for filled missing
/// data and for insufficient data follow messages seen from the service
/// (`no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].`,
/// `Insufficient Data: 5 datapoints were unknown.`); the reference has no example of them.
struct AlarmReason {
    let rule: AlarmRule
    let range: [AlarmDatapoint]
    let slots: [AlarmSlot]
    let decision: AlarmDecision
    let previous: AlarmState

    var text: String {
        let newest = Array(range.reversed()), newestSlots = Array(slots.reversed())
        guard let state = decision.state else {
            return "Unchanged: \(decision.rule == .noData ? "no datapoints in the last \(range.count) periods" : "fewer than \(rule.datapointsToAlarm) breaching datapoints, none of them old enough")"
                + " and missing data is treated as [\(treatmentName)]; the state stays \(previous.rawValue)."
        }
        if state == .insufficientData {
            return "Insufficient Data: \(plural(range.count, "datapoint")) \(range.count == 1 ? "was" : "were") unknown."
        }
        let wanted: AlarmSlot = state == .alarm ? .breaching : .notBreaching
        let listed = decision.used.filter { newestSlots[$0] == wanted }
        let considered = decision.used.count
        let minimum = state == .alarm ? rule.datapointsToAlarm : rule.evaluationPeriods - rule.datapointsToAlarm + 1
        let tail = "(minimum \(plural(minimum, "datapoint")) for \(previous.rawValue) -> \(state.rawValue) transition)."
        var filledText = ""
        if decision.filled > 0, case .filled(let fill) = decision.rule {
            filledText = "\(plural(decision.filled, "missing datapoint")) \(decision.filled == 1 ? "was" : "were") treated as [\(fill == .breaching ? "Breaching" : "NonBreaching")]"
            if considered == 0 {
                return "Threshold Crossed: no datapoints were received for \(plural(decision.filled, "period")) and \(filledText) \(tail)"
            }
        }
        let points = listed.map { "\(AlarmFormat.number(newest[$0].value ?? 0)) (\(AlarmFormat.datapointTime(newest[$0].start)))" }
        let verb = listed.count == 1 ? "was" : "were"
        let not = state == .ok ? "not " : ""
        var text = "Threshold Crossed: \(listed.count) out of the last \(considered) datapoints [\(points.joined(separator: ", "))] \(verb) \(not)\(rule.comparison.phrase) the threshold (\(AlarmFormat.number(rule.threshold)))"
        if !filledText.isEmpty { text += ", and \(filledText)" }
        return text + " " + tail
    }

    var treatmentName: String { rule.treatMissingData.rawValue }

    func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
}

/// The service's renderings of numbers and times.
public enum AlarmFormat {
    /// A double as Java's `Double.toString` writes it (the service is Java): `7.0`, `0.5`, `1.0E7`, `1.5E-4`.
    public static func number(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "NaN" : (v < 0 ? "-Infinity" : "Infinity") }
        let a = abs(v)
        if a == 0 || (a >= 1e-3 && a < 1e7) {
            var s = "\(v)"   // Swift's shortest round-trip form; in this range it has no exponent
            if !s.contains(".") { s += ".0" }
            return s
        }
        // Scientific: the shortest digits Swift gives, rewritten as d.dddEx.
        let text = "\(a)"
        let parts = text.split(separator: "e")
        var exponent = parts.count > 1 ? Int(parts[1].replacingOccurrences(of: "+", with: "")) ?? 0 : 0
        let mantissa = String(parts[0])
        let dot = mantissa.firstIndex(of: ".") ?? mantissa.endIndex
        exponent += mantissa.distance(from: mantissa.startIndex, to: dot) - 1
        var digits = Array(mantissa.filter { $0 != "." })
        while digits.first == "0", digits.count > 1 { digits.removeFirst(); exponent -= 1 }
        while digits.last == "0", digits.count > 1 { digits.removeLast() }
        let fraction = digits.count > 1 ? String(digits.dropFirst()) : "0"
        return "\(v < 0 ? "-" : "")\(digits[0]).\(fraction)E\(exponent)"
    }

    /// `dd/MM/yy HH:mm:ss` in UTC, the datapoint times of a reason text.
    public static func datapointTime(_ ms: Int64) -> String {
        let iso = CivilCalendar.render(ms, dateTimeSeparator: UInt8(ascii: " "), alwaysMilliseconds: false, zone: false)
        // iso: YYYY-MM-DD HH:MM:SS (years 0–9999)
        let c = Array(iso)
        guard c.count >= 19, c[4] == "-" else { return iso }
        return "\(String(c[8..<10]))/\(String(c[5..<7]))/\(String(c[2..<4])) \(String(c[11..<19]))"
    }

    /// `yyyy-MM-dd'T'HH:mm:ss.SSS+0000`, the SNS message's timestamps.
    public static func messageTime(_ ms: Int64) -> String {
        CivilCalendar.render(ms, dateTimeSeparator: UInt8(ascii: "T"), alwaysMilliseconds: true, zone: false) + "+0000"
    }
}
