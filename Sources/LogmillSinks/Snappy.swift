/// Snappy **block** format compression (google/snappy `format_description.txt`), as Prometheus
/// remote write requires (not the framed/stream format).
///
/// The compressor is the reference algorithm (the one in golang/snappy and the Rust `snap` crate):
/// the input is cut into independent 64 KiB blocks; in each, a hash table of 4-byte sequences
/// (up to 2^14 entries, sized to the block) finds earlier occurrences, the search step grows
/// while nothing matches (skip heuristic), matches are extended byte by byte and emitted as copy
/// elements (1-byte offset form for lengths 4–11 with offsets < 2048, else 2-byte offsets; long
/// copies split into 64/60-byte pieces), and the bytes between matches as literals. Blocks under
/// 17 bytes are stored as literals. The output is byte-identical to those implementations.
public enum Snappy {
    static let maxBlockSize = 65536
    static let inputMargin = 16 - 1
    static let minNonLiteralBlockSize = 1 + 1 + inputMargin
    static let maxTableSize = 1 << 14

    /// The worst case for `compress`: 32 + n + n/6.
    public static func maxCompressedLength(_ n: Int) -> Int { 32 + n + n / 6 }

    /// Compresses `input` into one snappy block-format stream.
    public static func compress(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(maxCompressedLength(input.count))
        appendVarint(&out, UInt64(input.count))
        var table = [UInt16](repeating: 0, count: maxTableSize)
        input.withUnsafeBufferPointer { src in
            var p = 0
            while p < src.count {
                let end = min(p + maxBlockSize, src.count)
                let block = UnsafeBufferPointer(rebasing: src[p..<end])
                if block.count < minNonLiteralBlockSize {
                    emitLiteral(&out, block, 0, block.count)
                } else {
                    compressBlock(block, &out, &table)
                }
                p = end
            }
        }
        return out
    }

    /// The simplest valid encoding: the preamble, then literal elements of at most 64 KiB.
    public static func compressLiteralsOnly(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count + 8 + input.count / 65536 * 3)
        appendVarint(&out, UInt64(input.count))
        input.withUnsafeBufferPointer { src in
            var p = 0
            while p < src.count {
                let end = min(p + maxBlockSize, src.count)
                emitLiteral(&out, src, p, end)
                p = end
            }
        }
        return out
    }

    static func appendVarint(_ out: inout [UInt8], _ value: UInt64) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    @inline(__always)
    static func load32(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 {
        UInt32(s[i]) | UInt32(s[i + 1]) << 8 | UInt32(s[i + 2]) << 16 | UInt32(s[i + 3]) << 24
    }

    /// Literal `src[from..<to]` (at most 65536 bytes): tag `(n-1)<<2` for n ≤ 60, else 60/61 with
    /// n−1 in one or two little-endian bytes.
    static func emitLiteral(_ out: inout [UInt8], _ src: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) {
        let n = to - from - 1
        if n < 0 { return }
        if n < 60 {
            out.append(UInt8(n) << 2)
        } else if n < 256 {
            out.append(60 << 2)
            out.append(UInt8(n))
        } else {
            out.append(61 << 2)
            out.append(UInt8(truncatingIfNeeded: n))
            out.append(UInt8(truncatingIfNeeded: n >> 8))
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: src[from..<to]))
    }

    /// A copy of `length` bytes from `offset` back (offset < 65536 within a block).
    static func emitCopy(_ out: inout [UInt8], offset: Int, length: Int) {
        var length = length
        let lo = UInt8(truncatingIfNeeded: offset), hi = UInt8(truncatingIfNeeded: offset >> 8)
        // Pieces of 64 while at least 68 remain (so the rest is never below 4), then one of 60 if over 64.
        while length >= 68 {
            out.append(63 << 2 | 2); out.append(lo); out.append(hi)
            length -= 64
        }
        if length > 64 {
            out.append(59 << 2 | 2); out.append(lo); out.append(hi)
            length -= 60
        }
        if length >= 12 || offset >= 2048 {
            out.append(UInt8(length - 1) << 2 | 2); out.append(lo); out.append(hi)
        } else {
            out.append(UInt8(offset >> 8) << 5 | UInt8(length - 4) << 2 | 1)
            out.append(lo)
        }
    }

    /// One block of at least `minNonLiteralBlockSize` and at most 64 KiB bytes.
    static func compressBlock(_ src: UnsafeBufferPointer<UInt8>, _ out: inout [UInt8], _ table: inout [UInt16]) {
        var tableSize = 1 << 8
        var shift: UInt32 = 32 - 8
        while tableSize < maxTableSize && tableSize < src.count {
            tableSize *= 2
            shift -= 1
        }
        for i in 0..<tableSize { table[i] = 0 }
        @inline(__always) func hash(_ u: UInt32) -> Int { Int((u &* 0x1e35_a7bd) >> shift) }

        let sLimit = src.count - inputMargin
        var nextEmit = 0
        var s = 1
        var nextHash = hash(load32(src, s))
        outer: while true {
            // Look for a 4-byte match, stepping further apart the longer nothing matches.
            var skip = 32
            var nextS = s
            var candidate = 0
            while true {
                s = nextS
                let step = skip >> 5
                nextS = s + step
                skip += step
                if nextS > sLimit { break outer }
                candidate = Int(table[nextHash])
                table[nextHash] = UInt16(truncatingIfNeeded: s)
                nextHash = hash(load32(src, nextS))
                if load32(src, s) == load32(src, candidate) { break }
            }
            emitLiteral(&out, src, nextEmit, s)
            // Emit copies while the position right after a copy matches again.
            while true {
                let base = s
                s += 4
                var c = candidate + 4
                while s < src.count && src[c] == src[s] {
                    c += 1
                    s += 1
                }
                emitCopy(&out, offset: base - candidate, length: s - base)
                nextEmit = s
                if s >= sLimit { break outer }
                table[hash(load32(src, s - 1))] = UInt16(truncatingIfNeeded: s - 1)
                let h = hash(load32(src, s))
                candidate = Int(table[h])
                table[h] = UInt16(truncatingIfNeeded: s)
                if load32(src, s) != load32(src, candidate) {
                    nextHash = hash(load32(src, s + 1))
                    s += 1
                    break
                }
            }
        }
        if nextEmit < src.count { emitLiteral(&out, src, nextEmit, src.count) }
    }
}
