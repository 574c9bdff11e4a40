import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One input named on the command line, after directories and globs were expanded.
public struct InputFile: Sendable, Hashable {
    /// The path as opened (`-` for standard input).
    public let path: String
    /// The file's size in bytes, when it is a regular file.
    public let size: Int?
    /// Why it cannot be read, when expanding a directory or glob found that out (a directory that
    /// cannot be listed, a link to nothing, a FIFO): the scan reports it as an input not read.
    public let problem: String?
    public init(path: String, size: Int?, problem: String? = nil) {
        self.path = path
        self.size = size
        self.problem = problem
    }
    public var isStandardInput: Bool { path == "-" }
}

/// Expands command-line inputs: files, directories (recursively), globs with `*`, `?`, `[...]` and `**`, and `-`.
/// What a directory walk or a glob finds but cannot read is listed with its `problem`, never left out
/// silently; the rest is read.
public enum InputResolver {
    public static func expand(_ arguments: [String]) throws -> [InputFile] {
        var out: [InputFile] = []
        var seen = Set<String>()
        func add(_ entry: Entry) {
            guard seen.insert(entry.path).inserted else { return }
            out.append(InputFile(path: entry.path, size: entry.problem == nil ? fileSize(entry.path) : nil, problem: entry.problem))
        }
        for arg in arguments {
            if arg == "-" { add(Entry(path: "-")); continue }
            if isGlob(arg) {
                let matches = globEntries(arg)
                if matches.isEmpty { throw SourceError(path: arg, message: "no file matches this pattern") }
                for m in matches { add(m) }
                continue
            }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: arg, isDirectory: &isDir) else {
                throw SourceError(path: arg, message: "no such file or directory")
            }
            if isDir.boolValue {
                for f in filesBelow(arg) { add(f) }
            } else {
                // Named on its own, anything that opens is read: a FIFO too (`<(zcat …)`).
                add(Entry(path: arg))
            }
        }
        return out
    }

    /// A path a walk found: a file to read, or one it cannot read and why.
    struct Entry {
        var path: String
        var problem: String? = nil
    }

    static func fileSize(_ path: String) -> Int? {
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path),
              (attrs[.type] as? FileAttributeType) == .typeRegular,
              let n = attrs[.size] as? NSNumber else { return nil }
        return n.intValue
    }

    /// What a walk does with a path it came across.
    enum Kind {
        case file, directory, linkToDirectory
        case unreadable(String)
    }

    /// Classifies `path` without opening it. Links are followed to what they point at; a link to
    /// nothing (or to itself), a FIFO, a socket or a device is unreadable here (opening a FIFO would
    /// wait for a writer that never comes).
    static func kind(_ path: String) -> Kind {
        var st = stat()
        guard lstat(path, &st) == 0 else { return .unreadable(reason("cannot be examined")) }
        let isLink = (st.st_mode & S_IFMT) == S_IFLNK
        if isLink && stat(path, &st) != 0 { return .unreadable(reason("is a symbolic link whose target cannot be reached")) }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return isLink ? .linkToDirectory : .directory
        case S_IFIFO: return .unreadable("is a FIFO, not a regular file; name it on its own to read it")
        case S_IFSOCK: return .unreadable("is a socket, not a regular file")
        default: return .unreadable("is a device, not a regular file; name it on its own to read it")
        }
    }

    /// The names in a directory, sorted, or why it cannot be listed.
    static func names(in dir: String) -> Result<[String], SourceError> {
        guard let d = opendir(dir) else { return .failure(SourceError(path: dir, message: reason("is a directory that cannot be read"))) }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names.sorted())
    }

    /// `what` and the current `errno`'s text.
    private static func reason(_ what: String) -> String { "\(what) (\(String(cString: strerror(errno))))" }

    /// Files below `dir`, sorted, hidden entries skipped, links to directories not followed; what
    /// cannot be read is listed with why.
    static func filesBelow(_ dir: String) -> [Entry] {
        var out: [Entry] = []
        func walk(_ dir: String) {
            switch names(in: dir) {
            case .failure(let error): out.append(Entry(path: dir, problem: error.message))
            case .success(let names):
                for name in names where !name.hasPrefix(".") {
                    let full = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                    switch kind(full) {
                    case .file: out.append(Entry(path: full))
                    case .directory: walk(full)
                    case .linkToDirectory: break
                    case .unreadable(let why): out.append(Entry(path: full, problem: why))
                    }
                }
            }
        }
        walk(dir)
        return out.sorted { $0.path < $1.path }
    }

    static func isGlob(_ s: String) -> Bool { s.contains("*") || s.contains("?") || s.contains("[") }

    /// Matches a glob against the file system. `**` matches any number of directories.
    public static func glob(_ pattern: String) -> [String] { globEntries(pattern).filter { $0.problem == nil }.map(\.path) }

    /// Matches a glob against the file system, with what it cannot read (directories it cannot
    /// list, links to nothing, FIFOs) and why.
    static func globEntries(_ pattern: String) -> [Entry] {
        let absolute = pattern.hasPrefix("/")
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var results: [Entry] = []
        /// A match: a file, the files below a directory, or why it cannot be read.
        func found(_ p: String) {
            switch kind(p) {
            case .file: results.append(Entry(path: p))
            case .directory, .linkToDirectory: results.append(contentsOf: filesBelow(p))
            case .unreadable(let why): results.append(Entry(path: p, problem: why))
            }
        }
        // Directories already walked for a `**`, by device and inode: a symlink loop is walked once.
        var walked = Set<String>()
        func walk(_ base: String, _ index: Int) {
            if index == parts.count {
                var st = stat()
                if lstat(base, &st) == 0 { found(base) }
                return
            }
            let part = parts[index]
            let dirPath = base.isEmpty ? (absolute ? "/" : ".") : base
            func join(_ name: String) -> String {
                if base.isEmpty { return absolute ? "/" + name : name }
                return base.hasSuffix("/") ? base + name : base + "/" + name
            }
            if part == "**" {
                var st = stat()
                if stat(dirPath, &st) == 0 {
                    guard walked.insert("\(st.st_dev):\(st.st_ino):\(index)").inserted else { return }
                }
                walk(base, index + 1)
                let names: [String]
                switch InputResolver.names(in: dirPath) {
                case .success(let n): names = n
                case .failure(let error): results.append(Entry(path: dirPath, problem: error.message)); return
                }
                for name in names where !name.hasPrefix(".") {
                    var isDir: ObjCBool = false
                    let p = join(name)
                    if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue {
                        walk(p, index)
                    }
                }
                return
            }
            if !isGlob(part) {
                let p = join(part)
                if FileManager.default.fileExists(atPath: p) { walk(p, index + 1) }
                return
            }
            let names: [String]
            switch InputResolver.names(in: dirPath) {
            case .success(let n): names = n
            case .failure(let error):
                // A folder on the pattern's way that cannot be listed; one that is not there matches nothing.
                if FileManager.default.fileExists(atPath: dirPath) { results.append(Entry(path: dirPath, problem: error.message)) }
                return
            }
            for name in names where !(name.hasPrefix(".") && !part.hasPrefix(".")) {
                if globMatch(Array(part.utf8), Array(name.utf8)) {
                    let p = join(name)
                    if index + 1 == parts.count {
                        found(p)
                    } else {
                        walk(p, index + 1)
                    }
                }
            }
        }
        walk("", 0)
        var seen = Set<String>()
        return results.filter { seen.insert($0.path).inserted }
    }

    /// Matches one path component against a glob component (`*`, `?`, `[abc]`, `[!a-z]`).
    public static func globMatch(_ p: [UInt8], _ s: [UInt8]) -> Bool {
        var pi = 0, si = 0
        var starP = -1, starS = 0
        while si < s.count {
            if pi < p.count {
                let c = p[pi]
                if c == UInt8(ascii: "*") { starP = pi; starS = si; pi += 1; continue }
                if c == UInt8(ascii: "?") { pi += 1; si += 1; continue }
                if c == UInt8(ascii: "["), let (matched, next) = matchClass(p, pi, s[si]) {
                    if matched { pi = next; si += 1; continue }
                } else if c == s[si] { pi += 1; si += 1; continue }
            }
            if starP >= 0 { pi = starP + 1; starS += 1; si = starS; continue }
            return false
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }

    private static func matchClass(_ p: [UInt8], _ start: Int, _ c: UInt8) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < p.count && (p[i] == UInt8(ascii: "!") || p[i] == UInt8(ascii: "^")) { negate = true; i += 1 }
        var matched = false
        var first = true
        while i < p.count && (first || p[i] != UInt8(ascii: "]")) {
            first = false
            let lo = p[i]
            if i + 2 < p.count && p[i + 1] == UInt8(ascii: "-") && p[i + 2] != UInt8(ascii: "]") {
                if lo <= c && c <= p[i + 2] { matched = true }
                i += 3
            } else {
                if lo == c { matched = true }
                i += 1
            }
        }
        guard i < p.count else { return nil }
        return (matched != negate, i + 1)
    }
}
