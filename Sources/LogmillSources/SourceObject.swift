#if canImport(Glibc)
import Glibc
#endif

/// One object that records come from: a file, standard input, and later an S3 object, a CloudWatch
/// Logs stream or a URL. Everything the scan and the job engine need to know about it travels with it:
/// how to show it, how to reopen it, what identifies it across runs, and the labels its records carry.
public struct SourceObject: Sendable {
    /// How people see it: a path, `(stdin)`, `s3://bucket/key`.
    public let name: String
    /// What its source needs to open it again (a path for files).
    public let locator: String
    /// Its size in raw (possibly compressed) bytes, when known before reading.
    public var size: Int?
    /// What identifies it across renames and runs, as far as the source can tell without reading it.
    public var identity: ObjectIdentity
    /// Labels its records carry, e.g. `@log` (log group) and `@logStream`.
    public var labels: [String: String]
    /// The source that listed it, which opens it.
    public let source: any ObjectSource
    /// Where in its decoded bytes to start reading (a checkpoint); 0 reads it all.
    public var readFrom = 0
    /// Whether the object is complete as it is: when false, a last line without its newline is left
    /// for a later read (a file still being written), and the scan reports where it stopped.
    public var isSettled = true
    /// Why it cannot be read, when listing found that out (a directory that cannot be listed, a link
    /// to nothing): opening it throws this, so the scan reports it with the inputs it could not read.
    public var unreadable: String?

    public init(name: String, locator: String, size: Int?, identity: ObjectIdentity, labels: [String: String] = [:], source: any ObjectSource) {
        self.name = name
        self.locator = locator
        self.size = size
        self.identity = identity
        self.labels = labels
        self.source = source
    }

    /// Whether ranges of it can be read independently (so a large object can be split between workers).
    public var isSeekable: Bool { source.canReadRanges && size != nil }

    /// Opens its raw bytes (before decompression), optionally only `range`.
    public func open(range: Range<Int>? = nil) throws -> ByteStream {
        if let unreadable { throw SourceError(path: name, message: unreadable) }
        return try source.open(self, range: range)
    }
}

/// Label names every source uses for the fields its records get.
public enum SourceLabel {
    /// `@log`: the log group.
    public static let logGroup = "@log"
    /// `@logStream`.
    public static let logStream = "@logStream"
}

/// What identifies an object beyond its name. Files: the device and inode (which survive a rename);
/// remote objects: an ETag or version. A content fingerprint (`ContentFingerprint`) is taken when
/// the object is read, since only then are its first bytes known.
public struct ObjectIdentity: Sendable, Hashable, CustomStringConvertible {
    public var kind: String
    /// Kind-specific: `dev:inode` for files, an ETag for S3 objects, empty for standard input.
    public var key: String
    public init(kind: String, key: String) {
        self.kind = kind
        self.key = key
    }
    public var description: String { key.isEmpty ? kind : "\(kind):\(key)" }
}

/// Where objects come from. One conformance per kind of source (files, standard input, S3, CloudWatch
/// Logs, HTTP); the scan knows nothing else about them.
public protocol ObjectSource: Sendable {
    /// A short description, e.g. `files logs/**/*.gz`.
    var description: String { get }
    /// Whether `open(_:range:)` accepts a byte range.
    var canReadRanges: Bool { get }
    /// The objects there are now, in a stable order.
    func list() throws -> [SourceObject]
    /// The raw bytes of `object` (all of them, or `range`).
    func open(_ object: SourceObject, range: Range<Int>?) throws -> ByteStream
    /// Whether opening an object waits on the network (S3, HTTP): the scan then fetches small objects
    /// several at a time ahead of the workers (`ScanOptions.fetchConcurrency`).
    var fetchesOverNetwork: Bool { get }
}

extension ObjectSource {
    public var fetchesOverNetwork: Bool { false }
}

/// A 64-bit FNV-1a hash of the first bytes of an object's decoded content: with the size read so far it
/// recognises an object that was renamed, rotated or compressed after rotation.
public struct ContentFingerprint: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How many leading bytes the fingerprint covers (fewer when the object is shorter).
    public static let span = 1024
    public var hash: UInt64
    public var length: Int

    public init(_ bytes: UnsafeRawBufferPointer) {
        hash = FNV1a.hash(bytes.prefix(ContentFingerprint.span))
        length = min(bytes.count, ContentFingerprint.span)
    }

    public var description: String {
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex + "/\(length)"
    }
}

/// The 64-bit FNV-1a hash: small, fast, stable across runs and machines; used for content
/// fingerprints, checkpoint tails and the signatures of stored partials and job states.
public enum FNV1a {
    public static func hash<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    /// The hash as 16 hex digits.
    public static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let hex = String(hash(bytes), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
