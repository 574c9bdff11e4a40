import Foundation
import LogmillAWS
import LogmillNet
import LogmillSources
import LogmillTime
#if canImport(FoundationXML)
import FoundationXML
#endif

/// One object as ListObjectsV2 lists it.
public struct S3ObjectInfo: Sendable, Equatable {
    public var key: String
    public var size: Int
    /// With its quotes, as S3 gives it (not always an MD5: multipart and SSE-KMS objects differ).
    public var etag: String
    public var lastModified: String
}

/// A failed S3 request: the service's error code (`NoSuchBucket`, `AccessDenied`, `SlowDown`, …) and
/// message, naming what was asked for. Never carries a credential: the message comes through the
/// answer's redaction and the target is `s3://bucket/key`, not a signed URL.
public struct S3Error: Error, CustomStringConvertible, Sendable {
    public let target: String
    public let status: Int?
    public let code: String?
    public let message: String
    public var description: String {
        var s = "S3"
        if let code { s += " \(code)" }
        if let status { s += " (HTTP \(status))" }
        return message.isEmpty ? s : s + ": " + message
    }
}

/// The read side of S3 that sources need: ListObjectsV2 and ranged GetObject, signed with SigV4
/// through the shared `HTTPClient` (whose retries cover `SlowDown`, 5xx and dropped connections, waiting
/// on the injected clock). Region, endpoint and credentials follow the AWS CLI's rules, as the CloudWatch
/// sink does: `AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL` or the profile's endpoint override the default.
///
/// Addressing: path-style (`endpoint/bucket/key`) with an endpoint override (moto, MinIO) or a bucket
/// whose name has dots (virtual-hosted HTTPS would fail certificate matching); virtual-hosted
/// (`bucket.s3.region.amazonaws.com/key`) otherwise.
public final class S3Client: @unchecked Sendable {
    public let region: String
    /// The endpoint override, when one is configured (then addressing is path-style).
    public let endpoint: URL?
    public let client: HTTPClient
    public let clock: any Clock
    private let credentials: CredentialProvider
    /// Counts objects listed and fetched, requests, retries and bytes (`--stats`); set before use.
    public private(set) var transfers: TransferCounter?

    /// This client, counting into `transfers` (nil: not counting).
    public func counting(_ transfers: TransferCounter?) -> S3Client {
        guard let transfers else { return self }
        self.transfers = transfers
        _ = client.counting(transfers, as: "s3")
        return self
    }

    /// Fewer, longer attempts than the sinks: a GET of a large range may take a while, and a read
    /// that fails for good only costs this object.
    public static var retryPolicy: RetryPolicy {
        var p = RetryPolicy()
        p.maxAttempts = 4
        p.baseDelay = 0.5
        p.maxDelay = 10
        p.timeout = 60
        return p
    }

    /// Connections per host a source's client keeps: room for `--fetch-concurrency` (at most 256)
    /// fetches and the workers' ranged reads.
    public static let maxConnections = 64

    public init(region: String, endpoint: URL?, credentials: CredentialProvider, clock: any Clock, client: HTTPClient? = nil) {
        self.region = region
        self.endpoint = endpoint
        self.credentials = credentials
        self.clock = clock
        self.client = client ?? HTTPClient(policy: S3Client.retryPolicy, clock: clock, maxConnectionsPerHost: S3Client.maxConnections)
    }

    /// A client configured as the AWS CLI would be by `environment` and `~/.aws` (region defaults to
    /// us-east-1, as S3's global endpoint does).
    public convenience init(environment: [String: String], clock: any Clock, client: HTTPClient? = nil) throws {
        let config = AWSSharedConfig(environment: environment)
        let region = config.region ?? "us-east-1"
        let resolved = try AWSEndpoints.resolve(.s3, region: region, config: config)
        self.init(region: region, endpoint: resolved.source == "default" ? nil : resolved.url,
                  credentials: CredentialProvider(chain: CredentialChain(config: config)), clock: clock, client: client)
    }

    /// The URL of `key` in `bucket` (key `""`: the bucket), with an already encoded `query`.
    public func url(bucket: String, key: String, query: String? = nil) -> URL {
        // Each `/`-separated segment encoded on its own; keys are never normalised (`//`, `./` stay).
        let path = key.split(separator: "/", omittingEmptySubsequences: false).map { SigV4.uriEncode(String($0)) }.joined(separator: "/")
        var s: String
        if let endpoint {
            s = endpoint.absoluteString
            while s.hasSuffix("/") { s.removeLast() }
            s += "/" + SigV4.uriEncode(bucket) + (key.isEmpty ? "" : "/" + path)
        } else if bucket.contains(".") {
            s = AWSEndpoints.defaultURL(.s3, region: region).absoluteString + "/" + bucket + (key.isEmpty ? "" : "/" + path)
        } else {
            let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
            s = "https://\(bucket).s3.\(region).\(suffix)/" + path
        }
        if let query, !query.isEmpty { s += "?" + query }
        return URL(string: s)!
    }

    /// Sends one signed request and returns the answer whatever its status; throws `S3Error` when no
    /// answer could be had (no credentials, the endpoint unreachable after the retries).
    public func send(_ method: String, bucket: String, key: String, query: String? = nil, headers: [(name: String, value: String)] = [],
                     body: Data = Data()) throws -> HTTPResponse {
        let target = "s3://\(bucket)/\(key)"
        let creds: Credentials
        do { creds = try credentials.credentials(now: clock.date()) } catch {
            throw S3Error(target: target, status: nil, code: nil, message: "no credentials: \(error)")
        }
        let u = url(bucket: bucket, key: key, query: query)
        let signed = SigV4(region: region, service: AWSService.s3.signingName)
            .sign(method: method, url: u, headers: headers, body: body, credentials: creds, date: clock.date())
        do {
            return try client.send(HTTPRequest(method: method, url: u, headers: headers + signed.headers, body: body))
        } catch let e as HTTPError {
            throw S3Error(target: target, status: e.status, code: e.code, message: e.message + (e.attempts > 1 ? " (after \(e.attempts) attempts)" : ""))
        }
    }

    /// The error of a non-2xx answer: `<Code>` and `<Message>` of S3's XML (HEAD answers have no body:
    /// the status alone then).
    public static func error(_ r: HTTPResponse, target: String) -> S3Error {
        let text = r.text
        var code = XMLText.element("Code", in: text)
        if code == nil {
            switch r.status {
            case 404: code = "NotFound"
            case 403: code = "Forbidden"
            default: break
            }
        }
        let message = XMLText.element("Message", in: text).map { r.shown($0) } ?? ""
        return S3Error(target: target, status: r.status, code: code, message: message)
    }

    // MARK: ListObjectsV2

    /// Every object under `prefix`, in key order, following continuation tokens. Keys come URL-encoded
    /// (`encoding-type=url`: keys may hold characters XML 1.0 cannot carry) and are decoded here.
    public func list(bucket: String, prefix: String) throws -> [S3ObjectInfo] {
        var out: [S3ObjectInfo] = []
        var token: String?
        repeat {
            var query = "list-type=2&encoding-type=url&prefix=" + SigV4.uriEncode(prefix)
            if let token { query += "&continuation-token=" + SigV4.uriEncode(token) }
            let r = try send("GET", bucket: bucket, key: "", query: query)
            guard (200..<300).contains(r.status) else { throw S3Client.error(r, target: "s3://\(bucket)/\(prefix)") }
            guard let page = ListPage.parse(r.body) else {
                throw S3Error(target: "s3://\(bucket)/\(prefix)", status: r.status, code: nil, message: "the listing's XML could not be read")
            }
            out += page.objects
            token = page.truncated ? page.next : nil
        } while token != nil
        return out
    }

    /// One page of a ListObjectsV2 answer.
    struct ListPage {
        var objects: [S3ObjectInfo] = []
        var truncated = false
        var next: String?
        var urlEncoded = false

        static func parse(_ data: Data) -> ListPage? {
            let delegate = ListParser()
            let parser = XMLParser(data: data)
            parser.delegate = delegate
            guard parser.parse() else { return nil }
            var page = delegate.page
            if page.urlEncoded {
                for i in page.objects.indices { page.objects[i].key = formDecode(page.objects[i].key) }
            }
            return page
        }
    }

    /// Collects `Contents` and the paging fields; everything else is ignored.
    final class ListParser: NSObject, XMLParserDelegate {
        var page = ListPage()
        private var text = ""
        private var current: S3ObjectInfo?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            text = ""
            if name == "Contents" { current = S3ObjectInfo(key: "", size: 0, etag: "", lastModified: "") }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            switch name {
            case "Key": current?.key = text
            case "Size": current?.size = Int(text) ?? 0
            case "ETag": current?.etag = text
            case "LastModified": current?.lastModified = text
            case "Contents": if let c = current { page.objects.append(c) }; current = nil
            case "IsTruncated": page.truncated = text == "true"
            case "NextContinuationToken": page.next = text
            case "EncodingType": page.urlEncoded = text == "url"
            default: break
            }
            text = ""
        }
    }

    /// Form decoding (`+` is a space, then `%XY`), as botocore's `unquote_plus`.
    static func formDecode(_ s: String) -> String {
        SigV4.percentDecode(s.replacingOccurrences(of: "+", with: " "))
    }

    // MARK: GetObject

    /// Bytes `range` of an object; with `etag`, only of that version (`If-Match`: a rewritten object
    /// answers 412 instead of splicing bytes of two versions).
    public func get(bucket: String, key: String, range: Range<Int>, etag: String?) throws -> Data {
        var headers: [(name: String, value: String)] = [("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")]
        if let etag, !etag.isEmpty { headers.append(("If-Match", etag)) }
        let r = try send("GET", bucket: bucket, key: key, headers: headers)
        let target = "s3://\(bucket)/\(key)"
        if r.status == 412 { throw S3Error(target: target, status: 412, code: "PreconditionFailed", message: "the object was rewritten while it was being read") }
        guard r.status == 206 || r.status == 200 else { throw S3Client.error(r, target: target) }
        // A 200 is the whole object (a server that ignores Range): keep the part asked for.
        if r.status == 200 && range.lowerBound > 0 || r.body.count > range.count {
            let lo = r.status == 200 ? range.lowerBound : 0
            guard lo < r.body.count else { return Data() }
            return r.body.subdata(in: lo..<min(r.body.count, lo + range.count))
        }
        return r.body
    }

    /// Stores an object (tests and fixtures; logmill itself only reads).
    public func put(bucket: String, key: String, body: Data) throws {
        let r = try send("PUT", bucket: bucket, key: key, body: body)
        guard (200..<300).contains(r.status) else { throw S3Client.error(r, target: "s3://\(bucket)/\(key)") }
    }

    /// Creates a bucket (tests); one that exists already is fine.
    public func createBucket(_ bucket: String) throws {
        let r = try send("PUT", bucket: bucket, key: "")
        guard (200..<300).contains(r.status) || XMLText.element("Code", in: r.text) == "BucketAlreadyOwnedByYou" else {
            throw S3Client.error(r, target: "s3://\(bucket)")
        }
    }
}
