import LogmillTestSupport

/// Job files: random keys and values, sinks with huge, negative or NaN options, schedules such as
/// `rate(0 minutes)` and `cron(...)` garbage, CRLF line ends. Sources stay inside the job's folder.
struct JobGenerator {
    var rng: SeededRandom
    var queries: QueryGenerator

    init(rng: SeededRandom) {
        self.rng = rng
        queries = QueryGenerator(rng: SeededRandom(seed: rng.state ^ 0x5EED))
    }

    static let schedules = ["rate(5 minutes)", "rate(0 minutes)", "rate(-1 minutes)", "rate(1 minute)", "rate(99999999999999999999 days)",
                            "rate(1 fortnight)", "rate(", "cron(0 12 * * ? *)", "cron(* * * * * *)", "cron(99 99 99 99 99 99)",
                            "cron(0/0 * * * ? *)", "cron(L W # ? * *)", "cron(0 0 31 2 ? *)", "cron(0 0 ? * 6#5 *)", "cron()", "cron(((",
                            "every 5m", "every 0s", "every 1mo", "every -5m", "every 10000y", "every", "at(2026-11-01T00:00:00)"]
    static let optionValues = ["0", "-1", "NaN", "inf", "1e308", "99999999999999999999", "", "true", "maybe", "0.0000001", "600", "601",
                               "put", "kv", "ms", "${HOME}", "${NO_SUCH_VARIABLE}", "a:b", "é", "=", "x=y=z"]
    static let sinkKinds = ["table", "emf", "prometheus", "openmetrics", "pushgateway", "remote-write", "cloudwatch", "otlp", "statsd",
                            "webhook", "nosuchsink", ""]
    static let optionNames = ["timeout", "attempts", "max-series", "max-bytes", "batch", "max-datagram", "timestamps", "shape", "header",
                              "bearer-token", "basic-auth", "job", "method", "gzip", "region", "endpoint", "profile", "service",
                              "dogstatsd", "prefix", "category", "host", "LABEL", "nosuchoption"]

    mutating func sink() -> String {
        var words = [rng.pick(Self.sinkKinds)]
        if rng.chance(70) {
            words.append(rng.pick(["out/m.prom", "http://127.0.0.1:9/", "https://[::1]:0/x", "127.0.0.1:8125", "ftp://x", "http://", "-",
                                   "out/../m.prom", "127.0.0.1:99999", ":"]))
        }
        for _ in 0..<rng.below(4) { words.append("\(rng.pick(Self.optionNames))=\(rng.pick(Self.optionValues))") }
        return "sink: " + words.joined(separator: " ")
    }

    /// A job file's text; its sources name `logs` (the folder the hostile files are in) and globs within it.
    /// Most jobs are valid but for one key (so they get past the parser and run); some are hostile throughout.
    /// `offline`: only sinks that write files or print (for runs that deliver).
    mutating func job(offline: Bool = false) -> [UInt8] {
        var lines: [String] = []
        let keys = ["name", "schedule", "start", "settle", "late", "in-doubt", "source", "namespace", "metric", "dimension", "timestamp",
                    "timestamp-field", "period", "sink", "format", "nosuchkey", "", "#"]
        let hostileThroughout = !offline && rng.chance(20)
        let damaged = rng.pick(["schedule", "source", "namespace", "metric", offline ? "none" : "sink", offline ? "none" : "extra", "none", "none"])
        func value(_ key: String, _ valid: [String], _ hostile: [String], _ g: inout JobGenerator) -> String {
            (hostileThroughout ? g.rng.chance(30) : key == damaged) ? g.rng.pick(hostile) : g.rng.pick(valid)
        }
        lines.append("name: fuzz")
        lines.append("schedule: " + value("schedule", ["rate(5 minutes)", "every 5m", "cron(0/5 * * * ? *)", "rate(1 hour)"], Self.schedules, &self))
        lines.append("source: " + value("source", ["logs", "logs/*", "logs/** as /g"], ["logs/**/*.gz", "logs/none*", "logs as", "logs/*.log as /aws/x y"], &self))
        lines.append("namespace: " + value("namespace", ["Fuzz", "Fuzz/é"], ["AWS/x", "", String(repeating: "n", count: 256)], &self))
        lines.append("metric: " + value("metric", ["M = n", "M = n unit Count", "M = statistics(@duration) unit Milliseconds", "M = n unit Count resolution 1"],
                                        ["M = n unit Furlongs", "M = n resolution 7", "M = n default NaN", "M = statistics(", "= n", "M = missing"], &self))
        if hostileThroughout || damaged == "sink" { for _ in 0..<(1 + rng.below(3)) { lines.append(sink()) } }
        else if offline { lines.append("sink: " + rng.pick(["table", "emf out/m.emf", "prometheus out/m.prom", "openmetrics out/m.om"])) }
        else { lines.append("sink: " + rng.pick(["table", "emf", "prometheus out/m.prom", "openmetrics out/m.om", "statsd 127.0.0.1:9", "webhook http://127.0.0.1:9/"])) }
        if offline && rng.chance(50) { lines.append("late: " + rng.pick(["drop", "merge"])) }
        if offline && rng.chance(50) { lines.append("start: " + rng.pick(["2026-11-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z"])) }
        for _ in 0..<((hostileThroughout || damaged == "extra") ? 1 + rng.below(5) : 0) {
            let key = rng.pick(keys)
            switch key {
            case "sink": lines.append(sink())
            case "schedule": lines.append("schedule: " + rng.pick(Self.schedules))
            default: lines.append("\(key): \(rng.pick(Self.optionValues + Self.schedules + ["5m", "2026-11-01T00:00:00Z", "drop", "merge", "n", "@timestamp"]))")
            }
        }
        var query: String
        switch hostileThroughout ? rng.below(4) : rng.below(2) {
        case 0: query = "stats count(*) as n by bin(5m)"
        case 1: query = "filter @type = \"REPORT\" | stats count(*) as n, max(@duration) as d by bin(\(rng.chance(80) ? "5m" : rng.pick(QueryGenerator.periods)))"
        case 2: query = queries.query()
        default: query = ""
        }
        if !hostileThroughout || rng.chance(90) { lines.append("query:") }
        lines.append(query)
        rng.state = rng.state &+ 1
        if hostileThroughout && rng.chance(30) { lines.shuffle(using: &rng) }
        var text = lines.joined(separator: rng.chance(25) ? "\r\n" : "\n")
        if rng.chance(10) { text = "\u{FEFF}" + text }
        return Array(text.utf8)
    }
}
