import Foundation

/// AWS Signature Version 4 (header signing and presigned URLs).
///
/// Canonical request = method, canonical URI, canonical query, canonical headers, signed headers,
/// payload hash (joined by LF); string to sign = algorithm, X-Amz-Date, scope, hex(SHA256(canonical
/// request)); signature = hex(HMAC(kSigning, string to sign)) with kSigning derived from the secret,
/// date, region and service.
public struct SigV4: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// Headers never signed: hop-by-hop or rewritten by HTTP stacks (aws-c-auth's list), and Authorization itself.
    public static let unsignedHeaders: Set<String> = [
        "authorization", "x-amzn-trace-id", "user-agent", "connection", "expect", "transfer-encoding", "upgrade",
        "keep-alive", "proxy-authorization", "te", "trailer",
    ]

    /// Region in the credential scope (`us-east-1`).
    public var region: String
    /// Signing name of the service (`monitoring`, `logs`, `s3`, …).
    public var service: String
    /// Non-S3 rule: remove dot segments and empty segments, then encode the wire path again. S3: neither.
    public var normalizePath: Bool
    public var doubleEncodePath: Bool
    /// Add and sign `x-amz-content-sha256` (S3 needs it; other services ignore it).
    public var addContentSHA256Header: Bool

    public init(region: String, service: String) {
        self.region = region
        self.service = service
        let s3 = service == "s3"
        normalizePath = !s3
        doubleEncodePath = !s3
        addContentSHA256Header = s3
    }

    /// What signing produced, with the intermediate texts for debugging (none of them contains the secret).
    public struct Signed: Sendable {
        /// Headers to add to the request: X-Amz-Date, X-Amz-Security-Token (temporary credentials),
        /// X-Amz-Content-Sha256 (when asked) and Authorization. `Host` is signed but not returned:
        /// the HTTP stack sends it from the URL.
        public var headers: [(name: String, value: String)]
        public var canonicalRequest: String
        public var stringToSign: String
        public var signedHeaders: String
        public var signature: String
        public var authorization: String
        public var amzDate: String
    }

    // MARK: Signing an HTTP request

    /// Signs a request for `url`. `headers` are the headers the request will carry besides the ones
    /// signing adds; they are all signed except the hop-by-hop ones. `Host` is taken from the URL
    /// (with the port when it is not the scheme's default) unless given.
    public func sign(method: String, url: URL, headers: [(name: String, value: String)], body: Data,
                     credentials: Credentials, date: Date) -> Signed {
        sign(method: method, url: url, headers: headers, payloadHash: SHA256.hex(body), credentials: credentials, date: date)
    }

    public func sign(method: String, url: URL, headers: [(name: String, value: String)], payloadHash: String,
                     credentials: Credentials, date: Date) -> Signed {
        let comps = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let path = comps?.percentEncodedPath ?? "/"
        let query = comps?.percentEncodedQuery
        return sign(method: method, path: path, query: query, host: SigV4.hostHeader(url),
                    headers: headers, payloadHash: payloadHash, credentials: credentials, date: date)
    }

    /// Signs a request given by its wire path (`/a%20b`), raw query (without `?`) and host.
    public func sign(method: String, path: String, query: String?, host: String?, headers: [(name: String, value: String)],
                     payloadHash: String, credentials: Credentials, date: Date) -> Signed {
        let amzDate = SigV4.amzDate(date)
        var all = headers
        var added: [(name: String, value: String)] = [("X-Amz-Date", amzDate)]
        if let token = credentials.sessionToken, !token.isEmpty { added.append(("X-Amz-Security-Token", token)) }
        if addContentSHA256Header { added.append(("X-Amz-Content-Sha256", payloadHash)) }
        let lower = Set(all.map { $0.name.lowercased() })
        added.removeAll { lower.contains($0.name.lowercased()) }
        all += added
        if let host, !lower.contains("host") { all.append(("Host", host)) }
        let (canonHeaders, signedHeaders) = SigV4.canonicalHeaders(all)
        let canonical = [method.uppercased(), canonicalURI(path), SigV4.canonicalQuery(query ?? ""), canonHeaders,
                         signedHeaders, payloadHash].joined(separator: "\n")
        let scope = credentialScope(amzDate)
        let sts = [SigV4.algorithm, amzDate, scope, SHA256.hex(canonical)].joined(separator: "\n")
        let signature = AWS.hex(HMACSHA256.mac(key: signingKey(secret: credentials.secretAccessKey, date: String(amzDate.prefix(8))), message: sts))
        let auth = "\(SigV4.algorithm) Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signed(headers: added + [("Authorization", auth)], canonicalRequest: canonical, stringToSign: sts,
                      signedHeaders: signedHeaders, signature: signature, authorization: auth, amzDate: amzDate)
    }

    /// A presigned URL (query-string authentication): signs `host` only, payload hash as given
    /// (`UNSIGNED-PAYLOAD` for S3).
    public func presign(method: String = "GET", url: URL, expires: Int, credentials: Credentials, date: Date,
                        payloadHash: String? = nil) -> URL {
        var comps = URLComponents(url: url, resolvingAgainstBaseURL: false)!
        let amzDate = SigV4.amzDate(date)
        let scope = credentialScope(amzDate)
        var params: [(String, String)] = [
            ("X-Amz-Algorithm", SigV4.algorithm), ("X-Amz-Credential", "\(credentials.accessKeyId)/\(scope)"),
            ("X-Amz-Date", amzDate), ("X-Amz-Expires", String(expires)), ("X-Amz-SignedHeaders", "host"),
        ]
        if let token = credentials.sessionToken, !token.isEmpty { params.append(("X-Amz-Security-Token", token)) }
        let extra = params.map { SigV4.uriEncode($0.0) + "=" + SigV4.uriEncode($0.1) }.joined(separator: "&")
        let query = [comps.percentEncodedQuery, extra].compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: "&")
        let host = SigV4.hostHeader(url)
        let hash = payloadHash ?? (service == "s3" ? "UNSIGNED-PAYLOAD" : SigV4.emptyPayloadHash)
        let canonical = [method.uppercased(), canonicalURI(comps.percentEncodedPath), SigV4.canonicalQuery(query),
                         "host:\(host)\n", "host", hash].joined(separator: "\n")
        let sts = [SigV4.algorithm, amzDate, scope, SHA256.hex(canonical)].joined(separator: "\n")
        let signature = AWS.hex(HMACSHA256.mac(key: signingKey(secret: credentials.secretAccessKey, date: String(amzDate.prefix(8))), message: sts))
        comps.percentEncodedQuery = query + "&X-Amz-Signature=" + signature
        return comps.url!
    }

    // MARK: Parts

    public func credentialScope(_ amzDate: String) -> String { "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request" }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    public func signingKey(secret: String, date: String) -> [UInt8] {
        let kDate = HMACSHA256.mac(key: Array(("AWS4" + secret).utf8), message: date)
        let kRegion = HMACSHA256.mac(key: kDate, message: region)
        let kService = HMACSHA256.mac(key: kRegion, message: service)
        return HMACSHA256.mac(key: kService, message: "aws4_request")
    }

    /// The canonical URI of a wire path.
    public func canonicalURI(_ wirePath: String) -> String {
        var path = wirePath.isEmpty ? "/" : wirePath
        if normalizePath { path = SigV4.normalize(path) }
        if doubleEncodePath { return SigV4.uriEncode(path, keepSlash: true) }
        // S3: encode each segment once, keeping any escapes already present.
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .map { SigV4.uriEncode(SigV4.percentDecode(String($0))) }.joined(separator: "/")
    }

    /// RFC 3986 remove_dot_segments, also collapsing empty segments; keeps a trailing slash.
    public static func normalize(_ path: String) -> String {
        var out: [Substring] = []
        let segs = path.split(separator: "/", omittingEmptySubsequences: true)
        for s in segs {
            if s == "." { continue }
            if s == ".." { if !out.isEmpty { out.removeLast() }; continue }
            out.append(s)
        }
        var r = "/" + out.joined(separator: "/")
        if path.hasSuffix("/") && !out.isEmpty { r += "/" }
        if (path.hasSuffix("/.") || path.hasSuffix("/..")) && !out.isEmpty { r += "/" }
        return r
    }

    /// Canonical query: decode each pair, encode name and value strictly, sort by name then value.
    public static func canonicalQuery(_ query: String) -> String {
        if query.isEmpty { return "" }
        var pairs: [(String, String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let s = String(part)
            let (n, v): (String, String)
            if let eq = s.firstIndex(of: "=") {
                n = String(s[..<eq]); v = String(s[s.index(after: eq)...])
            } else {
                n = s; v = ""
            }
            pairs.append((uriEncode(percentDecode(n)), uriEncode(percentDecode(v))))
        }
        pairs.sort { $0.0 != $1.0 ? Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) : Array($0.1.utf8).lexicographicallyPrecedes(Array($1.1.utf8)) }
        return pairs.map { $0.0 + "=" + $0.1 }.joined(separator: "&")
    }

    /// Canonical headers (each `name:value` + LF) and the signed-header list. Names lower-cased; values
    /// trimmed with inner whitespace runs (folded lines included) collapsed; repeated names joined by `,`.
    public static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (String, String) {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for h in headers {
            let n = h.name.lowercased().trimmingCharacters(in: .whitespaces)
            if unsignedHeaders.contains(n) { continue }
            if values[n] == nil { order.append(n) }
            values[n, default: []].append(collapse(h.value))
        }
        order.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let text = order.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return (text, order.joined(separator: ";"))
    }

    static func collapse(_ v: String) -> String {
        var out = ""
        var space = false
        for c in v.unicodeScalars {
            if c == " " || c == "\t" || c == "\n" || c == "\r" {
                space = true
            } else {
                if space && !out.isEmpty { out += " " }
                space = false
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// SigV4 UriEncode: unreserved bytes `A-Z a-z 0-9 - _ . ~` kept, all others `%XY` (upper-case hex);
    /// `/` kept only when `keepSlash`.
    public static func uriEncode(_ s: String, keepSlash: Bool = false) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            switch b {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x5F, 0x2E, 0x7E: out.append(b)
            case 0x2F where keepSlash: out.append(b)
            default: out += [0x25, hex[Int(b >> 4)], hex[Int(b & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XY` escapes (not `+`); malformed escapes are kept as they are.
    public static func percentDecode(_ s: String) -> String {
        guard s.contains("%") else { return s }
        let u = Array(s.utf8)
        var out = [UInt8]()
        var i = 0
        while i < u.count {
            if u[i] == 0x25, i + 2 < u.count, let b = AWS.bytes(hex: String(decoding: u[(i + 1)...(i + 2)], as: UTF8.self)) {
                out.append(b[0]); i += 3
            } else {
                out.append(u[i]); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `host` or `host:port` when the port is not the scheme's default; IPv6 hosts in brackets.
    public static func hostHeader(_ url: URL) -> String {
        var host = url.host ?? ""
        if host.contains(":") && !host.hasPrefix("[") { host = "[\(host)]" }
        if let port = url.port {
            let scheme = url.scheme?.lowercased()
            if !((scheme == "http" && port == 80) || (scheme == "https" && port == 443)) { host += ":\(port)" }
        }
        return host
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    public static func amzDate(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        func p(_ v: Int32, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return p(tm.tm_year + 1900, 4) + p(tm.tm_mon + 1, 2) + p(tm.tm_mday, 2) + "T" + p(tm.tm_hour, 2) + p(tm.tm_min, 2) + p(tm.tm_sec, 2) + "Z"
    }

    /// Parses `YYYYMMDDTHHMMSSZ`.
    public static func date(amz: String) -> Date? {
        let u = Array(amz.utf8)
        guard u.count == 16, u[8] == UInt8(ascii: "T"), u[15] == UInt8(ascii: "Z") else { return nil }
        func n(_ r: Range<Int>) -> Int32? { Int32(String(decoding: u[r], as: UTF8.self)) }
        guard let y = n(0..<4), let mo = n(4..<6), let d = n(6..<8), let h = n(9..<11), let mi = n(11..<13), let s = n(13..<15) else { return nil }
        var tm = tm()
        tm.tm_year = y - 1900; tm.tm_mon = mo - 1; tm.tm_mday = d; tm.tm_hour = h; tm.tm_min = mi; tm.tm_sec = s
        return Date(timeIntervalSince1970: TimeInterval(timegm(&tm)))
    }
}
