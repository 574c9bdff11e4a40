import Foundation

/// IP addresses: `isValidIp`, `isValidIpV4`, `isValidIpV6`, `isIpInSubnet` (and its v4/v6 forms),
/// `ipv4ToNumber`, `isPrivateIP`, `isPublicIP`, `isReservedIP`.
enum IPFunctions {
    static let registered: [RegisteredFunction] = [
        RegisteredFunction(.isvalidip, arity: 1...1),
        RegisteredFunction(.isvalidipv4, arity: 1...1),
        RegisteredFunction(.isvalidipv6, arity: 1...1),
        RegisteredFunction(.isipinsubnet, arity: 2...2, usage: "isIpInSubnet(ip, \"10.0.0.0/8\")"),
        RegisteredFunction(.isipv4insubnet, arity: 2...2),
        RegisteredFunction(.isipv6insubnet, arity: 2...2),
        RegisteredFunction(name: "ipv4ToNumber", arity: 1...1, usage: "ipv4ToNumber(\"10.0.0.1\")") { a, _ in
            guard let t = a[0].text, let v = IP.v4(Substring(t)) else { return .null }
            return .int(Int64(v))
        },
        RegisteredFunction(name: "isPrivateIP", arity: 1...1, usage: "isPrivateIP(ip)") { a, _ in
            .bool(a[0].text.map { IPRanges.classify($0) == .privateRange } ?? false)
        },
        RegisteredFunction(name: "isPublicIP", arity: 1...1, usage: "isPublicIP(ip)") { a, _ in
            .bool(a[0].text.map { IPRanges.classify($0) == .publicRange } ?? false)
        },
        RegisteredFunction(name: "isReservedIP", arity: 1...1, usage: "isReservedIP(ip)") { a, _ in
            .bool(a[0].text.map { let c = IPRanges.classify($0); return c == .privateRange || c == .reserved } ?? false)
        },
    ]
}

/// IPv4 and IPv6 text and subnet membership.
enum IP {
    /// Parses dotted-quad IPv4 text.
    static func v4(_ s: Substring) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), let n = UInt32(p), n <= 255 else { return nil }
            if p.count > 1 && p.first == "0" { return nil }
            v = v << 8 | n
        }
        return v
    }

    /// Parses IPv6 text (with `::` and an embedded IPv4 tail) into 16 bytes.
    static func v6(_ s: Substring) -> [UInt8]? {
        guard s.contains(":"), !s.isEmpty else { return nil }
        var head: [UInt16] = [], tail: [UInt16] = []
        let halves = s.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String, allowV4: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let items = part.split(separator: ":", omittingEmptySubsequences: false)
            for (k, item) in items.enumerated() {
                if k == items.count - 1, allowV4, item.contains("."), let v = v4(item) {
                    out.append(UInt16(v >> 16)); out.append(UInt16(v & 0xffff))
                    continue
                }
                guard !item.isEmpty, item.count <= 4, let g = UInt16(item, radix: 16) else { return nil }
                out.append(g)
            }
            return out
        }
        if halves.count == 2 {
            guard let h = groups(halves[0], allowV4: false), let t = groups(halves[1], allowV4: true), h.count + t.count < 8 else { return nil }
            head = h; tail = t
        } else {
            guard let h = groups(halves[0], allowV4: true), h.count == 8 else { return nil }
            head = h
        }
        let all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        var bytes: [UInt8] = []
        for g in all { bytes.append(UInt8(g >> 8)); bytes.append(UInt8(g & 0xff)) }
        return bytes
    }

    static func inSubnet(_ ipText: String, _ cidr: String, v4Only: Bool, v6Only: Bool) -> Bool {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let bits = Int(parts[1]) else { return false }
        let ip = Substring(ipText)
        if !v6Only, let a = v4(ip), let net = v4(parts[0]) {
            guard bits >= 0 && bits <= 32 else { return false }
            let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
            return a & mask == net & mask
        }
        if !v4Only, let a = v6(ip), let net = v6(parts[0]) {
            guard bits >= 0 && bits <= 128 else { return false }
            for i in 0..<16 {
                let b = min(8, max(0, bits - i * 8))
                let mask: UInt8 = b == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - b))
                if a[i] & mask != net[i] & mask { return false }
            }
            return true
        }
        return false
    }
}

/// Address classes for `isPrivateIP`, `isPublicIP` and `isReservedIP`.
///
/// * private: RFC 1918 (10/8, 172.16/12, 192.168/16) and IPv6 unique-local fc00::/7;
/// * reserved: the other IANA special-purpose ranges (0/8, 100.64/10, 127/8, 169.254/16, 192.0.0/24,
///   192.0.2/24, 192.88.99/24, 198.18/15, 198.51.100/24, 203.0.113/24, 224/4, 240/4 including
///   255.255.255.255; IPv6 ::, ::1, fe80::/10, ff00::/8, 2001:db8::/32 and everything outside the
///   global-unicast block 2000::/3). `isReservedIP` is true for private addresses too;
/// * public: every other valid address.
/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are classified as their IPv4 address.
enum IPRanges {
    enum Class { case invalid, privateRange, reserved, publicRange }

    static let v4Private: [(UInt32, Int)] = [(0x0A00_0000, 8), (0xAC10_0000, 12), (0xC0A8_0000, 16)]
    static let v4Reserved: [(UInt32, Int)] = [
        (0x0000_0000, 8), (0x6440_0000, 10), (0x7F00_0000, 8), (0xA9FE_0000, 16), (0xC000_0000, 24), (0xC000_0200, 24),
        (0xC058_6300, 24), (0xC612_0000, 15), (0xC633_6400, 24), (0xCB00_7100, 24), (0xE000_0000, 4), (0xF000_0000, 4),
    ]

    static func inV4(_ a: UInt32, _ ranges: [(UInt32, Int)]) -> Bool {
        ranges.contains { net, bits in a & (bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)) == net }
    }

    static func inV6(_ a: [UInt8], _ prefix: [UInt8], _ bits: Int) -> Bool {
        for i in 0..<16 {
            let b = Swift.min(8, Swift.max(0, bits - i * 8))
            if b == 0 { break }
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - b))
            let p = i < prefix.count ? prefix[i] : 0
            if a[i] & mask != p & mask { return false }
        }
        return true
    }

    static func classify(_ text: String) -> Class {
        let s = Substring(text)
        if let a = IP.v4(s) { return classify(v4: a) }
        guard let a = IP.v6(s) else { return .invalid }
        if a[0..<10].allSatisfy({ $0 == 0 }), a[10] == 0xff, a[11] == 0xff {
            return classify(v4: UInt32(a[12]) << 24 | UInt32(a[13]) << 16 | UInt32(a[14]) << 8 | UInt32(a[15]))
        }
        if inV6(a, [0xfc], 7) { return .privateRange }
        if !inV6(a, [0x20], 3) || inV6(a, [0x20, 0x01, 0x0d, 0xb8], 32) { return .reserved }
        return .publicRange
    }

    static func classify(v4 a: UInt32) -> Class {
        if inV4(a, v4Private) { return .privateRange }
        if inV4(a, v4Reserved) { return .reserved }
        return .publicRange
    }
}
