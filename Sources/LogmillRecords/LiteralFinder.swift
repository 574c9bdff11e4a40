import CZlib
import Glibc

/// Finds a literal by scanning for its rarest byte with `memchr` and verifying with `memcmp`,
/// which is several times faster than `memmem` on log text. Rarity comes from a byte histogram
/// of the data being searched (the first block of an input), so it adapts to each log type.
public struct LiteralFinder {
    public let needle: [UInt8]
    let rareIndex: Int
    let rareByte: UInt8

    /// `sample` is representative text to count byte frequencies in; empty means: use the first byte.
    public init(_ needle: [UInt8], sample: UnsafeRawBufferPointer) {
        precondition(!needle.isEmpty)
        self.needle = needle
        var counts = [Int](repeating: 0, count: 256)
        counts.withUnsafeMutableBufferPointer { c in for b in sample { c[Int(b)] &+= 1 } }
        var best = 0
        for (i, b) in needle.enumerated() where counts[Int(b)] < counts[Int(needle[best])] { best = i }
        rareIndex = best
        rareByte = needle[best]
    }

    /// The first start index of the needle in `buf[from..<to]`, or nil.
    @inline(__always)
    public func find(in buf: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        guard let base = buf.baseAddress else { return nil }
        let m = needle.count
        guard to - from >= m else { return nil }
        var pos = from + rareIndex
        let limit = to - (m - rareIndex) + 1   // last position the rare byte can have
        return needle.withUnsafeBytes { nb -> Int? in
            while pos < limit {
                guard let p = memchr(base + pos, Int32(rareByte), limit - pos) else { return nil }
                let hit = UnsafeRawPointer(p) - base
                let start = hit - rareIndex
                if Bytes.same(base + start, nb.baseAddress!, m) { return start }
                pos = hit + 1
            }
            return nil
        }
    }
}
