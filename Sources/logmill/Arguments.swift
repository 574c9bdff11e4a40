/// A small command-line parser: `--name value`, `--name=value`, flags, repeated options and positionals.
struct Arguments {
    struct UsageError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    private(set) var positionals: [String] = []
    private var values: [String: [String]] = [:]
    private var flags: Set<String> = []

    /// `valued` names options that take a value; `flagNames` those that do not. Short aliases map to long names.
    init(_ args: [String], valued: Set<String>, flagNames: Set<String>, aliases: [String: String] = [:]) throws {
        var i = 0
        var onlyPositionals = false
        while i < args.count {
            let a = args[i]
            i += 1
            if onlyPositionals || a == "-" || !a.hasPrefix("-") { positionals.append(a); continue }
            if a == "--" { onlyPositionals = true; continue }
            var name = a
            var inline: String? = nil
            if let eq = a.firstIndex(of: "="), a.hasPrefix("--") {
                name = String(a[..<eq])
                inline = String(a[a.index(after: eq)...])
            }
            name = aliases[name] ?? name
            let bare = String(name.drop { $0 == "-" })
            if flagNames.contains(bare) {
                if inline != nil { throw UsageError(message: "option --\(bare) takes no value") }
                flags.insert(bare)
            } else if valued.contains(bare) {
                if let inline { values[bare, default: []].append(inline); continue }
                guard i < args.count else { throw UsageError(message: "option --\(bare) needs a value") }
                values[bare, default: []].append(args[i])
                i += 1
            } else {
                let known = (valued.union(flagNames)).map { "--" + $0 }.sorted()
                throw UsageError(message: "unknown option '\(a)'" + (known.isEmpty ? "" : "; options: " + known.joined(separator: ", ")))
            }
        }
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }
    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
}
