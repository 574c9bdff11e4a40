import LogmillTime

/// A change of state: at `time` (the end of the window whose evaluation made it).
public struct AlarmTransition: Codable, Sendable, Hashable {
    public let oldState: AlarmState
    public let newState: AlarmState
    /// Epoch ms: the end of the window that was evaluated.
    public let time: Int64
    public let reason: String
    /// The evaluation range, oldest first.
    public let datapoints: [AlarmDatapoint]
    public init(oldState: AlarmState, newState: AlarmState, time: Int64, reason: String, datapoints: [AlarmDatapoint]) {
        self.oldState = oldState; self.newState = newState; self.time = time; self.reason = reason; self.datapoints = datapoints
    }
}

/// One notification the tracker decided on. Recorded as `intended` in the state before delivery and
/// marked `sent` after it, so a crash in between leaves it pending (retried), and a sent one is never
/// pending again. `key` is stable across retries, for receivers that deduplicate.
public struct AlarmNotification: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable { case stateChange, reminder }
    public enum Status: String, Codable, Sendable { case intended, sent }
    /// Increasing within one tracker, never reused.
    public let id: Int64
    public let kind: Kind
    /// For a reminder: the transition into the ALARM state it repeats.
    public let transition: AlarmTransition
    /// Epoch ms the notification was decided at: the transition's time, or a reminder's window end.
    public let time: Int64
    public internal(set) var status: Status
    public internal(set) var attempts: Int
    /// The notifiers (by their keys) that took it; it is `sent` when all of a job's notifiers have.
    public internal(set) var deliveredTo: [String]?
    /// The last delivery error, per notifier key.
    public internal(set) var lastErrors: [String: String]?
    /// Log lines of the breaching windows, oldest first (for a state change into ALARM, and reminders).
    public internal(set) var samples: [AlarmSampleLine]?
    public var key: String { "\(transition.time)-\(id)" }

    /// Whether `notifier` still has to be sent this notification.
    public func awaits(_ notifier: String) -> Bool { status == .intended && !(deliveredTo ?? []).contains(notifier) }
}

/// An alarm's evaluation state, kept in a job's state: the recent windows' values, the current
/// state, and the notification ledger. Feed it every finished window in order with
/// `observe(window:value:)` (windows with no data as nil); catching up twelve windows is twelve
/// observations, each evaluated as the service would have at that window's end.
public struct AlarmTracker: Codable, Sendable, Hashable {
    public static let formatVersion = 1
    public private(set) var version = AlarmTracker.formatVersion
    /// The rule; replacing it (the job file changed) keeps the state, as updating an alarm does.
    public var rule: AlarmRule
    /// New alarms start in INSUFFICIENT_DATA (protocols.md 5.1).
    public private(set) var state: AlarmState = .insufficientData
    public private(set) var reason = "Unchecked: Initial alarm creation"
    /// When `state` was entered (epoch ms; nil before the first transition).
    public private(set) var stateSince: Int64?
    /// The last transition, the one a reminder repeats.
    public private(set) var lastTransition: AlarmTransition?
    /// Start of the last window observed; older or equal windows are ignored.
    public private(set) var lastWindowStart: Int64?
    /// Reduced values of the windows in the current evaluation range, by window start.
    public private(set) var values: [Int64: Double] = [:]
    /// Notifications not yet sent, and the most recent sent ones (at most `keptSent`).
    public private(set) var notifications: [AlarmNotification] = []
    public private(set) var nextNotificationID: Int64 = 1
    /// When the last notification for the current state was decided (for re-notify).
    public private(set) var lastNotifiedAt: Int64?
    /// Sample lines of the windows in the evaluation range, by window start (at most `sampleLimit` each).
    public private(set) var windowSamples: [Int64: [AlarmSampleLine]]?
    /// How many sample lines a notification carries (the job's `samples:`; default 10).
    public var sampleLimit = 10
    static let keptSent = 20

    public init(rule: AlarmRule) { self.rule = rule }

    /// Evaluates the range ending with `window` after recording its value; returns the transition it
    /// made, if any, and records the notifications it calls for. A window at or before the last one
    /// observed is ignored (nil): alarms are not restated by late data, as the service does not.
    @discardableResult
    public mutating func observe(window: Window, value: AlarmInput?, samples: [AlarmSampleLine] = []) -> AlarmTransition? {
        if let last = lastWindowStart, window.start <= last { return nil }
        lastWindowStart = window.start
        let starts = rule.rangeStarts(endingAt: window.start)
        var kept: [Int64: Double] = [:]
        var keptSamples: [Int64: [AlarmSampleLine]] = [:]
        for s in starts {
            kept[s] = values[s]
            keptSamples[s] = windowSamples?[s]
        }
        if let input = value { kept[window.start] = rule.reduce(input) }
        if !samples.isEmpty && sampleLimit > 0 { keptSamples[window.start] = Array(samples.prefix(sampleLimit)) }
        values = kept
        windowSamples = keptSamples.isEmpty ? nil : keptSamples
        let evaluation = rule.evaluate(values: values, endingAt: window.start, previous: state)
        var transition: AlarmTransition?
        if evaluation.state != state {
            let t = AlarmTransition(oldState: state, newState: evaluation.state, time: window.end, reason: evaluation.reason, datapoints: evaluation.datapoints)
            // The first evaluation of a new alarm finding all well is not news: nobody is told of it
            // (the service would tell an OK action; logmill's notifiers are for changes people act on).
            let initialOK = stateSince == nil && t.oldState == .insufficientData && t.newState == .ok
            state = t.newState
            reason = t.reason
            stateSince = t.time
            lastTransition = t
            transition = t
            if !initialOK { intend(.stateChange, t, at: t.time) }
        } else if state == .alarm, let every = rule.renotify?.fixedMilliseconds, let last = lastNotifiedAt,
                  let t = lastTransition, window.end - last >= every {
            intend(.reminder, t, at: window.end)
        }
        return transition
    }

    /// Observes windows in order; the transitions they made, in order.
    public mutating func observe(_ windows: [(window: Window, value: AlarmInput?)]) -> [AlarmTransition] {
        windows.compactMap { observe(window: $0.window, value: $0.value) }
    }

    /// Notifications intended and not yet sent, oldest first: what a run delivers (again, after a crash).
    public var pending: [AlarmNotification] { notifications.filter { $0.status == .intended } }

    /// Records an attempt to deliver (before delivering, saved with the state).
    public mutating func markAttempted(_ id: Int64) {
        guard let i = notifications.firstIndex(where: { $0.id == id && $0.status == .intended }) else { return }
        notifications[i].attempts += 1
    }

    /// Records that `notifier` took notification `id`; when every one of `all` has, it is sent.
    /// False if `id` is unknown or already sent.
    @discardableResult
    public mutating func markDelivered(_ id: Int64, to notifier: String, of all: [String]) -> Bool {
        guard let i = notifications.firstIndex(where: { $0.id == id && $0.status == .intended }) else { return false }
        var done = notifications[i].deliveredTo ?? []
        if !done.contains(notifier) { done.append(notifier) }
        notifications[i].deliveredTo = done
        notifications[i].lastErrors?[notifier] = nil
        if all.allSatisfy(done.contains) { return markSent(id) }
        return true
    }

    /// Records a failed delivery to `notifier` (it stays pending for the next run).
    public mutating func markFailed(_ id: Int64, at notifier: String, error: String) {
        guard let i = notifications.firstIndex(where: { $0.id == id && $0.status == .intended }) else { return }
        var errors = notifications[i].lastErrors ?? [:]
        errors[notifier] = error
        notifications[i].lastErrors = errors
    }

    /// Every notification kept: pending ones and the most recent sent ones, oldest first.
    public var history: [AlarmNotification] { notifications }

    /// Records a delivery; false if `id` is unknown or already sent (so it is never sent twice).
    @discardableResult
    public mutating func markSent(_ id: Int64) -> Bool {
        guard let i = notifications.firstIndex(where: { $0.id == id && $0.status == .intended }) else { return false }
        notifications[i].status = .sent
        let sent = notifications.indices.filter { notifications[$0].status == .sent }
        if sent.count > AlarmTracker.keptSent {
            let drop = Set(sent.prefix(sent.count - AlarmTracker.keptSent))
            notifications = notifications.indices.filter { !drop.contains($0) }.map { notifications[$0] }
        }
        return true
    }

    private mutating func intend(_ kind: AlarmNotification.Kind, _ t: AlarmTransition, at time: Int64) {
        // The lines of the windows that breached, the most recent `sampleLimit` of them.
        var lines: [AlarmSampleLine] = []
        if t.newState == .alarm {
            for p in t.datapoints {
                guard let v = p.value, rule.comparison.breaches(v, rule.threshold) else { continue }
                lines += windowSamples?[p.start] ?? []
            }
        }
        lines = Array(lines.suffix(sampleLimit))
        notifications.append(AlarmNotification(id: nextNotificationID, kind: kind, transition: t, time: time, status: .intended, attempts: 0,
                                               deliveredTo: nil, lastErrors: nil, samples: lines.isEmpty ? nil : lines))
        nextNotificationID += 1
        lastNotifiedAt = time
    }
}
