import Foundation

/// What one run moved from one remote service (`s3`, `http`): objects listed, fetched (opened at least
/// once) and skipped as unchanged (a scheduled run's checkpoints), bytes over the wire (every answer's
/// body, listings included) and decoded from its objects, requests sent and retried.
public struct ServiceTransfer: Sendable, Equatable {
    public var listed = 0
    public var fetched = 0
    public var skipped = 0
    public var bytesOverWire = 0
    public var bytesDecompressed = 0
    public var requests = 0
    public var retries = 0
    public init() {}

    public mutating func merge(_ o: ServiceTransfer) {
        listed += o.listed
        fetched += o.fetched
        skipped += o.skipped
        bytesOverWire += o.bytesOverWire
        bytesDecompressed += o.bytesDecompressed
        requests += o.requests
        retries += o.retries
    }
}

/// Counts a run's remote reads, per service, from any thread. One is shared by every remote source of a
/// run (and their clients), so `--stats` can say what the run cost on the wire.
public final class TransferCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var services: [String: ServiceTransfer] = [:]
    private var opened = Set<String>()

    public init() {}

    public func listed(_ service: String, _ n: Int) {
        lock.withLock { services[service, default: ServiceTransfer()].listed += n }
    }

    /// An object opened for reading; parts of the same object count once.
    public func fetched(_ service: String, object: String) {
        lock.withLock {
            if opened.insert(service + " " + object).inserted { services[service, default: ServiceTransfer()].fetched += 1 }
        }
    }

    public func skipped(_ service: String, _ n: Int) {
        lock.withLock { services[service, default: ServiceTransfer()].skipped += n }
    }

    /// One attempt of a request (attempts after the first are retries) and the bytes of its answer.
    public func attempt(_ service: String, number: Int, bytes: Int) {
        lock.withLock {
            if number <= 1 { services[service, default: ServiceTransfer()].requests += 1 } else { services[service, default: ServiceTransfer()].retries += 1 }
            services[service, default: ServiceTransfer()].bytesOverWire += bytes
        }
    }

    public var snapshot: [String: ServiceTransfer] { lock.withLock { services } }
}
