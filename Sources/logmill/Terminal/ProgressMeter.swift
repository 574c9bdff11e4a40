import Foundation
import LogmillScan
import LogmillTime

/// Shows how far a long scan has got on stderr (when it is a terminal): bytes read, of the total when
/// known, and the rate. It is driven by the scan's events and measures time with the clock it is
/// given, at most twice a second.
final class ProgressMeter: @unchecked Sendable {
    private let lock = NSLock()
    private let clock: any Clock
    private let started: Int64
    private var done = 0
    private var total: Int?
    private var lastShown: Int64
    private var shown = false
    /// Where the line goes (stderr in the program).
    private let write: (String) -> Void

    init(clock: any Clock, write: @escaping (String) -> Void = Terminal.err) {
        self.clock = clock
        self.write = write
        started = clock.milliseconds()
        lastShown = started
    }

    /// The handler to give the scan.
    var handler: ScanEventHandler { { [self] event in self.record(event) } }

    func record(_ event: ScanEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .planned(_, let bytes): total = bytes
        case .read(let n): done += n
        case .finished: break
        }
        let now = clock.milliseconds()
        // The first line after a second, then every half second.
        guard now - started >= 1000, now - lastShown >= 500 else { return }
        lastShown = now
        let mb = Double(done) / 1_000_000
        let rate = mb / max(0.001, Double(now - started) / 1000)
        var line = String(format: "\rlogmill: %.0f MB", mb)
        if let total, total > 0 { line += String(format: " of %.0f MB (%.0f%%)", Double(total) / 1_000_000, min(100, Double(done) * 100 / Double(total))) }
        line += String(format: ", %.0f MB/s ", rate)
        write(line)
        shown = true
    }

    /// Clears the line if one was shown.
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        if shown { write("\r\u{1b}[K") }
    }
}
