import CZlib
import LogmillSources

/// A gzip member that could not be decoded, with the compressed byte offset where decoding stopped.
public struct DecodeError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let offset: Int
    public let message: String
    public var description: String { "\(path): corrupt gzip data at compressed byte offset \(offset): \(message)" }
}

/// True when `bytes` begin with the gzip magic number (1f 8b).
public func isGzip(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Streams the decompressed bytes of a gzip file. Concatenated members are decoded one after another,
/// zero padding between or after them skipped whatever its length; a truncated or corrupt member, or
/// bytes after a member that are neither padding nor a member, end the stream with a `DecodeError`
/// after everything before them was returned.
public final class GzipStream: ByteStream {
    private let base: ByteStream
    private let path: String
    private var z = z_stream()
    private var input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var consumed = 0          // compressed bytes fed to zlib so far
    private var finished = false
    private var memberOpen = false
    private var pendingError: DecodeError?
    public private(set) var bytesDecompressed = 0
    public var bytesRead: Int { base.bytesRead }

    public init(base: ByteStream, path: String, inputBufferSize: Int = 256 * 1024) throws {
        self.base = base
        self.path = path
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: inputBufferSize, alignment: 16)
        let rc = inflateInit2_(&z, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        if rc != Z_OK {
            input.deallocate()
            throw DecodeError(path: path, offset: 0, message: "zlib could not start (code \(rc))")
        }
    }

    deinit {
        inflateEnd(&z)
        input.deallocate()
    }

    private func refill() throws -> Bool {
        if inputStart < inputEnd { return true }
        let n = try base.read(into: input)
        inputStart = 0
        inputEnd = n
        return n > 0
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let e = pendingError { pendingError = nil; finished = true; throw e }
        if finished || buffer.count == 0 { return 0 }
        var produced = 0
        while produced == 0 {
            if !(try refill()) {
                finished = true
                if memberOpen {
                    throw DecodeError(path: path, offset: consumed, message: "unexpected end of file (truncated gzip member)")
                }
                return 0
            }
            if !memberOpen {
                // Between members: zero padding of any length (tape blocks, preallocated files) is skipped,
                // across reads; then another member follows or, if anything else does, it is reported.
                if skipZeroPadding() { continue }
                let b0 = input.load(fromByteOffset: inputStart, as: UInt8.self)
                if b0 != 0x1f {
                    finished = true
                    throw DecodeError(path: path, offset: consumed, message: "trailing data after the last gzip member is not gzip")
                }
                memberOpen = true
            }
            let avail = inputEnd - inputStart
            z.next_in = input.baseAddress!.advanced(by: inputStart).assumingMemoryBound(to: Bytef.self)
            z.avail_in = uInt(avail)
            z.next_out = buffer.baseAddress!.advanced(by: produced).assumingMemoryBound(to: Bytef.self)
            z.avail_out = uInt(buffer.count - produced)
            let rc = inflate(&z, Z_NO_FLUSH)
            let used = avail - Int(z.avail_in)
            inputStart += used
            consumed += used
            produced = buffer.count - Int(z.avail_out)
            switch rc {
            case Z_OK, Z_BUF_ERROR:
                break
            case Z_STREAM_END:
                memberOpen = false
                inflateReset(&z)
            default:
                let msg = z.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                let err = DecodeError(path: path, offset: consumed, message: msg)
                if produced > 0 { pendingError = err } else { finished = true; throw err }
                bytesDecompressed += produced
                return produced
            }
        }
        bytesDecompressed += produced
        return produced
    }

    /// Skips zero bytes at the read position; true when the whole buffered input was zeros (read more).
    private func skipZeroPadding() -> Bool {
        let start = inputStart
        while inputStart < inputEnd, input.load(fromByteOffset: inputStart, as: UInt8.self) == 0 { inputStart += 1 }
        consumed += inputStart - start
        return inputStart == inputEnd
    }
}

/// Opens an input for reading its content: gzip is detected by its magic bytes, not the file name.
public func openDecoded(path: String) throws -> (stream: ByteStream, compressed: Bool) {
    try decoded(try FileStream(path: path), name: path)
}

/// Stacks the decoder its first bytes call for (gzip by magic bytes) on a raw stream named `name`.
public func decoded(_ raw: ByteStream, name: String) throws -> (stream: ByteStream, compressed: Bool) {
    let head = try readPrefix(of: raw, count: 2)
    let replay = PrefixedStream(prefix: head, base: raw)
    if isGzip(head) {
        return (try GzipStream(base: replay, path: name), true)
    }
    return (replay, false)
}
