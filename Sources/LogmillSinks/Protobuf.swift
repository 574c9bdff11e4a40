/// A minimal protocol-buffers writer, enough for Prometheus remote write: varints, 64-bit fixed
/// fields and length-delimited fields (strings, bytes, nested messages). Field keys are
/// `(field << 3) | wireType`. Scalar fields holding their proto3 default (0, 0.0, "") are omitted,
/// as canonical encoders do; receivers read an absent field as its default.
struct ProtobufWriter {
    enum WireType: UInt8 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    private(set) var bytes: [UInt8] = []

    init() {}

    var count: Int { bytes.count }

    /// Little-endian base-128: seven bits per byte, the high bit set on every byte but the last.
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ type: WireType) {
        varint(UInt64(field) << 3 | UInt64(type.rawValue))
    }

    /// `int64`: negatives are ten-byte two's-complement varints (not zigzag).
    mutating func int64(_ field: Int, _ value: Int64) {
        if value == 0 { return }
        key(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    mutating func uint64(_ field: Int, _ value: UInt64) {
        if value == 0 { return }
        key(field, .varint)
        varint(value)
    }

    /// `double`: eight bytes, IEEE 754, little-endian. Only +0.0 counts as the default (-0.0 is written).
    mutating func double(_ field: Int, _ value: Double) {
        let bits = value.bitPattern
        if bits == 0 { return }
        key(field, .fixed64)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
    }

    mutating func bytesField(_ field: Int, _ value: [UInt8]) {
        if value.isEmpty { return }
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: Int, _ value: String) {
        bytesField(field, Array(value.utf8))
    }

    /// A nested message (always written, even when empty: presence matters for repeated fields).
    mutating func message(_ field: Int, _ body: ProtobufWriter) {
        key(field, .lengthDelimited)
        varint(UInt64(body.bytes.count))
        bytes.append(contentsOf: body.bytes)
    }

    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var sub = ProtobufWriter()
        build(&sub)
        message(field, sub)
    }

    /// How many bytes `varint(value)` takes.
    static func varintSize(_ value: UInt64) -> Int {
        var n = 1
        var v = value
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }
}
