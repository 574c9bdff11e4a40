import Foundation

/// The job files a daemon runs: files named on its command line, and the `*.job` files of folders
/// named there. Loaded at start and again on every reload; a file that no longer parses keeps its
/// previous version (if it had one) and is reported, so one bad edit never stops a running job.
public struct JobSet: Sendable {
    /// What the daemon was given: job files and folders.
    public let arguments: [String]
    /// The jobs in force, by path order.
    public private(set) var jobs: [JobFile] = []

    /// A job file that could not be used on a load.
    public struct Problem: Sendable, CustomStringConvertible {
        public let path: String
        public let message: String
        /// Whether the job's previous version stays in force.
        public let keptPrevious: Bool
        public var description: String {
            (path.isEmpty ? "" : "\(path): ") + message + (keptPrevious ? " (its previous version keeps running)" : "")
        }
    }

    public init(arguments: [String]) { self.arguments = arguments }

    /// A job file or folder that does not exist.
    public struct PathError: Error, CustomStringConvertible, Sendable { public let description: String }

    /// The job file paths the arguments name now: files as given, folders' `*.job` files sorted.
    public static func paths(_ arguments: [String]) throws -> [String] {
        var out: [String] = []
        for a in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: a, isDirectory: &isDirectory) else {
                throw PathError(description: "\(a): no such job file or folder")
            }
            if isDirectory.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: a).filter { $0.hasSuffix(".job") && !$0.hasPrefix(".") }.sorted()
                out += names.map { a.hasSuffix("/") ? a + $0 : a + "/" + $0 }
            } else {
                out.append(a)
            }
        }
        return out
    }

    /// (Re)reads every job file. A file that fails keeps its previous version when there was one;
    /// a file that is gone is dropped; a second file with a job name already taken is refused.
    /// Returns the problems, empty when every file loaded.
    @discardableResult
    public mutating func load() -> [Problem] {
        var problems: [Problem] = []
        let previous = Dictionary(jobs.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let paths: [String]
        do { paths = try JobSet.paths(arguments) } catch {
            return [Problem(path: "", message: "\(error)", keptPrevious: !jobs.isEmpty)]
        }
        var loaded: [JobFile] = []
        var names = Set<String>()
        for path in paths {
            var job: JobFile
            do { job = try JobFile.load(path) } catch {
                let old = previous[path]
                problems.append(Problem(path: path, message: "\(error)", keptPrevious: old != nil))
                guard let old else { continue }
                job = old
            }
            guard names.insert(job.name).inserted else {
                problems.append(Problem(path: path, message: "another job file already names a job '\(job.name)'; this one is not run", keptPrevious: false))
                continue
            }
            loaded.append(job)
        }
        jobs = loaded
        return problems
    }
}
