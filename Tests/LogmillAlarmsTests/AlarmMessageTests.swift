import XCTest
import Foundation
import LogmillTime
@testable import LogmillAlarms

final class AlarmMessageTests: XCTestCase {
    let minute: Int64 = 60_000
    let datapointStart: Int64 = 1_768_471_140_000   // 2026-01-15T09:59:00Z, protocols.md 5.4's datapoint

    /// 5.4's example: `logmill-errors`, Sum of Errors >= 10, 1 of 1 over 1 minute.
    func example() throws -> AlarmMessage {
        var rule = try AlarmRule.parse("logmill-errors = Errors Sum >= 10 for 1 of 1", period: Period.parse("1m")!)
        rule.description = "errors over threshold"
        var tracker = AlarmTracker(rule: rule)
        _ = tracker.observe(window: Window(start: datapointStart - minute, end: datapointStart), value: .value(3))
        let transition = try XCTUnwrap(tracker.observe(window: Window(start: datapointStart, end: datapointStart + minute), value: .value(12)))
        return AlarmMessage(rule: rule, transition: transition, namespace: "Logmill", dimensions: [(name: "Source", value: "s3")],
                            accountID: "123456789012", region: "US East (N. Virginia)",
                            sampleLines: [AlarmSampleLine(time: datapointStart + 1_500, source: "app.log", line: "ERROR \"db\" down\n")])
    }

    func testReasonMatchesTheServiceExample() throws {
        XCTAssertEqual(try example().transition.reason,
                       "Threshold Crossed: 1 out of the last 1 datapoints [12.0 (15/01/26 09:59:00)] was greater than or equal to the threshold (10.0) (minimum 1 datapoint for OK -> ALARM transition).")
    }

    func testJSONBytesAndKeyOrder() throws {
        let json = try example().json
        XCTAssertEqual(json, #"{"AlarmName":"logmill-errors","AlarmDescription":"errors over threshold","AWSAccountId":"123456789012","NewStateValue":"ALARM","NewStateReason":"Threshold Crossed: 1 out of the last 1 datapoints [12.0 (15/01/26 09:59:00)] was greater than or equal to the threshold (10.0) (minimum 1 datapoint for OK -> ALARM transition).","StateChangeTime":"2026-01-15T10:00:00.000+0000","Region":"US East (N. Virginia)","OldStateValue":"OK","Trigger":{"MetricName":"Errors","Namespace":"Logmill","StatisticType":"Statistic","Statistic":"SUM","Unit":null,"Dimensions":[{"value":"s3","name":"Source"}],"Period":60,"EvaluationPeriods":1,"DatapointsToAlarm":1,"ComparisonOperator":"GreaterThanOrEqualToThreshold","Threshold":10.0,"TreatMissingData":"missing","EvaluateLowSampleCountPercentile":""},"SampleLines":[{"time":"2026-01-15T09:59:01.500+0000","source":"app.log","line":"ERROR \"db\" down\n"}],"Datapoints":[{"time":"2026-01-15T09:57:00.000+0000","value":null},{"time":"2026-01-15T09:58:00.000+0000","value":3.0},{"time":"2026-01-15T09:59:00.000+0000","value":12.0}]}"#)
    }

    /// The shape a consumer of the service's messages reads: 5.4's fields with their JSON types.
    func testShapeParsesAsTheServiceMessage() throws {
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try example().json.utf8)) as? [String: Any])
        for key in ["AlarmName", "AlarmDescription", "AWSAccountId", "NewStateValue", "NewStateReason", "StateChangeTime", "Region", "OldStateValue"] {
            XCTAssertTrue(object[key] is String, key)
        }
        let trigger = try XCTUnwrap(object["Trigger"] as? [String: Any])
        XCTAssertEqual(trigger["Period"] as? Int, 60)
        XCTAssertEqual(trigger["Threshold"] as? Double, 10)
        XCTAssertTrue(trigger["Unit"] is NSNull)
        XCTAssertEqual(trigger["Dimensions"] as? [[String: String]], [["name": "Source", "value": "s3"]])
        let time = try XCTUnwrap(object["StateChangeTime"] as? String)
        XCTAssertNotNil(time.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$"#, options: .regularExpression))
        XCTAssertEqual((object["SampleLines"] as? [[String: String]])?.first?["line"], "ERROR \"db\" down\n")
        XCTAssertEqual((object["Datapoints"] as? [[String: Any]])?.count, 3)
    }

    func testOptionalFieldsAndNullDescription() throws {
        var m = try example()
        m.accountID = nil
        m.region = nil
        m.rule.description = nil
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(m.json.utf8)) as? [String: Any])
        XCTAssertNil(object["AWSAccountId"])
        XCTAssertNil(object["Region"])
        XCTAssertTrue(object["AlarmDescription"] is NSNull)
        XCTAssertEqual(m.subject, "ALARM: \"logmill-errors\" in logmill")
        XCTAssertEqual(try example().subject, "ALARM: \"logmill-errors\" in US East (N. Virginia)")
    }

    func testSampleLinesCappedAtFifty() throws {
        let e = try example()
        let lines = (0..<60).map { AlarmSampleLine(time: Int64($0), source: "s", line: "l\($0)") }
        XCTAssertEqual(AlarmMessage(rule: e.rule, transition: e.transition, namespace: "N", sampleLines: lines).sampleLines.count, 50)
    }

    func testStatisticNames() {
        XCTAssertEqual(AlarmStatistic.allCases.map(\.messageName), ["SAMPLE_COUNT", "AVERAGE", "SUM", "MINIMUM", "MAXIMUM"])
    }

    /// Numbers as Java's Double.toString writes them, the service's rendering.
    func testNumbersAndTimes() {
        let cases: [(Double, String)] = [(7, "7.0"), (0, "0.0"), (-3, "-3.0"), (0.5, "0.5"), (2.25, "2.25"), (0.001, "0.001"),
                                         (9_999_999, "9999999.0"), (1e7, "1.0E7"), (12_345_678, "1.2345678E7"),
                                         (0.0001, "1.0E-4"), (-0.00015, "-1.5E-4"), (1e21, "1.0E21")]
        for (v, text) in cases { XCTAssertEqual(AlarmFormat.number(v), text, "\(v)") }
        XCTAssertEqual(AlarmFormat.datapointTime(datapointStart), "15/01/26 09:59:00")
        XCTAssertEqual(AlarmFormat.messageTime(datapointStart + 21_746), "2026-01-15T09:59:21.746+0000")
    }
}
