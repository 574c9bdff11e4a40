import LogmillQuery

/// Every command, in the order `logmill --help` lists them. Each declares its options in a table
/// (`CommandSpec`) from which its parsing, `--help` and usage errors are made.
enum Commands {
    static let version = "0.2.0"

    struct Entry {
        let spec: CommandSpec
        let run: (ParsedOptions) throws -> ExitStatus
    }

    static var all: [Entry] { [
        Entry(spec: QueryCommand.spec, run: QueryCommand.run),
        Entry(spec: RunCommand.spec, run: RunCommand.run),
        Entry(spec: BackfillCommand.spec, run: BackfillCommand.run),
        Entry(spec: ValidateCommand.spec, run: ValidateCommand.run),
        Entry(spec: StateCommand.spec, run: StateCommand.run),
        Entry(spec: DaemonCommand.spec, run: DaemonCommand.run),
        Entry(spec: StatusCommand.spec, run: StatusCommand.run),
        Entry(spec: AlarmsCommand.spec, run: AlarmsCommand.run),
        Entry(spec: TestCommand.spec, run: TestCommand.run),
    ] }

    static var overview: String {
        var out = """
        logmill \(version): CloudWatch Logs Insights queries over logs, turned into metrics.

        usage: logmill <command> [options]

        commands:

        """
        let width = all.map(\.spec.name.count).max() ?? 0
        for e in all { out += "  " + e.spec.name + String(repeating: " ", count: width - e.spec.name.count + 3) + e.spec.summary + "\n" }
        out += "  help" + String(repeating: " ", count: width - 4 + 3) + "show help for a command\n"
        out += "\nRun 'logmill <command> --help' for a command's options and examples.\n"
        return out
    }

    /// Runs the command line and returns the exit status.
    static func main(_ args: [String]) -> ExitStatus {
        guard let name = args.first else {
            Terminal.err(overview)
            return .usage
        }
        let rest = Array(args.dropFirst())
        switch name {
        case "help", "-h", "--help":
            guard let topic = rest.first else { Terminal.out(overview); return .ok }
            guard let e = all.first(where: { $0.spec.name == topic }) else {
                return unknown(topic)
            }
            Terminal.out(e.spec.helpText)
            return .ok
        case "--version", "version":
            Terminal.out("logmill \(version)\n")
            return .ok
        default:
            guard let e = all.first(where: { $0.spec.name == name }) else { return unknown(name) }
            do {
                let parsed = try e.spec.parse(rest)
                if parsed.flag("help") { Terminal.out(e.spec.helpText); return .ok }
                let status = try e.run(parsed)
                return Terminal.writeFailed ? max(status, .failed) : status
            } catch let error as UsageError {
                Terminal.fail("\(e.spec.name): \(error)")
                return .usage
            } catch {
                Terminal.err("\(error)\n")
                return ExitStatus.of(error)
            }
        }
    }

    private static func unknown(_ name: String) -> ExitStatus {
        let near = EditDistance.nearest(name, among: all.map(\.spec.name) + ["help"])
        Terminal.fail("unknown command '\(name)'" + (near.map { "; did you mean '\($0)'?" } ?? "") + "\n\n" + overview)
        return .usage
    }
}
