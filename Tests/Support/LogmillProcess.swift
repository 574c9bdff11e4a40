import Foundation
import XCTest

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
    }

    /// Runs `logmill ARGS` in `cwd` (the repository by default) with `environment` added to this
    /// process's (and `LOGMILL_STATE_DIR` pointing at a test folder unless given).
    public static func run(_ args: [String], stdin: Data? = nil, cwd: String = root, environment: [String: String] = [:]) throws -> Output {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw XCTSkip("logmill binary not built at \(binary); run 'swift build' first")
        }
        return try execute(binary, args, stdin: stdin, cwd: cwd, environment: environment)
    }

    /// Runs any executable the same way.
    public static func execute(_ executable: String, _ args: [String], stdin: Data? = nil, cwd: String = root, environment: [String: String] = [:]) throws -> Output {
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
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let signalled = p.terminationReason == .uncaughtSignal
        return Output(status: p.terminationStatus, signal: signalled ? p.terminationStatus : nil,
                      stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}
