import Foundation
import LogmillJobs
import LogmillTime

/// A backfill's progress on stderr: on a terminal a bar redrawn in place (bytes scanned, then
/// windows emitted, with the rate and the time left); otherwise a plain line every `interval`
/// (for logs of cron and systemd). Time comes from the clock it is given.
final class BackfillMeter: @unchecked Sendable {
    private let lock = NSLock()
    private let clock: any Clock
    private let job: String
    private let terminal: Bool
    private let interval: Int64
    private let write: (String) -> Void
    private var phaseStarted: Int64
    private var lastShown: Int64
    private var bytesTotal = 0, bytesDone = 0
    private var windowsTotal = 0, windowsDone = 0
    private var emitting = false
    private var drawn = false

    init(job: String, clock: any Clock, terminal: Bool, interval: Int64 = 10_000, write: @escaping (String) -> Void = Terminal.err) {
        self.job = job; self.clock = clock; self.terminal = terminal; self.interval = interval; self.write = write
        phaseStarted = clock.milliseconds()
        lastShown = phaseStarted
    }

    var handler: @Sendable (Backfill.BackfillProgress) -> Void { { [self] p in self.record(p) } }

    func record(_ p: Backfill.BackfillProgress) {
        lock.lock()
        defer { lock.unlock() }
        switch p {
        case .scanPlanned(_, let bytes): bytesTotal = bytes; phaseStarted = clock.milliseconds()
        case .scanned(let n): bytesDone += n
        case .emitting(let n): windowsTotal = n; emitting = true; phaseStarted = clock.milliseconds()
        case .emitted(let n): windowsDone += n
        }
        let now = clock.milliseconds()
        guard now - lastShown >= (terminal ? 250 : interval) else { return }
        lastShown = now
        show(now)
    }

    /// Clears the bar (before the final report).
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        if drawn && terminal { write("\r\u{1B}[K") }
        drawn = false
    }

    private func show(_ now: Int64) {
        let seconds = Double(max(1, now - phaseStarted)) / 1000
        let (done, total, what): (Double, Double, String)
        if emitting {
            (done, total) = (Double(windowsDone), Double(windowsTotal))
            what = "emitted \(windowsDone)/\(windowsTotal) windows, \(Int(done / seconds))/s"
        } else {
            (done, total) = (Double(bytesDone), Double(bytesTotal))
            what = "scanned \(BackfillMeter.bytes(bytesDone)) of \(BackfillMeter.bytes(bytesTotal)), \(BackfillMeter.bytes(Int(done / seconds)))/s"
        }
        let fraction = total > 0 ? min(1, done / total) : 0
        let left = done > 0 && total > done ? " about \(BackfillMeter.duration((total - done) / (done / seconds))) left" : ""
        if terminal {
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            write("\r\u{1B}[K\(job): \(bar) \(Int(fraction * 100))% \(what)\(left)")
            drawn = true
        } else {
            write("logmill: backfill \(job): \(Int(fraction * 100))% \(what)\(left)\n")
        }
    }

    static func bytes(_ n: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var v = Double(n), u = 0
        while v >= 1000 && u < units.count - 1 { v /= 1000; u += 1 }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? "\(t / 3600)h\(t / 60 % 60)m" : t >= 60 ? "\(t / 60)m\(t % 60)s" : "\(t)s"
    }
}
