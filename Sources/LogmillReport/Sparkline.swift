/// A series as one line of text, for terminals and logs where a plot cannot go.
public enum Sparkline {
    /// The eight levels, lowest first.
    static let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// One line of block characters ▁▂▃▄▅▆▇█ of at most `width` cells over `values` (nil or a
    /// non-finite value is a gap, shown as a space). With more values than cells, the values are
    /// split into `width` consecutive buckets of near-equal size and each cell shows its bucket's
    /// maximum, so a short spike is never averaged away. Levels span the lowest to the highest cell,
    /// negative values included; a constant series shows ▄ (▁ when it is all zero), since a flat line
    /// has no lowest or highest to scale between. Empty input or a width below 1 gives "".
    public static func render(_ values: [Double?], width: Int = 48) -> String {
        let n = values.count
        guard n > 0, width > 0 else { return "" }
        let cells = Swift.min(width, n)
        let levels: [Double?] = (0..<cells).map { i in
            values[(i * n / cells)..<((i + 1) * n / cells)].compactMap { $0 }.filter(\.isFinite).max()
        }
        let shown = levels.compactMap { $0 }
        guard let lo = shown.min(), let hi = shown.max() else { return String(repeating: " ", count: cells) }
        return String(levels.map { level -> Character in
            guard let v = level else { return " " }
            if lo == hi { return v == 0 ? blocks[0] : blocks[3] }
            // Halved so that a span wider than Double's range (−max … +max) does not overflow to infinity.
            let f = (v / 2 - lo / 2) / (hi / 2 - lo / 2)
            return blocks[Swift.min(7, Swift.max(0, Int((f * 7).rounded())))]
        })
    }
}
