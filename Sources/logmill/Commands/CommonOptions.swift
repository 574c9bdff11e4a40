import LogmillQuery
import LogmillRecords
import LogmillScan
import LogmillTime

/// Options several commands share, declared once so they parse, bound and read alike everywhere.
enum CommonOptions {
    static let from = OptionSpec("from", value: "TIME", "only records at or after TIME: 2026-11-01T00:00:00Z, 2026-11-01 00:00,\n2026-11-01, -1h, now-2d, or epoch seconds/milliseconds")
    static let to = OptionSpec("to", value: "TIME", "only records before TIME (half-open: [from, to))")
    static let now = OptionSpec("now", value: "TIME", "take TIME as the current time: replays a schedule, fixes now()")
    static let workers = OptionSpec("workers", value: "N", "threads to use, 1 to \(maxWorkers) (default: all cores)")
    static let fetchConcurrency = OptionSpec("fetch-concurrency", value: "N",
                                             "small S3/HTTP objects fetched at once ahead of the workers,\n1 to 256 (default 16; 1: none ahead)")
    static let stats = OptionSpec("stats", "print records scanned/matched, bytes and time to stderr")
    static let maxRecordSize = OptionSpec("max-record-size", value: "SIZE",
                                          "skip (and report) lines longer than SIZE, e.g. 64m (default 16m);\nwhole documents (CloudTrail files) may be 16 times larger")
    static let timestampField = OptionSpec("timestamp-field", value: "NAME",
                                           "take @timestamp of JSON lines from the top-level key NAME\n(default: timestamp, @timestamp, time or ts)")
    static let logFormat = OptionSpec("log-format", value: "FORMAT",
                                      "force the input format: \(LogFormat.allCases.map(\.rawValue).joined(separator: ", "))\n(default: detect per file)")

    /// The one bound on worker threads, whatever the command.
    static let maxWorkers = 256

    /// A time option, relative times read against `now`.
    static func time(_ parsed: ParsedOptions, _ name: String, now: Int64) throws -> Int64? {
        guard let v = parsed.value(name) else { return nil }
        do { return try TimeArgument.parse(v, now: now) } catch { throw UsageError("--\(name): \(error)") }
    }

    /// `1048576`, `512k`, `64m`, `2g` (powers of 1024).
    static func byteSize(_ text: String) -> Int? {
        let lower = text.lowercased()
        let units: [(String, Int)] = [("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30)]
        for (suffix, scale) in units where lower.hasSuffix(suffix) {
            guard let n = Int(lower.dropLast()), n >= 0 else { return nil }
            let (v, overflow) = n.multipliedReportingOverflow(by: scale)
            return overflow ? nil : v
        }
        return Int(lower)
    }

    /// Applies `--from`, `--to`, `--now`, `--workers`, `--log-format` and `--timestamp-field` to query options.
    static func apply(_ parsed: ParsedOptions, to options: inout QueryOptions) throws {
        if let now = try time(parsed, "now", now: options.clock.milliseconds()) { options.clock = ManualClock(milliseconds: now) }
        let now = options.clock.milliseconds()
        options.from = try time(parsed, "from", now: now)
        options.to = try time(parsed, "to", now: now)
        if let f = options.from, let t = options.to, f >= t { throw UsageError("--from must be before --to (the range is [from, to))") }
        if let lf = parsed.value("log-format") {
            guard let f = LogFormat(rawValue: lf) else {
                throw UsageError("unknown log format '\(lf)'; use one of: \(LogFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            options.scan.format = f
        }
        if let v = parsed.value("max-record-size") {
            guard let n = byteSize(v), n >= 1024, n <= 1 << 34 else { throw UsageError("--max-record-size takes a size from 1k to 16g, e.g. 64m") }
            options.scan.maxLineBytes = n
            options.scan.maxDocumentBytes = max(n, n <= Int.max / 16 ? n * 16 : n)
        }
        if let field = parsed.value("timestamp-field") {
            guard !field.isEmpty else { throw UsageError("--timestamp-field needs the name of a JSON key") }
            options.scan.timestampField = field
        }
        if let v = parsed.value("fetch-concurrency") {
            guard let n = Int(v), n >= 1, n <= 256 else { throw UsageError("--fetch-concurrency takes a number from 1 to 256") }
            options.scan.fetchConcurrency = n
        }
        if let w = parsed.value("workers") {
            guard let n = Int(w), n >= 1, n <= maxWorkers else { throw UsageError("--workers takes a number from 1 to \(maxWorkers)") }
            options.scan.workers = n
        }
    }
}
