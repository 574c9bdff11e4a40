import XCTest
import LogmillReport
import LogmillTestSupport

/// The page as a person sees it: headless Chromium renders it to a PNG, and the pixels must show
/// three plots in the line colour, one of them broken where its windows are missing.
final class ReportScreenshotTests: XCTestCase {
    /// `chromium` on PATH (Debian's package), or nil.
    static var chromium: String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/chromium" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    func testChromiumDrawsThePlots() throws {
        guard let chromium = Self.chromium else {
            throw XCTSkip("chromium is not on PATH, so the report page is not rendered; install it with 'apt-get install chromium' (Debian), as .ci/peers.sh's install_peers does")
        }
        let tmp = TemporaryDirectory(prefix: "logmill-report")
        defer { tmp.cleanup() }
        let minute: Int64 = 60_000, from: Int64 = 1_795_824_000_000, to = from + 120 * minute   // 2026-11-28 00:00–02:00
        func series(_ metric: String, _ dimensions: [(name: String, value: String)], _ unit: String, missing: Range<Int>? = nil,
                    _ value: (Int) -> Double) -> ReportSeries {
            ReportSeries(metric: metric, dimensions: dimensions, unit: unit,
                         points: (0..<120).filter { !(missing?.contains($0) ?? false) }.map { (from + Int64($0) * minute, value($0)) })
        }
        let html = ReportPage.html(title: "logmill backfill: lambda-max-memory", from: from, to: to, period: minute, series: [
            series("MaxMemoryUsed", [("FunctionName", "checkout-api"), ("Region", "eu-west-1")], "Megabytes") { 120 + 40 * sin(Double($0) / 9) },
            series("Errors", [("FunctionName", "<script>alert(1)</script>")], "Count", missing: 50..<70) { Double(($0 * 37) % 11) },
            series("Duration", [], "Milliseconds") { 800 + Double($0 * $0) / 3 },
        ])
        let page = tmp.path + "/page.html", png = tmp.path + "/page.png"
        try html.write(toFile: page, atomically: true, encoding: .utf8)

        let run = try LogmillProcess.execute(chromium, [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(tmp.path)/profile",
            "--screenshot=\(png)", "--window-size=1200,1600", "file://\(page)",
        ], cwd: tmp.path, limits: .init(seconds: 120, memoryKB: 4_000_000))
        XCTAssertFalse(run.timedOut, "chromium took over 120 s")
        guard FileManager.default.fileExists(atPath: png) else {
            return XCTFail("chromium wrote no screenshot (status \(run.status)): \(run.stderr.suffix(2000))")
        }
        // To look at it: LOGMILL_REPORT_KEEP=/some/folder keeps the page and the screenshot there.
        if let keep = ProcessInfo.processInfo.environment["LOGMILL_REPORT_KEEP"] {
            for f in ["page.html", "page.png"] {
                try? FileManager.default.removeItem(atPath: keep + "/" + f)
                try FileManager.default.copyItem(atPath: tmp.path + "/" + f, toPath: keep + "/" + f)
            }
        }

        let image = try PNGImage(Data(contentsOf: URL(fileURLWithPath: png)))
        XCTAssertEqual(image.width, 1200)
        XCTAssertEqual(image.height, 1600)
        var inked = 0
        var strokeRows: [Int: (first: Int, last: Int, columns: Set<Int>)] = [:]
        for y in 0..<image.height {
            for x in 0..<image.width {
                let p = image.pixel(x, y)
                if min(p.r, p.g, p.b) < 235 { inked += 1 }
                // The line colour #1f77b4, allowing for a little blending.
                if abs(Int(p.r) - 0x1f) <= 12, abs(Int(p.g) - 0x77) <= 12, abs(Int(p.b) - 0xb4) <= 12 {
                    strokeRows[y, default: (x, x, [])].last = x
                    strokeRows[y]!.columns.insert(x)
                }
            }
        }
        XCTAssertGreaterThan(inked, 15_000, "too little was drawn: \(inked) pixels that are not white")
        XCTAssertLessThan(inked, image.width * image.height / 2, "the page is mostly ink: a dark background or a broken page")
        let strokePixels = strokeRows.values.reduce(0) { $0 + $1.columns.count }
        XCTAssertGreaterThan(strokePixels, 1500, "the line colour barely appears")

        // Rows with the line colour fall into one band per plot, separated by headings and labels.
        let rows = strokeRows.keys.sorted()
        var bands: [[Int]] = []
        for y in rows { if let last = bands.last?.last, y - last <= 10 { bands[bands.count - 1].append(y) } else { bands.append([y]) } }
        XCTAssertEqual(bands.count, 3, "expected three plots; line colour in rows \(bands.map { "\($0.first!)–\($0.last!)" })")
        guard bands.count == 3 else { return }
        func columns(_ band: [Int]) -> [Int] { band.reduce(into: Set<Int>()) { $0.formUnion(strokeRows[$1]!.columns) }.sorted() }
        // Each line runs across most of its plot (about 870 of the 1000 px page width at this size).
        for band in bands { XCTAssertGreaterThan(columns(band).last! - columns(band).first!, 700) }
        // The second series misses 20 of 120 windows: its line has a hole a sixth of the plot wide;
        // the others have none wider than a few pixels.
        func widestHole(_ band: [Int]) -> Int { zip(columns(band), columns(band).dropFirst()).map { $1 - $0 }.max() ?? 0 }
        XCTAssertGreaterThan(widestHole(bands[1]), 100, "the gap of the second series is not visible")
        XCTAssertLessThan(widestHole(bands[0]), 20)
        XCTAssertLessThan(widestHole(bands[2]), 20)
    }
}
