import LogmillJobs
import LogmillTime

/// `logmill state`: look at or reset what a job remembers.
enum StateCommand {
    static let spec = CommandSpec(
        name: "state",
        summary: "show or reset the state a job keeps between runs",
        arguments: "(show | reset) JOB...",
        description: """
        'show' prints where each job's state is, its last emitted window, its open windows with each
        sink's status, its checkpoints and late records. 'reset' deletes a job's state: its next run
        starts afresh at its 'start:' (or at the latest due window), so windows already sent are sent
        again. A state file that logmill refuses (damaged, another version, another job definition) is
        never reset by logmill itself; this is the operator's way to do it.
        """,
        options: [OptionSpec("state-dir", value: "DIR", "where jobs keep their state (as for 'run')")],
        examples: ["logmill state show queries/lambda-errors.job", "logmill state reset --state-dir /var/lib/logmill queries/lambda-errors.job"])

    static func run(_ parsed: ParsedOptions) throws -> ExitStatus {
        guard let action = parsed.positionals.first, ["show", "reset"].contains(action) else {
            throw UsageError("say 'show' or 'reset', then the job files\n\n" + spec.helpText)
        }
        let jobs = Array(parsed.positionals.dropFirst())
        guard !jobs.isEmpty else { throw UsageError("name at least one job file") }
        let store = StateStore(directory: parsed.value("state-dir") ?? StateStore.defaultDirectory())
        var status = ExitStatus.ok
        for path in jobs {
            do {
                let job = try JobFile.load(path)
                if action == "reset" {
                    let (lock, holder) = try store.lock(job: job.name)
                    guard let lock else {
                        Terminal.fail("\(job.name): a run\(holder.map { " (pid \($0))" } ?? "") holds this job's lock; not reset")
                        status.raise(.failed)
                        continue
                    }
                    defer { lock.release() }
                    let removed = try store.reset(job: job.name)
                    Terminal.out("\(job.name): " + (removed ? "state removed (\(store.statePath(job.name)))" : "had no state") + "\n")
                    continue
                }
                let signature = JobCycle.signature(job, period: JobCycle.period(job))
                guard let state = try store.load(job: job.name, signature: signature) else {
                    Terminal.out("\(job.name): no state yet (\(store.statePath(job.name)))\n")
                    continue
                }
                var out = "\(job.name): \(store.statePath(job.name))\n"
                out += "  emitted through: \(state.emittedThrough.map(CivilCalendar.iso) ?? "nothing yet")\n"
                out += "  late records: \(state.lateRecords) (\(state.lateMerged) merged)\n"
                if let r = state.lastRun {
                    out += "  last run: \(CivilCalendar.iso(r.at)): \(r.windowsEmitted) window(s), \(r.recordsRead) record(s)"
                    out += r.error.map { "; problem: \($0)" } ?? ""
                    out += "\n"
                }
                for w in state.windows {
                    out += "  open window \(Window(start: w.start, end: w.end)): " + (w.emitted ? "emitted; " : "collecting")
                    out += w.sinks.map { "\($0.sink) \($0.status.rawValue)" + ($0.lastError.map { " (\($0))" } ?? "") }.joined(separator: ", ") + "\n"
                }
                for o in state.objects { out += "  \(o.name): read to byte \(o.offset) of \(o.size)\(o.compressed ? " (gzip, decoded bytes)" : "")\n" }
                Terminal.out(out)
            } catch {
                Terminal.err("\(error)\n")
                status.raise(ExitStatus.of(error))
            }
        }
        return status
    }
}
