import Foundation
import LogmillAlarms
import LogmillNet
import LogmillSinks
import LogmillSources
import LogmillTime

/// A job's `notify:` line: where its alarms' notifications go.
public enum AlarmNotifierSpec: Sendable, Equatable {
    /// POST of CloudWatch's alarm message JSON (protocols.md 5.4) with logmill's sample lines.
    case webhook(URL)
    /// POST of `{"text": …}`, the shape Slack's (and Mattermost's, Teams' legacy) incoming webhooks take.
    case slack(URL)
    /// A program run with the message JSON on its standard input (relative to the job file's folder).
    case command(String)
    /// The message text on logmill's standard output.
    case stdout

    public static func parse(_ text: String) throws -> AlarmNotifierSpec {
        let words = text.split(separator: " ", maxSplits: 1).map(String.init)
        let kind = words.first?.lowercased() ?? ""
        let argument = words.count > 1 ? words[1].trimmingCharacters(in: .whitespaces) : ""
        func url() throws -> URL {
            guard let u = URL(string: argument), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https", u.host != nil else {
                throw AlarmNotifierError(message: "'notify: \(kind)' needs an http:// or https:// URL")
            }
            return u
        }
        switch kind {
        case "webhook": return .webhook(try url())
        case "slack": return .slack(try url())
        case "command":
            guard !argument.isEmpty else { throw AlarmNotifierError(message: "'notify: command' needs the path of a program") }
            return .command(argument)
        case "stdout":
            guard argument.isEmpty else { throw AlarmNotifierError(message: "'notify: stdout' takes no argument") }
            return .stdout
        default:
            throw AlarmNotifierError(message: "unknown notifier '\(kind)'; notifiers: webhook URL, slack URL, command PATH, stdout")
        }
    }

    /// Its name in the job's state: stable, and without the URL (a Slack webhook's path is a secret).
    public var key: String {
        switch self {
        case .webhook(let u): return "webhook#" + FNV1a.hex(u.absoluteString.utf8)
        case .slack(let u): return "slack#" + FNV1a.hex(u.absoluteString.utf8)
        case .command(let p): return "command " + p
        case .stdout: return "stdout"
        }
    }

    /// What messages call it: the kind and the host, never a URL's path or credentials.
    public var label: String {
        switch self {
        case .webhook(let u): return "webhook \(u.scheme ?? "http")://\(u.host ?? "")\(u.port.map { ":\($0)" } ?? "")/…"
        case .slack(let u): return "slack \(u.scheme ?? "https")://\(u.host ?? "")/…"
        case .command(let p): return "command \(p)"
        case .stdout: return "stdout"
        }
    }
}

public struct AlarmNotifierError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// Sends alarm messages to notifiers. HTTP goes through the shared client (timeouts, retries with
/// backoff on the injected clock); a command gets a time limit measured on the same clock.
public struct AlarmDelivery {
    public var clock: any Clock
    public var output: any TextOutput
    /// The job file's folder (relative command paths start there).
    public var base: String
    public var environment: [String: String]
    public var policy: RetryPolicy = {
        var p = RetryPolicy()
        p.maxAttempts = 3
        p.timeout = 10
        return p
    }()
    /// How long a `command` notifier may run.
    public var commandSeconds = 30.0

    public init(clock: any Clock, output: any TextOutput, base: String, environment: [String: String]) {
        self.clock = clock; self.output = output; self.base = base; self.environment = environment
    }

    /// Delivers `message` (notification `key`) to `notifier`; nil when it was taken, else why not.
    public func deliver(_ message: AlarmMessage, key: String, reminder: Bool, to notifier: AlarmNotifierSpec) -> String? {
        switch notifier {
        case .webhook(let url):
            return post(url, body: message.json, key: key)
        case .slack(let url):
            return post(url, body: AlarmDelivery.slackBody(message, reminder: reminder), key: key)
        case .command(let path):
            return run(path, input: message.json, message: message)
        case .stdout:
            do { try output.write(AlarmDelivery.text(message, reminder: reminder) + "\n") } catch { return "stdout: \(error)" }
            return nil
        }
    }

    private func post(_ url: URL, body: String, key: String) -> String? {
        let client = HTTPClient(policy: policy, clock: clock)
        let request = HTTPRequest(method: "POST", url: url,
                                  headers: [("Content-Type", "application/json"), ("User-Agent", "logmill/0.1.0"),
                                            // Stable across retries and runs: receivers can drop a repeat.
                                            ("X-Logmill-Notification", key)],
                                  body: Data(body.utf8))
        // Messages name the host only: a notifier URL's path may be its secret (Slack's is).
        let host = "\(url.scheme ?? "http")://\(url.host ?? "")\(url.port.map { ":\($0)" } ?? "")"
        func hidePath(_ text: String) -> String {
            var t = text.replacingOccurrences(of: HTTPClient.endpoint(url), with: host + "/…")
            t = t.replacingOccurrences(of: url.absoluteString, with: host + "/…")
            if url.path.count > 1 { t = t.replacingOccurrences(of: url.path, with: "/…") }
            return t
        }
        do {
            let response = try client.send(request)
            if (200..<300).contains(response.status) { return nil }
            let text = response.echoText.split(whereSeparator: \.isNewline).joined(separator: " ")
            return hidePath("\(host)/…: HTTP \(response.status)" + (text.isEmpty ? "" : ": \(text.prefix(200))"))
        } catch {
            return hidePath("\(error)")
        }
    }

    private func run(_ path: String, input: String, message: AlarmMessage) -> String? {
        let full = path.hasPrefix("/") || base.isEmpty ? path : base + "/" + path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: full)
        var env = environment
        env["LOGMILL_ALARM_NAME"] = message.rule.name
        env["LOGMILL_ALARM_STATE"] = message.transition.newState.rawValue
        env["LOGMILL_ALARM_OLD_STATE"] = message.transition.oldState.rawValue
        process.environment = env
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch { return "command \(path): cannot run it: \(error.localizedDescription)" }
        // The program may not read its input; a closed pipe must not kill logmill.
        signal(SIGPIPE, SIG_IGN)
        try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        let deadline = clock.milliseconds() + Int64(commandSeconds * 1000)
        while process.isRunning {
            if clock.milliseconds() >= deadline {
                process.terminate()
                process.waitUntilExit()
                return "command \(path): still running after \(Int(commandSeconds)) s; stopped"
            }
            clock.sleep(seconds: 0.02)
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let said = String(decoding: (try? errors.fileHandleForReading.readToEnd()) ?? Data(), as: UTF8.self)
                .split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            return "command \(path): exit status \(process.terminationStatus)" + (said.isEmpty ? "" : ": \(said.prefix(200))")
        }
        return nil
    }

    /// Text for people (stdout, Slack): the subject, the reason, the datapoints and the sample lines.
    public static func text(_ m: AlarmMessage, reminder: Bool) -> String {
        var lines = [(reminder ? "still " : "") + m.subject + " at " + AlarmFormat.messageTime(m.transition.time),
                     "  " + m.transition.reason]
        let points = m.transition.datapoints.map { p in "\(AlarmFormat.datapointTime(p.start)) \(p.value.map(AlarmFormat.number) ?? "missing")" }
        if !points.isEmpty { lines.append("  datapoints: " + points.joined(separator: ", ")) }
        for s in m.sampleLines { lines.append("  \(AlarmFormat.messageTime(s.time)) \(s.source): \(s.line)") }
        return lines.joined(separator: "\n")
    }

    static func slackBody(_ m: AlarmMessage, reminder: Bool) -> String {
        let text = AlarmDelivery.text(m, reminder: reminder)
        let encoded = (try? JSONEncoder().encode(["text": text])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return encoded
    }
}
