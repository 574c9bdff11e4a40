/// A query that could not be parsed or planned, with where and, when possible, a suggestion.
public struct QueryError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let location: SourceLocation?
    public let hint: String?
    /// The query text, to show the offending line with a caret.
    public let source: String
    /// A name for the query's origin (`-f FILE`, a job file) shown before line:column.
    public var origin: String?

    public init(_ message: String, at location: SourceLocation?, hint: String? = nil, source: String, origin: String? = nil) {
        self.message = message
        self.location = location
        self.hint = hint
        self.source = source
        self.origin = origin
    }

    public var description: String {
        var out = ""
        if let loc = location {
            out += "\(origin ?? "query"):\(loc.line):\(loc.column): error: \(message)"
            let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
            if loc.line - 1 < lines.count {
                let text = String(lines[loc.line - 1])
                out += "\n  \(text)\n  " + String(repeating: " ", count: max(0, loc.column - 1)) + "^"
            }
        } else {
            out += "\(origin ?? "query"): error: \(message)"
        }
        if let hint { out += "\n  hint: \(hint)" }
        return out
    }
}
