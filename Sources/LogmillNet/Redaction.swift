import Foundation

/// The one place that decides what of a URL, a header or an echoed answer may be shown. Every sink
/// label, `--dry-run` text, error and outcome message goes through here, so a secret given to
/// logmill (a password in a URL, a token in a query, an `Authorization` header, a SigV4 signature)
/// never reaches the terminal, a log or a CI transcript.
public enum Redaction {
    /// What a hidden value is shown as.
    public static let mask = "***"

    /// Query parameter names whose values are credentials (compared lower-cased).
    static let secretQueryNames: Set<String> = [
        "token", "access_token", "refresh_token", "id_token", "api_key", "apikey", "api-key", "key", "signature", "sig",
        "x-amz-signature", "x-amz-security-token", "x-amz-credential", "password", "passwd", "pwd", "secret", "client_secret",
        "auth", "authorization",
    ]

    /// Whether a query parameter named `name` carries a credential: a known name, or one that says
    /// token, secret, password or signature.
    public static func isSecretQueryName(_ name: String) -> Bool {
        let n = name.lowercased()
        return secretQueryNames.contains(n) || ["token", "secret", "password", "signature", "apikey", "api_key"].contains { n.contains($0) }
    }

    /// Whether a header named `name` carries a credential (`Authorization`, `X-Amz-Security-Token`,
    /// `X-Api-Key`, cookies, anything naming a token, key, secret, password or signature).
    public static func isSecretHeaderName(_ name: String) -> Bool {
        let n = name.lowercased()
        if ["authorization", "proxy-authorization", "cookie", "set-cookie"].contains(n) { return true }
        return ["token", "secret", "password", "signature", "key", "auth", "credential", "session"].contains { n.contains($0) }
    }

    /// `value`, or `***` when the header `name` carries a credential.
    public static func headerValue(name: String, value: String) -> String {
        isSecretHeaderName(name) ? mask : value
    }

    /// `Name: value` with credential values shown as `***`.
    public static func header(_ name: String, _ value: String) -> String { "\(name): \(headerValue(name: name, value: value))" }

    /// `url` with its user information (`user:password@`) shown as `***@` and the values of
    /// credential query parameters as `***`. Text that is not a URL comes back unchanged.
    public static func url(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(where: { "/?#".contains($0) }) ?? url.endIndex
        var out = String(url[..<schemeEnd.upperBound])
        let authority = url[schemeEnd.upperBound..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            out += mask + "@" + authority[authority.index(after: at)...]
        } else {
            out += authority
        }
        var rest = url[authorityEnd...]
        guard let q = rest.firstIndex(of: "?") else { return out + rest }
        out += rest[...q]
        rest = rest[rest.index(after: q)...]
        let fragment = rest.firstIndex(of: "#")
        let query = rest[..<(fragment ?? rest.endIndex)]
        out += query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let eq = pair.firstIndex(of: "=") else { return String(pair) }
            let name = String(pair[..<eq]).removingPercentEncoding ?? String(pair[..<eq])
            return isSecretQueryName(name) ? pair[...eq] + mask : String(pair)
        }.joined(separator: "&")
        if let fragment { out += rest[fragment...] }
        return out
    }

    public static func url(_ u: URL) -> String { url(u.absoluteString) }

    /// `text` with every URL in it (`scheme://…` up to white space or a quote) redacted as `url(_:)` does.
    public static func urls(in text: String) -> String {
        guard text.contains("://") else { return text }
        var out = ""
        var rest = Substring(text)
        while let sep = rest.range(of: "://") {
            // The scheme: letters, digits, `+`, `-`, `.` before `://`.
            var start = sep.lowerBound
            while start > rest.startIndex {
                let before = rest.index(before: start)
                let c = rest[before]
                guard c.isASCII, c.isLetter || c.isNumber || "+-.".contains(c) else { break }
                start = before
            }
            var end = rest[sep.upperBound...].firstIndex(where: { $0.isWhitespace || "\"'<>`".contains($0) }) ?? rest.endIndex
            // Punctuation ending a sentence is not part of the URL.
            while end > sep.upperBound, ".,;:!?)]".contains(rest[rest.index(before: end)]) { end = rest.index(before: end) }
            out += rest[..<start]
            out += url(String(rest[start..<end]))
            rest = rest[end...]
        }
        return out + rest
    }

    /// The credential values `request` carries, as they could come back in an echo: values of
    /// credential headers (and their token part after `Bearer `/`Basic `, and basic auth decoded),
    /// the URL's user and password, credential query values (raw and decoded), and a SigV4
    /// `Signature=`/`Credential=`.
    public static func secrets(of request: HTTPRequest) -> [String] {
        var out: [String] = []
        for h in request.headers where isSecretHeaderName(h.name) {
            out.append(h.value)
            let words = h.value.split(separator: " ", maxSplits: 1).map(String.init)
            if words.count == 2 {
                out.append(words[1])
                if words[0].lowercased() == "basic", let data = Data(base64Encoded: words[1]) {
                    let pair = String(decoding: data, as: UTF8.self)
                    out.append(pair)
                    out += pair.split(separator: ":", maxSplits: 1).map(String.init)
                }
                // SigV4: `AWS4-HMAC-SHA256 Credential=AKID/…, SignedHeaders=…, Signature=hex`.
                for part in words[1].split(separator: ",") {
                    let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
                    if kv.count == 2, ["signature", "credential"].contains(kv[0].lowercased()) { out.append(kv[1]) }
                }
            }
        }
        if let c = URLComponents(url: request.url, resolvingAgainstBaseURL: false) {
            out += [c.user, c.password, c.percentEncodedUser, c.percentEncodedPassword].compactMap { $0 }
            // The client may send URL user information as `Authorization: Basic base64(user:password)`.
            if let user = c.user {
                let pair = user + ":" + (c.password ?? "")
                out += [pair, Data(pair.utf8).base64EncodedString()]
            }
            for item in c.queryItems ?? [] where isSecretQueryName(item.name) { out += [item.value].compactMap { $0 } }
            for pair in (c.percentEncodedQuery ?? "").split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 2, isSecretQueryName(kv[0].removingPercentEncoding ?? kv[0]) { out.append(kv[1]) }
            }
        }
        // Short values (`a`, `ok`) would mangle every message without hiding anything worth hiding.
        return Array(Set(out.filter { $0.count >= 3 })).sorted { $0.count > $1.count }
    }

    /// `text` with each of `secrets` (exact substrings, longest first) replaced by `***`, and its URLs redacted.
    public static func scrub(_ text: String, secrets: [String]) -> String {
        var t = text
        for s in secrets where !s.isEmpty && t.contains(s) { t = t.replacingOccurrences(of: s, with: mask) }
        return urls(in: t)
    }

    /// How many bytes of an answer's body an error message shows.
    public static let echoLimit = 512

    /// An answer's body for a message: at most `limit` bytes (cut on a character boundary) then
    /// `…(N more bytes)`, with the request's secrets and any URL redacted.
    public static func echo(_ body: Data, secrets: [String], limit: Int = echoLimit) -> String {
        var cut = min(body.count, limit)
        // Back off to a UTF-8 boundary (not a continuation byte).
        while cut < body.count && cut > 0 && body[body.startIndex + cut] & 0xC0 == 0x80 { cut -= 1 }
        // Scrub the whole body first: a secret straddling the cut must not show its first half.
        let whole = scrub(String(decoding: body, as: UTF8.self), secrets: secrets)
        let head = scrub(String(decoding: body.prefix(cut), as: UTF8.self), secrets: secrets)
        let shown = whole.hasPrefix(head) ? head : String(whole.prefix(head.count))
        let rest = body.count - cut
        return rest > 0 ? shown + "…(\(rest) more bytes)" : shown
    }
}
