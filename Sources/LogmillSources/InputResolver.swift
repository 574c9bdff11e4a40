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
    public init(path: String, size: Int?) {
        self.path = path
        self.size = size
    }
    public var isStandardInput: Bool { path == "-" }
}

/// Expands command-line inputs: files, directories (recursively), globs with `*`, `?`, `[...]` and `**`, and `-`.
public enum InputResolver {
    public static func expand(_ arguments: [String]) throws -> [InputFile] {
        var out: [InputFile] = []
        var seen = Set<String>()
        func add(_ path: String) {
            guard seen.insert(path).inserted else { return }
            out.append(InputFile(path: path, size: fileSize(path)))
        }
        for arg in arguments {
            if arg == "-" { add("-"); continue }
            if isGlob(arg) {
                let matches = glob(arg)
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
                add(arg)
            }
        }
        return out
    }

    static func fileSize(_ path: String) -> Int? {
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path),
              (attrs[.type] as? FileAttributeType) == .typeRegular,
              let n = attrs[.size] as? NSNumber else { return nil }
        return n.intValue
    }

    /// Regular files below `dir`, sorted, hidden files skipped.
    static func filesBelow(_ dir: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: dir) else { return [] }
        var files: [String] = []
        while let rel = walker.nextObject() as? String {
            let last = (rel as NSString).lastPathComponent
            if last.hasPrefix(".") { walker.skipDescendants(); continue }
            let full = dir.hasSuffix("/") ? dir + rel : dir + "/" + rel
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue {
                files.append(full)
            }
        }
        return files.sorted()
    }

    static func isGlob(_ s: String) -> Bool { s.contains("*") || s.contains("?") || s.contains("[") }

    /// Matches a glob against the file system. `**` matches any number of directories.
    public static func glob(_ pattern: String) -> [String] {
        let absolute = pattern.hasPrefix("/")
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var results: [String] = []
        // Directories already walked for a `**`, by device and inode: a symlink loop is walked once.
        var walked = Set<String>()
        func walk(_ base: String, _ index: Int) {
            if index == parts.count {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: base, isDirectory: &isDir) {
                    if isDir.boolValue { results.append(contentsOf: filesBelow(base)) } else { results.append(base) }
                }
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
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: dirPath) else { return }
                for name in names.sorted() where !name.hasPrefix(".") {
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
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dirPath) else { return }
            for name in names.sorted() where !(name.hasPrefix(".") && !part.hasPrefix(".")) {
                if globMatch(Array(part.utf8), Array(name.utf8)) {
                    let p = join(name)
                    if index + 1 == parts.count {
                        var isDir: ObjCBool = false
                        FileManager.default.fileExists(atPath: p, isDirectory: &isDir)
                        if isDir.boolValue { results.append(contentsOf: filesBelow(p)) } else { results.append(p) }
                    } else {
                        walk(p, index + 1)
                    }
                }
            }
        }
        walk("", 0)
        var seen = Set<String>()
        return results.filter { seen.insert($0).inserted }
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
