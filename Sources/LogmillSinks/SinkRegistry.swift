import Foundation

/// A sink as a job file names it: `sink: KIND [ARG…] [key=value…]`.
public struct SinkSpec: Sendable {
    public var kind: String
    public var arguments: [String]
    public var options: [String: String]
    public var line: Int

    public init(kind: String, arguments: [String] = [], options: [String: String] = [:], line: Int = 0) {
        self.kind = kind
        self.arguments = arguments
        self.options = options
        self.line = line
    }

    /// Parses the words after `sink:`.
    public static func parse(_ words: [String], line: Int) -> SinkSpec? {
        guard let kind = words.first else { return nil }
        var args: [String] = []
        var opts: [String: String] = [:]
        for w in words.dropFirst() {
            if let eq = w.firstIndex(of: "="), !w.hasPrefix("http"), !w.hasPrefix("/"), !w.hasPrefix(".") {
                opts[String(w[..<eq])] = String(w[w.index(after: eq)...])
            } else {
                args.append(w)
            }
        }
        return SinkSpec(kind: kind, arguments: args, options: opts, line: line)
    }
}

/// Builds sinks from their specs. Each kind says what it needs; paths are relative to `base`.
public enum SinkFactory {
    public typealias Builder = @Sendable (SinkSpec, String) throws -> MetricSink

    /// Every kind with its syntax, for help texts and errors.
    public static var kinds: [(kind: String, usage: String)] {
        [("table", "table"), ("emf", "emf [FILE]"), ("prometheus", "prometheus FILE [timestamps=true]")]
            + CloudWatchSinks.kinds + PrometheusNetworkSinks.kinds + HTTPSinks.kinds
    }

    /// The networked kinds, each family in its own file.
    static let builders: [String: Builder] = CloudWatchSinks.builders
        .merging(PrometheusNetworkSinks.builders) { a, _ in a }
        .merging(HTTPSinks.builders) { a, _ in a }

    public static func make(_ spec: SinkSpec, base: String) throws -> MetricSink {
        func resolve(_ p: String) -> String { p.hasPrefix("/") || base.isEmpty ? p : base + "/" + p }
        func fail(_ m: String) -> SinkError { SinkError(sink: spec.kind, message: m) }
        switch spec.kind {
        case "table": return TableSink()
        case "emf": return EMFSink(path: spec.arguments.first.map(resolve))
        case "prometheus":
            guard spec.arguments.count == 1 else { throw fail("write 'sink: prometheus FILE [timestamps=true]'") }
            // No sample timestamps by default: node_exporter's textfile collector skips files that have them.
            return PrometheusFileSink(path: resolve(spec.arguments[0]), timestamps: spec.options["timestamps"] == "true")
        default:
            if let b = builders[spec.kind] { return try b(spec, base) }
            throw fail("unknown sink '\(spec.kind)'; logmill writes: \(kinds.map(\.kind).joined(separator: ", "))")
        }
    }
}
