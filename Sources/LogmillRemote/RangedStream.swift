import Foundation
import LogmillSources

/// Reads a remote object front to back in bounded ranges, one request at a time, so memory holds one
/// range whatever the object's size, and a failure costs one range: the request for the range not yet
/// delivered is what the HTTP client retries (a dropped connection resumes at the byte offset reached,
/// never at the object's start). The end is the range's, the object's size, or (size unknown) learnt
/// from the first answer; a short answer ends the stream.
final class RangedStream: ByteStream {
    /// Bytes `range` of the object, and the object's total size when the answer says it.
    typealias Fetch = (Range<Int>) throws -> (data: Data, total: Int?)
    private let fetch: Fetch
    private let rangeSize: Int
    private var position: Int
    private var end: Int?
    private var buffer = Data()
    private var bufferPosition = 0
    private var finished = false
    private(set) var bytesRead = 0

    init(from start: Int, to end: Int?, rangeSize: Int, fetch: @escaping Fetch) {
        position = start
        self.end = end
        self.rangeSize = max(1, rangeSize)
        self.fetch = fetch
    }

    func read(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        guard out.count > 0 else { return 0 }
        if bufferPosition >= buffer.count {
            guard !finished else { return 0 }
            let upper = min(end ?? Int.max, position + rangeSize)
            guard position < upper else { finished = true; return 0 }
            let (data, total) = try fetch(position..<upper)
            if end == nil, let total { end = total }
            if data.isEmpty { finished = true; return 0 }
            // The end reached, or (end unknown) a short answer: nothing after this range.
            if let end { finished = position + data.count >= end } else { finished = data.count < upper - position }
            buffer = data
            bufferPosition = 0
            position += data.count
        }
        let n = min(out.count, buffer.count - bufferPosition)
        buffer.withUnsafeBytes { src in out.baseAddress!.copyMemory(from: src.baseAddress! + bufferPosition, byteCount: n) }
        bufferPosition += n
        bytesRead += n
        return n
    }
}
