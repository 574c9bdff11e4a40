import Foundation
import LogmillTime

/// The end-of-run report as one HTML file that opens anywhere, offline and years later: inline CSS
/// and inline SVG only, no scripts, no fonts or images to fetch (not even the SVG namespace URL,
/// which HTML does not need). Every text that came from logs or job files is escaped.
public enum ReportPage {
    /// The plots' line colour (also the colour the screenshot test looks for).
    public static let strokeColor = "#1f77b4"

    /// The page: `title`, the range `[from, to)` in UTC ISO-8601 and the period, then for each
    /// series, in the order given, a heading (`ReportSeries.label`), its summary and a line plot.
    /// Plot x is time over `[from, to)` with a few UTC ticks, y is value between the series' lowest
    /// and highest; consecutive points more than `period` ms apart are not joined, so a window
    /// without a point shows as a break (a `period` ≤ 0 joins every point). Points outside the range
    /// or with a non-finite value are not drawn. At most `maxSeries` plots, the first ones; the page
    /// says how many more were left out, since a run over many dimension values can make thousands.
    public static func html(title: String, from: Int64, to: Int64, period: Int64, series: [ReportSeries], maxSeries: Int = 200) -> String {
        let shown = series.prefix(Swift.max(0, maxSeries))
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(escape(title))</title>
        <style>\(css)</style>
        </head>
        <body>
        <h1>\(escape(title))</h1>
        <p class="range">[\(CivilCalendar.iso(from)), \(CivilCalendar.iso(to))) · period \(duration(period)) · \(series.count) series</p>

        """
        if series.count > shown.count {
            out += "<p class=\"note\">\(series.count - shown.count) more series left out: this page plots at most \(shown.count).</p>\n"
        }
        let ticks = timeTicks(from: from, to: to)
        for s in shown {
            out += "<section>\n<h2>\(escape(s.label))</h2>\n<p class=\"summary\">\(summaryText(SeriesSummary(s)))</p>\n"
            out += plot(s, from: from, to: to, period: period, ticks: ticks)
            out += "</section>\n"
        }
        out += "</body>\n</html>\n"
        return out
    }

    static let css = """
    body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#222;margin:24px;background:#fff}\
    h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:18px 0 2px;font-weight:600;overflow-wrap:anywhere}\
    p{margin:0 0 6px;font-size:13px}.range,.summary{color:#555}.note{color:#8a4b00}\
    svg{display:block;width:1000px;max-width:100%;height:auto}\
    svg text{font-size:12px;fill:#444}.frame{fill:none;stroke:#bbb}.grid{stroke:#e4e4e4}\
    .line{fill:none;stroke:\(strokeColor);stroke-width:2;stroke-linejoin:round}.dot{fill:\(strokeColor)}
    """

    // The plot's geometry, in the SVG's own units (it scales with the page).
    static let width = 1000.0, height = 230.0
    static let left = 84.0, right = 48.0, top = 12.0, bottom = 44.0
    /// Space between the frame and the highest/lowest point, so the line never runs on the frame.
    static let inset = 6.0

    static func plot(_ s: ReportSeries, from: Int64, to: Int64, period: Int64, ticks: [Int64]) -> String {
        let plotW = width - left - right, plotH = height - top - bottom
        // In Double, so that no range of Int64 times can overflow.
        let span = Swift.max(Double(to) - Double(from), 1)
        func x(_ t: Int64) -> Double { left + (Double(t) - Double(from)) / span * plotW }
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(s.label))\">\n"
        svg += "<rect class=\"frame\" x=\"\(c(left))\" y=\"\(c(top))\" width=\"\(c(plotW))\" height=\"\(c(plotH))\"/>\n"
        var previousDate = ""
        for t in ticks {
            let iso = CivilCalendar.iso(t)
            let parts = iso.split(separator: "T", maxSplits: 1).map(String.init)
            let date = parts[0], time = parts.count > 1 ? parts[1] : ""
            svg += "<line class=\"grid\" x1=\"\(c(x(t)))\" y1=\"\(c(top))\" x2=\"\(c(x(t)))\" y2=\"\(c(top + plotH))\"/>\n"
            // Time on the first line; the date only when it differs from the previous tick's, so
            // labels stay short enough never to run into each other.
            svg += "<text x=\"\(c(x(t)))\" y=\"\(c(top + plotH + 16))\" text-anchor=\"middle\">\(escape(time))"
            if date != previousDate { svg += "<tspan x=\"\(c(x(t)))\" dy=\"15\">\(escape(date))</tspan>" }
            svg += "</text>\n"
            previousDate = date
        }
        let points = s.points.filter { $0.time >= from && $0.time < to && $0.value.isFinite }
        guard let lo = points.map(\.value).min(), let hi = points.map(\.value).max() else {
            svg += "<text x=\"\(c(left + plotW / 2))\" y=\"\(c(top + plotH / 2))\" text-anchor=\"middle\">no data in this range</text>\n</svg>\n"
            return svg
        }
        let yTop = top + inset, yBottom = top + plotH - inset
        // A flat series is drawn across the middle with its one value as the only label.
        func y(_ v: Double) -> Double { hi == lo ? (yTop + yBottom) / 2 : yBottom - (v / 2 - lo / 2) / (hi / 2 - lo / 2) * (yBottom - yTop) }
        let yLabels = hi == lo ? [lo] : [hi, lo]
        for v in yLabels {
            svg += "<text x=\"\(c(left - 8))\" y=\"\(c(y(v) + 4))\" text-anchor=\"end\">\(escape(axisNumber(v)))</text>\n"
        }
        // Runs of points no more than a period apart are one subpath each; a run of one point has
        // no line to show, so it is drawn as a dot.
        var runs: [[(time: Int64, value: Double)]] = []
        for p in points {
            if let last = runs.last?.last, period <= 0 || p.time - last.time <= period { runs[runs.count - 1].append(p) } else { runs.append([p]) }
        }
        let d = runs.filter { $0.count > 1 }.map { run in
            run.enumerated().map { i, p in "\(i == 0 ? "M" : "L")\(c(x(p.time))) \(c(y(p.value)))" }.joined(separator: " ")
        }.joined(separator: " ")
        if !d.isEmpty { svg += "<path class=\"line\" d=\"\(d)\"/>\n" }
        for run in runs where run.count == 1 {
            svg += "<circle class=\"dot\" cx=\"\(c(x(run[0].time)))\" cy=\"\(c(y(run[0].value)))\" r=\"3\"/>\n"
        }
        return svg + "</svg>\n"
    }

    /// The x-axis ticks: multiples of the smallest round step (1 s … 1 day … years) that gives at
    /// most seven ticks in `[from, to]`, so the labels (about 70 of the plot's 868 units wide) keep
    /// their distance at any range.
    static func timeTicks(from: Int64, to: Int64) -> [Int64] {
        guard to > from else { return [from] }
        let s: Int64 = 1000, m = 60 * s, h = 60 * m, d = 24 * h
        var steps: [Int64] = [s, 2 * s, 5 * s, 10 * s, 15 * s, 30 * s, m, 2 * m, 5 * m, 10 * m, 15 * m, 30 * m,
                              h, 2 * h, 3 * h, 6 * h, 12 * h, d, 2 * d, 7 * d, 14 * d, 30 * d, 60 * d, 90 * d, 180 * d]
        // Then 1, 2 and 5 years times powers of ten, as long as they fit: the last spans any Int64 range.
        var years: Int64 = 1
        grow: while true {
            for k: Int64 in [1, 2, 5] {
                let (step, overflow) = (k * years).multipliedReportingOverflow(by: 365 * d)
                if overflow { break grow }
                steps.append(step)
            }
            years *= 10
        }
        // In Double, since `to - from` can overflow Int64.
        let length = Double(to) - Double(from)
        let step = steps.first { length / Double($0) <= 6 } ?? steps[steps.count - 1]
        // The first multiple of the step at or after `from` (rounded toward zero, then up by a step).
        var t = from / step * step
        if t < from {
            let (next, overflow) = t.addingReportingOverflow(step)
            if overflow { return [] }
            t = next
        }
        var ticks: [Int64] = []
        while t <= to { ticks.append(t); if t > Int64.max - step { break }; t += step }
        return ticks
    }

    static func summaryText(_ s: SeriesSummary) -> String {
        guard let min = s.min, let max = s.max, let first = s.first, let last = s.last else { return "windows 0 · no points" }
        return "windows \(s.windows) · min \(escape(number(min))) · max \(escape(number(max))) · total \(escape(number(s.total)))"
            + " · first \(CivilCalendar.iso(first)) · last \(CivilCalendar.iso(last))"
    }

    /// Whole numbers as integers, others with six significant digits: a report is for reading.
    public static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.6g", v)
    }

    /// Axis labels fit the margin: from a million on, four significant digits and an SI suffix (`206.3M`).
    static func axisNumber(_ v: Double) -> String {
        let units: [(Double, String)] = [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M")]
        for (scale, suffix) in units where abs(v) >= scale && abs(v) < scale * 1000 {
            return String(format: "%.4g", v / scale) + suffix
        }
        return abs(v) >= 1e18 ? String(format: "%.2e", v) : number(v)
    }

    /// A coordinate to one decimal: enough for a screen, and a stable text for the tests.
    static func c(_ v: Double) -> String { String(format: "%.1f", v) }

    /// `5m`, `1h`, `1d`, or milliseconds when the period is not a whole number of seconds.
    static func duration(_ ms: Int64) -> String {
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] where ms > 0 && ms % size == 0 {
            return "\(ms / size)\(unit)"
        }
        return "\(ms) ms"
    }

    /// Text and attribute values for HTML: the five characters that can end either.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
