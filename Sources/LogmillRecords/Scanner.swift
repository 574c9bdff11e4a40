import Dispatch
import Foundation
import LogmillDecode
import LogmillSources

/// Receives blocks of whole lines from the scanner. One consumer per worker; a consumer is only
/// ever called from one thread at a time.
public protocol BlockConsumer: AnyObject {
    /// `block` holds complete lines (the last may lack its newline at the end of an input).
    /// `offset` is the position of `block[0]` in the input's decoded bytes.
    func consume(block: UnsafeRawBufferPointer, input: InputContext, offset: Int)
}

/// Settings for a scan.
public struct ScanOptions: Sendable {
    /// Bytes read per call; blocks grow beyond it only to hold a longer line.
    public var chunkSize = 1 << 20
    /// Worker threads.
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// Uncompressed files larger than this are split between workers.
    public var splitSize = 8 << 20
    /// Forces one format for every input instead of detecting it per file.
    public var format: LogFormat? = nil
    /// `@log` for inputs by path; an input not listed gets its path.
    public var logGroups: [String: String] = [:]
    public init() {}
}

/// Totals of a scan, for `--stats` and error reports.
public struct ScanReport: Sendable {
    public var bytesRead = 0
    public var bytesDecompressed = 0
    public var files = 0
    /// Problems that stopped reading part of an input (corrupt gzip, unreadable file); the rest was still read.
    public var errors: [String] = []
    public var formats: [String: LogFormat] = [:]
    public init() {}
    public mutating func merge(_ o: ScanReport) {
        bytesRead += o.bytesRead
        bytesDecompressed += o.bytesDecompressed
        files += o.files
        errors += o.errors
        formats.merge(o.formats) { a, _ in a }
    }
}

/// Reads inputs in fixed-size chunks on several threads and hands whole lines to consumers.
/// Memory is bounded by `workers × (chunkSize + longest line)`, whatever the input size.
public final class Scanner {
    public let options: ScanOptions
    public init(options: ScanOptions = ScanOptions()) { self.options = options }

    private struct Task {
        let input: InputFile
        let index: Int
        let range: Range<Int>?
        let format: LogFormat?
        let logType: LogType?
        let isFirstPart: Bool
    }

    /// Scans `inputs`, calling `consumers[w]` from worker `w`. Returns the merged report.
    public func scan(_ inputs: [InputFile], consumers: [BlockConsumer]) -> ScanReport {
        var tasks: [Task] = []
        var report = ScanReport()
        for (index, input) in inputs.enumerated() {
            if !input.isStandardInput, let size = input.size, size > options.splitSize, consumers.count > 1 {
                // Peek to learn whether it is compressed and which format it holds.
                do {
                    let (stream, compressed) = try openDecoded(path: input.path)
                    let head = try readPrefix(of: stream, count: 64 * 1024)
                    let format = options.format ?? head.withUnsafeBytes { FormatDetector.detect($0) }
                    if !compressed && format.isLineFramed {
                        let logType = head.withUnsafeBytes { FormatDetector.detectLogType($0, format: format) }
                        let part = max(options.splitSize / 2, size / (consumers.count * 8))
                        var start = 0
                        while start < size {
                            let end = min(size, start + part)
                            tasks.append(Task(input: input, index: index, range: start..<end, format: format, logType: logType, isFirstPart: start == 0))
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
        let lock = NSLock()
        nonisolated(unsafe) var next = 0
        nonisolated(unsafe) var reports = [ScanReport](repeating: ScanReport(), count: consumers.count)
        let workerCount = min(consumers.count, max(1, tasks.count))
        let chunk = options.chunkSize
        let groups = options.logGroups
        let box = ConsumerBox(consumers)
        let taskList = tasks
        DispatchQueue.concurrentPerform(iterations: workerCount) { w in
            var local = ScanReport()
            let buffer = GrowableBuffer(capacity: chunk)
            while true {
                lock.lock()
                let t = next
                next += 1
                lock.unlock()
                guard t < taskList.count else { break }
                Scanner.run(taskList[t], chunk: chunk, groups: groups, buffer: buffer, consumer: box.consumers[w], report: &local)
            }
            buffer.free()
            lock.lock()
            reports[w] = local
            lock.unlock()
        }
        for r in reports { report.merge(r) }
        return report
    }

    private static func run(_ task: Task, chunk: Int, groups: [String: String], buffer: GrowableBuffer, consumer: BlockConsumer, report: inout ScanReport) {
        let path = task.input.path
        let stream: ByteStream
        var compressed = false
        do {
            if let r = task.range {
                // Start one byte early: a line belongs to the part its first byte falls in.
                stream = try FileStream(path: path, range: max(0, r.lowerBound - 1)..<(task.input.size ?? r.upperBound))
            } else if path == "-" {
                let s = try FileStream(path: "-")
                let head = try readPrefix(of: s, count: 2)
                let replay = PrefixedStream(prefix: head, base: s)
                if isGzip(head) { stream = try GzipStream(base: replay, path: "(stdin)"); compressed = true } else { stream = replay }
            } else {
                (stream, compressed) = try openDecoded(path: path)
            }
        } catch {
            report.errors.append("\(error)")
            return
        }
        if task.isFirstPart { report.files += 1 }
        var format = task.format
        var context: InputContext? = format.flatMap { f in task.logType.map { makeContext(path, task.index, f, groups, $0) } }
        var filled = 0
        var absolute = task.range.map { max(0, $0.lowerBound - 1) } ?? 0   // decoded offset of buffer[0]
        var skipFirstLine = (task.range?.lowerBound ?? 0) > 0
        let stopAt = task.range?.upperBound
        var eof = false
        defer {
            report.bytesRead += stream.bytesRead
            if let g = stream as? GzipStream { report.bytesDecompressed += g.bytesDecompressed }
            else if !compressed { report.bytesDecompressed += 0 }
        }
        while !eof {
            if filled == buffer.capacity { buffer.grow() }
            do {
                let n = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer.bytes[filled..<buffer.capacity]))
                if n == 0 { eof = true } else { filled += n }
            } catch {
                report.errors.append("\(error)")
                eof = true
            }
            let view = UnsafeRawBufferPointer(buffer.bytes)
            var start = 0
            if skipFirstLine {
                guard let nl = Bytes.find(0x0a, in: view, from: 0, to: filled) else {
                    if eof { return }
                    continue
                }
                start = nl + 1
                skipFirstLine = false
            }
            if context == nil {
                // Detect from what we have, once the first block is in.
                if !eof && filled < min(64 * 1024, buffer.capacity) { continue }
                let head = UnsafeRawBufferPointer(rebasing: view[start..<filled])
                let f = format ?? FormatDetector.detect(head)
                format = f
                context = makeContext(path, task.index, f, groups, FormatDetector.detectLogType(head, format: f))
                report.formats[path] = f
            } else if task.isFirstPart && report.formats[path] == nil {
                report.formats[path] = format
            }
            if let stop = stopAt, absolute + start >= stop { return }   // lines from here belong to the next part
            var end: Int
            if eof {
                end = filled
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
            }
            if finished { return }
            buffer.shift(from: end, count: filled - end)
            absolute += end
            filled -= end
        }
    }

    private static func makeContext(_ path: String, _ index: Int, _ format: LogFormat, _ groups: [String: String], _ logType: LogType) -> InputContext {
        let shown = path == "-" ? "(stdin)" : path
        return InputContext(path: shown, index: index, format: format,
                            logStream: InputContext.streamFromPath(path), logGroup: groups[path] ?? shown, logType: logType)
    }
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
