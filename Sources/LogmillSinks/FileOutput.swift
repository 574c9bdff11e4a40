import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writing the file sinks' output with write(2), every failure a `SinkError` naming the path and the
/// errno text (a full disk, a read-only or missing directory, a device that refuses writes): no
/// `FileHandle.write`, which traps on error in corelibs Foundation.
public enum FileOutput {
    /// The error for a failed system call on `path`, with the errno text.
    static func failure(_ what: String, _ path: String, _ code: Int32 = errno) -> SinkError {
        SinkError(sink: path, message: "cannot \(what) \(path): \(String(cString: strerror(code)))")
    }

    /// Writes all of `bytes` to `fd` (short writes continued, EINTR retried).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("write", path)
            }
            if n == 0 { throw failure("write", path, EIO) }
            done += n
        }
    }

    /// Appends `text` to `path`, creating the file. Any kind of file may be written to (a FIFO,
    /// `/dev/stdout`): appending replaces nothing.
    static func append(_ text: String, to path: String) throws {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: dir) { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("open", path) }
        do {
            try writeAll(fd, Array(text.utf8), path: path)
        } catch {
            close(fd)
            throw error
        }
        if close(fd) != 0 && errno != EINTR { throw failure("write", path) }
    }

    /// What a temporary file for `target` is named: `.<name>.logmill-tmp.<pid>.<random>` in the
    /// same directory, so later runs can recognise (and remove) one a killed run left behind.
    static func temporaryPrefix(for name: String) -> String { ".\(name).logmill-tmp." }

    /// How old a temporary file must be to be removed even when its process seems alive (its pid
    /// may have been reused).
    static let staleAge: TimeInterval = 60

    /// Replaces the file at `path` with `text`: refuses an existing target that is not a regular
    /// file (a directory, a device such as /dev/null, a FIFO, a socket); removes temporary files of
    /// earlier runs that died before renaming; writes a temporary file, fsyncs it, renames it over
    /// the target and fsyncs the directory. The target keeps its permission bits.
    static func replace(_ path: String, with text: String) throws {
        try replace(path, with: Array(text.utf8))
    }

    /// The moments of a replacement, for callers that mark them (the crash tests' fault points).
    public enum ReplaceStage: Sendable { case written, renamed }

    /// `replace` with bytes; a new file gets `newFileMode` (an existing one keeps its own), and
    /// `stage` is told when the temporary file is written and when it has been renamed.
    public static func replace(_ path: String, with bytes: [UInt8], newFileMode: mode_t = 0o644,
                               stage: ((ReplaceStage) -> Void)? = nil) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        var st = stat()
        var mode = newFileMode
        if stat(path, &st) == 0 {
            if st.st_mode & S_IFMT != S_IFREG {
                throw SinkError(sink: path, message: "\(path) is \(kind(st.st_mode)), not a regular file; refusing to replace it")
            }
            mode = st.st_mode & 0o7777
        } else if errno != ENOENT {
            throw failure("stat", path)
        }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            let code = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.code
            throw SinkError(sink: path, message: "cannot create the directory \(dir): "
                            + (code.map { String(cString: strerror(Int32($0))) } ?? (error as NSError).localizedDescription))
        }
        let tmp = dir + "/" + temporaryPrefix(for: name) + "\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("create a temporary file in", dir) }
        // Our new file's time is the file system's "now", the clock the other temporaries' times
        // were written by.
        var own = stat()
        if fstat(fd, &own) == 0 { removeStaleTemporaries(in: dir, for: name, now: Int64(own.st_mtim.tv_sec), keeping: tmp) }
        do {
            try writeAll(fd, bytes, path: tmp)
            if fchmod(fd, mode) != 0 { throw failure("set the mode of", tmp) }
            if fsync(fd) != 0 { throw failure("write", tmp) }
            if close(fd) != 0 { throw failure("write", tmp) }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        stage?(.written)
        if rename(tmp, path) != 0 {
            let e = failure("replace", path)
            unlink(tmp)
            throw e
        }
        stage?(.renamed)
        // The rename is durable once the directory is.
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            defer { close(dfd) }
            if fsync(dfd) != 0 && errno != EINVAL { throw failure("sync the directory", dir) }
        }
    }

    /// Removes `.<name>.logmill-tmp.<pid>.*` files in `dir` whose process is gone or that are older
    /// than `staleAge`. Best effort: what cannot be removed stays.
    static func removeStaleTemporaries(in dir: String, for name: String, now: Int64, keeping own: String) {
        let prefix = temporaryPrefix(for: name)
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            let full = dir + "/" + entry
            if full == own { continue }
            let pid = entry.dropFirst(prefix.count).split(separator: ".").first.flatMap { pid_t($0) }
            var st = stat()
            guard lstat(full, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
            let age = TimeInterval(now - Int64(st.st_mtim.tv_sec))
            let dead = pid.map { kill($0, 0) != 0 && errno == ESRCH } ?? true
            if dead || age > staleAge { unlink(full) }
        }
    }

    /// `a directory`, `a character device`, … for messages.
    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }
}
