import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where "now" comes from. Nothing in logmill reads the wall clock or sleeps except through a
/// `Clock` it was given: `SystemClock` in the program, `ManualClock` in tests and replays
/// (`--now`), so schedules, windows, retries and timeouts can be driven by hand.
public protocol Clock: Sendable {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    func milliseconds() -> Int64
    /// Waits `seconds`; a manual clock advances instead of waiting.
    func sleep(seconds: Double)
}

extension Clock {
    /// Seconds since the epoch, with a fraction.
    public func seconds() -> Double { Double(milliseconds()) / 1000 }
    /// The current time as a Foundation date (for APIs that take one, such as request signing).
    public func date() -> Date { Date(timeIntervalSince1970: seconds()) }
}

/// The real time of this machine.
public struct SystemClock: Clock {
    public init() {}
    public func milliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
    public func sleep(seconds: Double) {
        guard seconds > 0, seconds.isFinite else { return }
        let s = min(seconds, 86_400)
        var want = timespec(tv_sec: Int(s), tv_nsec: Int((s - s.rounded(.down)) * 1e9))
        var left = timespec()
        while nanosleep(&want, &left) != 0 && errno == EINTR { want = left }
    }
}

/// A clock that moves only when told to: tests set it, step it, and see every sleep asked of it.
public final class ManualClock: Clock, @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64
    private var slept: [Double] = []

    public init(milliseconds: Int64 = 0) { now = milliseconds }
    /// A clock stopped at an ISO-8601-like time given in epoch milliseconds.
    public convenience init(seconds: Double) { self.init(milliseconds: Int64((seconds * 1000).rounded())) }

    public func milliseconds() -> Int64 {
        lock.lock(); defer { lock.unlock() }
        return now
    }
    /// Advances the clock instead of waiting, and records the request.
    public func sleep(seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        slept.append(seconds)
        if seconds > 0, seconds.isFinite { now += Int64((seconds * 1000).rounded()) }
    }
    public func set(milliseconds: Int64) {
        lock.lock(); defer { lock.unlock() }
        now = milliseconds
    }
    public func advance(seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        now += Int64((seconds * 1000).rounded())
    }
    /// Every `sleep` asked of this clock so far, in seconds.
    public var sleeps: [Double] {
        lock.lock(); defer { lock.unlock() }
        return slept
    }
}
