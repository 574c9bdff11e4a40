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
    /// The input's name, as errors give it.
    public var name: String { path }
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
    /// Whether members' check values are left to the reader (`deferChecks`), and those not yet taken.
    private var deferred = false
    private var checks: [GzipMemberCheck] = []
    /// Where the open member started (compressed and decoded offsets), and the last 8 compressed
    /// bytes consumed (at a member's end: its trailer, CRC-32 then size, little-endian).
    private var memberStart = (compressed: 0, decoded: 0)
    private var lastEight: UInt64 = 0

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

    /// Leaves checking each member's CRC-32 and size to the reader: zlib then only inflates, and
    /// `takeChecks` gives what each finished member must match, for a `GzipVerifier` on the bytes read
    /// from here on. A second thread inflating for a scan thus spends nothing on the CRC (a fifth of
    /// inflating), which the scan computes on its side instead. Only before anything was decoded (a
    /// stream resumed past its start keeps zlib's checks); false when the checks stay with zlib.
    /// zlib's check of the optional header CRC (FHCRC) goes too; the data's own check does not.
    public func deferChecks() -> Bool {
        guard !deferred, bytesDecompressed == 0, !memberOpen, consumed == 0 else { return deferred }
        deferred = inflateValidate(&z, 0) == Z_OK
        return deferred
    }

    /// The checks of the members that ended since the last call (deferred checking only).
    public func takeChecks() -> [GzipMemberCheck] {
        defer { checks.removeAll(keepingCapacity: true) }
        return checks
    }

    /// Keeps the last 8 bytes of `used` bytes just consumed from the input, ending at `inputStart`.
    @inline(__always) private func noteConsumed(_ used: Int) {
        guard deferred, used > 0 else { return }
        if used >= 8 {
            lastEight = input.loadUnaligned(fromByteOffset: inputStart - 8, as: UInt64.self)
        } else {
            for k in (inputStart - used)..<inputStart {
                lastEight = lastEight >> 8 | UInt64(input.load(fromByteOffset: k, as: UInt8.self)) << 56
            }
        }
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
                memberStart = (consumed, bytesDecompressed + produced)
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
            noteConsumed(used)
            produced = buffer.count - Int(z.avail_out)
            switch rc {
            case Z_OK, Z_BUF_ERROR:
                break
            case Z_STREAM_END:
                memberOpen = false
                if deferred {
                    checks.append(GzipMemberCheck(compressedStart: memberStart.compressed, compressedEnd: consumed, decodedStart: memberStart.decoded,
                                                  decodedEnd: bytesDecompressed + produced,
                                                  crc: UInt32(truncatingIfNeeded: lastEight), size: UInt32(truncatingIfNeeded: lastEight >> 32)))
                }
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

/// What one gzip member's decoded bytes must match: its trailer's CRC-32 and size (mod 2^32).
public struct GzipMemberCheck: Sendable, Equatable {
    public let compressedStart: Int
    /// Just past the member's trailer (its CRC-32 is the 8 bytes before, its size the 4 before).
    public let compressedEnd: Int
    public let decodedStart: Int
    public let decodedEnd: Int
    public let crc: UInt32
    public let size: UInt32
}

/// Checks decoded bytes, read in order, against their members' trailers (`GzipStream.deferChecks`):
/// what zlib would have checked, computed by the reader instead. A mismatch is the error zlib gives.
public struct GzipVerifier {
    private let path: String
    private var pending: [GzipMemberCheck] = []
    private var next = 0
    private var position = 0
    private var crc: UInt = 0

    public init(path: String) { self.path = path }

    /// At the end of the stream: members with no bytes after the last one read are checked too.
    public mutating func finish() throws {
        if let e = update(UnsafeRawBufferPointer(start: nil, count: 0)).error { throw e }
    }

    /// Members that ended (in order), as the inflating side reports them.
    public mutating func expect(_ checks: [GzipMemberCheck]) {
        if next > 64 { pending.removeFirst(next); next = 0 }
        pending += checks
    }

    /// The next `bytes` of the decoded stream. At the end of a member whose bytes do not match, stops
    /// with the error and how many of `bytes` came before that end (the bytes the reader may keep).
    /// A member's end is always known before its last byte arrives here (see `ReadAheadStream`).
    public mutating func update(_ bytes: UnsafeRawBufferPointer) -> (accepted: Int, error: DecodeError?) {
        var at = 0
        while at < bytes.count || (next < pending.count && pending[next].decodedEnd == position) {
            let end = next < pending.count ? pending[next].decodedEnd : Int.max
            if end < position {
                return (at, DecodeError(path: path, offset: pending[next].compressedEnd, message: "gzip member checks out of order (decoded byte \(end) before \(position))"))
            }
            let n = min(bytes.count - at, end - position)
            if n > 0 {
                crc = crc32(crc, bytes.baseAddress!.advanced(by: at).assumingMemoryBound(to: Bytef.self), uInt(n))
                at += n
                position += n
            }
            if position == end {
                let c = pending[next]
                next += 1
                let gotCRC = UInt32(truncatingIfNeeded: crc)
                crc = 0
                if gotCRC != c.crc {
                    return (at, DecodeError(path: path, offset: c.compressedEnd - 4, message: "incorrect data check"))
                }
                if UInt32(truncatingIfNeeded: c.decodedEnd - c.decodedStart) != c.size {
                    return (at, DecodeError(path: path, offset: c.compressedEnd, message: "incorrect length check"))
                }
            }
        }
        return (at, nil)
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
