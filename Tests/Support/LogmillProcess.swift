import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `logmill` binary the way users do, for every test target that needs it.
public enum LogmillProcess {
    /// The repository's root folder.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Job state of the binaries these tests start goes here, never to the user's state folder.
    public static let stateDirectory = TemporaryDirectory(prefix: "logmill-test-state")

    /// The binary next to the test bundle (same build configuration), else the debug build.
    public static var binary: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        for candidate in [dir + "/logmill", root + "/.build/debug/logmill"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return dir + "/logmill"
    }

    public struct Output: Sendable {
        public let status: Int32
        /// The signal that ended the process, if one did.
        public let signal: Int32?
        public let stdout: String
        public let stderr: String
        /// Whether `Limits.seconds` passed and the process was killed.
        public var timedOut = false
        /// Whether its peak resident memory passed `Limits.memoryKB` and it was killed.
        public var overMemory = false
        /// Its peak resident memory (VmHWM) as last seen, in KiB; 0 when not watched.
        public var peakMemoryKB = 0
    }

    /// Bounds for a watched run: killed with SIGKILL after `seconds`, or once its peak resident
    /// memory (polled from /proc/PID/status) is above `memoryKB`.
    public struct Limits: Sendable {
        public var seconds: Double
        public var memoryKB: Int
        public init(seconds: Double, memoryKB: Int) {
            self.seconds = seconds
            self.memoryKB = memoryKB
        }
    }

    /// Runs `logmill ARGS` in `cwd` (the repository by default) with `environment` added to this
    /// process's (and `LOGMILL_STATE_DIR` pointing at a test folder unless given).
    public static func run(_ args: [String], stdin: Data? = nil, cwd: String = root, environment: [String: String] = [:], limits: Limits? = nil) throws -> Output {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw XCTSkip("logmill binary not built at \(binary); run 'swift build' first")
        }
        return try execute(binary, args, stdin: stdin, cwd: cwd, environment: environment, limits: limits)
    }

    /// Runs any executable the same way; with `limits`, watched and killed when it passes them.
    public static func execute(_ executable: String, _ args: [String], stdin: Data? = nil, cwd: String = root, environment: [String: String] = [:],
                               limits: Limits? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        var env = ProcessInfo.processInfo.environment
        env["LOGMILL_STATE_DIR"] = stateDirectory.path
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        // Write on another thread: an input larger than the pipe buffer must not block reading the output.
        let writer = Thread {
            if let stdin { inp.fileHandleForWriting.write(stdin) }
            inp.fileHandleForWriting.closeFile()
        }
        writer.start()
        // Both pipes drained on their own threads, so a watched process is never blocked on a full pipe.
        nonisolated(unsafe) var o = Data(), e = Data()
        let drained = DispatchGroup()
        for (handle, isOut) in [(out.fileHandleForReading, true), (err.fileHandleForReading, false)] {
            drained.enter()
            Thread {
                let data = handle.readDataToEndOfFile()
                if isOut { o = data } else { e = data }
                drained.leave()
            }.start()
        }
        let watched = limits.map { watch(p, $0) } ?? (false, false, 0)
        drained.wait()
        p.waitUntilExit()
        let signalled = p.terminationReason == .uncaughtSignal
        var output = Output(status: p.terminationStatus, signal: signalled ? p.terminationStatus : nil,
                            stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
        (output.timedOut, output.overMemory, output.peakMemoryKB) = watched
        return output
    }

    /// Polls a running process's peak memory every few milliseconds until it exits; kills it
    /// (SIGKILL) when it passes `limits`.
    private static func watch(_ p: Process, _ limits: Limits) -> (timedOut: Bool, overMemory: Bool, peak: Int) {
        let pid = p.processIdentifier
        let deadline = Date().addingTimeInterval(limits.seconds)
        var peak = 0
        while p.isRunning {
            if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
               let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kb = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") {
                peak = max(peak, kb)
            }
            if peak > limits.memoryKB { kill(pid, SIGKILL); return (false, true, peak) }
            if Date() > deadline { kill(pid, SIGKILL); return (true, false, peak) }
            usleep(5_000)
        }
        return (false, false, peak)
    }
}
