import Foundation
import LogmillAWS
import LogmillMetrics
import LogmillNet

/// A datum a sink left out before delivery, and why (e.g. CloudWatch: older than two weeks).
public struct SinkRejection: Sendable {
    public let datum: MetricDatum
    public let reason: String
    public init(datum: MetricDatum, reason: String) {
        self.datum = datum
        self.reason = reason
    }

    /// `skipped Namespace/Name{K=v} at TIME: reason`, for the caller to print.
    public var note: String { "skipped \(SinkRejection.describe(datum)): \(reason)" }

    /// `Namespace/Name{K=v,…} at TIME`.
    public static func describe(_ d: MetricDatum) -> String {
        var s = "\(d.namespace)/\(d.name)"
        if !d.dimensions.isEmpty { s += "{" + d.dimensions.map { "\($0.name)=\($0.value)" }.joined(separator: ",") + "}" }
        return s + " at \(AWSTime.iso8601Millis(d.timestamp))"
    }
}

extension SinkRejection {
    /// Rejections for the datums of `datums` that `carries` says the encoding leaves out (the JSON
    /// and StatsD forms have no NaN or infinity), each saying which number it is: a datum is never
    /// dropped without a trace.
    static func unsent(_ datums: [MetricDatum], format: String, carries: (MetricDatum) -> Bool) -> [SinkRejection] {
        datums.filter { !carries($0) }.map { SinkRejection(datum: $0, reason: "\(unsendable($0)); \(format) cannot carry it") }
    }

    /// Which number of `d` has no finite value.
    static func unsendable(_ d: MetricDatum) -> String {
        func text(_ v: Double) -> String { v.isNaN ? "NaN" : v < 0 ? "-Inf" : "+Inf" }
        switch d.value {
        case .single(let v):
            return v.isFinite ? "the value cannot be sent" : "value is \(text(v))"
        case .statistics(let s):
            for (v, n) in [(s.sampleCount, "SampleCount"), (s.sum, "Sum"), (s.minimum, "Minimum"), (s.maximum, "Maximum")] where !v.isFinite {
                return "\(n) is \(text(v))"
            }
            return s.sampleCount < 0 ? "SampleCount is negative" : "the statistic set cannot be sent"
        case .distribution:
            return "the distribution has no finite value with a positive count"
        }
    }
}

/// What a sink would send for some datums, made without sending anything: the text `--dry-run`
/// shows, the datums left out with reasons, and what delivery needs (opaque to callers).
public struct SinkPayload: Sendable {
    /// Exactly what `--dry-run` prints for this sink.
    public let text: String
    /// Datums the delivery carries (a distribution split in parts still counts once).
    public let count: Int
    public let rejections: [SinkRejection]
    /// The sink's own encoded form (bodies, datagrams, batches).
    let content: any Sendable

    public init(text: String, count: Int, rejections: [SinkRejection] = [], content: any Sendable) {
        self.text = text
        self.count = count
        self.rejections = rejections
        self.content = content
    }

    /// The encoded form, when this payload was made by a sink of that type.
    func content<T>(as type: T.Type) -> T? { content as? T }
}

/// How a delivery went, for one sink.
public struct SinkOutcome: Sendable {
    public enum Status: Sendable, Equatable {
        /// The receiver took this many datums.
        case delivered(Int)
        /// Nothing was accepted; the reason says why.
        case failed(String)
        /// The receiver may hold some or all of the datums: a request timed out or lost its connection
        /// after it was sent, or a delivery in several requests stopped part way (the reason says which).
        case inDoubt(String)
    }

    /// The sink's label.
    public let sink: String
    public let status: Status
    /// Datums left out before sending, with reasons.
    public let rejections: [SinkRejection]
    /// The error behind a failure, for callers that want its fields (`HTTPError.status`, …).
    public let cause: (any Error & Sendable)?

    public init(sink: String, status: Status, rejections: [SinkRejection] = [], cause: (any Error & Sendable)? = nil) {
        self.sink = sink
        self.status = status
        self.rejections = rejections
        self.cause = cause
    }

    /// How many datums were left out locally.
    public var rejectedCount: Int { rejections.count }
    /// One line per rejected datum, for the caller to print.
    public var notes: [String] { rejections.map(\.note) }
    public var isDelivered: Bool { if case .delivered = status { return true } else { return false } }

    /// The failure or doubt as an error (nil when delivered).
    public var error: (any Error & Sendable)? {
        switch status {
        case .delivered: return nil
        case .failed(let reason), .inDoubt(let reason): return cause ?? SinkError(sink: sink, message: reason)
        }
    }

    static func delivered(_ sink: String, _ payload: SinkPayload, count: Int? = nil) -> SinkOutcome {
        SinkOutcome(sink: sink, status: .delivered(count ?? payload.count), rejections: payload.rejections)
    }

    static func failed(_ sink: String, _ payload: SinkPayload, _ reason: String, cause: (any Error & Sendable)? = nil) -> SinkOutcome {
        SinkOutcome(sink: sink, status: .failed(reason), rejections: payload.rejections, cause: cause)
    }

    static func inDoubt(_ sink: String, _ payload: SinkPayload, _ reason: String, cause: (any Error & Sendable)? = nil) -> SinkOutcome {
        SinkOutcome(sink: sink, status: .inDoubt(reason), rejections: payload.rejections, cause: cause)
    }

    /// A payload this sink did not make.
    static func foreign(_ sink: String, _ payload: SinkPayload) -> SinkOutcome {
        failed(sink, payload, "the payload was not encoded by this sink")
    }
}

/// A step of a delivery that failed, with whether the receiver may have taken it anyway.
struct RequestFailure: Error {
    let error: any Error & Sendable
    let inDoubt: Bool

    /// `error`, in doubt when the HTTP client says an attempt may have reached the receiver.
    init(_ error: any Error & Sendable, inDoubt: Bool = false) {
        self.error = error
        self.inDoubt = inDoubt || (error as? HTTPError)?.inDoubt == true
    }
}

extension SinkOutcome {
    /// Runs the delivery steps `0..<steps` (requests, datagrams) in order, stopping at the first failure:
    /// failed when it was the first step and nothing may have arrived; in doubt when it may have arrived
    /// (a `RequestFailure` saying so) or earlier steps were accepted.
    static func inOrder(_ sink: String, _ payload: SinkPayload, steps: Int, _ step: (Int) throws -> Void) -> SinkOutcome {
        for i in 0..<steps {
            do {
                try step(i)
            } catch let f as RequestFailure {
                if i > 0 || f.inDoubt { return .inDoubt(sink, payload, "\(f.error)", cause: f.error) }
                return .failed(sink, payload, "\(f.error)", cause: f.error)
            } catch let e as SinkError {
                return i > 0 ? .inDoubt(sink, payload, "\(e)", cause: e) : .failed(sink, payload, "\(e)", cause: e)
            } catch {
                return i > 0 ? .inDoubt(sink, payload, "\(error)") : .failed(sink, payload, "\(error)")
            }
        }
        return .delivered(sink, payload)
    }
}

/// Delivers each payload to its sink, every one of them: a failing sink does not stop the others.
/// Outcomes come back in the order given.
public func deliverAll(_ deliveries: [(sink: any MetricSink, payload: SinkPayload)]) -> [SinkOutcome] {
    deliveries.map { $0.sink.deliver($0.payload) }
}

/// Encodes `datums` for every sink and delivers to each; a failing sink does not stop the others.
public func deliverAll(_ datums: [MetricDatum], to sinks: [any MetricSink]) -> [SinkOutcome] {
    deliverAll(sinks.map { (sink: $0, payload: $0.encode(datums)) })
}
