import LogmillJobs
import LogmillQuery

/// The exit statuses cron and systemd act on, decided in this one place:
/// 0 everything asked for was done; 1 the work ran and something failed (an unreadable input, a
/// sink that did not take its datums); 2 the command line, a query or a job file is wrong.
/// Notices (facts that are not problems) never change it.
enum ExitStatus: Int32, Comparable {
    case ok = 0
    case failed = 1
    case usage = 2

    static func < (a: ExitStatus, b: ExitStatus) -> Bool { a.rawValue < b.rawValue }

    /// The status an error stands for.
    static func of(_ error: Error) -> ExitStatus {
        switch error {
        case is UsageError, is QueryError, is JobFile.ParseError: return .usage
        default: return .failed
        }
    }

    /// Keeps the worse of two statuses.
    mutating func raise(_ other: ExitStatus) { self = max(self, other) }
}
