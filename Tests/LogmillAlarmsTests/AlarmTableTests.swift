import XCTest
import LogmillTime
@testable import LogmillAlarms

/// protocols.md 5.3, tables A and B: every row under every treatment, range 5, N = 3, points oldest
/// first. "keep" rows are checked from each of the three previous states.
final class AlarmTableTests: XCTestCase {
    enum Expect { case state(AlarmState), keep }
    static let ok = Expect.state(.ok), alarm = Expect.state(.alarm), insufficient = Expect.state(.insufficientData), keep = Expect.keep

    /// (points, missing, ignore, breaching, notBreaching)
    static let tableA: [(String, Expect, Expect, Expect, Expect)] = [
        ("0 - X - X", ok, ok, ok, ok),
        ("0 - - - -", ok, ok, ok, ok),
        ("- - - - -", insufficient, keep, alarm, ok),
        ("0 X X - X", alarm, alarm, alarm, alarm),
        ("- - X - -", alarm, keep, alarm, ok),
    ]
    static let tableB: [(String, Expect, Expect, Expect, Expect)] = [
        ("0 - X - X", alarm, alarm, alarm, alarm),
        ("0 0 X 0 X", alarm, alarm, alarm, alarm),
        ("0 - X - -", ok, ok, alarm, ok),
        ("- - - - 0", ok, ok, alarm, ok),
        ("- - - X -", alarm, keep, alarm, ok),
    ]

    func slots(_ text: String) -> [AlarmSlot] {
        text.split(separator: " ").map { $0 == "X" ? .breaching : ($0 == "0" ? .notBreaching : .missing) }
    }

    /// The same row as values through a whole rule: X = 9, 0 = 1 against `> 5`.
    func values(_ text: String) -> [Double?] {
        text.split(separator: " ").map { $0 == "X" ? 9 : ($0 == "0" ? 1 : nil) }
    }

    func check(_ table: [(String, Expect, Expect, Expect, Expect)], m: Int, file: StaticString = #filePath, line: UInt = #line) {
        let period = Period.parse("5m")!
        for row in table {
            let expectations: [(TreatMissingData, Expect)] = [(.missing, row.1), (.ignore, row.2), (.breaching, row.3), (.notBreaching, row.4)]
            for (treatment, expect) in expectations {
                let decided = AlarmRule.decide(slots: slots(row.0), m: m, n: 3, treatment: treatment).state
                let rule = AlarmRule(name: "t", metricName: "Errors", comparison: .greaterThan, threshold: 5,
                                     datapointsToAlarm: m, evaluationPeriods: 3, treatMissingData: treatment, period: period)
                XCTAssertEqual(rule.evaluationRange, 5)
                let end: Int64 = 1_795_996_800_000   // 2026-12-01T00:00Z, a 5m boundary
                let starts = rule.rangeStarts(endingAt: end)
                XCTAssertEqual(starts, (0..<5).map { end - Int64(4 - $0) * 300_000 })
                let range = zip(starts, values(row.0)).map { AlarmDatapoint(start: $0, value: $1) }
                for previous in AlarmState.allCases {
                    let evaluation = rule.evaluate(range: range, previous: previous)
                    switch expect {
                    case .state(let s):
                        XCTAssertEqual(decided, s, "M=\(m) \(row.0) \(treatment)", file: file, line: line)
                        XCTAssertEqual(evaluation.state, s, "M=\(m) \(row.0) \(treatment) from \(previous)", file: file, line: line)
                        XCTAssertFalse(evaluation.kept)
                    case .keep:
                        XCTAssertNil(decided, "M=\(m) \(row.0) \(treatment)", file: file, line: line)
                        XCTAssertEqual(evaluation.state, previous, "M=\(m) \(row.0) \(treatment) from \(previous)", file: file, line: line)
                        XCTAssertTrue(evaluation.kept)
                    }
                }
            }
        }
    }

    func testTableA() { check(Self.tableA, m: 3) }
    func testTableB() { check(Self.tableB, m: 2) }

    /// 5.3's additional examples, M = N = 3, `missing`: `- - - - X` and `- - - X -` do not go to
    /// ALARM yet (they keep the state); `- - X - -` does.
    func testPrematureAlarmExamples() {
        for (points, expected) in [("- - - - X", nil), ("- - - X -", nil), ("- - X - -", AlarmState.alarm)] as [(String, AlarmState?)] {
            XCTAssertEqual(AlarmRule.decide(slots: slots(points), m: 3, n: 3, treatment: .missing).state, expected, points)
        }
    }

    /// With N real points or more, the treatment does not matter and missing slots are skipped.
    func testEnoughRealPointsIgnoreTreatment() {
        for treatment in TreatMissingData.allCases {
            XCTAssertEqual(AlarmRule.decide(slots: slots("X - 0 - 0 X"), m: 2, n: 3, treatment: treatment).state, .ok)
            XCTAssertEqual(AlarmRule.decide(slots: slots("X X - 0 - X"), m: 2, n: 3, treatment: treatment).state, .alarm)
        }
    }

    func testComparisons() {
        XCTAssertTrue(AlarmComparison.greaterThan.breaches(6, 5))
        XCTAssertFalse(AlarmComparison.greaterThan.breaches(5, 5))
        XCTAssertTrue(AlarmComparison.greaterThanOrEqual.breaches(5, 5))
        XCTAssertTrue(AlarmComparison.lessThan.breaches(4, 5))
        XCTAssertFalse(AlarmComparison.lessThan.breaches(5, 5))
        XCTAssertTrue(AlarmComparison.lessThanOrEqual.breaches(5, 5))
        XCTAssertEqual(AlarmComparison.allCases.map(\.serviceName),
                       ["GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"])
    }

    func testStatisticReducesStatisticSets() {
        let set = AlarmInput.statistics(AlarmStatisticSet(sampleCount: 4, sum: 20, minimum: 1, maximum: 9))
        func rule(_ s: AlarmStatistic?) -> AlarmRule {
            AlarmRule(name: "a", metricName: "m", statistic: s, comparison: .greaterThan, threshold: 1, datapointsToAlarm: 1,
                      evaluationPeriods: 1, period: Period.parse("1m")!)
        }
        XCTAssertEqual(rule(.sampleCount).reduce(set), 4)
        XCTAssertEqual(rule(.sum).reduce(set), 20)
        XCTAssertEqual(rule(.minimum).reduce(set), 1)
        XCTAssertEqual(rule(.maximum).reduce(set), 9)
        XCTAssertEqual(rule(.average).reduce(set), 5)
        XCTAssertEqual(rule(nil).reduce(set), 5)
        XCTAssertEqual(rule(.sum).reduce(.value(7)), 7)
        XCTAssertEqual(rule(.sampleCount).reduce(.value(7)), 1)
        XCTAssertNil(rule(.average).reduce(.statistics(AlarmStatisticSet(sampleCount: 0, sum: 0, minimum: 0, maximum: 0))))
    }
}
