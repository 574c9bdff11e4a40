// swift-tools-version:6.0
// logmill: CloudWatch Logs Insights queries over local logs, turned into metrics.
// No package dependencies: Foundation, Dispatch, Glibc and zlib (through CZlib) only.
import PackageDescription

let package = Package(
    name: "logmill",
    products: [
        .executable(name: "logmill", targets: ["logmill"]),
    ],
    targets: [
        // C shims: zlib and the few libc functions Swift's Glibc module hides (memmem).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Time: the injected clock, periods, half-open windows, UTC calendar arithmetic.
        .target(name: "LogmillTime", dependencies: []),
        // Bytes in: files, directories, globs, stdin; fixed-size chunk reading.
        .target(name: "LogmillSources", dependencies: []),
        // Byte decoders: streaming multi-member gzip.
        .target(name: "LogmillDecode", dependencies: ["CZlib", "LogmillSources"]),
        // Message digests (SHA-256, MD5), shared by the query language and AWS signing.
        .target(name: "LogmillDigest", dependencies: []),
        // Linear-time regular expressions over UTF-8 bytes.
        .target(name: "LogmillRegex", dependencies: ["CZlib"]),
        // Line framing, format detection, timestamps, field discovery.
        .target(name: "LogmillRecords", dependencies: ["LogmillTime", "LogmillSources", "LogmillDecode", "CZlib"]),
        // CloudWatch Logs metric filter patterns (terms, %regex%, JSON, space-delimited) matched over line bytes.
        .target(name: "LogmillPatterns", dependencies: ["LogmillRegex", "LogmillRecords"]),
        // The scan driver: objects in, blocks of whole records out, on a shared worker budget.
        .target(name: "LogmillScan", dependencies: ["LogmillSources", "LogmillDecode", "LogmillRecords"]),
        // The Insights language: lexer, parser, planner, evaluator, rendering.
        .target(name: "LogmillQuery", dependencies: ["LogmillTime", "LogmillScan", "LogmillSources", "LogmillRecords", "LogmillPatterns", "LogmillRegex", "LogmillDigest", "CZlib"]),
        // Metric datums and the mapping from query results to them.
        .target(name: "LogmillMetrics", dependencies: ["LogmillQuery"]),
        // HTTP with timeouts and retries, shared by every networked sink.
        .target(name: "LogmillNet", dependencies: ["LogmillTime"]),
        // SHA-256, HMAC, SigV4, credentials and endpoints for the AWS APIs.
        .target(name: "LogmillAWS", dependencies: ["LogmillDigest", "LogmillTime"]),
        // Remote objects as sources: S3 (ListObjectsV2, ranged GETs, date templates) and HTTP(S) URLs.
        .target(name: "LogmillRemote", dependencies: ["LogmillSources", "LogmillNet", "LogmillAWS", "LogmillTime"]),
        // Where datums go: table, EMF, Prometheus text, CloudWatch, Pushgateway, remote write, OTLP, StatsD, webhooks.
        .target(name: "LogmillSinks", dependencies: ["LogmillTime", "LogmillMetrics", "LogmillQuery", "LogmillNet", "LogmillAWS", "CZlib"]),
        // Alarms: rules, the M-of-N missing-data evaluation, the state tracker, the SNS message (pure, no I/O).
        .target(name: "LogmillAlarms", dependencies: ["LogmillTime"]),
        // The end-of-run report: series summaries, text sparklines, a self-contained HTML page of SVG plots.
        .target(name: "LogmillReport", dependencies: ["LogmillTime"]),
        // Job files, windows and running a job end to end.
        .target(name: "LogmillJobs", dependencies: ["LogmillTime", "LogmillPatterns", "LogmillSources", "LogmillScan", "LogmillRecords", "LogmillDecode", "LogmillQuery", "LogmillMetrics", "LogmillSinks", "LogmillAlarms", "LogmillNet", "LogmillReport", "LogmillRemote"]),
        // The thin command-line front end.
        .executableTarget(name: "logmill", dependencies: ["LogmillTime", "LogmillScan", "LogmillSources", "LogmillJobs", "LogmillQuery", "LogmillSinks", "LogmillMetrics", "LogmillRecords", "LogmillAlarms", "LogmillReport", "LogmillRemote"]),

        // The tests' shared helpers: an HTTP server and a UDP listener on 127.0.0.1, a seeded
        // random generator and temporary directories.
        .target(name: "LogmillTestSupport", dependencies: [], path: "Tests/Support"),
        .testTarget(name: "LogmillTimeTests", dependencies: ["LogmillTime", "LogmillTestSupport"]),
        .testTarget(name: "LogmillRegexTests", dependencies: ["LogmillRegex", "LogmillTestSupport"]),
        .testTarget(name: "LogmillRecordsTests", dependencies: ["LogmillRecords", "LogmillScan", "LogmillDecode", "LogmillSources", "LogmillTestSupport"]),
        // The report's text and page; a headless Chromium screenshot of the page when chromium is installed
        // (CZlib inflates the PNG).
        .testTarget(name: "LogmillReportTests", dependencies: ["LogmillReport", "LogmillTime", "LogmillTestSupport", "CZlib"]),
        .testTarget(name: "LogmillAlarmsTests", dependencies: ["LogmillAlarms", "LogmillTime"]),
        .testTarget(name: "LogmillPatternsTests", dependencies: ["LogmillPatterns"], exclude: ["corpus.txt"]),
        .testTarget(name: "LogmillQueryTests", dependencies: ["LogmillTime", "LogmillScan", "LogmillSources", "LogmillQuery", "LogmillRecords", "LogmillDigest", "LogmillTestSupport"]),
        .testTarget(name: "LogmillAWSTests", dependencies: ["LogmillAWS", "LogmillTestSupport"]),
        .testTarget(name: "LogmillSinksTests", dependencies: ["LogmillTime", "LogmillSinks", "LogmillMetrics", "LogmillNet", "LogmillAWS", "LogmillTestSupport"]),
        .testTarget(name: "LogmillMetricsTests", dependencies: ["LogmillTime", "LogmillMetrics", "LogmillSinks", "LogmillJobs", "LogmillQuery", "LogmillTestSupport"]),
        // S3 sources against moto (LOGMILL_TEST_MOTO) and a scripted S3 with faults; HTTP sources against the test server.
        .testTarget(name: "LogmillRemoteTests", dependencies: ["logmill", "LogmillRemote", "LogmillSources", "LogmillAWS", "LogmillNet", "LogmillTime", "LogmillQuery", "LogmillScan", "LogmillJobs", "LogmillSinks", "LogmillTestSupport", "CZlib"]),
        // Runs the built binary; depending on it makes `swift test` build it first.
        .testTarget(name: "LogmillCLITests", dependencies: ["logmill", "LogmillTestSupport"]),
        // Tests/golden: every case in every execution mode (the binary, and in process for inputs split into parts).
        .testTarget(name: "LogmillGoldenTests", dependencies: ["logmill", "LogmillJobs", "LogmillQuery", "LogmillScan", "LogmillSources", "LogmillTestSupport", "LogmillSinks"]),
        // Scheduled runs: windows, checkpoints, the ledger; the binary killed at chosen points.
        .testTarget(name: "LogmillJobsTests", dependencies: ["logmill", "LogmillJobs", "LogmillQuery", "LogmillTime", "LogmillSinks", "LogmillAlarms", "LogmillTestSupport"]),
        // The daemon: the scheduler on a manual clock, reloads, the HTTP endpoints, memory over many cycles, status.
        .testTarget(name: "LogmillDaemonTests", dependencies: ["logmill", "LogmillJobs", "LogmillQuery", "LogmillTime", "LogmillSinks", "LogmillTestSupport"]),
        // The fuzz target: generated and mutated queries, hostile logs and job files through the binary
        // (CZlib writes the hostile gzip members).
        .testTarget(name: "LogmillFuzzTests", dependencies: ["logmill", "CZlib", "LogmillTestSupport"]),
    ]
)
