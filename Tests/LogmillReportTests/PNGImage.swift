import CZlib
import Foundation

/// Just enough of a PNG decoder to look at a browser's screenshot: 8-bit RGB or RGBA, not
/// interlaced (what Chromium writes). IDAT is inflated with zlib; the five row filters are undone.
struct PNGImage {
    let width: Int
    let height: Int
    /// Four bytes per pixel (RGBA), row after row from the top.
    let rgba: [UInt8]

    struct Unsupported: Error, CustomStringConvertible { let description: String }

    init(_ data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.starts(with: [137, 80, 78, 71, 13, 10, 26, 10]) else { throw Unsupported(description: "not a PNG") }
        func u32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        var header: [UInt8] = [], compressed: [UInt8] = []
        var at = 8
        while at + 12 <= bytes.count {
            let length = u32(at), type = String(decoding: bytes[at + 4..<at + 8], as: UTF8.self)
            guard at + 12 + length <= bytes.count else { throw Unsupported(description: "chunk \(type) runs past the end") }
            let body = bytes[at + 8..<at + 8 + length]
            if type == "IHDR" { header = Array(body) }
            if type == "IDAT" { compressed += body }
            if type == "IEND" { break }
            at += 12 + length
        }
        guard header.count == 13 else { throw Unsupported(description: "no IHDR") }
        width = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
        height = header[4..<8].reduce(0) { $0 << 8 | Int($1) }
        let depth = header[8], colorType = header[9], interlace = header[12]
        guard depth == 8, colorType == 2 || colorType == 6, interlace == 0 else {
            throw Unsupported(description: "bit depth \(depth), colour type \(colorType), interlace \(interlace): only 8-bit RGB/RGBA, not interlaced")
        }
        let channels = colorType == 6 ? 4 : 3, stride = width * channels
        // Each row is its filter byte and then its bytes, so the inflated size is known in advance.
        var raw = [UInt8](repeating: 0, count: height * (1 + stride))
        var rawLength = uLongf(raw.count)
        let rc = raw.withUnsafeMutableBufferPointer { out in
            compressed.withUnsafeBufferPointer { uncompress(out.baseAddress, &rawLength, $0.baseAddress, uLong($0.count)) }
        }
        guard rc == Z_OK, Int(rawLength) == raw.count else { throw Unsupported(description: "IDAT did not inflate to \(raw.count) bytes (zlib \(rc))") }

        var pixels = [UInt8](repeating: 0, count: height * stride)
        for row in 0..<height {
            let filter = raw[row * (1 + stride)], src = row * (1 + stride) + 1, dst = row * stride
            for i in 0..<stride {
                let x = Int(raw[src + i])
                let a = i >= channels ? Int(pixels[dst + i - channels]) : 0
                let b = row > 0 ? Int(pixels[dst - stride + i]) : 0
                let c = row > 0 && i >= channels ? Int(pixels[dst - stride + i - channels]) : 0
                let predicted: Int
                switch filter {
                case 0: predicted = 0
                case 1: predicted = a
                case 2: predicted = b
                case 3: predicted = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predicted = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw Unsupported(description: "row \(row) has filter \(filter)")
                }
                pixels[dst + i] = UInt8((x + predicted) & 0xff)
            }
        }
        if channels == 4 {
            rgba = pixels
        } else {
            var out = [UInt8](repeating: 255, count: width * height * 4)
            for p in 0..<width * height { for k in 0..<3 { out[p * 4 + k] = pixels[p * 3 + k] } }
            rgba = out
        }
    }

    /// The pixel at column `x`, row `y`.
    func pixel(_ x: Int, _ y: Int) -> (r: UInt8, g: UInt8, b: UInt8, a: UInt8) {
        let i = (y * width + x) * 4
        return (rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3])
    }
}
