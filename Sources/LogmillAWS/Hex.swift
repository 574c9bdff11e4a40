import Foundation
@_exported import LogmillDigest

/// AWS groundwork without packages: SHA-256, HMAC-SHA256, Signature Version 4, credentials,
/// regions and endpoints.
public enum AWS {}

extension AWS {
    /// Lower-case hex.
    public static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 { Hex.encode(bytes) }

    /// Bytes from hex (either case); nil when malformed.
    public static func bytes(hex: String) -> [UInt8]? {
        let u = Array(hex.utf8)
        guard u.count % 2 == 0 else { return nil }
        func v(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let hi = v(u[i]), let lo = v(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
