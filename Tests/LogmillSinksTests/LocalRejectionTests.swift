import Foundation
import XCTest
import LogmillAWS
import LogmillMetrics
import LogmillTime
@testable import LogmillSinks

/// Every datum a sink leaves out before sending is a rejection with its reason (so the run's exit
/// status says so), never a silently smaller count.
final class LocalRejectionTests: XCTestCase {
    func testDatumsLeftOutLocallyAreRejectionsWithReasons() throws {
        let t = HTTPSinksTests.t0
        let nan = MetricDatum(namespace: "N", name: "NaN", dimensions: [], timestamp: t, unit: .count, value: .single(.nan))
        let inf = MetricDatum(namespace: "N", name: "Sum", dimensions: [], timestamp: t, unit: .count,
                              value: .statistics(StatisticSet(sampleCount: 1, sum: .infinity, minimum: 1, maximum: 1)))
        let good = MetricDatum(namespace: "N", name: "Good", dimensions: [], timestamp: t, unit: .count, value: .single(1))
        let sinks: [any MetricSink] = [
            WebhookSink(url: URL(string: "http://127.0.0.1:1/")!), WebhookSink(url: URL(string: "http://127.0.0.1:1/")!, shape: .kv, host: "h"),
            OTLPSink(url: URL(string: "http://127.0.0.1:1/v1/metrics")!), try SinkRegistry.make(SinkSpec(kind: "statsd", arguments: ["127.0.0.1:8125"]), context: SinkContext(clock: ManualClock(milliseconds: t), output: TextBuffer(), environment: [:])),
        ]
        for sink in sinks {
            let p = sink.encode([nan, inf, good])
            XCTAssertEqual(p.count, 1, sink.label)
            XCTAssertEqual(p.rejections.map(\.reason).map { $0.components(separatedBy: ";")[0] }, ["value is NaN", "Sum is +Inf"], sink.label)
        }
        let cw = CloudWatchSink(endpoint: URL(string: "http://127.0.0.1:1")!, region: "us-east-1",
                                credentials: CredentialProvider(static: Credentials(accessKeyId: "a", secretAccessKey: "b")),
                                clock: ManualClock(milliseconds: t))
        func d(_ name: String, _ dims: [(name: String, value: String)], at ts: Int64 = t) -> MetricDatum {
            MetricDatum(namespace: "N", name: name, dimensions: dims, timestamp: ts, unit: .count, value: .single(1))
        }
        let plan = cw.plan([d("Empty", [("Host", "")]), d("Twice", [("Host", "a"), ("Host", "b")]), d("Old", [], at: t - 15 * 86_400_000),
                            d("Ahead", [], at: t + 3 * 3_600_000), nan, good])
        let reasons = Dictionary(plan.rejected.map { ($0.datum.name, $0.reason) }) { a, _ in a }
        XCTAssertEqual(reasons["Empty"], "dimension 'Host' has an empty value (CloudWatch rejects empty dimension values)")
        XCTAssertEqual(reasons["Twice"], "dimension 'Host' appears twice")
        XCTAssertTrue(reasons["Old"]?.contains("more than 2 weeks old") == true)
        XCTAssertTrue(reasons["Ahead"]?.contains("more than 2 hours in the future") == true)
        XCTAssertEqual(reasons["NaN"], "value is NaN")
        XCTAssertEqual(cw.encode([d("Empty", [("Host", " ")]), good]).rejections.count, 1)
    }
}
