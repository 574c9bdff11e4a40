import Foundation
import LogmillNet

/// A sink as a job file names it: `sink: KIND [ARG…] [key=value…]`. Options keep their order and may
/// repeat (`header=` does).
public struct SinkSpec: Sendable {
    public var kind: String
    public var arguments: [String]
    public var options: [(key: String, value: String)]
    public var line: Int

    public init(kind: String, arguments: [String] = [], options: [(key: String, value: String)] = [], line: Int = 0) {
        self.kind = kind
        self.arguments = arguments
        self.options = options
        self.line = line
    }

    /// Options from a dictionary (each once, sorted by name).
    public init(kind: String, arguments: [String] = [], options: [String: String], line: Int = 0) {
        self.init(kind: kind, arguments: arguments, options: options.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) },
                  line: line)
    }

    /// Parses the words after `sink:`. A word with `=` is an option unless it looks like a URL or a path.
    public static func parse(_ words: [String], line: Int) -> SinkSpec? {
        guard let kind = words.first else { return nil }
        var spec = SinkSpec(kind: kind, line: line)
        for w in words.dropFirst() {
            if let eq = w.firstIndex(of: "="), !w.hasPrefix("http"), !w.hasPrefix("/"), !w.hasPrefix(".") {
                spec.options.append((String(w[..<eq]), String(w[w.index(after: eq)...])))
            } else {
                spec.arguments.append(w)
            }
        }
        return spec
    }
}

/// What an option's value may be.
public enum SinkValueType: Sendable, Equatable {
    case bool
    /// A whole number within the range.
    case integer(ClosedRange<Int>)
    /// A finite number within the range; a range from 0 leaves 0 itself out (a timeout of 0 is no timeout).
    case number(ClosedRange<Double>)
    /// One of these words.
    case words([String])
    /// Any text (may be empty).
    case text
    /// `Name:Value`, an HTTP header; the option may repeat.
    case header

    /// How usage strings and the README show the value.
    public var placeholder: String {
        switch self {
        case .bool: return "true|false"
        case .integer(let r): return "\(r.lowerBound)..\(r.upperBound)"
        case .number(let r): return (r.lowerBound == 0 ? ">0" : SinkValueType.text(r.lowerBound)) + "..\(SinkValueType.text(r.upperBound))"
        case .words(let w): return w.joined(separator: "|")
        case .text: return "TEXT"
        case .header: return "Name:Value"
        }
    }

    static func text(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)" }
}

/// One `key=value` option a sink kind takes.
public struct SinkOption: Sendable {
    public let name: String
    public let type: SinkValueType
    /// The value when the option is not given, as written in a job file (nil: none).
    public let defaultValue: String?
    public let required: Bool
    /// One line for usage, `--help` and the README.
    public let doc: String
    /// What a text value is called in usage strings (`job=NAME`).
    public let metavar: String
    /// `header` options repeat; others may be given once.
    public var repeatable: Bool { type == .header }

    public init(_ name: String, _ type: SinkValueType, default defaultValue: String? = nil, required: Bool = false, metavar: String? = nil,
                _ doc: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.required = required
        self.metavar = metavar ?? name.uppercased()
        self.doc = doc
    }

    /// `name=VALUE`, as usage strings and messages show it.
    var form: String {
        switch type {
        case .bool: return "\(name)=\(defaultValue == "true" ? "false" : "true")"
        case .header: return "\(name)=Name:Value…"
        case .words(let w): return "\(name)=\(w.joined(separator: "|"))"
        case .integer, .number: return "\(name)=N"
        case .text: return "\(name)=\(metavar)"
        }
    }

    /// The value as help texts and the README show it.
    public var valueForm: String { type == .text ? metavar : type.placeholder }

    /// `[name=VALUE]`, or without brackets when required.
    var usage: String { required ? form : "[\(form)]" }
}

/// The positional argument of a sink kind.
public struct SinkArgument: Sendable {
    public enum Form: Sendable, Equatable {
        /// A path, relative to the job file's folder unless absolute.
        case file
        /// An http:// or https:// URL with a host.
        case httpURL
        /// `host:port`, `[v6]:port`, or a host alone (the kind's default port).
        case hostPort(defaultPort: Int)
    }
    /// `FILE`, `URL`, `HOST:PORT`.
    public let name: String
    public let form: Form
    public let required: Bool
    public let doc: String

    public init(_ name: String, _ form: Form, required: Bool, _ doc: String) {
        self.name = name
        self.form = form
        self.required = required
        self.doc = doc
    }
}

/// One validated option value.
public enum SinkValue: Sendable, Equatable {
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case word(String)
    case text(String)
    case header(name: String, value: String)
}

/// A sink line checked against its kind's declaration: every option known and in range, the argument
/// well formed. Making one has no side effects (no files, sockets, environment or credentials).
public struct SinkConfiguration: Sendable {
    public let kind: SinkKind
    public let argument: String?
    public let line: Int
    /// Given values, in the order written (defaults are not here; the accessors apply them).
    public let values: [(name: String, value: SinkValue)]
    /// `LABEL=VALUE` options of kinds that take labels (pushgateway grouping labels), in the order written.
    public let labels: [(name: String, value: String)]

    init(kind: SinkKind, argument: String?, line: Int, values: [(name: String, value: SinkValue)], labels: [(name: String, value: String)]) {
        self.kind = kind
        self.argument = argument
        self.line = line
        self.values = values
        self.labels = labels
    }

    /// Whether the job file gave the option.
    public func isSet(_ name: String) -> Bool { values.contains { $0.name == name } }

    /// The last value given, else the declared default.
    public func value(_ name: String) -> SinkValue? {
        if let v = values.last(where: { $0.name == name }) { return v.value }
        guard let option = kind.option(name), let d = option.defaultValue else { return nil }
        return try? SinkOptionParser.value(d, for: option).get()
    }

    public func bool(_ name: String) -> Bool {
        if case .bool(let b)? = value(name) { return b }
        return false
    }

    public func integer(_ name: String) -> Int? {
        if case .integer(let n)? = value(name) { return n }
        return nil
    }

    public func number(_ name: String) -> Double? {
        switch value(name) {
        case .number(let d)?: return d
        case .integer(let n)?: return Double(n)
        default: return nil
        }
    }

    /// A word or text value.
    public func text(_ name: String) -> String? {
        switch value(name) {
        case .word(let s)?, .text(let s)?: return s
        default: return nil
        }
    }

    /// Every `header=` given, in order.
    public func headers(_ name: String = "header") -> [(name: String, value: String)] {
        values.compactMap { v in
            if v.name == name, case .header(let n, let value) = v.value { return (n, value) }
            return nil
        }
    }
}

/// Turns a `SinkSpec` into a `SinkConfiguration` by its kind's declarations.
enum SinkOptionParser {
    static func configuration(_ spec: SinkSpec, kind: SinkKind) throws -> SinkConfiguration {
        func fail(_ m: String) -> SinkError { SinkError(sink: spec.kind + (spec.line > 0 ? " (line \(spec.line))" : ""), message: m) }
        var argument: String?
        switch (spec.arguments.count, kind.argument) {
        case (0, nil): break
        case (0, let a?): if a.required { throw fail("needs \(a.name); write 'sink: \(kind.usage)'") }
        case (1, let a?): argument = spec.arguments[0]; try checkArgument(spec.arguments[0], a).map { throw fail($0) }
        default: throw fail("unexpected '\(spec.arguments.last!)'; write 'sink: \(kind.usage)'")
        }
        var values: [(name: String, value: SinkValue)] = []
        var labels: [(name: String, value: String)] = []
        for (key, raw) in spec.options {
            guard let option = kind.option(key) else {
                let nearest = suggestion(for: key, among: kind.options.map(\.name))
                if let labelDoc = kind.labels, nearest == nil || editDistance(key, nearest!) > 1 {
                    guard isLabelName(key), !key.hasPrefix("__") else { throw fail("'\(key)' is not a valid \(labelDoc) name") }
                    labels.append((key, raw))
                    continue
                }
                let hint = nearest.map { "; did you mean '\($0)'?" } ?? ""
                throw fail("unknown option '\(key)'\(hint) \(kind.name) takes: \(kind.options.map(\.name).joined(separator: ", "))")
            }
            if !option.repeatable, values.contains(where: { $0.name == key }) { throw fail("\(key) is given twice") }
            switch value(raw, for: option) {
            case .success(let v): values.append((key, v))
            case .failure(let e): throw fail(e.message)
            }
        }
        for option in kind.options where option.required && !values.contains(where: { $0.name == option.name }) {
            throw fail("needs \(option.form) (\(option.doc))")
        }
        let configuration = SinkConfiguration(kind: kind, argument: argument, line: spec.line, values: values, labels: labels)
        if let problem = kind.check?(configuration) { throw fail(problem) }
        return configuration
    }

    struct Problem: Error { let message: String }

    /// One raw value checked against its option's type. Never traps: huge, infinite and NaN numbers
    /// are refused like any other value out of range.
    static func value(_ raw: String, for option: SinkOption) -> Result<SinkValue, Problem> {
        let key = option.name
        switch option.type {
        case .bool:
            switch raw.lowercased() {
            case "true", "yes", "1", "on": return .success(.bool(true))
            case "false", "no", "0", "off": return .success(.bool(false))
            default: return .failure(Problem(message: "\(key) must be true or false, not '\(raw)'"))
            }
        case .integer(let range):
            guard let n = Int(raw), range.contains(n) else {
                return .failure(Problem(message: "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(shown(raw))'"))
            }
            return .success(.integer(n))
        case .number(let range):
            guard let d = Double(raw), d.isFinite, range.contains(d), !(range.lowerBound == 0 && d == 0) else {
                let low = range.lowerBound == 0 ? "above 0" : "from \(SinkValueType.text(range.lowerBound))"
                return .failure(Problem(message: "\(key) must be a number \(low) to \(SinkValueType.text(range.upperBound)), not '\(shown(raw))'"))
            }
            return .success(.number(d))
        case .words(let words):
            guard words.contains(raw.lowercased()) else {
                return .failure(Problem(message: "\(key) must be \(words.joined(separator: " or ")), not '\(shown(raw))'"))
            }
            return .success(.word(raw.lowercased()))
        case .text:
            return .success(.text(raw))
        case .header:
            guard let colon = raw.firstIndex(of: ":"), colon != raw.startIndex else {
                return .failure(Problem(message: "\(key) must look like Name:Value, not '\(Redaction.isSecretHeaderName(raw) ? Redaction.mask : shown(raw))'"))
            }
            let name = String(raw[..<colon])
            guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) else {
                return .failure(Problem(message: "'\(shown(name))' is not a valid header name"))
            }
            return .success(.header(name: name, value: String(raw[raw.index(after: colon)...])))
        }
    }

    /// A value for an error message: at most 40 characters.
    static func shown(_ s: String) -> String { s.count > 40 ? String(s.prefix(40)) + "…" : s }

    /// Why the positional argument is not of its form, or nil.
    static func checkArgument(_ text: String, _ argument: SinkArgument) -> String? {
        switch argument.form {
        case .file:
            return text.isEmpty ? "\(argument.name) is empty" : nil
        case .httpURL:
            guard let c = URLComponents(string: text), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = c.host, !host.isEmpty, c.url != nil
            else { return "'\(shown(Redaction.url(text)))' is not an http:// or https:// URL" }
            return nil
        case .hostPort(let defaultPort):
            return hostPort(text, defaultPort: defaultPort) == nil ? "'\(shown(text))' is not HOST:PORT (e.g. 127.0.0.1:8125 or [::1]:8125)" : nil
        }
    }

    /// `host:port`, `[v6]:port`, or a host alone (`defaultPort`).
    static func hostPort(_ s: String, defaultPort: Int) -> (String, Int)? {
        var host = s
        var portText = String(defaultPort)
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            host = String(s[s.index(after: s.startIndex)..<close])
            let rest = s[s.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = String(rest.dropFirst())
            }
        } else if let colon = s.lastIndex(of: ":") {
            host = String(s[..<colon])
            portText = String(s[s.index(after: colon)...])
        }
        guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port) else { return nil }
        return (host, port)
    }

    static func isLabelName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f == "_" || (f >= "a" && f <= "z") || (f >= "A" && f <= "Z") else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") }
    }

    /// The known name nearest to `key` by edit distance, when near enough to be a typo.
    static func suggestion(for key: String, among names: [String]) -> String? {
        let limit = max(1, min(3, key.count / 3))
        let best = names.map { ($0, editDistance(key.lowercased(), $0)) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= limit else { return nil }
        return best.0
    }

    /// Levenshtein distance over characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        var previous = Array(0...y.count)
        for i in 1...x.count {
            var current = [i] + Array(repeating: 0, count: y.count)
            for j in stride(from: 1, through: y.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[y.count]
    }
}
