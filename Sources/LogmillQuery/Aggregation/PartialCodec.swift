/// Little-endian binary writing and reading for partial results (aggregate states, group keys, rows).
/// The format is logmill's own and versioned by `QueryPartial.formatVersion`.
struct PartialWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func int(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func uint(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func double(_ v: Double) { uint(v.bitPattern) }
    mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }
    mutating func count(_ n: Int) { int(Int64(n)) }
    mutating func text(_ s: String) {
        var s = s
        s.withUTF8 { b in
            count(b.count)
            bytes.append(contentsOf: b)
        }
    }
    mutating func raw(_ b: [UInt8]) {
        count(b.count)
        bytes.append(contentsOf: b)
    }

    /// A value, owned: borrowed bytes are written as text.
    mutating func value(_ v: Value) {
        switch v {
        case .null: u8(0)
        case .number(let d): u8(1); double(d)
        case .int(let i): u8(2); int(i)
        case .bytes(let b): u8(3); count(b.count); bytes.append(contentsOf: b)
        case .string(let s): u8(3); text(s)
        case .timestamp(let t): u8(4); int(t)
        case .bool(let b): u8(5); bool(b)
        case .structure(let s): u8(6); text(s.json)
        }
    }
}

/// Why stored partial bytes could not be read.
public struct PartialFormatError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { "partial result: \(message)" }
}

struct PartialReader {
    let bytes: [UInt8]
    var position = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    private mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - position else { throw PartialFormatError(message: "truncated at byte \(position)") }
        defer { position += n }
        return bytes[position..<(position + n)]
    }
    mutating func u8() throws -> UInt8 { try take(1).first! }
    mutating func uint() throws -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(8).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }
    mutating func int() throws -> Int64 { Int64(bitPattern: try uint()) }
    mutating func double() throws -> Double { Double(bitPattern: try uint()) }
    mutating func bool() throws -> Bool { try u8() != 0 }
    mutating func count() throws -> Int {
        let n = try int()
        guard n >= 0, n <= Int64(bytes.count - position) || n <= 1 << 32 else { throw PartialFormatError(message: "bad count \(n) at byte \(position)") }
        return Int(n)
    }
    mutating func text() throws -> String {
        let n = try count()
        return String(decoding: try take(n), as: UTF8.self)
    }
    mutating func raw() throws -> [UInt8] { Array(try take(try count())) }

    mutating func value() throws -> Value {
        switch try u8() {
        case 0: return .null
        case 1: return .number(try double())
        case 2: return .int(try int())
        case 3: return .string(try text())
        case 4: return .timestamp(try int())
        case 5: return .bool(try bool())
        case 6:
            var json = try text()
            guard let s = json.withUTF8({ Structure.parse(UnsafeRawBufferPointer($0)) }) else {
                throw PartialFormatError(message: "unreadable JSON structure")
            }
            return .structure(s)
        case let t: throw PartialFormatError(message: "unknown value tag \(t) at byte \(position - 1)")
        }
    }
}
