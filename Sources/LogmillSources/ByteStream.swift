#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A source of bytes read front to back: a file, standard input, or a decoder stacked on one.
public protocol ByteStream: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Bytes consumed from the underlying input so far (compressed bytes for a decoder's input).
    var bytesRead: Int { get }
}

/// An I/O failure, naming the input it happened on.
public struct SourceError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}

/// Reads a file descriptor sequentially with `read(2)`, optionally limited to a byte range with `pread(2)`.
public final class FileStream: ByteStream {
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var offset: Int
    private let end: Int?
    public private(set) var bytesRead = 0

    /// Opens `path` for reading; `-` is standard input.
    public init(path: String) throws {
        self.path = path
        if path == "-" {
            fd = 0
            ownsDescriptor = false
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw SourceError(path: path, message: String(cString: strerror(errno))) }
            ownsDescriptor = true
        }
        offset = -1
        end = nil
    }

    /// Opens `path` to read only the bytes in `range` (positional reads, so several streams may share a file).
    public init(path: String, range: Range<Int>) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SourceError(path: path, message: String(cString: strerror(errno))) }
        ownsDescriptor = true
        offset = range.lowerBound
        end = range.upperBound
    }

    deinit { if ownsDescriptor { close(fd) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n: Int
            if offset >= 0 {
                let want = min(buffer.count, (end ?? Int.max) - offset)
                if want <= 0 { return 0 }
                n = pread(fd, base, want, off_t(offset))
                if n > 0 { offset += n }
            } else {
                n = Glibc.read(fd, base, buffer.count)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw SourceError(path: path, message: String(cString: strerror(errno)))
            }
            bytesRead += n
            return n
        }
    }
}

/// A stream over bytes already in memory (tests, and replaying bytes peeked from another stream).
public final class MemoryStream: ByteStream {
    private let bytes: [UInt8]
    private var position = 0
    public var bytesRead: Int { position }
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - position)
        if n <= 0 { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + position, byteCount: n)
        }
        position += n
        return n
    }
}

/// A stream that first returns some already-read bytes, then continues with its base stream.
public final class PrefixedStream: ByteStream {
    private var prefix: [UInt8]
    private var prefixPosition = 0
    private let base: ByteStream
    public var bytesRead: Int { base.bytesRead }
    public init(prefix: [UInt8], base: ByteStream) {
        self.prefix = prefix
        self.base = base
    }
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if prefixPosition < prefix.count {
            let n = min(buffer.count, prefix.count - prefixPosition)
            prefix.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + prefixPosition, byteCount: n)
            }
            prefixPosition += n
            if prefixPosition == prefix.count { prefix = [] ; prefixPosition = Int.max }
            return n
        }
        return try base.read(into: buffer)
    }
}

/// Reads up to `count` bytes from the start of a stream (fewer at its end).
public func readPrefix(of stream: ByteStream, count: Int) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    var filled = 0
    try out.withUnsafeMutableBytes { buf in
        while filled < count {
            let n = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: buf[filled...]))
            if n == 0 { break }
            filled += n
        }
    }
    out.removeLast(count - filled)
    return out
}
