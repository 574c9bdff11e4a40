import XCTest
import LogmillTime
@testable import LogmillAlarms

final class AlarmTrackerTests: XCTestCase {
    let period = Period.parse("5m")!
    let t0: Int64 = 1_795_910_400_000   // 2026-11-29T00:00:00Z

    func rule(_ text: String) -> AlarmRule { try! AlarmRule.parse(text, period: period) }
    func window(_ i: Int) -> Window { Window(start: t0 + Int64(i) * 300_000, end: t0 + Int64(i + 1) * 300_000) }

    /// Feeds values (nil = missing) to consecutive windows from `window(0)`.
    func feed(_ tracker: inout AlarmTracker, _ values: [Double?], from first: Int = 0) -> [AlarmTransition] {
        values.enumerated().compactMap { tracker.observe(window: window(first + $0.offset), value: $0.element.map { .value($0) }) }
    }

    func testTwoOfThreeOverASequence() {
        var t = AlarmTracker(rule: rule("ErrorSpike = Errors > 5 for 2 of 3"))
        XCTAssertEqual(t.state, .insufficientData)
        let transitions = feed(&t, [1, 9, 7, 2, 8, 1, 1])
        XCTAssertEqual(transitions.map { "\($0.oldState.rawValue)->\($0.newState.rawValue)" },
                       ["INSUFFICIENT_DATA->OK", "OK->ALARM", "ALARM->OK"])
        // OK at the end of window 0; ALARM once 9 and 7 breach (window 2); 2, 8 keep 2 of 3 breaching
        // (7, 2, 8); window 5's 1 leaves 2, 8, 1: one breach, OK.
        XCTAssertEqual(transitions.map(\.time), [window(0).end, window(2).end, window(5).end])
        XCTAssertEqual(transitions[1].reason,
                       "Threshold Crossed: 2 out of the last 3 datapoints [7.0 (29/11/26 00:10:00), 9.0 (29/11/26 00:05:00)] were greater than the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition).")
        XCTAssertEqual(transitions[2].reason,
                       "Threshold Crossed: 2 out of the last 3 datapoints [1.0 (29/11/26 00:25:00), 2.0 (29/11/26 00:15:00)] were not greater than the threshold (5.0) (minimum 2 datapoints for ALARM -> OK transition).")
        XCTAssertEqual(transitions[0].reason,
                       "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (29/11/26 00:00:00)] was not greater than the threshold (5.0) (minimum 2 datapoints for INSUFFICIENT_DATA -> OK transition).")
        // The evaluated range: five windows ending with the evaluated one, oldest first.
        XCTAssertEqual(transitions[1].datapoints.map(\.value), [nil, nil, 1, 9, 7])
        XCTAssertEqual(transitions[1].datapoints.last?.start, window(2).start)
        XCTAssertEqual(t.state, .ok)
        XCTAssertEqual(t.stateSince, window(5).end)
    }

    func testThreeOfThreeNeedsThreeInARow() {
        var t = AlarmTracker(rule: rule("A = Errors >= 10 for 3 of 3 missing notBreaching"))
        XCTAssertEqual(feed(&t, [10, 11, 3, 12, 10]).map(\.newState), [.ok])
        XCTAssertEqual(feed(&t, [10], from: 5).map(\.newState), [.alarm])
        // While N real points remain in the range, missing windows are skipped, whatever the treatment:
        // ALARM holds through two gaps. At the third only two real points are left, the third is
        // filled as not breaching, and the alarm goes to OK.
        XCTAssertEqual(feed(&t, [nil, nil], from: 6).map(\.newState), [])
        XCTAssertEqual(feed(&t, [nil], from: 8).map(\.newState), [.ok])
    }

    func testMissingDataGoesToInsufficientData() {
        var t = AlarmTracker(rule: rule("A = Errors > 5 for 1 of 1"))
        XCTAssertEqual(feed(&t, [9, nil, nil]).map(\.newState), [.alarm])   // range 3: the 9 is still in it
        let last = feed(&t, [nil], from: 3)
        XCTAssertEqual(last.map(\.newState), [.insufficientData])
        XCTAssertEqual(last.first?.reason, "Insufficient Data: 3 datapoints were unknown.")
    }

    func testBreachingFillReason() {
        var t = AlarmTracker(rule: rule("A = Errors > 5 for 3 of 3 missing breaching"))
        let tr = feed(&t, [nil])
        XCTAssertEqual(tr.first?.newState, .alarm)
        XCTAssertEqual(tr.first?.reason, "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching] (minimum 3 datapoints for INSUFFICIENT_DATA -> ALARM transition).")
        let ok = feed(&t, [1], from: 1)
        XCTAssertEqual(ok.first?.reason, "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (29/11/26 00:05:00)] was not greater than the threshold (5.0), and 2 missing datapoints were treated as [Breaching] (minimum 1 datapoint for ALARM -> OK transition).")
    }

    /// Skipped windows between two observations are missing data, not ignored.
    func testGapsAreMissingAndOldWindowsIgnored() {
        var t = AlarmTracker(rule: rule("A = Errors > 5 for 2 of 2"))
        XCTAssertEqual(feed(&t, [9, 9]).map(\.newState), [.alarm])
        // Window 10 after a gap: 8 and 9 are out of range (range = 4 windows), so only one point.
        XCTAssertEqual(t.observe(window: window(10), value: .value(1))?.newState, .ok)
        XCTAssertEqual(t.values.count, 1)
        XCTAssertNil(t.observe(window: window(10), value: .value(9)))
        XCTAssertNil(t.observe(window: window(3), value: .value(9)))
        XCTAssertEqual(t.lastWindowStart, window(10).start)
    }

    /// A run that catches up twelve windows evaluates each in order: the same transitions and the same
    /// state as twelve runs of one window each, with the state saved and loaded between them.
    func testCatchUpOfTwelveWindowsEqualsTwelveSingleSteps() throws {
        let values: [Double?] = [1, 9, 9, nil, 9, 1, nil, nil, nil, 9, 9, 1]
        let r = rule("A = Errors > 5 for 2 of 3 renotify 10m")
        var batch = AlarmTracker(rule: r)
        let inputs = values.enumerated().map { (window: window($0.offset), value: $0.element.map { AlarmInput.value($0) }) }
        let batchTransitions = batch.observe(inputs)

        var single = AlarmTracker(rule: r)
        var singleTransitions: [AlarmTransition] = []
        for input in inputs {
            let loaded = try JSONDecoder().decode(AlarmTracker.self, from: try JSONEncoder().encode(single))
            XCTAssertEqual(loaded, single)
            single = loaded
            if let tr = single.observe(window: input.window, value: input.value) { singleTransitions.append(tr) }
        }
        XCTAssertEqual(batchTransitions, singleTransitions)
        XCTAssertEqual(batch, single)
        // OK (w0), ALARM (w2: 9 9 1), held while three real points remain, OK at w7 (9 1 - - -: one
        // breach, one not), ALARM at w10 (two real breaches). Reminders 10 minutes apart in the first ALARM.
        XCTAssertEqual(batchTransitions.map(\.newState), [.ok, .alarm, .ok, .alarm])
        XCTAssertEqual(batchTransitions.map(\.time), [window(0).end, window(2).end, window(7).end, window(10).end])
        // The first OK of a new alarm is not notified (nothing to act on); every later change is.
        XCTAssertEqual(batch.pending.map(\.kind), [.stateChange, .reminder, .reminder, .stateChange, .stateChange])
        XCTAssertEqual(batch.pending.map(\.transition.newState), [.alarm, .alarm, .alarm, .ok, .alarm])
    }

    func testRenotifyWhileInAlarm() {
        var t = AlarmTracker(rule: rule("A = Errors > 5 for 1 of 1 renotify 15m"))
        _ = feed(&t, [9, 9, 9, 9, 9, 9, 9, 1, 1, 1, 1])
        let n = t.pending
        XCTAssertEqual(n.map(\.kind), [.stateChange, .reminder, .reminder, .stateChange])
        // ALARM at the end of window 0; reminders every 15 minutes after it; OK at the end of window 7.
        XCTAssertEqual(n.map(\.time), [window(0).end, window(3).end, window(6).end, window(7).end])
        XCTAssertEqual(n[1].transition, n[0].transition)
        XCTAssertEqual(n.map(\.id), [1, 2, 3, 4])
        // Without renotify: state changes only.
        var quiet = AlarmTracker(rule: rule("A = Errors > 5 for 1 of 1"))
        _ = feed(&quiet, [9, 9, 9, 9, 9, 9, 9, 1])
        XCTAssertEqual(quiet.pending.map(\.kind), [.stateChange, .stateChange])
    }

    /// The ledger: intended notifications survive a save and load (a crash before delivery retries
    /// them); a sent one is never pending again, and marking it twice is refused.
    func testLedgerSendsOnceAndRetriesAfterACrash() throws {
        var t = AlarmTracker(rule: rule("A = Errors > 5 for 1 of 1"))
        _ = feed(&t, [9, 1])
        XCTAssertEqual(t.pending.count, 2)
        let first = t.pending[0]
        t.markAttempted(first.id)
        // Crash after the attempt was saved, before the answer: the loaded state still has it pending.
        var reloaded = try JSONDecoder().decode(AlarmTracker.self, from: try JSONEncoder().encode(t))
        XCTAssertEqual(reloaded.pending.map(\.id), [first.id, t.pending[1].id])
        XCTAssertEqual(reloaded.pending[0].attempts, 1)
        XCTAssertEqual(reloaded.pending[0].key, first.key)
        XCTAssertTrue(reloaded.markSent(first.id))
        XCTAssertFalse(reloaded.markSent(first.id))
        XCTAssertEqual(reloaded.pending.map(\.id), [2])
        XCTAssertFalse(reloaded.markSent(99))
        // Sent notifications are kept only up to a bound.
        var busy = AlarmTracker(rule: rule("A = Errors > 5 for 1 of 1"))
        _ = feed(&busy, (0..<60).map { $0 % 2 == 0 ? 9 : 1 })
        for n in busy.pending { busy.markSent(n.id) }
        XCTAssertEqual(busy.notifications.count, AlarmTracker.keptSent)
        XCTAssertEqual(busy.nextNotificationID, 61)
    }

    func testStatisticSetsReducedByTheRule() {
        var t = AlarmTracker(rule: rule("A = Latency Maximum > 100 for 1 of 1"))
        let set = AlarmStatisticSet(sampleCount: 3, sum: 150, minimum: 10, maximum: 120)
        XCTAssertEqual(t.observe(window: window(0), value: .statistics(set))?.newState, .alarm)
        XCTAssertEqual(t.values[window(0).start], 120)
    }
}
