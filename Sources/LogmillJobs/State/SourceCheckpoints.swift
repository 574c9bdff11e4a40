import Foundation
import LogmillDecode
import LogmillScan
import LogmillSources
#if canImport(Glibc)
import Glibc
#endif

/// Decides where each object listed now is read from, using the checkpoints of earlier runs, so that
/// every byte is read once whatever happened to the files in between:
///
/// - appended: same device and inode, same first bytes, same bytes before the checkpoint → read on;
/// - renamed (rotation by rename): found by device and inode under its new name → read on;
/// - copied then truncated (copytruncate): the copy has a new inode but the same first bytes and the
///   same bytes before the checkpoint → read on from the checkpoint; the truncated file is shorter than
///   its checkpoint → read from its start;
/// - compressed after rotation (`app.log.1` → `app.log.1.gz`): same decoded first bytes and tail →
///   read on in the decoded stream;
/// - replaced in place, or truncated and rewritten: its first bytes or the bytes before the checkpoint
///   differ → read from its start;
/// - unchanged (same inode, size and modification time): not opened at all.
struct CheckpointPlan {
    /// Objects to scan, with `readFrom` and `isSettled` set.
    var toScan: [SourceObject] = []
    /// The checkpoint each object to scan resumed from, by name (absent: read from the start).
    var resumedFrom: [String: ObjectCheckpoint] = [:]
    /// Checkpoints of objects that did not change.
    var unchanged: [ObjectCheckpoint] = []
    /// What was noticed (a truncation, a replacement, a rotation followed), for the run's summary.
    var notes: [String] = []
}

enum SourceCheckpoints {
    struct FileFacts {
        var size: Int
        var modified: Int64
    }

    static func facts(_ object: SourceObject) -> FileFacts? {
        var st = stat()
        guard object.identity.kind == "file", stat(object.locator, &st) == 0 else { return nil }
        return FileFacts(size: Int(st.st_size), modified: Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000)
    }

    /// FNV-1a over bytes.
    static func hash<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        FNV1a.hash(bytes)
    }

    /// Decoded bytes `[from, to)` of an object (fewer when it is shorter).
    static func decodedBytes(_ object: SourceObject, _ range: Range<Int>) -> [UInt8]? {
        // A plain file is read at the range itself; only a compressed one is decoded from its start.
        if range.lowerBound > 0, object.isSeekable, let size = object.size, !isCompressed(object) {
            guard range.lowerBound < size, let raw = try? object.open(range: range.lowerBound..<min(range.upperBound, size)),
                  let bytes = try? readPrefix(of: raw, count: range.count) else { return [] }
            return bytes
        }
        guard let raw = try? object.open(), let (stream, _) = try? decoded(raw, name: object.name) else { return nil }
        var out: [UInt8] = []
        var position = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while position < range.upperBound {
            let want = min(buffer.count, range.upperBound - position)
            guard let n = try? buffer.withUnsafeMutableBytes({ try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }) else { return nil }
            if n == 0 { break }
            let lo = max(position, range.lowerBound), hi = position + n
            if lo < hi { out.append(contentsOf: buffer[(lo - position)..<(hi - position)]) }
            position += n
        }
        return out
    }

    /// Whether `object` holds the content `cp` describes up to `cp.offset`: same first bytes and the same
    /// bytes just before the checkpoint.
    static func continues(_ object: SourceObject, _ cp: ObjectCheckpoint) -> Bool {
        guard cp.offset > 0, cp.fingerprintLength > 0 else { return false }
        guard let head = decodedBytes(object, 0..<cp.fingerprintLength), head.count == cp.fingerprintLength,
              hash(head) == cp.fingerprint else { return false }
        if cp.tailLength == 0 { return true }
        guard let tail = decodedBytes(object, (cp.offset - cp.tailLength)..<cp.offset), tail.count == cp.tailLength else { return false }
        return hash(tail) == cp.tailHash
    }

    /// S3 objects and HTTP URLs: versioned by their identity, read over the network.
    static func isRemote(_ object: SourceObject) -> Bool { object.identity.kind == "s3" || object.identity.kind == "http" }

    static func isCompressed(_ object: SourceObject) -> Bool {
        guard let raw = try? object.open(range: object.isSeekable ? 0..<2 : nil), let head = try? readPrefix(of: raw, count: 2) else { return false }
        return isGzip(head)
    }

    /// Plans the read of `listed` against `checkpoints`. `now` and `settle` decide whether a file still
    /// being written may end in a partial line (it may not: its last line waits for the next run).
    static func plan(listed: [SourceObject], checkpoints: [ObjectCheckpoint], now: Int64, settle: Int64) -> CheckpointPlan {
        var plan = CheckpointPlan()
        var byIdentity: [String: Int] = [:]
        for (i, cp) in checkpoints.enumerated() { byIdentity[cp.identity] = i }
        var claimed = Set<Int>()
        // Objects not known by identity, or whose identity's checkpoint they do not continue (the file
        // was truncated or replaced, or the inode was reused by a new file), with that checkpoint.
        var unmatched: [(object: SourceObject, sameIdentity: ObjectCheckpoint?)] = []
        // Pass 1: the same file (device and inode), wherever it is now.
        for var object in listed {
            // A CloudWatch Logs group over this run's time range: always read, never compared.
            if object.identity.kind == "cwl" { plan.toScan.append(object); continue }
            // Remote objects are immutable under their identity (it holds the ETag): a known one is not
            // opened again unless its read stopped at an error; an unknown one is read from its start.
            // Never compared by content with other checkpoints: that would fetch them.
            if isRemote(object) {
                if let i = byIdentity[object.identity.key], !claimed.contains(i) {
                    claimed.insert(i)
                    var cp = checkpoints[i]
                    if cp.complete == false {
                        object.readFrom = cp.offset
                        plan.resumedFrom[object.name] = cp
                        plan.toScan.append(object)
                    } else {
                        cp.name = object.name
                        cp.lastSeen = now
                        plan.unchanged.append(cp)
                    }
                } else {
                    if let old = checkpoints.first(where: { $0.name == object.name && $0.identity != object.identity.key }) {
                        plan.notes.append("\(object.name) changed since it was read (\(old.identity.split(separator: "@").last.map { "was " + $0 } ?? "another version")); "
                                          + "read again from its start: its records in windows already emitted are late, as 'late:' says")
                    }
                    plan.toScan.append(object)
                }
                continue
            }
            let f = facts(object)
            object.isSettled = f.map { $0.modified < now - settle } ?? true
            guard let i = byIdentity[object.identity.key], !claimed.contains(i) else { unmatched.append((object, nil)); continue }
            let cp = checkpoints[i]
            if let f, f.size == cp.size, f.modified == cp.modified {
                var kept = cp
                kept.name = object.name
                kept.lastSeen = now
                plan.unchanged.append(kept)
                claimed.insert(i)
                continue
            }
            if continues(object, cp) {
                claimed.insert(i)
                if object.name != cp.name { plan.notes.append("\(cp.name) is now \(object.name); read on from byte \(cp.offset)") }
                object.readFrom = cp.offset
                plan.resumedFrom[object.name] = cp
                plan.toScan.append(object)
            } else {
                unmatched.append((object, cp))
            }
        }
        // Pass 2: files that continue a checkpoint no file claimed (a copy, a compressed rotation).
        for (var object, sameIdentity) in unmatched {
            let candidates = checkpoints.indices.filter { !claimed.contains($0) && checkpoints[$0].offset > 0 }
            if let i = candidates.first(where: { continues(object, checkpoints[$0]) }) {
                let cp = checkpoints[i]
                claimed.insert(i)
                plan.notes.append("\(object.name) continues \(cp.name); read on from byte \(cp.offset)")
                object.readFrom = cp.offset
                plan.resumedFrom[object.name] = cp
            } else if let cp = sameIdentity, cp.offset > 0, cp.name == object.name {
                plan.notes.append("\(object.name) was truncated or replaced since it was read to byte \(cp.offset); read from its start")
            }
            plan.toScan.append(object)
        }
        // Checkpoints of objects not listed now are kept (a file may come back renamed or compressed).
        for (i, cp) in checkpoints.enumerated() where !claimed.contains(i) && !plan.toScan.contains(where: { $0.identity.key == cp.identity }) {
            plan.unchanged.append(cp)
        }
        return plan
    }

    /// The checkpoints after a scan of `plan.toScan`.
    static func update(_ plan: CheckpointPlan, report: ScanReport, now: Int64, keepFor: Int64) -> [ObjectCheckpoint] {
        var out = plan.unchanged.filter { $0.lastSeen >= now - keepFor }
        let scannedIdentities = Set(plan.toScan.map(\.identity.key))
        out.removeAll { scannedIdentities.contains($0.identity) }
        for object in plan.toScan {
            let previous = plan.resumedFrom[object.name]
            let position = report.positions[object.name]
            let offset = max(position?.offset ?? object.readFrom, object.readFrom)
            guard offset > 0 else { continue }
            // A CloudWatch Logs group is asked again for every window not yet emitted: no checkpoint.
            if object.identity.kind == "cwl" { continue }
            if isRemote(object) {
                // No fingerprint or tail: that would fetch the object again; its identity pins the version.
                let failed = report.errors.contains { $0.hasPrefix(object.name + ": ") }
                out.append(ObjectCheckpoint(name: object.name, identity: object.identity.key, fingerprint: 0, fingerprintLength: 0, offset: offset,
                                            tailHash: 0, tailLength: 0, size: object.size ?? 0, modified: 0, compressed: false, lastSeen: now,
                                            complete: !failed))
                continue
            }
            guard let f = facts(object) else { continue }
            // Nothing new read: the earlier read's knowledge of the bytes before the checkpoint stands.
            let tail = offset == object.readFrom ? [] : (position?.tail ?? [])
            var cp = ObjectCheckpoint(name: object.name, identity: object.identity.key, fingerprint: 0, fingerprintLength: 0,
                                      offset: offset, tailHash: 0, tailLength: 0, size: f.size, modified: f.modified,
                                      compressed: isCompressed(object), lastSeen: now)
            let head = decodedBytes(object, 0..<min(ContentFingerprint.span, offset)) ?? []
            cp.fingerprint = hash(head)
            cp.fingerprintLength = head.count
            if tail.isEmpty, let previous, previous.offset == offset {
                cp.tailHash = previous.tailHash
                cp.tailLength = previous.tailLength
            } else if tail.isEmpty {
                let t = decodedBytes(object, max(0, offset - ReadPosition.tailLength)..<offset) ?? []
                cp.tailHash = hash(t)
                cp.tailLength = t.count
            } else {
                cp.tailHash = hash(tail)
                cp.tailLength = tail.count
            }
            out.append(cp)
        }
        return out.sorted { $0.name < $1.name }
    }
}
