import Dispatch
import Foundation
import LogmillDecode
import LogmillSources

/// Decodes a stream on a second thread while the scan worker parses what was decoded before, so a
/// single large compressed object uses two cores (inflate on one, records on the other). Memory is
/// bounded: `depth` buffers of `blockSize` bytes go round between the two threads, so the decoding
/// thread neither allocates nor copies (it is the slower of the two). The scan driver uses it only
/// when the worker budget grants the extra thread.
final class ReadAheadStream: ByteStream {
    /// What the two threads share; the decoding thread holds only this, never the stream object,
    /// so dropping the stream stops it.
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        /// Buffers ready to be filled, and filled ones with their byte counts, oldest first.
        var free: [UnsafeMutableRawBufferPointer] = []
        var full: [(buffer: UnsafeMutableRawBufferPointer, count: Int)] = []
        var all: [UnsafeMutableRawBufferPointer] = []
        var finished = false
        var error: (any Error)?
        var stopped = false
        var bytesRead = 0
        var bytesDecompressed = 0
        /// Gzip members that ended, for the reader to check (the decoding thread skips the CRC).
        var checks: [GzipMemberCheck] = []
        var exited = false
        deinit { for b in all { b.deallocate() } }
    }

    private let shared = Shared()
    /// The filled buffer being read, and how far.
    private var current: (buffer: UnsafeMutableRawBufferPointer, count: Int)?
    private var position = 0
    /// Checks a gzip source's members on this side, when it decodes gzip.
    private var verifier: GzipVerifier?
    /// A failed check, given after the bytes read before it (as zlib's own check would be).
    private var pendingError: (any Error)?

    init(_ source: ByteStream, blockSize: Int = 1 << 20, depth: Int = 4) {
        let shared = self.shared
        for _ in 0..<depth {
            let b = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64)
            shared.all.append(b)
            shared.free.append(b)
        }
        if let g = source as? GzipStream, g.deferChecks() {
            verifier = GzipVerifier(path: g.name)
        }
        nonisolated(unsafe) let stream = source
        DispatchQueue.global().async {
            var end = false
            while !end {
                shared.condition.lock()
                while shared.free.isEmpty && !shared.stopped { shared.condition.wait() }
                if shared.stopped {
                    shared.finished = true
                    shared.condition.broadcast()
                    shared.condition.unlock()
                    break
                }
                let buffer = shared.free.removeLast()
                shared.condition.unlock()
                var filled = 0
                var failure: (any Error)?
                do {
                    while filled < buffer.count {
                        let n = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
                        if n == 0 { end = true; break }
                        filled += n
                    }
                } catch {
                    failure = error
                    end = true
                }
                shared.condition.lock()
                if filled > 0 { shared.full.append((buffer, filled)) } else { shared.free.append(buffer) }
                shared.bytesRead = stream.bytesRead
                if let g = stream as? GzipStream {
                    shared.bytesDecompressed = g.bytesDecompressed
                    shared.checks += g.takeChecks()
                }
                if end { shared.finished = true; shared.error = failure }
                shared.condition.broadcast()
                shared.condition.unlock()
            }
            shared.condition.lock()
            shared.exited = true
            shared.condition.broadcast()
            shared.condition.unlock()
        }
    }

    deinit { stop() }

    /// Stops the decoding thread and waits for it (so the underlying stream is no longer used).
    func stop() {
        shared.condition.lock()
        shared.stopped = true
        shared.condition.broadcast()
        while !shared.exited { shared.condition.wait() }
        shared.condition.unlock()
    }

    func read(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        if let e = pendingError { pendingError = nil; throw e }
        if current == nil || position == current!.count {
            shared.condition.lock()
            if let done = current { shared.free.append(done.buffer); current = nil; shared.condition.broadcast() }
            while shared.full.isEmpty && !shared.finished { shared.condition.wait() }
            if verifier != nil && !shared.checks.isEmpty {
                verifier!.expect(shared.checks)
                shared.checks.removeAll()
            }
            if shared.full.isEmpty {
                let error = shared.error
                shared.error = nil
                shared.condition.unlock()
                try verifier?.finish()
                if let error { throw error }
                return 0
            }
            current = shared.full.removeFirst()
            position = 0
            shared.condition.unlock()
        }
        let n = min(out.count, current!.count - position)
        out.baseAddress!.copyMemory(from: current!.buffer.baseAddress! + position, byteCount: n)
        position += n
        if verifier != nil, case let (accepted, error?) = verifier!.update(UnsafeRawBufferPointer(rebasing: out[0..<n])) {
            // A member failed its check: its bytes are given, none after it, then the error.
            if accepted == 0 { throw error }
            pendingError = error
            return accepted
        }
        return n
    }

    /// Compressed bytes the decoding thread has taken from the object so far.
    var bytesRead: Int {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        return shared.bytesRead
    }

    var bytesDecompressed: Int {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        return shared.bytesDecompressed
    }
}

/// Fetches the raw bytes of small network objects several at a time, in task order, ahead of the
/// workers that take them (`take`), so a scan of many small S3 or HTTP objects is not one request's
/// latency after another per worker. At most `window` objects are fetched and not yet taken.
final class Prefetcher: @unchecked Sendable {
    private let cond = NSCondition()
    private let order: [Int]
    private let members: Set<Int>
    private let window: Int
    private let fetch: @Sendable (Int) throws -> [UInt8]
    private var nextIndex = 0
    private var held = 0
    private var results: [Int: Result<[UInt8], Error>] = [:]
    private var stopped = false

    init(order: [Int], threads: Int, window: Int, fetch: @escaping @Sendable (Int) throws -> [UInt8]) {
        self.order = order
        members = Set(order)
        self.window = max(1, window)
        self.fetch = fetch
        for _ in 0..<max(1, threads) {
            let thread = Thread { [self] in loop() }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func loop() {
        while true {
            cond.lock()
            while !stopped && held >= window && nextIndex < order.count { cond.wait() }
            if stopped || nextIndex >= order.count { cond.unlock(); return }
            let t = order[nextIndex]
            nextIndex += 1
            held += 1
            cond.unlock()
            let r = Result { try fetch(t) }
            cond.lock()
            results[t] = r
            cond.broadcast()
            cond.unlock()
        }
    }

    /// The bytes of task `t`, once fetched; nil when `t` is not fetched ahead (or the scan stopped).
    func take(_ t: Int) -> Result<[UInt8], Error>? {
        guard members.contains(t) else { return nil }
        cond.lock()
        defer { cond.unlock() }
        while results[t] == nil && !stopped { cond.wait() }
        guard let r = results.removeValue(forKey: t) else { return nil }
        held -= 1
        cond.broadcast()
        return r
    }

    /// Ends the fetching threads (after their current request).
    func stop() {
        cond.lock()
        stopped = true
        cond.broadcast()
        cond.unlock()
    }
}
