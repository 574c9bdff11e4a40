import Foundation
import LogmillSinks
#if canImport(Glibc)
import Glibc
#endif

/// A state file that cannot be used: the job stops with this message; nothing is reset.
public struct StateError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String
    public var description: String {
        "\(path): \(message); the job was not run. Inspect the file, or start the job afresh with 'logmill state reset JOB' (its windows are then computed again from its 'start:')"
    }
}

/// Where jobs keep their state: one `<job>.state.json` and one `<job>.lock` per job, in one folder.
/// Files are written whole, atomically (temporary file, fsync, rename, fsync of the folder), mode 0600.
public struct StateStore: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// `LOGMILL_STATE_DIR`, else `$XDG_STATE_HOME/logmill`, else `~/.local/state/logmill`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let d = environment["LOGMILL_STATE_DIR"], !d.isEmpty { return d }
        if let x = environment["XDG_STATE_HOME"], !x.isEmpty { return x + "/logmill" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state/logmill"
    }

    /// A file-name-safe form of a job name.
    static func fileName(_ job: String) -> String {
        String(job.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }

    public func statePath(_ job: String) -> String { directory + "/" + StateStore.fileName(job) + ".state.json" }
    func lockPath(_ job: String) -> String { directory + "/" + StateStore.fileName(job) + ".lock" }

    /// The job's state, nil when it has none yet. A file that is corrupt, of another version, or of
    /// another job definition throws `StateError`.
    public func load(job: String, signature: String) throws -> JobState? {
        let path = statePath(job)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StateError(path: path, message: "cannot be read")
        }
        struct Header: Decodable { var version: Int?; var job: String?; var signature: String? }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw StateError(path: path, message: "is not a logmill state file (it does not parse as JSON)")
        }
        guard header.version == JobState.currentVersion else {
            throw StateError(path: path, message: "has state format version \(header.version.map(String.init) ?? "none"); this logmill reads version \(JobState.currentVersion)")
        }
        guard header.job == job else {
            throw StateError(path: path, message: "belongs to job '\(header.job ?? "?")', not '\(job)'")
        }
        guard header.signature == signature else {
            throw StateError(path: path, message: "was written for another definition of this job (its query, metrics or schedule changed), so its stored partial results do not fit")
        }
        do {
            return try JSONDecoder().decode(JobState.self, from: data)
        } catch {
            throw StateError(path: path, message: "is damaged: \(error)")
        }
    }

    /// Writes the state atomically.
    public func save(_ state: JobState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(state)
        try StateStore.writeAtomically(data, to: statePath(state.job))
    }

    /// Removes a job's state (the operator's `logmill state reset`). Returns whether there was one.
    public func reset(job: String) throws -> Bool {
        let path = statePath(job)
        guard FileManager.default.fileExists(atPath: path) else { return false }
        guard unlink(path) == 0 else { throw StateError(path: path, message: "cannot be removed: \(String(cString: strerror(errno)))") }
        return true
    }

    /// Writes `data` to `path` so that a reader sees the old file or the new one, never a part: the
    /// file sinks' atomic replacement (temporary file, fsync, rename, fsync of the folder; stale
    /// temporaries of dead runs removed), a new file private (0600).
    public static func writeAtomically(_ data: Data, to path: String) throws {
        do {
            try FileOutput.replace(path, with: [UInt8](data), newFileMode: 0o600) { stage in
                FaultPoint.hit(stage == .written ? "state-written" : "state-renamed")
            }
        } catch let e as SinkError {
            throw StateError(path: path, message: e.message)
        }
    }

    /// Takes the job's lock without waiting. Returns nil, and the holder's pid when known, when another
    /// process holds it. The kernel releases the lock when its holder exits, however it exits, so a
    /// lock of a dead process is simply taken.
    public func lock(job: String) throws -> (lock: JobLock?, holder: Int32?) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = lockPath(job)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StateError(path: path, message: "cannot be opened: \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buf = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buf, 32, 0)
            close(fd)
            let holder = n > 0 ? Int32(String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) : nil
            return (nil, holder)
        }
        let pid = Array("\(getpid())\n".utf8)
        ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, pid.count, 0) }
        return (JobLock(fd: fd), nil)
    }
}

/// A held job lock; released by `release()` or when the process exits.
public final class JobLock: @unchecked Sendable {
    private var fd: Int32
    init(fd: Int32) { self.fd = fd }
    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }
    deinit { release() }
}

/// Named points where the crash tests kill the process: `LOGMILL_FAULT=NAME:N` makes the N-th pass
/// through point NAME end the process with SIGKILL, as a power cut or the OOM killer would. Unset, it
/// costs one comparison. Points: `scan` (a block read), `state-written` (temporary file written, not
/// yet renamed), `state-renamed` (renamed, folder not yet synced), `sink-sent` (a sink took a window,
/// its acknowledgement not yet recorded), `sink-next` (between two sinks).
public enum FaultPoint {
    nonisolated(unsafe) static var planned: (name: String, count: Int)? = {
        guard let v = ProcessInfo.processInfo.environment["LOGMILL_FAULT"], let colon = v.lastIndex(of: ":"),
              let n = Int(v[v.index(after: colon)...]), n >= 1 else { return nil }
        return (String(v[..<colon]), n)
    }()
    nonisolated(unsafe) static var passes = 0
    static let lock = NSLock()

    public static func hit(_ name: String) {
        guard let p = planned, p.name == name else { return }
        lock.lock()
        passes += 1
        let now = passes
        lock.unlock()
        if now == p.count { kill(getpid(), SIGKILL) }
    }
}
