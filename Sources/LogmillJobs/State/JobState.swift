import Foundation
import LogmillAlarms
import LogmillRemote

/// Everything a job remembers between runs, in one versioned file per job. Written only whole and
/// atomically (`StateStore`); a file of another version, another job or that does not parse stops
/// that job with a message and is never reset silently (`logmill state reset JOB` exists for that).
public struct JobState: Codable, Sendable {
    /// Bumped whenever the layout changes; other versions are refused, not guessed at.
    public static let currentVersion = 1

    public var version = JobState.currentVersion
    /// The job's name, and a signature of what shapes its numbers (query, mapping, period): a state
    /// written by another job definition is refused.
    public var job: String
    public var signature: String
    /// Windows ending at or before this time (epoch ms) have been computed and handed to the sinks'
    /// ledger; records that fall in them later are late.
    public var emittedThrough: Int64?
    /// The start of the first window the scheduled runs emitted (absent in state written before it
    /// was recorded: a backfill then treats every earlier window as theirs).
    public var firstWindow: Int64?
    /// Read positions per source object.
    public var objects: [ObjectCheckpoint] = []
    /// Windows that are not finished: still collecting records (not yet due), or emitted but not yet
    /// taken by every sink. Each keeps its partial result so it can be finished or re-encoded.
    public var windows: [OpenWindow] = []
    /// Lines that arrived after their window was emitted, in all runs, and those merged as corrections.
    public var lateRecords = 0
    public var lateMerged = 0
    /// Dimension sets seen per metric, for `default` values in windows without rows.
    public var dimensionSets: [String: [[String]]] = [:]
    /// The last run: when, what it did, and its error if it failed.
    public var lastRun: RunRecord?
    /// Each `alarm:`'s state, recent values and notification ledger, by alarm name (absent in state
    /// written before alarms existed, which reads as no alarm evaluated yet).
    public var alarms: [String: AlarmTracker]?
    /// The last source list each `sources-from:` gave (by its redacted location and a hash of it),
    /// used when a refresh fails (absent in state written before, or for jobs without one).
    public var discovered: [String: [TargetGroup]]?

    public init(job: String, signature: String) {
        self.job = job
        self.signature = signature
    }
}

/// How far an object was read, and how to recognise it again.
public struct ObjectCheckpoint: Codable, Sendable, Equatable {
    /// Its name when last seen (it may be renamed since).
    public var name: String
    /// Device and inode (files), or another kind's key.
    public var identity: String
    /// FNV-1a of its first `fingerprintLength` decoded bytes.
    public var fingerprint: UInt64
    public var fingerprintLength: Int
    /// Decoded bytes read: the next read starts here.
    public var offset: Int
    /// FNV-1a of the (up to 64) decoded bytes before `offset`, and how many there were.
    public var tailHash: UInt64
    public var tailLength: Int
    /// Raw size and modification time at the last read (a cheap "unchanged" test).
    public var size: Int
    public var modified: Int64
    public var compressed: Bool
    /// When it was last seen listed (epoch ms); checkpoints unseen for long are pruned.
    public var lastSeen: Int64
    /// Remote objects (S3, HTTP): false when its read stopped at an error (the next run reads on from
    /// `offset`); otherwise it was read whole and, its version unchanged, is not opened again.
    public var complete: Bool? = nil
}

/// A window that is not finished.
public struct OpenWindow: Codable, Sendable {
    public var start: Int64
    public var end: Int64
    /// The window's `QueryPartial`, base64.
    public var partial: String
    /// Whether its datums were computed and handed to the ledger (then its partial no longer changes).
    public var emitted: Bool
    /// Per sink (by its position and label), what happened to this window.
    public var sinks: [SinkLedgerEntry]
}

/// One sink's part in one window's delivery: intended before sending, acknowledged after.
public struct SinkLedgerEntry: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Recorded before sending; no answer recorded yet (a crash leaves it here).
        case intended
        /// The sink took it.
        case acknowledged
        /// The sink refused it or could not be reached; it is tried again on the next run.
        case failed
        /// It may or may not have arrived; resolved by the job's `in-doubt` policy.
        case inDoubt
    }
    public var sink: String
    public var status: Status
    /// Length of an appended file before this window's datums were appended (EMF files), so a retry
    /// after a crash first cuts it back to this length.
    public var appendOffset: Int?
    public var attempts: Int
    public var lastError: String?
}

/// What the last run did.
public struct RunRecord: Codable, Sendable {
    public var at: Int64
    public var windowsEmitted: Int
    public var recordsRead: Int
    public var lateRecords: Int
    public var error: String?
    /// Per sink label, the last outcome in words.
    public var sinkOutcomes: [String: String]
}
