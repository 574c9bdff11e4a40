import Dispatch
import Foundation
import LogmillDecode
import LogmillRecords
import LogmillSources

/// Receives blocks of whole records from the scan. One consumer per worker; a consumer is only
/// ever called from one thread at a time.
public protocol BlockConsumer: AnyObject {
    /// `block` holds complete records (the last may lack its newline at the end of an object).
    /// `offset` is the position of `block[0]` in the object's decoded bytes.
    func consume(block: UnsafeRawBufferPointer, input: InputContext, offset: Int)
}

/// Settings for a scan.
public struct ScanOptions: Sendable {
    /// Bytes read per call; blocks grow beyond it only to hold a longer record.
    public var chunkSize = 1 << 20
    /// Most workers this scan may use; the process-wide `WorkerBudget` may grant fewer.
    public var workers = WorkerBudget.shared.capacity
    /// Uncompressed objects larger than this are split between workers.
    public var splitSize = 8 << 20
    /// The longest line (in line formats) a scan holds; a longer one is skipped and reported, so memory
    /// stays bounded whatever the input (a gzip bomb, `/dev/zero`, a file with no newline).
    public var maxLineBytes = 16 << 20
    /// The longest document (CloudTrail file, subscription payload, console CSV record) a scan holds.
    public var maxDocumentBytes = 256 << 20
    /// Forces one format for every object instead of detecting it per object.
    public var format: LogFormat? = nil
    /// The top-level key JSON lines take `@timestamp` from, instead of `timestamp`, `@timestamp`, `time`, `ts`.
    public var timestampField: String? = nil
    /// Checked between blocks: once cancelled, workers stop at the next block.
    public var cancellation: ScanCancellation? = nil
    /// Told what the scan is doing (the CLI renders it; the library prints nothing).
    public var events: ScanEventHandler? = nil
    /// The worker budget to draw from (tests give a small one).
    public var budget: WorkerBudget = .shared
    /// How many small objects of network sources (S3, HTTP) are fetched at once ahead of the workers,
    /// so many small objects are not read one request after another per worker (1: no fetching ahead).
    /// I/O threads, outside the worker budget; at most twice this many objects wait in memory.
    public var fetchConcurrency = 16
    /// Objects fetched ahead are at most this large (raw bytes); larger ones are read by their worker
    /// in ranges, as they are not bound by a request's latency.
    public var fetchAheadMaxBytes = 1 << 20
    public init() {}
}

/// What a scan reports while it runs.
public enum ScanEvent: Sendable {
    /// The scan has this many objects and, when every size is known, this many raw bytes to read.
    case planned(objects: Int, bytes: Int?)
    /// A worker read this many more raw bytes.
    case read(bytes: Int)
    /// An object was read to its end (or its part was).
    case finished(object: String)
}

public typealias ScanEventHandler = @Sendable (ScanEvent) -> Void

/// Asks a scan to stop; workers notice between blocks.
public final class ScanCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    public init() {}
    public func cancel() { lock.lock(); cancelled = true; lock.unlock() }
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }
}

/// The worker threads this process may run at once, shared by everything that scans (a daemon's
/// jobs, a backfill's windows), so that several scans never oversubscribe the cores.
public final class WorkerBudget: @unchecked Sendable {
    public static let shared = WorkerBudget(capacity: ProcessInfo.processInfo.activeProcessorCount)
    /// The most workers ever allowed at once.
    public let capacity: Int
    private let condition = NSCondition()
    private var inUse = 0

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Takes at least one worker (waiting for one if none is free) and up to `wanted` if free.
    /// Takes up to `wanted` workers that are free now, without waiting; 0 when none is.
    public func tryAcquire(upTo wanted: Int) -> Int {
        condition.lock()
        defer { condition.unlock() }
        let granted = max(0, min(wanted, capacity - inUse))
        inUse += granted
        return granted
    }

    public func acquire(upTo wanted: Int) -> Int {
        condition.lock()
        defer { condition.unlock() }
        while inUse >= capacity { condition.wait() }
        let granted = max(1, min(wanted, capacity - inUse))
        inUse += granted
        return granted
    }

    public func release(_ n: Int) {
        condition.lock()
        inUse -= n
        condition.broadcast()
        condition.unlock()
    }

    /// Workers in use now (tests).
    public var busy: Int { condition.lock(); defer { condition.unlock() }; return inUse }
}

/// Totals of a scan, for `--stats` and error reports.
public struct ScanReport: Sendable {
    public var bytesRead = 0
    public var bytesDecompressed = 0
    public var objects = 0
    /// Problems that stopped reading part of an object (corrupt gzip, unreadable file); the rest was still read.
    public var errors: [String] = []
    /// The format detected (or forced) per object name.
    public var formats: [String: LogFormat] = [:]
    /// A fingerprint of each object's first decoded bytes, by object name: with the object's identity it
    /// recognises the same content under another name or after compression.
    public var fingerprints: [String: ContentFingerprint] = [:]
    /// Per object name, the decoded offset just after the last record read, and the (at most 64) bytes
    /// before it: where a later read resumes, and what it checks to know the object was not replaced.
    public var positions: [String: ReadPosition] = [:]
    /// Whether the scan stopped early because it was cancelled.
    public var cancelled = false
    public init() {}
    public mutating func merge(_ o: ScanReport) {
        bytesRead += o.bytesRead
        bytesDecompressed += o.bytesDecompressed
        objects += o.objects
        errors += o.errors
        formats.merge(o.formats) { a, _ in a }
        fingerprints.merge(o.fingerprints) { a, _ in a }
        positions.merge(o.positions) { a, b in a.offset >= b.offset ? a : b }
        cancelled = cancelled || o.cancelled
    }
}

/// Runs scans: reads objects in fixed-size chunks on the workers the budget grants and hands blocks of
/// whole records to consumers. Memory is bounded by `workers × (chunkSize + longest record)`, whatever
/// the input size. Large seekable objects are split into record-aligned parts.
public final class ScanDriver {
    public let options: ScanOptions
    public init(options: ScanOptions = ScanOptions()) { self.options = options }

    private struct Task {
        let input: SourceObject
        let index: Int
        let range: Range<Int>?
        let format: LogFormat?
        let logType: LogType?
        let isFirstPart: Bool
        /// Whether the part starts inside a line that belongs to the part before it.
        var startsMidLine: Bool { (range?.lowerBound ?? 0) > input.readFrom }
    }

    /// The most consumers a scan can use: make that many, and `scan` calls as many as it was granted.
    public var maxWorkers: Int { max(1, min(options.workers, options.budget.capacity)) }

    /// Scans `inputs`, calling `consumers[w]` from worker `w` (only as many workers as the budget
    /// grants, at most `consumers.count`). Returns the merged report.
    public func scan(_ inputs: [SourceObject], consumers: [BlockConsumer]) -> ScanReport {
        var tasks: [Task] = []
        var report = ScanReport()
        let events = options.events
        for (index, input) in inputs.enumerated() {
            if input.isSeekable, let size = input.size, size - input.readFrom > options.splitSize, consumers.count > 1 {
                // Peek to learn whether it is compressed and which format it holds.
                do {
                    let (stream, compressed) = try decoded(try input.open(), name: input.name)
                    let head = try readPrefix(of: stream, count: 64 * 1024)
                    let format = options.format ?? head.withUnsafeBytes { FormatDetector.detect($0) }
                    if !compressed && format.isLineFramed {
                        let logType = head.withUnsafeBytes { FormatDetector.detectLogType($0, format: format) }
                        let part = max(options.splitSize / 2, size / (consumers.count * 8))
                        var start = input.readFrom
                        while start < size {
                            let end = min(size, start + part)
                            tasks.append(Task(input: input, index: index, range: start..<end, format: format, logType: logType,
                                              isFirstPart: start == input.readFrom))
                            start = end
                        }
                        continue
                    }
                } catch {
                    report.errors.append("\(error)")
                    continue
                }
            }
            tasks.append(Task(input: input, index: index, range: nil, format: options.format, logType: nil, isFirstPart: true))
        }
        let sizes = inputs.map(\.size)
        events?(.planned(objects: inputs.count, bytes: sizes.contains(where: { $0 == nil }) ? nil : sizes.reduce(0) { $0 + $1! }))
        // Small objects of network sources: fetched several at a time, in task order, ahead of the workers.
        let aheadLimit = options.fetchAheadMaxBytes
        let ahead = tasks.indices.filter { t in
            let o = tasks[t].input
            return tasks[t].range == nil && o.readFrom == 0 && o.unreadable == nil && o.source.fetchesOverNetwork && (o.size ?? Int.max) <= aheadLimit
        }
        let prefetcher: Prefetcher? = options.fetchConcurrency > 1 && ahead.count > 1
            ? Prefetcher(order: ahead, threads: min(options.fetchConcurrency, ahead.count), window: 2 * options.fetchConcurrency) { [tasks] t in
                try readPrefix(of: try tasks[t].input.open(), count: aheadLimit + 1)
            } : nil
        defer { prefetcher?.stop() }
        let lock = NSLock()
        nonisolated(unsafe) var next = 0
        nonisolated(unsafe) var reports = [ScanReport](repeating: ScanReport(), count: consumers.count)
        let wanted = min(consumers.count, options.workers, max(1, tasks.count))
        let workerCount = options.budget.acquire(upTo: wanted)
        defer { options.budget.release(workerCount) }
        let chunk = options.chunkSize
        let box = ConsumerBox(consumers)
        let taskList = tasks
        let cancellation = options.cancellation
        let timestampField = options.timestampField
        // The budget only lends decoding threads when the scan may use more threads than it has workers.
        let budget: WorkerBudget? = workerCount < options.workers ? options.budget : nil
        let lines = max(chunk, options.maxLineBytes), documents = max(chunk, options.maxDocumentBytes)
        DispatchQueue.concurrentPerform(iterations: workerCount) { w in
            var local = ScanReport()
            let buffer = GrowableBuffer(capacity: chunk)
            while true {
                lock.lock()
                let t = next
                next += 1
                lock.unlock()
                guard t < taskList.count else { break }
                if cancellation?.isCancelled == true { local.cancelled = true; break }
                ScanDriver.run(taskList[t], chunk: chunk, limits: (lines, documents), buffer: buffer, consumer: box.consumers[w], events: events,
                               cancellation: cancellation, timestampField: timestampField, budget: budget, fetched: prefetcher?.take(t), report: &local)
            }
            buffer.free()
            lock.lock()
            reports[w] = local
            lock.unlock()
        }
        for r in reports { report.merge(r) }
        return report
    }

    private static func run(_ task: Task, chunk: Int, limits: (lines: Int, documents: Int), buffer: GrowableBuffer, consumer: BlockConsumer, events: ScanEventHandler?,
                            cancellation: ScanCancellation?, timestampField: String?, budget: WorkerBudget?, fetched: Result<[UInt8], Error>? = nil,
                            report: inout ScanReport) {
        let object = task.input
        let path = object.name
        var stream: ByteStream
        var compressed = false
        do {
            if let fetched {
                (stream, compressed) = try decoded(MemoryStream(try fetched.get()), name: path)
            } else if let r = task.range {
                // Start one byte early: a line belongs to the part its first byte falls in.
                stream = try object.open(range: (task.startsMidLine ? r.lowerBound - 1 : r.lowerBound)..<(object.size ?? r.upperBound))
            } else if object.readFrom > 0 {
                (stream, compressed) = try ScanDriver.resume(object)
            } else {
                (stream, compressed) = try decoded(try object.open(), name: path)
            }
        } catch {
            report.errors.append("\(error)")
            return
        }
        // A compressed object is decoded on a second thread while this one parses, when the budget
        // has a core to spare (one large .gz; many of them already keep every worker busy).
        var readAhead = false
        if compressed, let budget, budget.tryAcquire(upTo: 1) == 1 {
            stream = ReadAheadStream(stream)
            readAhead = true
        }
        defer {
            if readAhead {
                (stream as? ReadAheadStream)?.stop()
                budget?.release(1)
            }
        }
        if task.isFirstPart { report.objects += 1 }
        var format = task.format
        var context: InputContext? = format.flatMap { f in task.logType.map { makeContext(object, task.index, f, $0, timestampField) } }
        var lastRead = 0
        var filled = 0
        // The decoded offset of buffer[0].
        var absolute = task.range.map { task.startsMidLine ? $0.lowerBound - 1 : $0.lowerBound } ?? object.readFrom
        var skipFirstLine = task.startsMidLine
        // Where the last record consumed ends, and the bytes just before it.
        var consumedEnd = absolute
        var tail: [UInt8] = []
        let holdTail = !object.isSettled
        let lastPart = task.range.map { $0.upperBound >= (object.size ?? Int.max) } ?? true
        let stopAt = task.range?.upperBound
        var eof = false
        // Dropping the rest of a line longer than the limit, up to its newline.
        var skipping = false
        var oversized = 0, firstOversized = 0
        defer {
            if lastPart || consumedEnd > object.readFrom {
                report.positions[path] = max(report.positions[path] ?? ReadPosition(offset: 0, tail: []), ReadPosition(offset: consumedEnd, tail: tail))
            }
            if let r = task.range {
                // A part reads on past its end to finish its last line, and starts a byte early: count
                // only its own bytes, so the parts of a file add up to the file.
                let early = task.startsMidLine ? 1 : 0
                report.bytesRead += max(0, min(stream.bytesRead - early, r.count))
            } else {
                report.bytesRead += stream.bytesRead
            }
            if oversized > 0 {
                report.errors.append("\(path): \(oversized) line(s) longer than \(limits.lines) bytes were skipped (the first at byte \(firstOversized)); raise --max-record-size to read them")
            }
            if let g = stream as? GzipStream { report.bytesDecompressed += g.bytesDecompressed }
            else if let r = stream as? ReadAheadStream { r.stop(); report.bytesDecompressed += r.bytesDecompressed }
            else if !compressed { report.bytesDecompressed += 0 }
            events?(.read(bytes: stream.bytesRead - lastRead))
            events?(.finished(object: path))
        }
        while !eof {
            if cancellation?.isCancelled == true { report.cancelled = true; return }
            if filled == buffer.capacity {
                if skipping || skipFirstLine {
                    // Bytes of a line that is dropped anyway (too long, or the previous part's).
                    absolute += filled
                    filled = 0
                } else if buffer.capacity >= ((format?.isLineFramed ?? true) ? limits.lines : limits.documents) {
                    if format?.isLineFramed ?? true {
                        if oversized == 0 { firstOversized = absolute }
                        oversized += 1
                        skipping = true
                        absolute += filled
                        filled = 0
                    } else {
                        report.errors.append("\(path): a \(format!.rawValue) record at byte \(absolute) is longer than \(limits.documents) bytes; the rest of this input was not read (raise --max-record-size)")
                        return
                    }
                } else {
                    buffer.grow()
                }
            }
            do {
                let n = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer.bytes[filled..<buffer.capacity]))
                if n == 0 { eof = true } else { filled += n }
                if let events, stream.bytesRead - lastRead >= chunk { events(.read(bytes: stream.bytesRead - lastRead)); lastRead = stream.bytesRead }
            } catch {
                report.errors.append("\(error)")
                eof = true
            }
            let view = UnsafeRawBufferPointer(buffer.bytes)
            var start = 0
            if skipping {
                guard let nl = Bytes.find(0x0a, in: view, from: 0, to: filled) else {
                    absolute += filled
                    filled = 0
                    if eof { return }
                    continue
                }
                start = nl + 1
                skipping = false
            }
            if skipFirstLine {
                guard let nl = Bytes.find(0x0a, in: view, from: 0, to: filled) else {
                    if eof { return }
                    continue
                }
                start = nl + 1
                skipFirstLine = false
            }
            if task.isFirstPart && absolute == 0 && report.fingerprints[path] == nil && (eof || filled >= ContentFingerprint.span) {
                report.fingerprints[path] = ContentFingerprint(UnsafeRawBufferPointer(rebasing: view[0..<min(filled, ContentFingerprint.span)]))
            }
            if context == nil {
                // Detect from what we have, once the first block is in.
                if !eof && filled < min(64 * 1024, buffer.capacity) { continue }
                let head = UnsafeRawBufferPointer(rebasing: view[start..<filled])
                let f = format ?? FormatDetector.detect(head)
                format = f
                context = makeContext(object, task.index, f, FormatDetector.detectLogType(head, format: f), timestampField)
                report.formats[path] = f
            } else if task.isFirstPart && report.formats[path] == nil {
                report.formats[path] = format
            }
            if let stop = stopAt, absolute + start >= stop { return }   // lines from here belong to the next part
            var end: Int
            if eof {
                end = filled
                // A file still being written: its last line may not be whole yet; leave it for later.
                if holdTail, format!.isLineFramed, end > start, view[end - 1] != 0x0a {
                    end = Bytes.findLast(0x0a, in: view, from: start, to: end).map { $0 + 1 } ?? start
                }
                if let cut = RecordFraming.unfinishedDocument(format!, view, from: start, to: filled) {
                    // A truncated CloudTrail file or subscription payload: its complete records are still read.
                    report.errors.append("\(path): truncated \(format!.rawValue) input: it ends at byte \(absolute + filled) inside the document that starts at byte \(absolute + cut); the complete records before the cut were read")
                }
            } else if let boundary = RecordFraming.lastBoundary(format!, view, from: start, to: filled) {
                end = boundary
            } else {
                // No newline yet: keep reading into a larger buffer (a very long line).
                if start > 0 { buffer.shift(from: start, count: filled - start); absolute += start; filled -= start }
                continue
            }
            var finished = false
            if let stop = stopAt, absolute + end > stop {
                // Cut after the line holding byte `stop - 1`: later lines belong to the next part.
                let local = max(start, stop - 1 - absolute)
                if let nl = Bytes.find(0x0a, in: view, from: local, to: end) { end = nl + 1 }
                finished = true
            }
            if end > start {
                consumer.consume(block: UnsafeRawBufferPointer(rebasing: view[start..<end]), input: context!, offset: absolute + start)
                consumedEnd = absolute + end
                if end - start >= ReadPosition.tailLength {
                    tail = Array(view[(end - ReadPosition.tailLength)..<end])
                } else {
                    tail = Array((tail + view[start..<end]).suffix(ReadPosition.tailLength))
                }
            }
            if finished { return }
            buffer.shift(from: end, count: filled - end)
            absolute += end
            filled -= end
        }
    }

    /// Opens an object to read its decoded bytes from `readFrom` on: a plain seekable file from that
    /// byte; a compressed one decoded from its start, the first `readFrom` bytes dropped.
    static func resume(_ object: SourceObject) throws -> (ByteStream, Bool) {
        let head = try readPrefix(of: try object.open(), count: 2)
        if !isGzip(head), object.isSeekable, let size = object.size {
            return (try object.open(range: min(object.readFrom, size)..<size), false)
        }
        let (stream, compressed) = try decoded(try object.open(), name: object.name)
        var left = object.readFrom
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        while left > 0 {
            let n = try scratch.withUnsafeMutableBytes { try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<min(left, $0.count)])) }
            if n == 0 { throw SourceError(path: object.name, message: "ends at decoded byte \(object.readFrom - left), before the checkpoint at \(object.readFrom)") }
            left -= n
        }
        return (stream, compressed)
    }

    private static func makeContext(_ object: SourceObject, _ index: Int, _ format: LogFormat, _ logType: LogType, _ timestampField: String?) -> InputContext {
        InputContext(name: object.name, ordinal: index, format: format, logStream: object.labels[SourceLabel.logStream],
                     logGroup: object.labels[SourceLabel.logGroup] ?? object.name, logType: logType, timestampField: timestampField,
                     labels: object.labels.filter { !$0.key.hasPrefix("@") })
    }
}

/// Where a read of an object stopped: the decoded offset after the last record, and the bytes before it.
public struct ReadPosition: Sendable, Comparable {
    public static let tailLength = 64
    public var offset: Int
    public var tail: [UInt8]
    public init(offset: Int, tail: [UInt8]) {
        self.offset = offset
        self.tail = tail
    }
    public static func < (a: ReadPosition, b: ReadPosition) -> Bool { a.offset < b.offset }
}

/// Consumers handed to `concurrentPerform`; each index is used by exactly one worker.
private final class ConsumerBox: @unchecked Sendable {
    let consumers: [BlockConsumer]
    init(_ c: [BlockConsumer]) { consumers = c }
}

/// A byte buffer that doubles when a line does not fit.
final class GrowableBuffer {
    private(set) var bytes: UnsafeMutableRawBufferPointer
    var capacity: Int { bytes.count }
    init(capacity: Int) { bytes = .allocate(byteCount: capacity, alignment: 64) }
    func grow() {
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count * 2, alignment: 64)
        bigger.copyMemory(from: UnsafeRawBufferPointer(bytes))
        bytes.deallocate()
        bytes = bigger
    }
    func shift(from: Int, count: Int) {
        guard from > 0, count > 0 else { return }
        memmove(bytes.baseAddress!, bytes.baseAddress! + from, count)
    }
    func free() { bytes.deallocate() }
}
