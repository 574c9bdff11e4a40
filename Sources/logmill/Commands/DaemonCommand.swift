import Dispatch
import LogmillJobs
import LogmillQuery
import LogmillTime
#if canImport(Glibc)
import Glibc
#endif

/// `logmill daemon`: the built-in scheduler for every job, optionally a Prometheus exporter.
enum DaemonCommand {
    static let spec = CommandSpec(
        name: "daemon",
        summary: "run jobs on their schedules; serve /metrics and /sd with --listen",
        arguments: "(JOB... | DIR)",
        description: """
        Runs every job named (job files, or the *.job files of a folder) on its schedule, in one
        process: each run is what 'logmill run' does (same state, same locks, so a cron line or a
        second daemon running the same job never counts a line twice). A run happens settle after each
        fire of the job's schedule (every 5m with settle 30s: at :00:30, :05:30, ...); at start every job
        runs once to catch up. Jobs due together run side by side, sharing one budget of worker threads.

        SIGTERM (or SIGINT) lets the runs in progress finish their windows, then exits 0. SIGHUP reads the
        job files again: new files start, removed ones stop, and a file that no longer parses keeps its
        previous version running and is reported (logmill_job_file_problems on /metrics).

        With --listen ADDR it is a Prometheus exporter: /metrics serves logmill's own counters (bytes,
        lines, matched, late, windows, per-sink deliveries by outcome, last success per job) and each
        job's latest window; /metrics/job/NAME the same for one job; /sd the job list in Prometheus
        http_sd JSON (one target group per job, labels job, namespace, schedule and __metrics_path__);
        /-/healthy. ADDR is HOST:PORT or :PORT (host 127.0.0.1 unless given; port 0 picks a free one).

        Exit status: 0 after a stop signal; 2 when a job file or the command line is wrong at start;
        1 when --listen cannot bind.
        """,
        options: [
            OptionSpec("listen", value: "ADDR", "serve /metrics, /metrics/job/NAME, /sd and /-/healthy on ADDR\n(e.g. 127.0.0.1:9464, :9464, 0.0.0.0:9464)"),
            OptionSpec("state-dir", value: "DIR", "where jobs keep their state (as for 'run')"),
            CommonOptions.workers, CommonOptions.fetchConcurrency, CommonOptions.maxRecordSize, CommonOptions.timestampField,
        ],
        examples: [
            "logmill daemon queries/",
            "logmill daemon --listen :9464 --state-dir /var/lib/logmill /etc/logmill/jobs",
        ])

    static func run(_ parsed: ParsedOptions) throws -> ExitStatus {
        guard !parsed.positionals.isEmpty else { throw UsageError("name job files or a folder of them\n\n" + spec.helpText) }
        var options = QueryOptions()
        try CommonOptions.apply(parsed, to: &options)
        var jobs = JobSet(arguments: parsed.positionals)
        let problems = jobs.load()
        for p in problems { Terminal.fail(p.description) }
        if !problems.isEmpty { return .usage }
        guard !jobs.jobs.isEmpty else { throw UsageError("no job files (*.job) in \(parsed.positionals.joined(separator: " "))") }
        let store = StateStore(directory: parsed.value("state-dir") ?? StateStore.defaultDirectory())
        let cycleOptions = options
        let scheduler = Scheduler(jobs: jobs, options: Scheduler.Options(clock: options.clock), events: { show($0) }) { job in
            try JobCycle(store: store, options: cycleOptions, output: TerminalOutput()).run(job)
        }
        // Signals become requests the scheduler's loop checks between cycles.
        var sources: [DispatchSourceSignal] = []
        for (sig, action) in [(SIGTERM, scheduler.requestStop), (SIGINT, scheduler.requestStop), (SIGHUP, scheduler.requestReload)] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler(handler: action)
            source.resume()
            sources.append(source)
        }
        var listener: HTTPListener?
        if let address = parsed.value("listen") {
            do {
                listener = try HTTPListener(address: address) { [metrics = scheduler.metrics] in metrics.respond(to: $0) }
                listener!.start()
            } catch {
                Terminal.fail("\(error)")
                return .failed
            }
            Terminal.notice("listening on http://\(listener!.address) (/metrics, /sd, /-/healthy)")
        }
        Terminal.notice("daemon (pid \(getpid())): \(jobs.jobs.count) job(s): \(jobs.jobs.map(\.name).joined(separator: ", "))")
        scheduler.run()
        listener?.stop()
        sources.forEach { $0.cancel() }
        return .ok
    }

    /// Prints what the scheduler did: each run as 'logmill run' reports it.
    static func show(_ event: Scheduler.Event) {
        switch event {
        case .ran(let job, let report, _):
            _ = RunCommand.report(job, report, dryRun: false, stats: false)
        case .failed(let job, let error, _):
            Terminal.fail("\(job.name): \(error)")
        case .reloaded(let names, let problems):
            Terminal.notice("reloaded: \(names.count) job(s): \(names.joined(separator: ", "))")
            for p in problems { Terminal.warn("reload: \(p)") }
        case .stopping:
            Terminal.notice("stopping: the runs in progress have finished")
        }
    }
}
