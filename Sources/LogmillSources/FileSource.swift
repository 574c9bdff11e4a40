#if canImport(Glibc)
import Glibc
#endif

/// Local files: paths, directories (read recursively) and globs with `*`, `?`, `[...]` and `**`.
/// Each file is listed once, however many patterns or links reach it (by device and inode). What a
/// directory walk or glob cannot read is listed too, as `unreadable`: reading it reports why.
public struct FileSource: ObjectSource {
    public let patterns: [String]
    /// Labels every listed object gets (e.g. `@log` from `source: … as GROUP`).
    public let labels: [String: String]

    public init(patterns: [String], labels: [String: String] = [:]) {
        self.patterns = patterns
        self.labels = labels
    }

    public var description: String { "files " + patterns.joined(separator: " ") }
    public var canReadRanges: Bool { true }

    public func list() throws -> [SourceObject] {
        var out: [SourceObject] = []
        var seen = Set<ObjectIdentity>()
        for file in try InputResolver.expand(patterns) {
            let id = FileSource.identity(of: file.path)
            guard seen.insert(id).inserted else { continue }
            var labels = self.labels
            if labels[SourceLabel.logStream] == nil, let stream = FileSource.streamFromPath(file.path) { labels[SourceLabel.logStream] = stream }
            var object = SourceObject(name: file.path, locator: file.path, size: file.size, identity: id, labels: labels, source: self)
            object.unreadable = file.problem
            out.append(object)
        }
        return out
    }

    public func open(_ object: SourceObject, range: Range<Int>?) throws -> ByteStream {
        if let range { return try FileStream(path: object.locator, range: range) }
        return try FileStream(path: object.locator)
    }

    /// Device and inode of a file (what survives a rename); the path when `stat` fails.
    public static func identity(of path: String) -> ObjectIdentity {
        var st = stat()
        guard stat(path, &st) == 0 else { return ObjectIdentity(kind: "file", key: "path:" + path) }
        return ObjectIdentity(kind: "file", key: "\(st.st_dev):\(st.st_ino)")
    }

    /// `@logStream` from a CloudWatch Logs export path (`…/<stream>/000000.gz`): the folder that holds it.
    public static func streamFromPath(_ path: String) -> String? {
        let parts = path.split(separator: "/")
        guard parts.count >= 2, let last = parts.last, last.hasPrefix("0000") else { return nil }
        return String(parts[parts.count - 2])
    }
}

/// Standard input: one object, read once, front to back.
public struct StandardInputSource: ObjectSource {
    public let labels: [String: String]
    public init(labels: [String: String] = [:]) { self.labels = labels }
    public var description: String { "standard input" }
    public var canReadRanges: Bool { false }
    public func list() throws -> [SourceObject] {
        [SourceObject(name: "(stdin)", locator: "-", size: nil, identity: ObjectIdentity(kind: "stdin", key: ""), labels: labels, source: self)]
    }
    public func open(_ object: SourceObject, range: Range<Int>?) throws -> ByteStream {
        if let range, range.lowerBound > 0 { throw SourceError(path: "(stdin)", message: "standard input cannot be read from an offset") }
        return try FileStream(path: "-")
    }
}

/// Builds the sources for command-line inputs: `-` is standard input, anything else files.
public enum SourceArguments {
    public static func sources(_ arguments: [String], labels: [String: String] = [:]) -> [any ObjectSource] {
        var out: [any ObjectSource] = []
        var files: [String] = []
        for a in arguments {
            if a == "-" { out.append(StandardInputSource(labels: labels)) } else { files.append(a) }
        }
        if !files.isEmpty { out.insert(FileSource(patterns: files, labels: labels), at: 0) }
        return out
    }

    /// The objects named by command-line inputs (paths, directories, globs, `-`), in order, each once.
    public static func objects(_ arguments: [String]) throws -> [SourceObject] { try list(sources(arguments)) }

    /// Lists every source's objects, in order, each object once.
    public static func list(_ sources: [any ObjectSource]) throws -> [SourceObject] {
        var out: [SourceObject] = []
        var seen = Set<ObjectIdentity>()
        for s in sources {
            for o in try s.list() where o.identity.kind == "stdin" || seen.insert(o.identity).inserted { out.append(o) }
        }
        return out
    }
}
