import Foundation
import LogmillNet
import LogmillSources
import LogmillTime

/// One object per `http(s)://` URL. A HEAD finds its version (ETag, else Last-Modified), size and
/// whether it serves ranges; the identity is the URL with that version, so a scheduled run does not
/// fetch an unchanged URL again, and a changed one is read again from its start (an HTTP object is read
/// whole per version). With `Accept-Ranges: bytes` it is read in bounded ranges like an S3 object;
/// otherwise with one GET, held in memory.
///
/// The URL may carry credentials (`?token=`, `user:password@`): the object's name, messages and the
/// job's state show it redacted (`Redaction`); only the locator, which is never shown, keeps it.
public struct HTTPSource: ObjectSource {
    public let url: URL
    public let labels: [String: String]
    public let client: HTTPClient
    /// Bytes per GET when the server serves ranges.
    public var rangeSize = 8 << 20
    /// Counts what it lists and fetches (`--stats`; requests are counted by its client).
    public var transfers: TransferCounter?

    public init(url: URL, labels: [String: String] = [:], client: HTTPClient) {
        self.url = url
        self.labels = labels
        self.client = client
    }

    public var name: String { Redaction.url(url) }
    public var description: String { "http " + name }
    /// Ranges are asked for only of objects listed with a size (the server said it serves them).
    public var canReadRanges: Bool { true }
    public var fetchesOverNetwork: Bool { true }

    public func list() throws -> [SourceObject] {
        transfers?.listed("http", 1)
        var object = SourceObject(name: name, locator: url.absoluteString, size: nil, identity: identity(version: nil), labels: labels, source: self)
        let response: HTTPResponse
        do {
            response = try client.send(HTTPRequest(method: "HEAD", url: url))
        } catch {
            object.unreadable = "\(error)"
            return [object]
        }
        if (200..<300).contains(response.status) {
            let version = response.headers["etag"] ?? response.headers["last-modified"]
            let length = response.headers["content-length"].flatMap(Int.init)
            object.identity = identity(version: version ?? length.map { "size:\($0)" })
            if response.headers["accept-ranges"]?.lowercased() == "bytes", let length { object.size = length }
        } else if ![405, 501].contains(response.status) {
            // (A server without HEAD is read with one GET, unversioned.)
            object.unreadable = "HTTP \(response.status) from \(HTTPClient.endpoint(url))"
        }
        return [object]
    }

    /// `http`, `redacted-URL#hash-of-URL@version`: the hash tells apart URLs that differ only in a
    /// redacted value, without writing that value to the job's state.
    func identity(version: String?) -> ObjectIdentity {
        ObjectIdentity(kind: "http", key: name + "#" + FNV1a.hex(url.absoluteString.utf8) + "@" + (version ?? ""))
    }

    public func open(_ object: SourceObject, range: Range<Int>?) throws -> ByteStream {
        let name = object.name
        transfers?.fetched("http", object: name)
        guard let size = object.size else {
            let body = try get(headers: [], name: name).body
            let lo = min(range?.lowerBound ?? 0, body.count)
            return MemoryStream(Array(body[lo..<min(body.count, range?.upperBound ?? body.count)]))
        }
        let r = range ?? 0..<size
        let version = object.identity.key.lastIndex(of: "@").map { String(object.identity.key[object.identity.key.index(after: $0)...]) }
        // A strong ETag pins the version: a replaced file answers 412 instead of splicing two versions.
        let pin = version.flatMap { $0.hasPrefix("\"") ? $0 : nil }
        return RangedStream(from: r.lowerBound, to: min(size, r.upperBound), rangeSize: rangeSize) { part in
            var headers: [(name: String, value: String)] = [("Range", "bytes=\(part.lowerBound)-\(part.upperBound - 1)")]
            if let pin { headers.append(("If-Match", pin)) }
            let response = try self.get(headers: headers, name: name)
            if response.status == 200 {
                // The whole body (the server ignored Range): the part asked for.
                let b = response.body
                let lo = min(part.lowerBound, b.count)
                return (b.subdata(in: lo..<min(b.count, part.upperBound)), b.count)
            }
            return (response.body, nil)
        }
    }

    private func get(headers: [(name: String, value: String)], name: String) throws -> HTTPResponse {
        let response: HTTPResponse
        do {
            response = try client.send(HTTPRequest(method: "GET", url: url, headers: headers))
        } catch {
            throw SourceError(path: name, message: "\(error)")
        }
        if response.status == 416 { return HTTPResponse(status: 206, headers: response.headers, body: Data()) }
        if response.status == 412 { throw SourceError(path: name, message: "HTTP 412: the object changed while it was being read") }
        guard (200..<300).contains(response.status) else {
            throw SourceError(path: name, message: "HTTP \(response.status) from \(HTTPClient.endpoint(url))" + (response.body.isEmpty ? "" : ": " + response.echoText))
        }
        return response
    }
}
