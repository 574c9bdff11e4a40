#if canImport(Glibc)
import Glibc
#endif

/// Standard output and error for the CLI: the only place logmill writes to them. A failed write
/// (a full disk, a closed pipe) is remembered so the command can exit 1 instead of claiming success.
enum Terminal {
    nonisolated(unsafe) private(set) static var writeFailed = false

    static var stdoutIsTerminal: Bool { isatty(1) != 0 }
    static var stderrIsTerminal: Bool { isatty(2) != 0 }

    static func out(_ text: String) { write(1, text) }
    static func err(_ text: String) { write(2, text) }
    /// `logmill: MESSAGE` on stderr.
    static func fail(_ message: String) { err("logmill: " + message + "\n") }
    static func warn(_ message: String) { err("logmill: warning: " + message + "\n") }
    static func notice(_ message: String) { err("logmill: " + message + "\n") }

    private static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { b in
            var done = 0
            while done < b.count {
                let n = Glibc.write(fd, b.baseAddress! + done, b.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    if fd == 1 { writeFailed = true; reportWriteFailure(errno) }
                    return
                }
                done += n
            }
        }
    }

    nonisolated(unsafe) private static var reported = false
    private static func reportWriteFailure(_ code: Int32) {
        guard !reported else { return }
        reported = true
        err("logmill: cannot write the output: \(String(cString: strerror(code)))\n")
    }
}
