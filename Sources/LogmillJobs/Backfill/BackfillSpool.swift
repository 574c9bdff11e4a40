import Foundation

/// A backfill's partial results on disk, so that memory stays flat however long the range: each
/// batch of scanned objects writes one segment — its windows' encoded partials in time order — and
/// the emission merges the segments window by window, holding one entry per segment at a time.
///
/// A segment is `LMSG`, a version byte, then entries of (window start, window end, length, partial
/// bytes), little-endian, written atomically. A segment the backfill's state does not list (a crash
/// between writing it and recording it) is never read, and is removed.
enum BackfillSpool {
    static let magic: [UInt8] = Array("LMSG".utf8)
    static let version: UInt8 = 1

    static func encode(_ entries: [(start: Int64, end: Int64, partial: [UInt8])]) -> [UInt8] {
        var out = magic
        out.append(version)
        func int(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        for e in entries.sorted(by: { $0.start < $1.start }) {
            int(e.start); int(e.end); int(Int64(e.partial.count))
            out += e.partial
        }
        return out
    }

    /// Reads one segment's entries in order, one at a time.
    final class Reader {
        let path: String
        private let handle: FileHandle
        /// The next entry, not yet taken.
        private(set) var peeked: (start: Int64, end: Int64, partial: [UInt8])?

        init(path: String) throws {
            self.path = path
            guard let h = FileHandle(forReadingAtPath: path) else { throw BackfillError("\(path): the spool segment cannot be read") }
            handle = h
            let head = try handle.read(upToCount: 5) ?? Data()
            guard [UInt8](head) == BackfillSpool.magic + [BackfillSpool.version] else {
                throw BackfillError("\(path): not a backfill spool segment of this version; remove the backfill's state ('logmill backfill --force') to start over")
            }
            try advance()
        }

        deinit { try? handle.close() }

        /// Takes the next entry if it is for the window starting at `start`.
        func take(_ start: Int64) throws -> [UInt8]? {
            guard let p = peeked, p.start == start else { return nil }
            try advance()
            return p.partial
        }

        private func advance() throws {
            guard let head = try handle.read(upToCount: 24), !head.isEmpty else { peeked = nil; return }
            guard head.count == 24 else { throw BackfillError("\(path): truncated spool segment") }
            let v = [UInt8](head)
            func int(_ at: Int) -> Int64 {
                var x: UInt64 = 0
                for k in 0..<8 { x |= UInt64(v[at + k]) << (8 * UInt64(k)) }
                return Int64(bitPattern: x)
            }
            let length = Int(int(16))
            guard length >= 0, length < 1 << 34 else { throw BackfillError("\(path): damaged spool segment") }
            let body = try handle.read(upToCount: length) ?? Data()
            guard body.count == length else { throw BackfillError("\(path): truncated spool segment") }
            peeked = (int(0), int(8), [UInt8](body))
        }
    }
}

/// A backfill that cannot go on: the message says why and what to do.
public struct BackfillError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
