import Foundation

/// Where a backfill of one job stands, in `<job>.backfill.json` beside the job's state: written
/// atomically after every step, so the same command run again continues where it stopped.
public struct BackfillState: Codable, Sendable {
    public static let currentVersion = 1
    public var version = BackfillState.currentVersion
    public var job: String
    /// The job definition's signature (query, mapping, period), as for the job's state.
    public var signature: String
    /// The range, aligned to the job's period: windows in `[from, to)`.
    public var from: Int64
    public var to: Int64
    /// Objects whose records are in the spool, and the spool's segments.
    public var scannedObjects: [ScannedObject] = []
    public var segments: [String] = []
    /// Every listed object was scanned.
    public var scanned = false
    /// Windows ending at or before this were taken by every sink (or left out for one by its age limit).
    public var deliveredThrough: Int64
    /// The run of windows being delivered: its range and, per sink, the ledger entry.
    public var chunk: Chunk?
    /// Sinks that take the whole range in one write (OpenMetrics and Prometheus files), once written.
    public var wholeRangeWritten: [String]?
    /// Every window was delivered: the backfill is finished (the spool is gone).
    public var finished = false

    public struct ScannedObject: Codable, Sendable, Hashable {
        public var name: String
        public var identity: String
        public var size: Int
    }

    public struct Chunk: Codable, Sendable {
        public var start: Int64
        public var end: Int64
        public var sinks: [SinkLedgerEntry]
    }

    init(job: String, signature: String, from: Int64, to: Int64) {
        self.job = job; self.signature = signature; self.from = from; self.to = to
        deliveredThrough = from
    }
}

extension StateStore {
    public func backfillPath(_ job: String) -> String { directory + "/" + StateStore.fileName(job) + ".backfill.json" }
    func spoolDirectory(_ job: String) -> String { directory + "/" + StateStore.fileName(job) + ".backfill" }

    /// The job's backfill state, nil when there is none; a damaged one or one of another version throws.
    public func loadBackfill(job: String) throws -> BackfillState? {
        let path = backfillPath(job)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw StateError(path: path, message: "cannot be read") }
        struct Header: Decodable { var version: Int? }
        guard let header = try? JSONDecoder().decode(Header.self, from: data), header.version == BackfillState.currentVersion else {
            throw StateError(path: path, message: "is not a backfill state of version \(BackfillState.currentVersion)")
        }
        do { return try JSONDecoder().decode(BackfillState.self, from: data) } catch {
            throw StateError(path: path, message: "is damaged: \(error)")
        }
    }

    func saveBackfill(_ state: BackfillState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try StateStore.writeAtomically(try encoder.encode(state), to: backfillPath(state.job))
    }

    /// Removes the backfill's state and spool.
    func removeBackfill(job: String) {
        try? FileManager.default.removeItem(atPath: spoolDirectory(job))
        unlink(backfillPath(job))
    }
}
