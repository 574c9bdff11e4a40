/// One command-line option as a command declares it. The same table drives parsing, `--help`,
/// the errors for unknown or malformed options, and the tests of every command's options.
struct OptionSpec {
    /// The long name without dashes (`from` for `--from`).
    let name: String
    let short: Character?
    /// The placeholder of its value (`TIME`), or nil for a flag.
    let value: String?
    let help: String
    var repeatable = false

    init(_ name: String, short: Character? = nil, value: String? = nil, _ help: String, repeatable: Bool = false) {
        self.name = name
        self.short = short
        self.value = value
        self.help = help
        self.repeatable = repeatable
    }

    var display: String {
        var s = short.map { "-\($0), " } ?? "    "
        s += "--\(name)"
        if let value { s += " \(value)" }
        return s
    }
}

/// A command's declaration: what it is for, its arguments and options, and examples.
struct CommandSpec {
    let name: String
    let summary: String
    /// What follows `logmill NAME [options]`, e.g. `JOB...`.
    let arguments: String
    let description: String
    let options: [OptionSpec]
    let examples: [String]

    static let help = OptionSpec("help", short: "h", "show this help")

    var allOptions: [OptionSpec] { options + [CommandSpec.help] }

    var usage: String { "usage: logmill \(name) [options] \(arguments)" }

    var helpText: String {
        var out = usage + "\n\n" + description + "\n"
        let rows = allOptions.map { ($0.display, $0.help) }
        let width = rows.map(\.0.count).max() ?? 0
        out += "\noptions:\n"
        for (d, h) in rows {
            let lines = h.split(separator: "\n", omittingEmptySubsequences: false)
            out += "  " + d + String(repeating: " ", count: width - d.count + 2) + lines[0] + "\n"
            for l in lines.dropFirst() { out += String(repeating: " ", count: width + 4) + l + "\n" }
        }
        if !examples.isEmpty {
            out += "\nexamples:\n" + examples.map { "  " + $0 }.joined(separator: "\n") + "\n"
        }
        return out
    }

    /// Parses `args` against the table: `--name value`, `--name=value`, `-x value`, flags, `--` and `-`.
    func parse(_ args: [String]) throws -> ParsedOptions {
        var parsed = ParsedOptions()
        var i = 0
        var onlyPositionals = false
        func lookup(_ token: String) throws -> OptionSpec {
            if token.hasPrefix("--") {
                let bare = String(token.dropFirst(2))
                if let o = allOptions.first(where: { $0.name == bare }) { return o }
            } else if token.count == 2, let c = token.last, let o = allOptions.first(where: { $0.short == c }) {
                return o
            }
            let names = allOptions.map { "--" + $0.name }
            let near = EditDistance.nearest(token, among: names)
            throw UsageError("unknown option '\(token)'" + (near.map { "; did you mean '\($0)'?" } ?? "") + "\nRun 'logmill \(name) --help' for its options.")
        }
        while i < args.count {
            let a = args[i]
            i += 1
            if onlyPositionals || a == "-" || !a.hasPrefix("-") {
                parsed.positionals.append(a)
                continue
            }
            if a == "--" { onlyPositionals = true; continue }
            var token = a
            var inline: String? = nil
            if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
                token = String(a[..<eq])
                inline = String(a[a.index(after: eq)...])
            }
            let spec = try lookup(token)
            if spec.value == nil {
                if inline != nil { throw UsageError("option --\(spec.name) takes no value") }
                parsed.flags.insert(spec.name)
                continue
            }
            let v: String
            if let inline { v = inline } else {
                guard i < args.count else { throw UsageError("option --\(spec.name) needs a value (\(spec.value!))") }
                v = args[i]
                i += 1
            }
            if !spec.repeatable, parsed.values[spec.name] != nil {
                throw UsageError("option --\(spec.name) is given twice")
            }
            parsed.values[spec.name, default: []].append(v)
        }
        return parsed
    }
}

/// The options and arguments a command was given.
struct ParsedOptions {
    var positionals: [String] = []
    var values: [String: [String]] = [:]
    var flags: Set<String> = []

    func flag(_ name: String) -> Bool { flags.contains(name) }
    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
}

/// A wrong command line: exit status 2.
struct UsageError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

enum EditDistance {
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        var prev = Array(0...y.count)
        for i in 1...x.count {
            var cur = [i] + [Int](repeating: 0, count: y.count)
            for j in stride(from: 1, through: y.count, by: 1) {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[y.count]
    }

    /// The closest of `names` to `word`, when it is close enough to be a likely typo.
    static func nearest(_ word: String, among names: [String]) -> String? {
        guard let best = names.min(by: { distance($0, word) < distance($1, word) }) else { return nil }
        return distance(best, word) <= max(2, word.count / 3) ? best : nil
    }
}
