import Foundation

/// HMAC-SHA256 (RFC 2104): `H((K ^ opad) || H((K ^ ipad) || m))`, block size 64, longer keys hashed first.
public struct HMACSHA256: Sendable {
    private var inner: SHA256
    private let outerKey: [UInt8]

    public init<K: Collection>(key: K) where K.Element == UInt8 {
        var k = Array(key)
        if k.count > SHA256.blockSize { k = SHA256.hash(k) }
        k += [UInt8](repeating: 0, count: SHA256.blockSize - k.count)
        inner = SHA256()
        inner.update(k.map { $0 ^ 0x36 })
        outerKey = k.map { $0 ^ 0x5c }
    }

    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 { inner.update(bytes) }
    public mutating func update(_ data: Data) { inner.update(data) }

    public mutating func finalize() -> [UInt8] {
        let innerDigest = inner.finalize()
        var outer = SHA256()
        outer.update(outerKey)
        outer.update(innerDigest)
        return outer.finalize()
    }

    /// One-shot MAC.
    public static func mac<K: Collection, M: Collection>(key: K, message: M) -> [UInt8] where K.Element == UInt8, M.Element == UInt8 {
        var h = HMACSHA256(key: key)
        h.update(message)
        return h.finalize()
    }
    public static func mac<K: Collection>(key: K, message: String) -> [UInt8] where K.Element == UInt8 {
        mac(key: key, message: Array(message.utf8))
    }
}
