import Foundation
import LogmillAWS
import LogmillMetrics

/// A destination for datums. Encoding is apart from delivery: `encode` makes the payload (what
/// `--dry-run` prints, the datums left out and why) without any side effect; `deliver` sends or
/// writes it and reports how that went. Neither prints anything nor throws.
public protocol MetricSink {
    /// A short description, e.g. `prometheus out/metrics.prom`.
    var label: String { get }
    func encode(_ datums: [MetricDatum]) -> SinkPayload
    func deliver(_ payload: SinkPayload) -> SinkOutcome
}

extension MetricSink {
    /// What `--dry-run` prints: the encoded text.
    public func render(_ datums: [MetricDatum]) -> String { encode(datums).text }

    /// Encodes and delivers.
    public func send(_ datums: [MetricDatum]) -> SinkOutcome { deliver(encode(datums)) }

    /// Encodes and delivers, throwing what went wrong (the older entry point, kept for callers
    /// that have not moved to outcomes yet). Local rejections are not reported here.
    public func emit(_ datums: [MetricDatum]) throws {
        if let error = send(datums).error { throw error }
    }
}

/// A sink that failed, naming it.
public struct SinkError: Error, CustomStringConvertible, Sendable {
    public let sink: String
    public let message: String
    public init(sink: String, message: String) {
        self.sink = sink
        self.message = message
    }
    public var description: String { "\(sink): \(message)" }
}

/// Where the table and EMF-to-stdout sinks write. Library code prints nothing itself: the program
/// passes its terminal output, tests a `TextBuffer`.
public protocol TextOutput: Sendable {
    func write(_ text: String) throws
}

/// Text collected in memory (tests, embedding).
public final class TextBuffer: TextOutput, @unchecked Sendable {
    private let lock = NSLock()
    private var collected = ""
    public init() {}
    public func write(_ text: String) throws {
        lock.lock(); defer { lock.unlock() }
        collected += text
    }
    public var text: String {
        lock.lock(); defer { lock.unlock() }
        return collected
    }
}

/// Formats numbers for text outputs: integral values without a fraction, others with the shortest round-trip digits.
func formatNumber(_ d: Double) -> String {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d < 0 ? "-Inf" : "+Inf" }
    if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
    return "\(d)"
}

/// Payloads of sinks that write one text as a whole (files, the table, EMF): delivering writes the
/// text; delivered when the write succeeds, failed otherwise.
enum TextDelivery {
    static func payload(_ text: String, count: Int) -> SinkPayload {
        SinkPayload(text: text, count: count, content: text)
    }

    static func deliver(_ payload: SinkPayload, sink: String, write: (String) throws -> Void) -> SinkOutcome {
        guard let text = payload.content(as: String.self) else { return .foreign(sink, payload) }
        do {
            try write(text)
            return .delivered(sink, payload)
        } catch let e as SinkError {
            return .failed(sink, payload, e.message, cause: SinkError(sink: sink, message: e.message))
        } catch {
            return .failed(sink, payload, "\(error)")
        }
    }

    /// Replaces the file at `path` with the payload's text, atomically.
    static func replaceFile(_ payload: SinkPayload, sink: String, path: String) -> SinkOutcome {
        deliver(payload, sink: sink) { try FileOutput.replace(path, with: $0) }
    }
}

/// RFC 3339 UTC, with milliseconds only when there are some. (No DateFormatter: creating one per
/// datum cost more than encoding the datum.)
func timeText(_ ms: Int64) -> String { AWSTime.iso8601Millis(ms) }
