import XCTest
import LogmillTime
@testable import LogmillReport

final class ReportPageTests: XCTestCase {
    static let minute: Int64 = 60_000
    static let from: Int64 = 1_795_824_000_000          // 2026-11-28T00:00:00Z
    static let to = from + 60 * minute

    /// A value every minute of the hour, except the minutes in `missing`.
    static func series(_ metric: String, dimensions: [(name: String, value: String)] = [], unit: String = "Count",
                       missing: Set<Int> = [], value: (Int) -> Double = { Double($0 % 7) }) -> ReportSeries {
        ReportSeries(metric: metric, dimensions: dimensions, unit: unit,
                     points: (0..<60).filter { !missing.contains($0) }.map { (from + Int64($0) * minute, value($0)) })
    }

    static func page(_ series: [ReportSeries], maxSeries: Int = 200) -> String {
        ReportPage.html(title: "Backfill", from: from, to: to, period: minute, series: series, maxSeries: maxSeries)
    }

    /// The `d` attributes of the page's paths, in order.
    static func paths(_ html: String) -> [String] {
        html.components(separatedBy: "<path ").dropFirst().map { $0.components(separatedBy: " d=\"")[1].components(separatedBy: "\"")[0] }
    }

    func count(_ needle: String, in haystack: String) -> Int { haystack.components(separatedBy: needle).count - 1 }

    func testTextFromLogsIsEscaped() {
        let hostile = ReportSeries(metric: "errors&<b>", dimensions: [("path", "<script>alert(\"x\")</script>"), ("q", "a'b")], unit: "Count",
                                   points: [(Self.from, 1)])
        let html = ReportPage.html(title: "Run <1> & \"2\"", from: Self.from, to: Self.to, period: Self.minute, series: [hostile])
        XCTAssertFalse(html.contains("<script"), "a dimension value became markup")
        XCTAssertFalse(html.contains("<b>"))
        XCTAssertTrue(html.contains("path=&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))
        XCTAssertTrue(html.contains("q=a&#39;b"))
        XCTAssertTrue(html.contains("<h2>errors&amp;&lt;b&gt; {path=&lt;script&gt;"))
        XCTAssertTrue(html.contains("<title>Run &lt;1&gt; &amp; &quot;2&quot;</title>"))
        // The same label in the SVG's attribute is escaped too (a quote there would end the attribute).
        XCTAssertTrue(html.contains("aria-label=\"errors&amp;&lt;b&gt; {path=&lt;script&gt;alert(&quot;x&quot;)"))
    }

    func testThePageFetchesNothing() {
        let html = Self.page([Self.series("a"), Self.series("b", missing: [5])])
        for reference in ["http://", "https://", "src=", "href=", "url(", "@import", "<script", "<link", "<img", "xmlns"] {
            XCTAssertFalse(html.lowercased().contains(reference), "the page refers to something outside it: \(reference)")
        }
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("<meta charset=\"utf-8\">"))
        XCTAssertTrue(html.contains("<style>"))
    }

    func testOnePlotPerSeriesWithHeadingAndSummary() {
        let html = Self.page([
            Self.series("requests", dimensions: [("service", "api"), ("region", "eu-west-1")]),
            Self.series("latency", unit: "Milliseconds", value: { Double($0) }),
            Self.series("empty", unit: "None", missing: Set(0..<60)),
        ])
        XCTAssertEqual(count("<svg", in: html), 3)
        XCTAssertEqual(count("</svg>", in: html), 3)
        XCTAssertTrue(html.contains("<h2>requests {service=api, region=eu-west-1} (Count)</h2>"))
        XCTAssertTrue(html.contains("<h2>latency (Milliseconds)</h2>"))
        XCTAssertTrue(html.contains("windows 60 · min 0 · max 59 · total 1770 · first 2026-11-28T00:00:00Z · last 2026-11-28T00:59:00Z"))
        XCTAssertTrue(html.contains("windows 0 · no points"))
        XCTAssertTrue(html.contains("no data in this range"))
        XCTAssertTrue(html.contains("[2026-11-28T00:00:00Z, 2026-11-28T01:00:00Z) · period 1m · 3 series"))
        XCTAssertFalse(html.contains("left out"))
        // y labels: the highest and lowest value of each plotted series.
        XCTAssertTrue(html.contains("text-anchor=\"end\">59</text>"))
        XCTAssertTrue(html.contains("text-anchor=\"end\">0</text>"))
    }

    func testSeriesBeyondTheLimitAreCountedNotPlotted() {
        let many = (0..<5).map { Self.series("m\($0)") }
        let html = Self.page(many, maxSeries: 2)
        XCTAssertEqual(count("<svg", in: html), 2)
        XCTAssertTrue(html.contains("3 more series left out: this page plots at most 2."))
        XCTAssertTrue(html.contains("<h2>m1 (Count)</h2>"))
        XCTAssertFalse(html.contains("<h2>m2 (Count)</h2>"), "the first maxSeries are plotted, in order")
        XCTAssertTrue(html.contains("· 5 series"), "the header counts every series")
        XCTAssertEqual(count("<svg", in: Self.page(many, maxSeries: 0)), 0)
        XCTAssertTrue(Self.page(many, maxSeries: 0).contains("5 more series left out"))
        XCTAssertEqual(count("<svg", in: Self.page(many)), 5)
    }

    func testMissingWindowsBreakTheLine() {
        let whole = Self.paths(Self.page([Self.series("a")]))
        XCTAssertEqual(whole.count, 1)
        XCTAssertEqual(count("M", in: whole[0]), 1)
        XCTAssertEqual(count("L", in: whole[0]), 59)

        let gapped = Self.paths(Self.page([Self.series("a", missing: [20, 21, 40])]))
        XCTAssertEqual(gapped.count, 1)
        XCTAssertEqual(count("M", in: gapped[0]), 3, "two gaps make three runs: \(gapped[0])")
        XCTAssertEqual(count("L", in: gapped[0]), 57 - 3)

        // A point alone between two gaps has no line to be part of: it is a dot.
        let lone = Self.page([Self.series("a", missing: [9, 11])])
        XCTAssertEqual(count("M", in: Self.paths(lone)[0]), 2)
        XCTAssertEqual(count("<circle", in: lone), 1)

        // A non-finite value is not drawn and breaks the line like a missing window.
        let nan = Self.page([Self.series("a", value: { $0 == 30 ? .nan : 1 })])
        XCTAssertEqual(count("M", in: Self.paths(nan)[0]), 2)
        XCTAssertFalse(nan.lowercased().contains("nan"))

        // Without a period every point is joined.
        let joined = ReportPage.html(title: "t", from: Self.from, to: Self.to, period: 0, series: [Self.series("a", missing: [20])])
        XCTAssertEqual(count("M", in: Self.paths(joined)[0]), 1)
    }

    func testPointsStayInsideThePlot() throws {
        let html = Self.page([Self.series("a", value: { Double($0 * $0) - 500 })])
        let numbers = Self.paths(html)[0].split(whereSeparator: { $0 == " " || $0 == "M" || $0 == "L" }).map { Double($0)! }
        let xs = stride(from: 0, to: numbers.count, by: 2).map { numbers[$0] }, ys = stride(from: 1, to: numbers.count, by: 2).map { numbers[$0] }
        XCTAssertEqual(xs, xs.sorted(), "x follows time")
        XCTAssertEqual(xs.first, ReportPage.left)
        XCTAssertLessThan(xs.last!, ReportPage.width - ReportPage.right)
        XCTAssertEqual(ys.min(), ReportPage.top + ReportPage.inset, "the highest value at the top")
        XCTAssertEqual(ys.max(), ReportPage.height - ReportPage.bottom - ReportPage.inset, "the lowest at the bottom")
        // A flat series has one y label, at the middle.
        let flat = Self.page([Self.series("a", value: { _ in 3 })])
        XCTAssertEqual(count("text-anchor=\"end\"", in: flat), 1)
    }

    func testTimeTicksAreFewRoundAndInRange() {
        let hour: Int64 = 3_600_000, day = 24 * hour
        for (from, to) in [(Self.from, Self.from + 60_000), (Self.from, Self.to), (Self.from + 7 * Self.minute, Self.from + 9 * hour),
                           (Self.from, Self.from + 31 * day), (Self.from, Self.from + 3 * 365 * day), (Int64(-5 * day), Int64(3 * day)),
                           (Int64.min / 2, Int64.max / 2), (Int64.min, Int64.max), (0, 15 * 365 * day)] {
            let ticks = ReportPage.timeTicks(from: from, to: to)
            XCTAssertGreaterThanOrEqual(ticks.count, 2, "\(from)…\(to)")
            XCTAssertLessThanOrEqual(ticks.count, 7, "\(from)…\(to)")
            XCTAssertEqual(ticks, ticks.sorted())
            XCTAssertTrue(ticks.allSatisfy { $0 >= from && $0 <= to })
        }
        XCTAssertEqual(ReportPage.timeTicks(from: Self.from, to: Self.to).map { CivilCalendar.iso($0) },
                       ["2026-11-28T00:00:00Z", "2026-11-28T00:10:00Z", "2026-11-28T00:20:00Z", "2026-11-28T00:30:00Z",
                        "2026-11-28T00:40:00Z", "2026-11-28T00:50:00Z", "2026-11-28T01:00:00Z"])
        // Three days from 04:00 tick every 12 hours, not every day (which would leave three labels).
        XCTAssertEqual(ReportPage.timeTicks(from: Self.from - 20 * hour, to: Self.from + 52 * hour).map { CivilCalendar.iso($0) },
                       ["2026-11-27T12:00:00Z", "2026-11-28T00:00:00Z", "2026-11-28T12:00:00Z", "2026-11-29T00:00:00Z",
                        "2026-11-29T12:00:00Z", "2026-11-30T00:00:00Z"])
        // On the page: times on every tick, the date only where it changes.
        let html = Self.page([Self.series("a")])
        XCTAssertTrue(html.contains(">00:10:00Z</text>"))
        XCTAssertEqual(count(">2026-11-28</tspan>", in: html), 1)
        // An empty or reversed range still renders.
        XCTAssertEqual(ReportPage.timeTicks(from: 5, to: 5), [5])
        XCTAssertTrue(ReportPage.html(title: "t", from: Self.to, to: Self.from, period: Self.minute, series: [Self.series("a")]).contains("<svg"))
        XCTAssertTrue(ReportPage.html(title: "t", from: .min, to: .max, period: .max, series: [Self.series("a")]).contains("[-292275055-05-16T16:47:04.192Z"))
    }

    func testSummary() {
        let s = SeriesSummary(ReportSeries(metric: "m", points: [(10, 4), (20, -1), (30, .nan), (40, 2.5)]))
        XCTAssertEqual(s.windows, 3)
        XCTAssertEqual(s.min, -1)
        XCTAssertEqual(s.max, 4)
        XCTAssertEqual(s.total, 5.5)
        XCTAssertEqual(s.first, 10)
        XCTAssertEqual(s.last, 40)
        let empty = SeriesSummary(ReportSeries(metric: "m", points: []))
        XCTAssertEqual(empty, SeriesSummary(ReportSeries(metric: "x", points: [(1, .infinity)])))
        XCTAssertEqual(empty.windows, 0)
        XCTAssertNil(empty.min)
        XCTAssertEqual(empty.total, 0)
    }

    func testNumbersAndDurationsForReading() {
        XCTAssertEqual(ReportPage.number(1770), "1770")
        XCTAssertEqual(ReportPage.number(-0.0), "0")
        XCTAssertEqual(ReportPage.number(2.5), "2.5")
        XCTAssertEqual(ReportPage.number(1.0 / 3), "0.333333")
        XCTAssertEqual(ReportPage.number(1e20), "1e+20")
        XCTAssertEqual(ReportPage.duration(300_000), "5m")
        XCTAssertEqual(ReportPage.duration(86_400_000), "1d")
        XCTAssertEqual(ReportPage.duration(90_000), "90s")
        XCTAssertEqual(ReportPage.duration(1500), "1500 ms")
    }
}
