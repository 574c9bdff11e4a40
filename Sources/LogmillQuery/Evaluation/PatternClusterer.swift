/// `pattern`: a Drain-style clusterer. Messages are split into tokens; tokens with digits become
/// `<*>`; messages of the same length and first token join the most similar template (at least
/// half the tokens equal), and positions that differ become `<*>`.
struct PatternClusterer {
    struct Cluster {
        var tokens: [String]
        var count: Int
    }

    private var groups: [String: [Int]] = [:]
    private(set) var clusters: [Cluster] = []
    private(set) var total = 0
    let similarity = 0.5

    static func tokens(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).map { t in
            t.contains(where: \.isNumber) ? "<*>" : String(t)
        }
    }

    mutating func add(_ text: String) {
        total += 1
        let toks = PatternClusterer.tokens(text)
        let key = "\(toks.count)\u{1f}" + (toks.first ?? "")
        var best = -1
        var bestScore = -1.0
        for ci in groups[key] ?? [] {
            let t = clusters[ci].tokens
            var same = 0
            for (a, b) in zip(t, toks) where a == b || a == "<*>" { same += 1 }
            let score = toks.isEmpty ? 1 : Double(same) / Double(toks.count)
            if score > bestScore { bestScore = score; best = ci }
        }
        if best >= 0 && bestScore >= similarity {
            for k in clusters[best].tokens.indices where clusters[best].tokens[k] != toks[k] { clusters[best].tokens[k] = "<*>" }
            clusters[best].count += 1
        } else {
            groups[key, default: []].append(clusters.count)
            clusters.append(Cluster(tokens: toks, count: 1))
        }
    }
}
