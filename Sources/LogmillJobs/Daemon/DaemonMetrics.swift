import Foundation
import LogmillMetrics
import LogmillSinks
import LogmillTime

/// What a daemon counts about its own work, from each cycle's `JobCycle.Report`, and each job's
/// latest window: served as Prometheus text exposition 0.0.4 on `/metrics` (every job) and
/// `/metrics/job/<name>` (one job), and the job list as Prometheus HTTP service discovery on `/sd`.
///
/// Counters (all labelled `job`): `logmill_bytes_read_total`, `logmill_lines_read_total`,
/// `logmill_records_matched_total`, `logmill_late_records_total`, `logmill_windows_emitted_total`,
/// `logmill_datums_emitted_total`, `logmill_cycles_total`, `logmill_cycle_errors_total` (a cycle that
/// threw or warned), `logmill_sink_deliveries_total{job,sink,outcome}` (outcome `delivered`, `failed`
/// or `in_doubt`). Gauges: `logmill_last_success_timestamp_seconds{job}` (the last cycle that read and
/// delivered everything), `logmill_last_run_timestamp_seconds{job}`, `logmill_next_run_timestamp_seconds{job}`,
/// `logmill_latest_window_end_timestamp_seconds{job}`, `logmill_jobs`, `logmill_job_file_problems`
/// (files refused at the last reload). Then each job's latest window's datums, as the Prometheus file
/// sink writes them (without timestamps: a scrape sees the newest window's values).
public final class DaemonMetrics: @unchecked Sendable {
    struct PerJob {
        var bytes = 0, lines = 0, matched = 0, late = 0, windows = 0, datums = 0, cycles = 0, errors = 0
        var lastSuccess: Int64?, lastRun: Int64?, nextRun: Int64?
        /// (sink label, outcome) → deliveries.
        var sinks: [String: [String: Int]] = [:]
        var latest: [MetricDatum] = []
        var latestWindow: Window?
    }

    private let lock = NSLock()
    private var perJob: [String: PerJob] = [:]
    private var jobs: [JobFile] = []
    private var fileProblems = 0

    public init() {}

    /// The jobs in force (for `/sd` and the per-job paths) and how many files the last load refused.
    public func setJobs(_ jobs: [JobFile], problems: Int) {
        lock.withLock {
            self.jobs = jobs
            fileProblems = problems
            for j in jobs where perJob[j.name] == nil { perJob[j.name] = PerJob() }
            // A job no longer run keeps its counters (they never go back) but not its last window.
            for name in perJob.keys where !jobs.contains(where: { $0.name == name }) {
                perJob[name]!.latest = []
                perJob[name]!.latestWindow = nil
                perJob[name]!.nextRun = nil
            }
        }
    }

    func scheduled(job: String, next: Int64?) { lock.withLock { perJob[job, default: PerJob()].nextRun = next } }

    /// Counts what one cycle did.
    public func record(job: String, report r: JobCycle.Report, at: Int64) {
        lock.withLock {
            var j = perJob[job, default: PerJob()]
            j.cycles += 1
            j.lastRun = at
            guard r.lockedBy == nil else { perJob[job] = j; return }
            j.bytes += r.bytesRead
            j.lines += r.statistics.recordsScanned
            j.matched += r.recordsRead
            j.late += r.lateRecords
            j.windows += r.windows.count
            j.datums += r.datums
            for o in r.sinks {
                let outcome: String
                switch o.status {
                case .delivered: outcome = "delivered"
                case .failed: outcome = "failed"
                case .inDoubt: outcome = "in_doubt"
                }
                j.sinks[o.sink, default: [:]][outcome, default: 0] += 1
            }
            if let w = r.windows.last { j.latest = r.latestDatums; j.latestWindow = w }
            if r.succeeded { j.lastSuccess = at } else { j.errors += 1 }
            perJob[job] = j
        }
    }

    /// Counts a cycle that stopped with an error.
    public func recordError(job: String, error: any Error, at: Int64) {
        lock.withLock {
            perJob[job, default: PerJob()].cycles += 1
            perJob[job, default: PerJob()].errors += 1
            perJob[job, default: PerJob()].lastRun = at
        }
    }

    /// Whether `job` is one in force.
    public func knows(job: String) -> Bool { lock.withLock { jobs.contains { $0.name == job } } }

    /// The text exposition of every job, or of one.
    public func exposition(job only: String? = nil) -> String {
        let (table, problems, count) = lock.withLock { (perJob, fileProblems, jobs.count) }
        let names = table.keys.sorted().filter { only == nil || $0 == only }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: [(String, String)], value: String)]) {
            guard !samples.isEmpty else { return }
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for s in samples {
                let labels = s.labels.map { "\($0.0)=\"\(PrometheusFileSink.escapeLabelValue($0.1))\"" }.joined(separator: ",")
                out += name + (labels.isEmpty ? "" : "{\(labels)}") + " " + s.value + "\n"
            }
        }
        func perJobFamily(_ name: String, _ type: String, _ help: String, _ value: (PerJob) -> String?) {
            family(name, type, help, names.compactMap { n in value(table[n]!).map { ([("job", n)], $0) } })
        }
        func seconds(_ ms: Int64?) -> String? { ms.map { String(Double($0) / 1000) } }
        perJobFamily("logmill_bytes_read_total", "counter", "Bytes read from the job's sources.") { "\($0.bytes)" }
        perJobFamily("logmill_lines_read_total", "counter", "Records (lines) scanned.") { "\($0.lines)" }
        perJobFamily("logmill_records_matched_total", "counter", "Records that matched the job's query.") { "\($0.matched)" }
        perJobFamily("logmill_late_records_total", "counter", "Records that arrived after their window was emitted.") { "\($0.late)" }
        perJobFamily("logmill_windows_emitted_total", "counter", "Windows computed and handed to the sinks.") { "\($0.windows)" }
        perJobFamily("logmill_datums_emitted_total", "counter", "Datums of the emitted windows.") { "\($0.datums)" }
        perJobFamily("logmill_cycles_total", "counter", "Scheduled runs of the job.") { "\($0.cycles)" }
        perJobFamily("logmill_cycle_errors_total", "counter", "Runs that failed or left something unread or undelivered.") { "\($0.errors)" }
        var deliveries: [(labels: [(String, String)], value: String)] = []
        for n in names {
            for (sink, outcomes) in table[n]!.sinks.sorted(by: { $0.key < $1.key }) {
                for (outcome, count) in outcomes.sorted(by: { $0.key < $1.key }) { deliveries.append(([("job", n), ("sink", sink), ("outcome", outcome)], "\(count)")) }
            }
        }
        family("logmill_sink_deliveries_total", "counter", "Deliveries to each sink, by outcome (delivered, failed, in_doubt).", deliveries)
        perJobFamily("logmill_last_success_timestamp_seconds", "gauge", "When the job last ran with everything read and delivered.") { seconds($0.lastSuccess) }
        perJobFamily("logmill_last_run_timestamp_seconds", "gauge", "When the job last ran.") { seconds($0.lastRun) }
        perJobFamily("logmill_next_run_timestamp_seconds", "gauge", "When the job runs next.") { seconds($0.nextRun) }
        perJobFamily("logmill_latest_window_end_timestamp_seconds", "gauge", "End of the job's latest emitted window (its datums follow).") { seconds($0.latestWindow?.end) }
        if only == nil {
            family("logmill_jobs", "gauge", "Jobs the daemon runs.", [([], "\(count)")])
            family("logmill_job_file_problems", "gauge", "Job files refused at the last load.", [([], "\(problems)")])
        }
        let latest = names.flatMap { table[$0]!.latest }
        if !latest.isEmpty { out += PrometheusFileSink(path: "", timestamps: false).render(latest) }
        return out
    }

    /// The path of one job's metrics, as `__metrics_path__` carries it: unescaped, since Prometheus
    /// escapes it when it builds the scrape URL (a `%20` given would be fetched as `%2520`). Requests
    /// are percent-decoded, so `/metrics/job/my%20job` finds the job `my job`.
    public static func metricsPath(job: String) -> String { "/metrics/job/" + job }

    /// Prometheus HTTP service discovery: one target group per job, its target `target` (host:port),
    /// labels `job`, `namespace`, `schedule` and `__metrics_path__`.
    public func serviceDiscovery(target: String) -> String {
        let jobs = lock.withLock { self.jobs }
        let groups: [[String: Any]] = jobs.map { j in
            ["targets": [target],
             "labels": ["job": j.name, "namespace": j.mapping.namespace,
                        "schedule": j.schedule?.description ?? "every \(JobCycle.period(j))",
                        "__metrics_path__": DaemonMetrics.metricsPath(job: j.name)]]
        }
        let data = (try? JSONSerialization.data(withJSONObject: groups, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Answers the daemon's HTTP paths: `/metrics`, `/metrics/job/<name>`, `/sd`, `/-/healthy`.
    /// `/sd` advertises the address the request was sent to (its `Host`), else the listener's.
    public func respond(to request: HTTPListener.Request) -> HTTPListener.Response {
        let text = "text/plain; version=0.0.4; charset=utf-8"
        switch request.path {
        case "/metrics":
            return .init(status: 200, contentType: text, body: exposition())
        case "/sd":
            return .init(status: 200, contentType: "application/json", body: serviceDiscovery(target: request.headers["host"] ?? request.listenAddress))
        case "/-/healthy":
            return .init(status: 200, contentType: "text/plain; charset=utf-8", body: "logmill is healthy.\n")
        case let p where p.hasPrefix("/metrics/job/"):
            let raw = String(p.dropFirst("/metrics/job/".count))
            guard let name = raw.removingPercentEncoding, knows(job: name) else {
                return .init(status: 404, contentType: "text/plain; charset=utf-8", body: "no job named '\(raw)'\n")
            }
            return .init(status: 200, contentType: text, body: exposition(job: name))
        default:
            return .init(status: 404, contentType: "text/plain; charset=utf-8", body: "not found: try /metrics, /sd or /-/healthy\n")
        }
    }
}
